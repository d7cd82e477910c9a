"""Reminders through the emulator, with time compressed by an event whose first slot is a minute away."""

from __future__ import annotations

import asyncio
import logging
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from bot.app import build_application, build_services, on_shutdown
from bot.emulator import ChatMessage, Phone, TelegramEmulator
from bot.event import Event, load_event
from bot.runtime import Services
from bot.settings import load_settings
from storage.exhibitors import ExhibitorRepository, NewExhibitor
from storage.meetings import MeetingRepository
from storage.reminders import ReminderRepository
from tests.conftest import EXAMPLE_EVENT, BotRunner, rehearsal_zone
from tests.helpers import register_attendee, register_representative
from tests.stores import TestStore
from tests.test_meetings import request

LEADS = (5, 7)  # seconds from now until each reminder of the first slot is due


def compressed_event(tmp_path: Path, minutes: int = 30) -> tuple[Event, datetime, dict[int, datetime]]:
    """Today's event, ``minutes`` of 5-minute slots: the first starts at the next whole minute at least 40 s away.

    Reminder lead times are in seconds, chosen so that they fall due a few seconds from
    now; returns the event, the first slot's start and each lead's due time.
    """
    now = datetime.now(UTC)
    first = (now + timedelta(seconds=40)).replace(second=0, microsecond=0) + timedelta(minutes=1)
    until = (first - now).total_seconds()
    leads = {int(until - d): now + timedelta(seconds=until - int(until - d)) for d in LEADS}
    zone = rehearsal_zone(now)
    local = first.astimezone(ZoneInfo(zone))
    end = local + timedelta(minutes=minutes)
    text = f"""
name = {{ fr = "Répétition", en = "Rehearsal" }}
timezone = "{zone}"
venue = "Salle test"
slot_minutes = 5
[[days]]
date = {local.date().isoformat()}
windows = [{{ start = {local:%H:%M}:00, end = {end:%H:%M}:00 }}]
[[themes]]
id = "circular-economy"
fr = "Économie circulaire"
en = "Circular economy"
[reminders]
lead_seconds = [{", ".join(str(s) for s in leads)}]
day_digest_seconds_before = {int(until - 6)}
"""
    path = tmp_path / "rehearsal.toml"
    path.write_text(text, encoding="utf-8")
    return load_event(path), first, {lead: due for lead, due in leads.items()}


@pytest.fixture
async def rehearsal(runner: BotRunner, tmp_path: Path) -> tuple[Services, datetime, Event]:
    event, first, _ = compressed_event(tmp_path)
    runner.event = event
    services = await runner.start()
    return services, first, event


async def meet(
    emulator: TelegramEmulator, services: Services, first: datetime, rep_language: str = "en"
) -> tuple[Phone, Phone]:
    exhibitor = await ExhibitorRepository(services.db).create(
        NewExhibitor(slug="disco-soupe", name="Disco Soupe", stand="A1", tables=2, themes=["circular-economy"])
    )
    rep = emulator.user("Jo", language_code=rep_language)
    await register_representative(rep, exhibitor.invite_token)
    camille = emulator.user("Camille")
    await register_attendee(camille, themes=("Économie circulaire",))
    time = first.astimezone(services.event.tz).strftime("%H:%M")
    await request(camille, time)
    await rep.press("✅ Accept" if rep_language == "en" else "✅ Accepter", await rep.next_reply())
    await camille.wait_for_text("Rendez-vous confirmé")
    await camille.wait_for_text("Ajoutez-le à votre agenda")  # the calendar file
    return camille, rep


def reminders_of(phone: Phone) -> list[ChatMessage]:
    return [m for m in phone.bot_messages if m.content.startswith("⏰")]


