"""200 reminders due over about 20 seconds; the bot process is killed (SIGKILL) several times.

Every reminder must arrive. Duplicates can only come from a kill between Telegram's
acceptance and the database write: they are counted, as is the lateness (due time to
the emulator's receipt), overall and outside the restart gaps.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import random
import statistics
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bot.emulator import TelegramEmulator
from bot.telegram.pacing import WINDOW
from storage.exhibitors import ExhibitorRepository, NewExhibitor
from storage.participants import NewParticipant, ParticipantRepository, Role
from tests.conftest import ROOT
from tests.processes import start_bot
from tests.stores import TestStore

MEETINGS = 100  # two people each: 200 reminders
SPREAD = 20.0  # seconds over which they fall due
FIRST_DUE = 4.0  # seconds after the bot first starts
KILLS = 4
LEASE = 15.0  # bot.services.reminders.DEFAULT_LEASE


async def prepare(store: TestStore, emulator: TelegramEmulator, start: datetime) -> dict[int, datetime]:
    """People, exhibitors, accepted meetings on the event day, and one reminder row per person due soon."""
    return await add_reminders(store, await make_meetings(store, emulator, start), start)


Pair = list[tuple[int, int]]  # (participant id, Telegram id): the attendee, then the representative


async def make_meetings(store: TestStore, emulator: TelegramEmulator, now: datetime) -> list[tuple[int, Pair]]:
    """MEETINGS accepted meetings on the event day, each between an attendee and a stand's representative."""
    made: list[tuple[int, Pair]] = []
    slot = datetime(2027, 3, 16, 9, 30, tzinfo=UTC)  # the meetings themselves are ahead
    async with store.open() as db:
        people = ParticipantRepository(db)
        for n in range(MEETINGS):
            exhibitor = await ExhibitorRepository(db).create(
                NewExhibitor(slug=f"stand-{n}", name=f"Stand {n}", stand=f"S{n}")
            )
            pair: Pair = []
            for telegram_id, role in ((500_000 + n, Role.ATTENDEE), (600_000 + n, Role.EXHIBITOR)):
                emulator.user(f"User {telegram_id}", user_id=telegram_id, started=True)
                new = NewParticipant(
                    telegram_id=telegram_id,
                    role=role,
                    exhibitor_id=exhibitor.id if role == Role.EXHIBITOR else None,
                    language="fr",
                    full_name=f"Personne {telegram_id}",
                    organisation="Ville test",
                    consent_at=now,
                )
                async with db.transaction() as tx:
                    pair.append((await people.create(new, tx), telegram_id))
            async with db.transaction() as tx:
                meeting = await tx.fetch_one(
                    "INSERT INTO meetings (attendee_id, exhibitor_id, slot_start, status, table_no, created_at,"
                    " updated_at) VALUES (?, ?, ?, 'accepted', 1, ?, ?) RETURNING id",
                    (pair[0][0], exhibitor.id, slot.isoformat(), now.isoformat(), now.isoformat()),
                )
                assert meeting is not None
            made.append((int(meeting[0]), pair))
    return made


async def add_reminders(store: TestStore, meetings: list[tuple[int, Pair]], start: datetime) -> dict[int, datetime]:
    """One reminder per person, falling due one after the other from FIRST_DUE to FIRST_DUE + SPREAD
    seconds after ``start``, in one transaction; returns each Telegram id's due time."""
    due_by_user: dict[int, datetime] = {}
    async with store.open() as db, db.transaction() as tx:
        for n, (meeting_id, pair) in enumerate(meetings):
            for k, (participant_id, telegram_id) in enumerate(pair):
                due = start + timedelta(seconds=FIRST_DUE + SPREAD * (2 * n + k) / (2 * MEETINGS))
                due_by_user[telegram_id] = due
                await tx.execute(
                    "INSERT INTO reminders (kind, meeting_id, participant_id, lead_seconds, due_at)"
                    " VALUES ('meeting', ?, ?, 1, ?)",
                    (meeting_id, participant_id, due.isoformat()),
                )
    return due_by_user


