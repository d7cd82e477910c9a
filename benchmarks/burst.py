"""Opening burst: N people send their first message within one second; every Bot API call costs 50 ms.

    python -m benchmarks.burst [--users 400] [--latency 0.05] [--spread 1.0] [--runs 3] [--quick]

Maillage answers /start from people it has never seen (real handlers, SQLite); the
baselines are bare echo bots: PTB with its defaults, aiogram 3, and the two PTB set-ups
that led to Maillage's (concurrent updates over httpx; per-user order over aiohttp).
The echo bots pace nothing, so Maillage is compared with its send budget at 1,000 a
second (what Telegram's paid broadcasts allow): that measures its own work. It also runs
with the default budget, 30 messages a second with every answer counted (the strict
reading of Telegram's limit), whose floor is users / 30 seconds.
Reported: the time from the first message to the last answer, and the p50/p95 wait.
"""

from __future__ import annotations

import asyncio
import contextlib
import tempfile
import time
from pathlib import Path
from typing import Any

from benchmarks.common import (
    Contender,
    aiogram_echo,
    latency_summary,
    maillage,
    maillage_paid_budget,
    median_report,
    parser,
    postgres_schema,
    print_table,
    ptb_echo,
    start_maillage,
    write_report,
)
from benchmarks.echo_bot import VARIANTS
from bot.emulator import TelegramEmulator

# Maillage on PostgreSQL: (label, workers), each with the budget of Telegram's paid broadcasts
ON_POSTGRES = (
    ("Maillage on PostgreSQL, one process (budget 1,000/s)", 0),
    ("Maillage on PostgreSQL, ingress + 2 workers (budget 1,000/s)", 2),
)


def contenders() -> list[tuple[Contender, str, int | None]]:
    """(bot, what each user sends, workers on PostgreSQL or None for SQLite and the echo bots)."""
    import sys

    others = [
        Contender(f"echo bot, {VARIANTS[v]}", (sys.executable, "-m", "benchmarks.echo_bot", v))
        for v in ("ptb-concurrent-httpx64", "ptb-peruser-aiohttp")
    ]
    strict = Contender("Maillage, 30 messages/s, every answer counted", maillage().argv)
    paid = maillage_paid_budget()
    return [
        (paid, "/start", None),
        (strict, "/start", None),
        *((Contender(label, paid.argv, paid.env), "/start", workers) for label, workers in ON_POSTGRES),
        (ptb_echo(), "hello", None),
        (aiogram_echo(), "hello", None),
    ] + [(c, "hello", None) for c in others]


async def burst(
    contender: Contender, text: str, users: int, latency: float, spread: float, workers: int | None = None
) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp:
        async with contextlib.AsyncExitStack() as stack:
            database = {}
            if workers is not None:
                database["DATABASE_URL"] = await stack.enter_async_context(postgres_schema())
            result = await _burst(contender, text, users, latency, spread, Path(tmp), workers or 0, database)
    return result


async def _burst(
    contender: Contender,
    text: str,
    users: int,
    latency: float,
    spread: float,
    workdir: Path,
    workers: int,
    database: dict[str, str],
) -> dict[str, Any]:
    async with TelegramEmulator(latency=latency) as emulator:
        processes = await start_maillage(contender, emulator, workdir, workers, **database)
        try:
            phones = [emulator.user(f"U{i}") for i in range(users)]
            sent: dict[int, float] = {}
            first = time.monotonic()
            for phone in phones:
                sent[phone.id] = time.monotonic()
                await phone.send(text)
                if spread:
                    await asyncio.sleep(max(0.0, first + spread * (len(sent) / users) - time.monotonic()))
            await emulator.wait_for(lambda: all(p.bot_messages for p in phones), timeout=180)
            waits = [p.bot_messages[0].received_at - sent[p.id] for p in phones]
            last = max(p.bot_messages[0].received_at for p in phones)
        finally:
            for process in processes:
                await process.stop()
    return {"label": contender.label, "all_answered_s": round(last - first, 3), **latency_summary(waits)}


async def main() -> None:
    p = parser(__doc__)
    p.add_argument("--users", type=int, default=400)
    p.add_argument("--latency", type=float, default=0.05, help="seconds added to every Bot API call")
    p.add_argument("--spread", type=float, default=1.0, help="seconds over which the users write (0: all at once)")
    args = p.parse_args()
    users = 100 if args.quick else args.users
    runs = args.runs or (1 if args.quick else 3)
    results: dict[str, list[dict[str, Any]]] = {}
    for _ in range(runs):
        for contender, text, workers in contenders():
            results.setdefault(contender.label, []).append(
                await burst(contender, text, users, args.latency, args.spread, workers)
            )
    medians = {label: median_report(r) for label, r in results.items()}
    ours = medians[maillage_paid_budget().label]["all_answered_s"]
    rows = []
    for label, r in medians.items():
        r["ratio_to_maillage"] = round(r["all_answered_s"] / ours, 2)
        ratio = f"{r['ratio_to_maillage']:.2f}"
        rows.append([label, r["all_answered_s"], r["p50_ms"], r["p95_ms"], r["max_ms"], ratio])
    print_table(
        f"Opening burst: {users} users within {args.spread:g} s, {args.latency * 1000:.0f} ms per Bot API call,"
        f" median of {runs} run(s)",
        ["bot", "all answered (s)", "p50 ms", "p95 ms", "max ms", "this ÷ Maillage"],
        rows,
    )
    out = write_report(
        "burst",
        {
            "users": users,
            "latency_s": args.latency,
            "spread_s": args.spread,
            "runs": runs,
            "medians": medians,
            "all_runs": results,
        },
    )
    print(f"written to {out}")


if __name__ == "__main__":
    asyncio.run(main())