async def test_reminders_arrive_for_both_sides_at_the_right_times(
    emulator: TelegramEmulator, rehearsal: tuple[Services, datetime, Event]
) -> None:
    services, first, event = rehearsal
    camille, rep = await meet(emulator, services, first)
    await emulator.wait_for(lambda: len(reminders_of(camille)) == 2 and len(reminders_of(rep)) == 2, timeout=15)
    time = first.astimezone(event.tz).strftime("%H:%M")
    fr = reminders_of(camille)[0]
    assert (
        fr.text.startswith("⏰ Dans ")
        and f"min, {time} : rendez-vous avec Disco Soupe au stand A1, table 1." in fr.text
    )
    assert fr.button_labels == ["📅 Mon agenda", "⏱ J'aurai 5 min de retard", "✖ Annuler le rendez-vous"]
    en = reminders_of(rep)[0]
    assert f"min, {time}: meeting with Camille (Ville de Roubaix) at stand A1, table 1." in en.text
    assert en.button_labels == ["📅 My agenda", "⏱ I'll be 5 minutes late", "✖ Cancel the meeting"]
    # every row is marked sent once Telegram took it
    for _ in range(100):
        if not await ReminderRepository(services.db).open_reminders():
            break
        await asyncio.sleep(0.05)
    assert (await ReminderRepository(services.db).count_by_state())["sent"] == 6  # 2 reminders and a digest each
    digest = await camille.wait_for_text("Votre journée")
    assert f"• {time} — Disco Soupe, stand A1, table 1" in digest.text
    rep_digest = await rep.wait_for_text("Your day")
    assert f"• {time} — table 1: Camille (Ville de Roubaix)" in rep_digest.text

    # "I'll be 5 minutes late" tells the other side
    await camille.press("⏱ J'aurai 5 min de retard", fr)
    await rep.wait_for_text(f"Camille will be about 5 minutes late for the {time} meeting")
    await camille.wait_for_text("C'est transmis à l'autre partie")
    # once per meeting and side: a second press tells nobody again
    await camille.press("⏱ J'aurai 5 min de retard", fr)
    await camille.wait_for_text("C'est déjà transmis")
    assert sum("5 minutes late" in m.content for m in rep.bot_messages) == 1


async def test_no_reminder_after_a_cancellation(
    emulator: TelegramEmulator, rehearsal: tuple[Services, datetime, Event]
) -> None:
    services, first, _ = rehearsal
    camille, rep = await meet(emulator, services, first)
    await camille.send("/agenda")
    agenda = await camille.wait_for_text("Mes rendez-vous")
    await camille.press(agenda.button_labels[0], agenda)
    reasons = await camille.wait_for_text("Pour quelle raison annulez-vous")
    await camille.press("Indisponible finalement", reasons)
    await rep.wait_for_text("is cancelled")
    # a lateness button on a cancelled meeting tells nobody
    meeting = await MeetingRepository(services.db).get(1)
    assert meeting is not None
    await camille.press_raw(f"rm:late:{meeting.id}")
    await camille.wait_for_text("n'a plus lieu ou est terminé")
    assert not any("5 minutes late" in m.content for m in rep.bot_messages)
    await asyncio.sleep(max(LEADS) + 1.5)
    assert reminders_of(camille) == [] and reminders_of(rep) == []
    states = await ReminderRepository(services.db).count_by_state()
    assert states.get("pending", 0) == 0 and states.get("sent", 0) == 0 and states["cancelled"] >= 4


async def test_a_moved_meeting_is_reminded_at_its_new_time(
    emulator: TelegramEmulator, rehearsal: tuple[Services, datetime, Event]
) -> None:
    services, first, event = rehearsal
    later = first + timedelta(minutes=5)
    camille, rep = await meet(emulator, services, later)  # first booked at the second slot
    await rep.send("/agenda")
    day = await rep.wait_for_text("Stand Disco Soupe")
    assert any(label.startswith("🔁 Move") for label in day.button_labels), (day.text, day.button_labels)
    await rep.press(next(label for label in day.button_labels if label.startswith("🔁 Move")), day)
    picker = await rep.wait_for_text("Which time should you propose?")
    await rep.press(first.astimezone(event.tz).strftime("%H:%M"), picker)
    proposal = await camille.wait_for_text("propose de déplacer votre rendez-vous")
    await camille.press(proposal.button_labels[0], proposal)
    await camille.wait_for_text("Rendez-vous déplacé")
    await emulator.wait_for(lambda: len(reminders_of(camille)) == 2, timeout=15)
    assert all(first.astimezone(event.tz).strftime("%H:%M") in m.text for m in reminders_of(camille))
    meeting = (
        await MeetingRepository(services.db).for_attendee((await services.registration.participant(camille.id)).id)
    )[0]  # type: ignore[union-attr]
    assert meeting.slot_start == first and meeting.sequence == 1
    rows = await services.db.fetch_all("SELECT due_at, lead_seconds FROM reminders WHERE meeting_id = ?", (meeting.id,))
    assert len(rows) == 4  # two lead times, two people: all for the new time, none for the old one
    assert all(datetime.fromisoformat(r[0]) == first - timedelta(seconds=r[1]) for r in rows)
    calendars = [
        m for m in camille.bot_messages if m.document and m.document.file_name and m.document.file_name.endswith(".ics")
    ]
    assert len(calendars) == 2  # the first, then the update with the same UID and a higher SEQUENCE


