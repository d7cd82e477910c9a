"""Reminders: start-up with 10,000 pending reminders, then how late they arrive.

    python -m benchmarks.reminders [--meetings 10000] [--due 600] [--spread 30] [--runs 3] [--quick]

A generated database (its accepted meetings, a reminder 15 minutes before each for the
attendee and both representatives, and each person's day digest) is first opened by the
bot once, which writes the reminder rows. Then, per run:

- ready: from starting the process to its first long poll, every reminder job built,
  against the same bot starting on an empty database (the baseline, same run);
- lateness: ``--due`` of the pending reminders are moved to fall due over ``--spread``
  seconds (a compressed schedule; 20 a second stays inside Telegram's 30 bulk messages
  a second, which the emulator enforces); the time from each one's due moment to its
  arrival, p50/p99.
"""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from benchmarks.common import (
    BotProcess,
    latency_summary,
    maillage,
    median_report,
    parser,
    print_table,
    write_report,
)
from benchmarks.generate import generate
from bot.emulator import TELEGRAM_LIMITS_STRICT, Phone, TelegramEmulator
from storage.db import SqliteDatabase

FIRST_DUE = 3.0  # seconds after the bot is ready


def pending(path: Path) -> int:
    with sqlite3.connect(path) as db:
        return int(db.execute("SELECT count(*) FROM reminders WHERE state = 'pending'").fetchone()[0])


async def prepare(path: Path, meetings: int, participants: int, exhibitors: int) -> dict[int, int]:
    """The database with its reminder rows written by the bot itself; telegram id by participant row."""
    await generate(path, participants=participants, exhibitors=exhibitors, meetings=meetings)
    async with TelegramEmulator() as emulator:
        bot = await BotProcess.start(maillage(), emulator, path.parent, timeout=300)
        await bot.stop()
    with sqlite3.connect(path) as db:
        return {row: tid for row, tid in db.execute("SELECT id, telegram_id FROM participants")}


async def ready_on_empty_database() -> float:
    with tempfile.TemporaryDirectory() as tmp:
        async with SqliteDatabase(Path(tmp) / "bench.db"):
            pass
        async with TelegramEmulator() as emulator:
            bot = await BotProcess.start(maillage(), emulator, Path(tmp))
            await bot.stop()
    assert bot.ready_after is not None
    return bot.ready_after


async def run(template: Path, telegram_ids: dict[int, int], due_count: int, spread: float) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "bench.db"
        with sqlite3.connect(template) as source, sqlite3.connect(path) as copy:
            source.backup(copy)  # the WAL's content included, unlike a file copy
        total_pending = pending(path)
        # who gets which of the reminders that will fall due: one per person, so that the
        # per-chat limit does not come into it
        with sqlite3.connect(path) as db:
            chosen: list[tuple[int, int]] = []
            seen: set[int] = set()
            for rid, pid in db.execute(
                "SELECT id, participant_id FROM reminders WHERE state = 'pending' AND kind = 'meeting' ORDER BY id"
            ):
                if pid not in seen:
                    seen.add(pid)
                    chosen.append((rid, pid))
                if len(chosen) == due_count:
                    break
        async with TelegramEmulator(flood=TELEGRAM_LIMITS_STRICT) as emulator:
            phones: dict[int, Phone] = {
                pid: emulator.user(f"P{pid}", user_id=tid, started=True) for pid, tid in telegram_ids.items()
            }
            wall0, mono0 = time.time(), time.monotonic()
            start = datetime.fromtimestamp(wall0, UTC) + timedelta(seconds=FIRST_DUE + 2.0)
            due_at: dict[int, float] = {}  # participant row -> due, monotonic
            with sqlite3.connect(path) as db:
                for n, (rid, pid) in enumerate(chosen):
                    due = start + timedelta(seconds=spread * n / max(1, len(chosen)))
                    due_at[pid] = mono0 + (due.timestamp() - wall0)
                    db.execute("UPDATE reminders SET due_at = ? WHERE id = ?", (due.isoformat(), rid))
            bot = await BotProcess.start(maillage(), emulator, Path(tmp), timeout=120)

            def arrived(pid: int) -> float | None:
                times = [m.received_at for m in phones[pid].bot_messages if m.content.startswith("⏰")]
                return times[0] if times else None

            with contextlib.suppress(TimeoutError):
                await emulator.wait_for(
                    lambda: all(arrived(pid) is not None for pid in due_at), timeout=FIRST_DUE + 2 + spread + 30
                )
            memory = bot.memory_kb()
            await bot.stop()
            too_many = [c for c in emulator.calls if c.error_code == 429]
    lateness = [t - due_at[pid] for pid in due_at if (t := arrived(pid)) is not None]
    assert bot.ready_after is not None
    return {
        "pending_reminders": total_pending,
        "ready_s": round(bot.ready_after, 3),
        "due_in_run": len(due_at),
        "arrived": len(lateness),
        "responses_429": len(too_many),
        "lateness_p50_s": round(sorted(lateness)[len(lateness) // 2], 4) if lateness else None,
        "lateness_p99_s": round(latency_summary(lateness)["p99_ms"] / 1000, 4) if lateness else None,
        "lateness_max_s": round(max(lateness), 4) if lateness else None,
        "peak_rss_mb": round(memory.get("VmHWM", 0) / 1024, 1),
    }


async def main() -> None:
    p = parser(__doc__)
    p.add_argument("--meetings", type=int, default=10_000, help="meetings generated (30 %% accepted)")
    p.add_argument("--due", type=int, default=600, help="reminders that fall due during the run")
    p.add_argument("--spread", type=float, default=30.0, help="seconds over which they fall due")
    args = p.parse_args()
    meetings, due, spread = (1_000, 60, 3.0) if args.quick else (args.meetings, args.due, args.spread)
    participants, exhibitors = (1_000, 20) if args.quick else (10_000, 200)
    runs = args.runs or (1 if args.quick else 3)
    with tempfile.TemporaryDirectory() as tmp:
        template = Path(tmp) / "bench.db"
        telegram_ids = await prepare(template, meetings, participants, exhibitors)
        results, baselines = [], []
        for _ in range(runs):
            baselines.append({"ready_s": round(await ready_on_empty_database(), 3)})
            results.append(await run(template, telegram_ids, due, spread))
    r, b = median_report(results), median_report(baselines)
    r["ready_ratio_to_empty"] = round(r["ready_s"] / b["ready_s"], 2)
    print_table(
        f"Reminders: start-up with {r['pending_reminders']} pending, {r['due_in_run']} falling due over"
        f" {spread:g} s, median of {runs} run(s)",
        ["", "value"],
        [
            ["ready (s), empty database (baseline)", b["ready_s"]],
            [f"ready (s), {r['pending_reminders']} pending reminders", r["ready_s"]],
            ["ratio", r["ready_ratio_to_empty"]],
            ["arrived / due", f"{r['arrived']} / {r['due_in_run']}"],
            ["lateness p50 (s)", r["lateness_p50_s"]],
            ["lateness p99 (s)", r["lateness_p99_s"]],
            ["429 responses", r["responses_429"]],
            ["bot peak resident memory (MB)", r["peak_rss_mb"]],
        ],
    )
    out = write_report("reminders", {"runs": runs, "result": r, "baseline_empty": b, "all_runs": results})
    print(f"written to {out}")


if __name__ == "__main__":
    asyncio.run(main())
