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
import tempfile
import time
from pathlib import Path
from typing import Any

from benchmarks.common import (
    BotProcess,
    Contender,
    aiogram_echo,
    latency_summary,
    maillage,
    maillage_paid_budget,
    median_report,
    parser,
    print_table,
    ptb_echo,
    write_report,
)
from benchmarks.echo_bot import VARIANTS
from bot.emulator import TelegramEmulator


def contenders() -> list[tuple[Contender, str]]:
    import sys

    others = [
        Contender(f"echo bot, {VARIANTS[v]}", (sys.executable, "-m", "benchmarks.echo_bot", v))
        for v in ("ptb-concurrent-httpx64", "ptb-peruser-aiohttp")
    ]
    strict = Contender("Maillage, 30 messages/s, every answer counted", maillage().argv)
    return [
        (maillage_paid_budget(), "/start"),
        (strict, "/start"),
        (ptb_echo(), "hello"),
        (aiogram_echo(), "hello"),
    ] + [(c, "hello") for c in others]


async def burst(contender: Contender, text: str, users: int, latency: float, spread: float) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp:
        async with TelegramEmulator(latency=latency) as emulator:
            bot = await BotProcess.start(contender, emulator, Path(tmp))
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
                await bot.stop()
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
        for contender, text in contenders():
            results.setdefault(contender.label, []).append(
                await burst(contender, text, users, args.latency, args.spread)
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