async def test_a_participant_who_blocked_the_bot_is_skipped(
    emulator: TelegramEmulator, rehearsal: tuple[Services, datetime, Event]
) -> None:
    services, first, _ = rehearsal
    camille, rep = await meet(emulator, services, first)
    await camille.block()
    await emulator.wait_for(lambda: len(reminders_of(rep)) == 2, timeout=15)
    await asyncio.sleep(0.5)
    assert reminders_of(camille) == []
    assert not [c for c in emulator.calls if c.error_code == 403]  # not even attempted


async def test_reminders_are_rebuilt_at_start_up(
    emulator: TelegramEmulator, runner: BotRunner, rehearsal: tuple[Services, datetime, Event]
) -> None:
    services, first, _ = rehearsal
    camille, rep = await meet(emulator, services, first)
    await runner.stop_all()  # nothing in memory survives this: the jobs come back from the rows
    await runner.start()
    await emulator.wait_for(lambda: len(reminders_of(camille)) == 2 and len(reminders_of(rep)) == 2, timeout=15)


async def test_late_reminders_go_at_once_unless_the_meeting_began(
    emulator: TelegramEmulator, runner: BotRunner, tmp_path: Path
) -> None:
    """Start-up finds reminders already due: sent at once while the meeting is ahead, skipped after."""
    services = await runner.start()
    exhibitor = await ExhibitorRepository(services.db).create(
        NewExhibitor(slug="s", name="Stand", stand="B2", tables=1)
    )
    rep = emulator.user("Jo", language_code="en")
    await register_representative(rep, exhibitor.invite_token)
    rep_id = (await services.registration.participant(rep.id)).id  # type: ignore[union-attr]
    await runner.stop_all()
    now = datetime.now(UTC)
    ahead, begun = services.event.slots[0].start.astimezone(UTC), now - timedelta(minutes=1)
    async with runner.store.open() as db, db.transaction() as tx:
        for slot, due in ((ahead, now - timedelta(minutes=10)), (begun, now - timedelta(minutes=16))):
            meeting = await tx.fetch_one(
                "INSERT INTO meetings (exhibitor_id, slot_start, status, table_no, created_at, updated_at)"
                " VALUES (?, ?, 'accepted', 1, ?, ?) RETURNING id",
                (exhibitor.id, slot.isoformat(), now.isoformat(), now.isoformat()),
            )
            assert meeting is not None
            await tx.execute(
                "INSERT INTO reminders (kind, meeting_id, participant_id, lead_seconds, due_at)"
                " VALUES ('meeting', ?, ?, 900, ?)",
                (meeting[0], rep_id, due.isoformat()),
            )
    restarted = await runner.start()
    sent = await rep.wait_for_text("⏰")
    assert "table 1" in sent.text
    await asyncio.sleep(0.5)
    assert len(reminders_of(rep)) == 1
    states = await ReminderRepository(restarted.db).count_by_state()
    assert states["sent"] == 1 and states["skipped"] == 1


