"""Notices to people other than the one who acted go through the database outbox: ahead of
announcements, in order within each chat, with their buttons, and never lost to a crash."""

from __future__ import annotations

import asyncio
import contextlib
from datetime import timedelta
from pathlib import Path

import pytest

from bot.emulator import TELEGRAM_LIMITS_STRICT, ChatMessage, Phone, TelegramEmulator
from storage.db import utcnow
from storage.exhibitors import Exhibitor, ExhibitorRepository, NewExhibitor
from storage.outbox import OutboxRepository, Outgoing
from storage.participants import NewParticipant, ParticipantRepository, Role
from tests.conftest import BotRunner
from tests.helpers import register_attendee, register_representative
from tests.processes import run_command, start_bot, wait_until
from tests.stores import TestStore
from tests.test_broadcast_load import TEXT, broadcasts_received, populate
from tests.test_meetings import parse_ics, request, soupe
from tests.test_organisers import afternoon_request, morning_only_event

LEASE = timedelta(seconds=10)
TIMES = ("09:30", "09:45", "10:00", "10:15", "10:30", "10:45", "11:30", "11:45")


async def test_notices_go_before_announcements_and_in_order_within_each_chat(store: TestStore) -> None:
    now = utcnow()
    async with store.open() as db:
        outbox = OutboxRepository(db)
        earlier = now - timedelta(minutes=1)
        await outbox.create("announcement", "all", earlier, None, [Outgoing(None, c, "annonce") for c in range(1, 21)])
        await outbox.create("notice", "notice", now, None, [Outgoing(None, 100, "copy"), Outgoing(None, 101, "other")])
        await outbox.create("notice", "notice", now, None, [Outgoing(None, 100, "rewrite")])

        first = await outbox.claim_due(now, "worker-a", LEASE, 4)
        assert [d.text for d in first] == ["copy", "other", "annonce", "annonce"]
        # the rewrite waits for the copy to its chat, whoever asks
        rest = await outbox.claim_due(now, "worker-b", LEASE, 50)
        assert [d.text for d in rest] == ["annonce"] * 18
        # worker-a dies holding the copy: once the lease lapses another takes it, the rewrite still after it
        lapsed = now + LEASE + timedelta(seconds=1)
        [copy] = [d for d in await outbox.claim_due(lapsed, "worker-b", LEASE, 50) if d.text == "copy"]
        assert copy.attempts == 2
        assert [d.text for d in await outbox.claim_due(lapsed, "worker-b", LEASE, 50)] == []
        await outbox.mark(copy.id, "sent")
        assert [d.text for d in await outbox.claim_due(lapsed, "worker-b", LEASE, 50)] == ["rewrite"]


async def stand_with_visitors(store: TestStore, emulator: TelegramEmulator) -> tuple[Exhibitor, Phone, list[Phone]]:
    """Disco Soupe with one representative, and eight registered attendees (made in the database)."""
    async with store.open() as db:
        exhibitor = await ExhibitorRepository(db).create(
            NewExhibitor(slug="disco-soupe", name="Disco Soupe", stand="A1", tables=8, themes=["circular-economy"])
        )
        attendees = await populate(db, emulator, 700_000, len(TIMES))
        lucie = emulator.user("Lucie", user_id=800_000, started=True)
        async with db.transaction() as tx:
            await ParticipantRepository(db).create(
                NewParticipant(
                    telegram_id=lucie.id,
                    role=Role.EXHIBITOR,
                    exhibitor_id=exhibitor.id,
                    language="fr",
                    full_name="Lucie Bernard",
                    organisation="Disco Soupe",
                    consent_at=utcnow(),
                ),
                tx,
            )
    return exhibitor, lucie, attendees


def copies(phone: Phone) -> list[ChatMessage]:
    return [m for m in phone.bot_messages if "Demande de rendez-vous" in m.text]


async def test_requests_made_just_before_a_crash_reach_the_stand_after_the_restart(
    store: TestStore, emulator: TelegramEmulator, tmp_path: Path
) -> None:
    """Eight people ask for a meeting at once; the stand's chat takes one message a second, so when
    the bot is killed most copies have not gone. Each was in the database before its sender was told
    "request sent": after the restart each arrives, once, with buttons that work."""
    _, lucie, attendees = await stand_with_visitors(store, emulator)
    bot = await start_bot(tmp_path, emulator, DATABASE_URL=store.url)
    try:
        sent = await asyncio.gather(*(request(p, t) for p, t in zip(attendees, TIMES, strict=True)))
    finally:
        await bot.kill()  # SIGKILL, as soon as the last of them is told "request sent"
    assert all("Demande envoyée à Disco Soupe" in m.text for m in sent)
    unsent = store.scalar("SELECT COUNT(*) FROM deliveries WHERE copy_of IS NOT NULL AND state <> 'sent'")
    assert unsent >= 4, "the crash came after the copies had gone: nothing was tested"
    before = len(copies(lucie))

    bot = await start_bot(tmp_path, emulator, DATABASE_URL=store.url)
    try:
        names = [f"Participant {n}" for n in range(len(TIMES))]
        await wait_until(lambda: {n for n in names for m in copies(lucie) if n in m.text} == set(names), timeout=30)
        await asyncio.sleep(1.5)  # a copy sent twice would show by now
        assert len(copies(lucie)) <= len(TIMES) + 1  # at most the one on its way when the bot died
        assert len(copies(lucie)) - before >= unsent
        last = copies(lucie)[-1]
        assert last.button_labels == ["✅ Accepter", "✖ Refuser", "🔁 Proposer un autre horaire"]
        await lucie.press("✅ Accepter", last)
        [who] = [p for p, n in zip(attendees, names, strict=True) if n in last.text]
        confirmed = await who.wait_for_text("Rendez-vous confirmé avec Disco Soupe")
        assert parse_ics(confirmed)["method"] == "REQUEST"
        await lucie.wait_for_text("Accepté par Lucie Bernard")  # her own copy, rewritten in place
        assert await bot.stop() == 0, bot.text
    finally:
        if bot.process.returncode is None:  # the test failed: no bot left behind
            await bot.kill()
    assert "Traceback" not in bot.text