async def test_no_reminder_is_lost_when_the_bot_is_killed(store: TestStore, tmp_path: Path) -> None:
    rng = random.Random(20261125)
    async with TelegramEmulator() as emulator:
        (tmp_path / "data").mkdir()
        meetings = await make_meetings(store, emulator, datetime.now(UTC))
        # the clock of the schedule (dues, kills) starts once the people exist: making 200 of them takes
        # seconds on a busy machine, and reminders due meanwhile would be late before any bot ran
        wall0, mono0 = time.time(), time.monotonic()
        start = datetime.fromtimestamp(wall0, UTC)
        due_by_user = await add_reminders(store, meetings, start)
        kill_at = sorted(rng.uniform(FIRST_DUE + 1, FIRST_DUE + SPREAD - 1) for _ in range(KILLS))
        gaps: list[tuple[float, float]] = []  # (killed, polling again), seconds since start
        bot = await start_bot(tmp_path, emulator, LOG_LEVEL="WARNING")
        for moment in kill_at:
            await asyncio.sleep(max(0.0, moment - (time.monotonic() - mono0)))
            killed = time.monotonic() - mono0
            await bot.kill()
            bot = await start_bot(tmp_path, emulator, LOG_LEVEL="WARNING")
            gaps.append((killed, time.monotonic() - mono0))

        def reminders(user_id: int) -> list[float]:
            phone = emulator._users[user_id].phone
            return [m.received_at for m in phone.bot_messages if m.content.startswith("⏰")]

        deadline = FIRST_DUE + SPREAD + LEASE + 20 - (time.monotonic() - mono0)
        with contextlib.suppress(TimeoutError):
            await emulator.wait_for(lambda: all(reminders(u) for u in due_by_user), timeout=deadline)
        await asyncio.sleep(1.0)  # let stragglers (duplicates) arrive
        assert await bot.stop() == 0

    missing = [u for u in due_by_user if not reminders(u)]
    assert missing == [], f"{len(missing)} reminders never arrived"
    duplicates = sum(len(reminders(u)) - 1 for u in due_by_user)
    lateness, outside = [], []
    dues = [due.timestamp() - wall0 for due in due_by_user.values()]
    # a reminder is affected by a restart if it fell due while the bot was down (or starting), or in
    # the second before the kill (on a loaded machine its claim, render and send can take that long,
    # and a claim the kill interrupts is taken over after the lease), or before the restart's backlog
    # went out: what fell due in the gap leaves at the send budget's pace, 30 a second
    affected = []
    for killed, back in gaps:
        backlog = sum(1 for d in dues if killed - 1.0 <= d <= back)
        affected.append((killed - 1.0, back + 0.5 + backlog * WINDOW / 30))
    for user, due in due_by_user.items():
        due_s = due.timestamp() - wall0
        late = (reminders(user)[0] - mono0) - due_s
        lateness.append(late)
        if not any(start <= due_s <= end for start, end in affected):
            outside.append(late)
    p = lambda values, q: statistics.quantiles(values, n=100)[q - 1] if len(values) > 1 else values[0]  # noqa: E731
    report = {
        "reminders": len(due_by_user),
        "kills": len(gaps),
        "restart_gaps_s": [round(b - k, 2) for k, b in gaps],
        "missing": len(missing),
        "duplicates": duplicates,
        "lateness_p50_s": round(p(lateness, 50), 3),
        "lateness_p99_s": round(p(lateness, 99), 3),
        "outside_gaps": len(outside),
        "outside_gaps_p50_s": round(p(outside, 50), 3) if outside else None,
        "outside_gaps_p99_s": round(p(outside, 99), 3) if outside else None,
    }
    print("reminder crash test:", json.dumps(report))
    results = ROOT / "benchmarks" / "results"
    results.mkdir(parents=True, exist_ok=True)
    (results / "reminders_crash.json").write_text(json.dumps(report, indent=2))
    assert outside, "every reminder fell in a restart gap: the test proves nothing about lateness"
    # Away from the restarts reminders are on time (the reminders benchmark measures p99 < 1 s at the
    # event's pace). Here, between four kills, a start-up still slows a few: a p99 of 1.9 s was seen
    # once with nothing else running. What must never happen outside a restart is a wait for a
    # crashed process's lease (15 s). The median was 0.1-0.3 s alone, 0.8 s beside a second copy of the
    # suite on 2 cores: 1.2 s still tells a reminder sent on time from one that waited for anything.
    assert report["outside_gaps_p50_s"] < 1.2
    assert report["outside_gaps_p99_s"] < LEASE / 3
