"""Broadcast pace: an announcement to 1,000 people under Telegram's limits.

    python -m benchmarks.broadcast [--recipients 1000] [--chatters 20] [--runs 3] [--quick]

The emulator reads Telegram's limits strictly: 30 messages a second for the whole bot,
answers included, and one message a second per chat for what is not an answer; it answers
429 beyond them. Two phases, each run: the broadcast alone, then the broadcast while some
of the recipients chat with the bot (/help, one every 3 s on average). Reported: the
delivery time from the first message to the last against the floor (messages k and k + 30
must be a second apart: whole seconds in (messages - 1) / 30), counting the broadcast
alone and then the broadcast and the answers together (what the answers leave), the 429
count, and the time the chatters waited for answers.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import tempfile
from pathlib import Path
from typing import Any

from benchmarks.common import (
    EXAMPLE_EVENT,
    latency_summary,
    maillage,
    median_report,
    parser,
    postgres_schema,
    print_table,
    services_on,
    start_maillage,
    timed,
    write_report,
)
from benchmarks.generate import generate
from bot.emulator import TELEGRAM_LIMITS_STRICT, Phone, TelegramEmulator
from bot.event import load_event
from storage.backends import open_database

TEXT = "📣 <b>La plénière commence</b> dans 10 minutes, salle Jean-Jaurès."
SIGN = "📣 La plénière commence"


def received(phone: Phone) -> list[float]:
    return [m.received_at for m in phone.bot_messages if m.content.startswith(SIGN)]


async def chat(phone: Phone, rng: random.Random, stop: asyncio.Event, waits: list[float]) -> None:
    while not stop.is_set():
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), rng.expovariate(1 / 3.0))
        if stop.is_set():
            return
        with contextlib.suppress(TimeoutError):
            waits.append(await timed(phone, lambda: phone.send("/help"), timeout=10))


async def run(recipients: int, chatters: int, seed: int, workers: int = 0) -> dict[str, Any]:
    """One broadcast; ``workers``: by an ingress and that many workers on PostgreSQL (else one process
    on SQLite)."""
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        generated = await generate(
            workdir / "bench.db", participants=recipients, exhibitors=1, meetings=0, reps_per_exhibitor=0
        )
        async with contextlib.AsyncExitStack() as stack:
            database = {}
            if workers:
                database["DATABASE_URL"] = await stack.enter_async_context(postgres_schema(workdir / "bench.db"))
            result = await _broadcast(workdir, generated, recipients, chatters, seed, workers, database)
    return result


async def _broadcast(
    workdir: Path,
    generated: Any,
    recipients: int,
    chatters: int,
    seed: int,
    workers: int,
    database: dict[str, str],
) -> dict[str, Any]:
    async with TelegramEmulator(flood=TELEGRAM_LIMITS_STRICT) as emulator:
        phones = [emulator.user(f"P{i}", user_id=t, started=True) for i, t in enumerate(generated.attendee_ids)]
        processes = await start_maillage(maillage(), emulator, workdir, workers, **database)
        waits: list[float] = []
        stop = asyncio.Event()
        rng = random.Random(seed)
        talkers = [asyncio.create_task(chat(p, random.Random(rng.random()), stop, waits)) for p in phones[:chatters]]
        async with open_database(database.get("DATABASE_URL", f"sqlite:///{workdir / 'bench.db'}")) as db:
            services = services_on(db, load_event(EXAMPLE_EVENT))
            author = await services.registration.participant(generated.attendee_ids[0])
            assert author is not None
            await services.broadcasts.announce(author, TEXT, "all", None)
        await emulator.wait_for(lambda: all(received(p) for p in phones), timeout=recipients / 10 + 60)
        stop.set()
        await asyncio.gather(*talkers)
        for process in processes:
            await process.stop()
        too_many = [c for c in emulator.calls if c.error_code == 429]
        refused = emulator.errors()
    times = sorted(t for p in phones for t in received(p))
    elapsed = times[-1] - times[0]
    floor = (recipients - 1) // 30  # message k and k + 30 must be a second apart
    floor_with_answers = (recipients + len(waits) - 1) // 30  # the answers take their slots too
    return {
        "recipients": recipients,
        "chatters": chatters,
        "workers": workers,
        "delivered": len(times),
        "seconds": round(elapsed, 3),
        "floor_s": round(floor, 3),
        "ratio_to_floor": round(elapsed / floor, 3),
        "floor_with_answers_s": floor_with_answers,
        "ratio_to_floor_with_answers": round(elapsed / floor_with_answers, 3),
        "responses_429": len(too_many),
        "refused_calls": len(refused),
        "answers": len(waits),
        **({"answer_" + k: v for k, v in latency_summary(waits).items()} if waits else {}),
    }


async def main() -> None:
    p = parser(__doc__)
    p.add_argument("--recipients", type=int, default=1000)
    p.add_argument("--chatters", type=int, default=20)
    args = p.parse_args()
    recipients, chatters = (150, 5) if args.quick else (args.recipients, args.chatters)
    runs = args.runs or (1 if args.quick else 3)
    alone, busy, shared = [], [], []
    for n in range(runs):
        alone.append(await run(recipients, 0, n))
        busy.append(await run(recipients, chatters, n))
        shared.append(await run(recipients, 0, n, workers=2))
    a, b, w = median_report(alone), median_report(busy), median_report(shared)
    print_table(
        f"Broadcast to {recipients} under 30 messages/s, every one counted, and 1/s per chat, median of {runs} run(s)",
        ["phase", "seconds", "floor s", "÷ floor", "429s", "answers", "answer p50 ms", "answer p95 ms"],
        [
            ["broadcast alone", a["seconds"], a["floor_s"], a["ratio_to_floor"], a["responses_429"], "-", "-", "-"],
            [
                "alone, two workers on PostgreSQL",
                w["seconds"],
                w["floor_s"],
                w["ratio_to_floor"],
                w["responses_429"],
                "-",
                "-",
                "-",
            ],
            [
                f"while {chatters} people chat",
                b["seconds"],
                b["floor_with_answers_s"],
                b["ratio_to_floor_with_answers"],
                b["responses_429"],
                b["answers"],
                b.get("answer_p50_ms", "-"),
                b.get("answer_p95_ms", "-"),
            ],
        ],
    )
    out = write_report(
        "broadcast",
        {"runs": runs, "alone": a, "while_chatting": b, "two_workers": w, "all_runs": [alone, busy, shared]},
    )
    print(f"written to {out}")


if __name__ == "__main__":
    asyncio.run(main())
