"""Scale: the queries behind each screen on a big database, and the bot's memory.

    python -m benchmarks.scale [--participants 10000] [--exhibitors 200] [--meetings 100000] [--quick]

The same service calls the handlers make, timed in this process on a generated
database (10,000 participants, 200 exhibitors, 100,000 meetings) and, as the baseline
in the same run, on a small one (500, 20, 1,000). Reported: p95 per query and the ratio
big / small. Then the bot runs on the big database while 200 people open the directory,
a card and their agenda; its peak resident memory is read from /proc, against a bare
PTB echo bot's after as many messages.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import random
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from benchmarks.common import (
    EXAMPLE_EVENT,
    BotProcess,
    Contender,
    latency_summary,
    maillage,
    parser,
    press_matching,
    print_table,
    ptb_echo,
    services_on,
    timed,
    write_report,
)
from benchmarks.generate import Generated, generate
from bot.emulator import TelegramEmulator
from bot.event import Slot, load_event
from bot.services.meetings import MeetingError, MeetingService
from storage.db import SqliteDatabase
from storage.participants import Participant

QUERIES = ("directory page", "card", "agenda", "free slots", "booking")


async def book(meetings: MeetingService, attendee: Participant, exhibitor_id: int, slot: Slot) -> None:
    with contextlib.suppress(MeetingError):
        await meetings.request(attendee, exhibitor_id, slot, None)


async def time_queries(path: Path, generated: Generated, repeats: int, seed: int) -> dict[str, list[float]]:
    event = load_event(EXAMPLE_EVENT)
    rng = random.Random(seed)
    timings: dict[str, list[float]] = {q: [] for q in QUERIES}
    async with SqliteDatabase(path) as db:
        services = services_on(db, event)
        directory, meetings, registration = services.directory, services.meetings, services.registration
        exhibitor_ids = list(generated.exhibitor_slugs)
        themes = [t.id for t in event.themes]

        async def clock(name: str, call: Callable[[], Awaitable[Any]]) -> Any:
            started = time.perf_counter()
            result = await call()
            timings[name].append(time.perf_counter() - started)
            return result

        for _ in range(repeats):
            attendee = await registration.participant(rng.choice(generated.attendee_ids))
            assert attendee is not None
            await clock("directory page", lambda: directory.page(rng.choice(themes), rng.randint(0, 3)))

            async def card() -> Any:
                exhibitor = await directory.exhibitor(rng.choice(exhibitor_ids))
                assert exhibitor is not None
                await directory.free_slots(exhibitor)
                return exhibitor

            exhibitor = await clock("card", card)
            await clock("agenda", functools.partial(meetings.agenda_of_attendee, attendee))
            slots = await clock("free slots", functools.partial(meetings.free_slots, attendee, exhibitor))
            if slots:
                # an attendee's limit or a request already open with this exhibitor still costs the queries
                await clock("booking", functools.partial(book, meetings, attendee, exhibitor.id, rng.choice(slots)))
    return timings


async def memory_of(contender: Contender, path: Path, users: list[int], directory: bool) -> dict[str, float]:
    async with TelegramEmulator() as emulator:
        phones = [emulator.user(f"U{i}", user_id=t, started=True) for i, t in enumerate(users)]
        bot = await BotProcess.start(contender, emulator, path.parent, timeout=120)
        at_start = bot.memory_kb()

        async def walk(n: int) -> None:
            phone = phones[n]
            if directory:
                await timed(phone, lambda: phone.send("/exhibitors"))
                await timed(phone, lambda: press_matching(phone, "dir:l:"))
                await timed(phone, lambda: press_matching(phone, "dir:e:"))
                await timed(phone, lambda: phone.send("/agenda"))
            else:
                for k in range(4):
                    await timed(phone, functools.partial(phone.send, f"bonjour {k}"))

        await asyncio.gather(*(walk(n) for n in range(len(phones))))
        after = bot.memory_kb()
        await bot.stop()
    return {"rss_at_start_mb": round(at_start["VmRSS"] / 1024, 1), "peak_rss_mb": round(after["VmHWM"] / 1024, 1)}


async def main() -> None:
    p = parser(__doc__)
    p.add_argument("--participants", type=int, default=10_000)
    p.add_argument("--exhibitors", type=int, default=200)
    p.add_argument("--meetings", type=int, default=100_000)
    p.add_argument("--repeats", type=int, default=300, help="timed calls per query and database")
    args = p.parse_args()
    big = (2_000, 50, 10_000) if args.quick else (args.participants, args.exhibitors, args.meetings)
    small = (500, 20, 1_000)
    repeats = 40 if args.quick else args.repeats
    report: dict[str, Any] = {"big": big, "small": small, "repeats": repeats}
    with tempfile.TemporaryDirectory() as tmp:
        timings = {}
        for name, (participants, exhibitors, meetings) in (("small", small), ("big", big)):
            path = Path(tmp) / name / "bench.db"
            path.parent.mkdir()
            started = time.monotonic()
            generated = await generate(path, participants=participants, exhibitors=exhibitors, meetings=meetings)
            report[f"generate_{name}_s"] = round(time.monotonic() - started, 2)
            timings[name] = {
                q: latency_summary(v) for q, v in (await time_queries(path, generated, repeats, 1)).items()
            }
            if name == "big":
                users = generated.attendee_ids[: 50 if args.quick else 200]
                report["memory_maillage"] = await memory_of(maillage(), path, users, directory=True)
                echo_dir = Path(tmp) / "echo"
                echo_dir.mkdir()
                report["memory_ptb_echo"] = await memory_of(ptb_echo(), echo_dir / "bench.db", users, directory=False)
    rows = []
    for q in QUERIES:
        b, s = timings["big"][q], timings["small"][q]
        rows.append([q, s["p50_ms"], s["p95_ms"], b["p50_ms"], b["p95_ms"], f"{b['p95_ms'] / s['p95_ms']:.2f}"])
    report["queries"] = timings
    m, e = report["memory_maillage"], report["memory_ptb_echo"]
    print_table(
        f"Scale: {big[0]} participants, {big[1]} exhibitors, {big[2]} meetings (baseline {small[0]}, {small[1]},"
        f" {small[2]}), {repeats} calls each",
        ["query", "small p50 ms", "small p95 ms", "big p50 ms", "big p95 ms", "p95 big ÷ small"],
        rows,
    )
    print(
        f"\nbot memory on the big database: {m['rss_at_start_mb']} MB at start, {m['peak_rss_mb']} MB peak"
        f" (bare PTB echo bot: {e['peak_rss_mb']} MB peak; ratio {m['peak_rss_mb'] / e['peak_rss_mb']:.2f})"
    )
    out = write_report("scale", report)
    print(f"written to {out}")


if __name__ == "__main__":
    asyncio.run(main())