async def test_a_request_reaches_the_stand_while_an_announcement_is_still_going_out(
    emulator: TelegramEmulator, runner: BotRunner
) -> None:
    services = await runner.start()
    exhibitor = await soupe(services)
    lucie = emulator.user("Lucie")
    await register_representative(lucie, exhibitor.invite_token)
    camille = emulator.user("Camille", last_name="Martin")
    await register_attendee(camille)
    recipients = await populate(services.db, emulator, 100_000, 240)  # 8 s of the bot's whole budget
    emulator.flood = TELEGRAM_LIMITS_STRICT
    author = await services.registration.participant(100_000)
    assert author is not None
    await services.broadcasts.announce(author, TEXT, "theme:mobility", None)  # not Camille
    await emulator.wait_for(lambda: sum(broadcasts_received(p) for p in recipients) >= 30)

    await request(camille, "10:30")
    asked = await lucie.wait_for_text("Demande de rendez-vous", timeout=3)
    behind = len(recipients) - sum(broadcasts_received(p) for p in recipients)
    assert behind > 60, f"the announcement was nearly done ({behind} to go): the test proves nothing"
    assert "Camille Martin" in asked.text
    await emulator.wait_for(lambda: all(broadcasts_received(p) == 1 for p in recipients), timeout=30)


class HeldAnswer:
    """Telegram takes the next message to one chat (the phone shows it) and holds its answer for
    ``seconds``, or until ``release`` (None): the bot does not know yet that it went."""

    def __init__(self, emulator: TelegramEmulator, chat_id: int, seconds: float | None) -> None:
        self.held = asyncio.Event()
        self.released = asyncio.Event()
        self._chat_id, self._seconds = chat_id, seconds
        emulator.before_answering = self._hold

    async def _hold(self, method: str, params: dict[str, object]) -> None:
        if self.held.is_set() or params.get("chat_id") != self._chat_id or not method.startswith("send"):
            return
        self.held.set()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self.released.wait(), self._seconds)


@pytest.mark.parametrize("answered", ["before the stop ends", "never"])
async def test_a_stop_while_telegram_answers_holds_no_chat_after_the_restart(
    store: TestStore, emulator: TelegramEmulator, tmp_path: Path, answered: str
) -> None:
    """The bot is stopped (SIGTERM) after Telegram took a notice to Camille and before the bot wrote
    that it went. Whether Telegram's answer comes while the bot stops (it is marked sent) or never
    (the claim is released): her next notice, filed while the bot was down, arrives within 2 s of the
    restart, not after the old claim's lease."""
    bot = await start_bot(tmp_path, emulator)
    try:
        rep, camille = await afternoon_request(store, emulator)
        answer = HeldAnswer(emulator, camille.id, 1.0 if answered != "never" else None)
        await rep.press("✅ Accepter", await rep.next_reply())
        await camille.wait_for_text("Ajoutez-le à votre agenda")
        await asyncio.wait_for(answer.held.wait(), 5)
        assert await bot.stop() == 0, bot.text
        answer.released.set()
        emulator.before_answering = None
        assert store.scalar("SELECT COUNT(*) FROM deliveries WHERE state = 'claimed'") == 0

        morning_only = morning_only_event(tmp_path)
        status, out = await run_command(tmp_path, emulator, "reconcile", EVENT_FILE=str(morning_only))
        assert status == 0 and "1 meetings cancelled" in out, out
        bot = await start_bot(tmp_path, emulator, EVENT_FILE=str(morning_only))
        await camille.wait_for_text("Le programme a changé : votre rendez-vous avec Disco Soupe", timeout=2)
        confirmations = [m for m in camille.bot_messages if "Ajoutez-le à votre agenda" in m.content]
        assert len(confirmations) == (1 if answered != "never" else 2)  # unanswered: sent again, once
        assert await bot.stop() == 0, bot.text
    finally:
        if bot.process.returncode is None:
            await bot.kill()