async def test_flood_control_is_honoured(emulator: TelegramEmulator, runner: BotRunner) -> None:
    """Three reminders for one person at once, with Telegram's 1 message/s per chat: all arrive, paced."""
    from bot.emulator import FloodLimits

    services = await runner.start()
    rep = emulator.user("Jo", language_code="en")
    stands = [
        await ExhibitorRepository(services.db).create(
            NewExhibitor(slug=f"s{n}", name=f"Stand {n}", stand=f"B{n}", tables=1)
        )
        for n in range(3)
    ]
    await register_representative(rep, stands[0].invite_token)
    rep_id = (await services.registration.participant(rep.id)).id  # type: ignore[union-attr]
    await runner.stop_all()
    now = datetime.now(UTC)
    async with runner.store.open() as db, db.transaction() as tx:
        for n, stand in enumerate(stands):
            meeting = await tx.fetch_one(
                "INSERT INTO meetings (exhibitor_id, slot_start, status, table_no, created_at, updated_at)"
                " VALUES (?, ?, 'accepted', 1, ?, ?) RETURNING id",
                (stand.id, services.event.slots[n].start.astimezone(UTC).isoformat(), now.isoformat(), now.isoformat()),
            )
            assert meeting is not None
            await tx.execute(
                "INSERT INTO reminders (kind, meeting_id, participant_id, lead_seconds, due_at)"
                " VALUES ('meeting', ?, ?, 900, ?)",
                (meeting[0], rep_id, (now - timedelta(seconds=5)).isoformat()),
            )
    emulator.flood = FloodLimits(per_chat_per_second=1)
    await runner.start()
    await emulator.wait_for(lambda: len(reminders_of(rep)) == 3, timeout=15)
    received = sorted(m.received_at for m in reminders_of(rep))
    assert received[2] - received[0] >= 1.0  # the bot paced them itself (or waited when told to)


async def test_a_reminder_beyond_the_horizon_is_picked_up_later(
    emulator: TelegramEmulator, runner: BotRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Jobs are built only for the next hour (here: 2 s); the periodic top-up brings in the rest."""
    import bot.jobs.reminders

    monkeypatch.setattr(bot.jobs.reminders, "HORIZON", timedelta(seconds=2))
    monkeypatch.setattr(bot.jobs.reminders, "TOP_UP_EVERY", timedelta(seconds=0.5))
    monkeypatch.setattr(bot.jobs.reminders, "TOP_UP_EVERY_SHARED", timedelta(seconds=0.5))  # on PostgreSQL
    services = await runner.start()
    rep = emulator.user("Jo", language_code="en")
    stand = await ExhibitorRepository(services.db).create(NewExhibitor(slug="s0", name="Stand 0", stand="B0", tables=1))
    await register_representative(rep, stand.invite_token)
    rep_id = (await services.registration.participant(rep.id)).id  # type: ignore[union-attr]
    await runner.stop_all()
    now = datetime.now(UTC)
    async with runner.store.open() as db, db.transaction() as tx:
        meeting = await tx.fetch_one(
            "INSERT INTO meetings (exhibitor_id, slot_start, status, table_no, created_at, updated_at)"
            " VALUES (?, ?, 'accepted', 1, ?, ?) RETURNING id",
            (stand.id, services.event.slots[0].start.astimezone(UTC).isoformat(), now.isoformat(), now.isoformat()),
        )
        assert meeting is not None
        await tx.execute(
            "INSERT INTO reminders (kind, meeting_id, participant_id, lead_seconds, due_at)"
            " VALUES ('meeting', ?, ?, 900, ?)",
            (meeting[0], rep_id, (now + timedelta(seconds=5)).isoformat()),
        )
    due = time.monotonic() + (now + timedelta(seconds=5) - datetime.now(UTC)).total_seconds()
    await runner.start()
    await emulator.wait_for(lambda: len(reminders_of(rep)) == 1, timeout=15)
    assert reminders_of(rep)[0].received_at >= due - 0.1  # on time, not early


async def test_no_job_starts_once_the_bot_is_stopping(
    store: TestStore, emulator: TelegramEmulator, caplog: pytest.LogCaptureFixture
) -> None:
    """A job falling due while the bot stops is left for the next start (its reminder is in the
    database), not started and then cancelled mid-way by the scheduler's shutdown."""
    settings = load_settings(
        telegram_bot_token=emulator.token,
        telegram_api_base_url=emulator.root_url,
        database_url=store.url,
        _env_file=None,
    )
    started: list[str] = []

    async def job(_context: object) -> None:
        started.append("job")
        await asyncio.sleep(0.5)

    async with store.open() as db:
        application = build_application(build_services(settings, load_event(EXAMPLE_EVENT), db))
        async with application:
            await application.start()
            await on_shutdown(application)  # what the runner does first when told to stop
            assert application.job_queue is not None
            application.job_queue.run_once(job, 0)
            await asyncio.sleep(0.3)
            with caplog.at_level(logging.ERROR):
                await application.stop()
    assert started == []
    assert [r for r in caplog.records if r.levelno >= logging.ERROR] == []
