"""Meetings end to end: both phones, both languages, calendars, time passing, and who may press what."""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime, timedelta
from typing import Any

import icalendar
import pytest

from bot.emulator import ChatMessage, Phone, TelegramEmulator
from bot.event import Limits
from bot.runtime import Services
from bot.services.notices import MeetingFile, PlanFile
from bot.telegram import pacing
from handlers.notify import plan_file
from storage.exhibitors import Exhibitor, ExhibitorRepository, NewExhibitor
from storage.meetings import MeetingRepository, Status
from storage.repositories import Repositories
from tests.conftest import BotRunner, FakeClock
from tests.helpers import register_attendee, register_representative, services_on
from tests.stores import TestStore

BEFORE_THE_DAY = datetime(2027, 3, 16, 6, 0, tzinfo=UTC)  # 07:00 in Paris


async def soupe(services: Services, tables: int = 2) -> Exhibitor:
    return await ExhibitorRepository(services.db).create(
        NewExhibitor(slug="disco-soupe", name="Disco Soupe", stand="A1", tables=tables, themes=["circular-economy"])
    )


async def open_card(phone: Phone, slug: str = "disco-soupe") -> ChatMessage:
    await phone.open_deep_link(f"e-{slug}")
    return await phone.next_reply()


async def request(phone: Phone, time: str, note: str | None = None, slug: str = "disco-soupe") -> ChatMessage:
    """From the stand's card to "request sent"; returns the confirmation."""
    english = (phone.language_code or "").startswith("en")
    card = await open_card(phone, slug)
    await phone.press("📅 Request a meeting" if english else "📅 Demander un rendez-vous", card)
    picker = await phone.next_reply()
    await phone.press(time, picker)
    await phone.next_reply()  # the note question
    if note is None:
        await phone.press("Skip" if english else "Passer")
    else:
        await phone.send(note)
    summary = await phone.next_reply()
    await phone.press("✅ Send the request" if english else "✅ Envoyer la demande", summary)
    return await phone.next_reply()


def parse_ics(message: ChatMessage) -> Any:
    assert message.document is not None and message.document.file_name is not None
    assert message.document.file_name.endswith(".ics")
    return icalendar.Calendar.from_ical(message.document.content)


async def meeting_of(services: Services, attendee: Phone) -> Any:
    participant = await services.registration.participant(attendee.id)
    assert participant is not None
    [meeting] = await MeetingRepository(services.db).for_attendee(participant.id, tuple(Status))
    return meeting


# ---------------------------------------------------------------------- the main flows


async def test_request_and_accept_in_french(emulator: TelegramEmulator, bot: Services) -> None:
    exhibitor = await soupe(bot)
    lucie = emulator.user("Lucie", last_name="Bernard")
    await register_representative(lucie, exhibitor.invite_token)
    karim = emulator.user("Karim")
    await register_representative(karim, exhibitor.invite_token)
    camille = emulator.user("Camille", last_name="Martin")
    await register_attendee(camille, looking_for="Des ateliers anti-gaspi pour nos résidences")

    card = await open_card(camille)
    assert "📅 Demander un rendez-vous" in card.button_labels
    await camille.press("📅 Demander un rendez-vous", card)
    picker = await camille.next_reply()
    assert "— Matin · mardi 16 mars 2027 —" in picker.button_labels
    assert "— Après-midi · mardi 16 mars 2027 —" in picker.button_labels
    assert picker.button_labels.count("09:30") == 1 and "16:45" in picker.button_labels
    await camille.press("10:30", picker)
    ask_note = await camille.next_reply()
    assert "mardi 16 mars, 10:30 avec Disco Soupe" in ask_note.text
    await camille.send("Nous cherchons <un atelier> pour 80 locataires 🌱")
    summary = await camille.next_reply()
    assert "🕒 mardi 16 mars, 10:30" in summary.text and "📝 Nous cherchons <un atelier>" in summary.text
    await camille.press("✅ Envoyer la demande", summary)
    sent = await camille.next_reply()
    assert "Demande envoyée à Disco Soupe pour mardi 16 mars, 10:30" in sent.text
    assert "📅 Mon agenda" in sent.button_labels and "🏢 Exposants" in sent.button_labels  # carry on from here

    for rep in (lucie, karim):
        asked = await rep.next_reply()
        assert "Demande de rendez-vous" in asked.text
        assert "Camille Martin — Ville de Roubaix (Collectivité locale) · Cheffe de projet" in asked.text
        assert "🔎 Des ateliers anti-gaspi pour nos résidences" in asked.text
        assert "📝 Nous cherchons <un atelier> pour 80 locataires 🌱" in asked.text
        assert asked.button_labels == ["✅ Accepter", "✖ Refuser", "🔁 Proposer un autre horaire"]
    await lucie.press("✅ Accepter")

    confirmed = await camille.next_reply()  # one message: the confirmation, the calendar file attached
    assert "Rendez-vous confirmé avec Disco Soupe" in confirmed.content
    assert "📍 Stand A1, table 1" in confirmed.content and "👤 Lucie Bernard" in confirmed.content
    assert "📅 Ajoutez-le à votre agenda." in confirmed.content
    calendar = parse_ics(confirmed)
    assert calendar["method"] == "REQUEST"
    [vevent] = calendar.walk("VEVENT")
    assert str(vevent["uid"]) == f"meeting-{(await meeting_of(bot, camille)).id}@maillage"
    assert vevent["dtstart"].dt == datetime(2027, 3, 16, 10, 30, tzinfo=bot.event.tz)
    assert vevent["dtstart"].params["TZID"] == "Europe/Paris"
    assert "VTIMEZONE" in [c.name for c in calendar.subcomponents]
    # the other representative's copy says who answered, and has no buttons any more
    karims = await karim.wait_for_text("Accepté par Lucie Bernard · table 1")
    assert karims.buttons == []
    assert (await meeting_of(bot, camille)).table_no == 1


async def test_request_and_accept_in_english(emulator: TelegramEmulator, bot: Services) -> None:
    exhibitor = await soupe(bot)
    rep = emulator.user("Jo", language_code="en")
    await register_representative(rep, exhibitor.invite_token)
    sam = emulator.user("Sam", language_code="en")
    await register_attendee(sam, org_type="Local authority", themes=("Circular economy",))
    card = await open_card(sam)
    await sam.press("📅 Request a meeting", card)
    picker = await sam.next_reply()
    assert "— Morning · Tuesday, March 16, 2027 —" in picker.button_labels
    await sam.press("14:00", picker)
    await sam.next_reply()
    await sam.press("Skip")
    await sam.press("✅ Send the request", await sam.next_reply())
    assert "Request sent to Disco Soupe for Tuesday 16 March, 14:00" in (await sam.next_reply()).text
    asked = await rep.next_reply()
    assert "Meeting request" in asked.text and asked.button_labels[0] == "✅ Accept"
    await rep.press("✅ Accept", asked)
    confirmed = await sam.next_reply()
    assert "Meeting confirmed with Disco Soupe" in confirmed.content and "📍 Stand A1, table 1" in confirmed.content
    assert "Add it to your calendar" in confirmed.content and confirmed.document is not None


async def test_decline_with_a_reason(emulator: TelegramEmulator, bot: Services) -> None:
    exhibitor = await soupe(bot)
    lucie = emulator.user("Lucie")
    await register_representative(lucie, exhibitor.invite_token)
    camille = emulator.user("Camille")
    await register_attendee(camille)
    await request(camille, "11:45")
    asked = await lucie.next_reply()
    await lucie.press("✖ Refuser", asked)
    reasons = await lucie.next_reply()
    assert reasons.button_labels == ["Agenda complet", "Pas notre sujet", "Autre raison"]
    await lucie.press("Pas notre sujet", reasons)
    told = await camille.next_reply()
    assert "Disco Soupe ne peut pas vous recevoir mardi 16 mars, 11:45 (Pas notre sujet)" in told.text
    await lucie.wait_for_text("Refusé par Lucie")
    assert (await meeting_of(bot, camille)).status == Status.DECLINED


async def test_propose_another_time(emulator: TelegramEmulator, bot: Services) -> None:
    exhibitor = await soupe(bot)
    lucie = emulator.user("Lucie")
    await register_representative(lucie, exhibitor.invite_token)
    camille = emulator.user("Camille")
    await register_attendee(camille)
    await request(camille, "09:30")
    asked = await lucie.next_reply()
    await lucie.press("🔁 Proposer un autre horaire", asked)
    picker = await lucie.next_reply()
    assert "09:30" not in picker.button_labels  # not the same time again
    await lucie.press("15:15", picker)
    proposal = await camille.next_reply()
    assert "Disco Soupe vous propose un autre horaire : mardi 16 mars, 15:15" in proposal.text
    await camille.press("✅ Accepter 15:15", proposal)
    confirmed = await camille.next_reply()  # the confirmation, its calendar file attached
    assert "mardi 16 mars, 15:15" in confirmed.content
    [vevent] = parse_ics(confirmed).walk("VEVENT")
    assert vevent["dtstart"].dt == datetime(2027, 3, 16, 15, 15, tzinfo=bot.event.tz)
    meeting = await meeting_of(bot, camille)
    assert meeting.status == Status.ACCEPTED and meeting.slot_start == datetime(2027, 3, 16, 14, 15, tzinfo=UTC)


async def test_cancel_from_the_agenda_sends_a_calendar_cancellation(emulator: TelegramEmulator, bot: Services) -> None:
    exhibitor = await soupe(bot)
    lucie = emulator.user("Lucie", language_code="en")  # each side in their own language
    await register_representative(lucie, exhibitor.invite_token)
    camille = emulator.user("Camille")
    await register_attendee(camille)
    await request(camille, "10:00")
    await lucie.press("✅ Accept", await lucie.next_reply())
    request_ics = parse_ics(await camille.next_reply())  # the confirmation, its calendar file attached
    await lucie.next_reply()  # her own calendar file
    await camille.send("/agenda")
    agenda = await camille.next_reply()
    assert "✅ mardi 16 mars, 10:00 — Disco Soupe" in agenda.text and "Stand A1, table 1 · Lucie" in agenda.text
    await camille.press("✖ Annuler 10:00 · Disco Soupe", agenda)
    reasons = await camille.next_reply()
    await camille.press("Indisponible finalement", reasons)
    assert "Rendez-vous de mardi 16 mars, 10:00 annulé" in (await camille.next_reply()).text
    cancel_ics = parse_ics(await camille.next_reply())
    told = await lucie.next_reply()
    assert "The meeting with Camille planned Tuesday 16 March, 10:00 is cancelled (No longer available)" in told.text
    lucies_cancel = parse_ics(await lucie.next_reply())
    [before] = request_ics.walk("VEVENT")
    for calendar in (cancel_ics, lucies_cancel):
        assert calendar["method"] == "CANCEL"
        [after] = calendar.walk("VEVENT")
        assert after["uid"] == before["uid"] and int(after["sequence"]) > int(before["sequence"])
        assert after["status"] == "CANCELLED"
    meeting = await meeting_of(bot, camille)
    assert meeting.status == Status.CANCELLED and meeting.table_no is None  # the table is free again


async def test_withdraw_a_pending_request(emulator: TelegramEmulator, bot: Services) -> None:
    exhibitor = await soupe(bot)
    lucie = emulator.user("Lucie")
    await register_representative(lucie, exhibitor.invite_token)
    camille = emulator.user("Camille")
    await register_attendee(camille)
    await request(camille, "10:00")
    asked = await lucie.next_reply()
    await camille.send("/agenda")
    agenda = await camille.next_reply()
    assert "⏳ mardi 16 mars, 10:00 — Disco Soupe (en attente de réponse)" in agenda.text
    await camille.press("↩ Retirer 10:00 · Disco Soupe", agenda)
    assert "Demande à Disco Soupe retirée" in (await camille.next_reply()).text
    await lucie.wait_for_text("Demande retirée")
    assert asked.buttons == []
    await lucie.press_raw(f"mt:acc:{(await meeting_of(bot, camille)).id}", asked)  # too late
    assert "déjà reçu une réponse" in (await lucie.next_reply()).text


# ---------------------------------------------------------------------- limits and tables


async def test_limits_and_held_slots(emulator: TelegramEmulator, runner: BotRunner) -> None:
    runner.event = runner.event.model_copy(
        update={"limits": Limits(open_requests_per_attendee=2, default_tables_per_exhibitor=1)}
    )
    services = await runner.start()
    repo = ExhibitorRepository(services.db)
    for slug, name in (("disco-soupe", "Disco Soupe"), ("repair-cafe", "Repair Café"), ("compost-co", "Compost & Co")):
        await repo.create(NewExhibitor(slug=slug, name=name, stand="B", tables=1))
    camille = emulator.user("Camille")
    await register_attendee(camille)
    await request(camille, "10:00")
    card = await open_card(camille)  # the same exhibitor again
    await camille.press("📅 Demander un rendez-vous", card)
    assert "déjà une demande ou un rendez-vous avec Disco Soupe" in (await camille.next_reply()).text
    card = await open_card(camille, "repair-cafe")
    await camille.press("📅 Demander un rendez-vous", card)
    picker = await camille.next_reply()
    assert "10:00" not in picker.button_labels and "10:15" in picker.button_labels  # her pending request holds 10:00
    await camille.press("Annuler", picker)
    await camille.next_reply()
    await request(camille, "10:15", slug="repair-cafe")
    card = await open_card(camille, "compost-co")
    await camille.press("📅 Demander un rendez-vous", card)
    assert "déjà 2 demandes en attente, le maximum" in (await camille.next_reply()).text


async def test_a_full_slot_is_told_to_the_representative(emulator: TelegramEmulator, bot: Services) -> None:
    exhibitor = await soupe(bot, tables=1)
    lucie = emulator.user("Lucie")
    await register_representative(lucie, exhibitor.invite_token)
    first, second = emulator.user("Camille"), emulator.user("Nina")
    for phone in (first, second):
        await register_attendee(phone)
        await request(phone, "11:30")
    ask_first = await lucie.next_reply()
    ask_second = await lucie.next_reply()
    await lucie.press("✅ Accepter", ask_first)
    await lucie.wait_for_text("Accepté par Lucie · table 1")
    await lucie.press("✅ Accepter", ask_second)
    full = await lucie.wait_for_text("Toutes vos tables sont déjà prises")
    assert full.button_labels == ["🔁 Proposer un autre horaire"]
    assert (await meeting_of(bot, second)).status == Status.PENDING


async def test_fifty_concurrent_accepts_for_three_tables(bot: Services, store: TestStore) -> None:
    """50 requests for the same slot, accepted all at once by two bot instances: exactly 3 win."""
    from tests.test_storage import add_participant

    exhibitor = await soupe(bot, tables=3)
    slot = bot.event.slots[4]
    rep_id = await add_participant(bot.db, 999, "Lucie")
    await Repositories.on(bot.db).participants.make_representative(999, exhibitor.id)
    rep = await bot.registration.participant_by_id(rep_id)
    assert rep is not None
    ids = []
    for n in range(50):
        attendee_id = await add_participant(bot.db, 10_000 + n, f"Attendee {n}")
        meeting = await MeetingRepository(bot.db).create_request(
            attendee_id, exhibitor.id, slot.start.astimezone(UTC), None
        )
        ids.append(meeting.id)
        del attendee_id
    async with store.open() as other_instance:
        from bot.services.meetings import MeetingError

        services = [bot.meetings, services_on(other_instance, bot.event).meetings]

        async def accept(index: int, meeting_id: int) -> str:
            try:
                await services[index % 2].accept(rep, meeting_id)
            except MeetingError as err:
                return err.key
            return "accepted"

        outcomes = await asyncio.gather(*(accept(i, m) for i, m in enumerate(ids)))
    assert outcomes.count("accepted") == 3
    assert outcomes.count("meeting.slot_full") == 47
    accepted = await MeetingRepository(bot.db).for_exhibitor(exhibitor.id, (Status.ACCEPTED,))
    assert sorted(m.table_no for m in accepted) == [1, 2, 3]


# ---------------------------------------------------------------------- who may press what


async def test_forged_buttons_are_refused_logged_and_change_nothing(
    emulator: TelegramEmulator, bot: Services, caplog: pytest.LogCaptureFixture
) -> None:
    exhibitor = await soupe(bot)
    other = await ExhibitorRepository(bot.db).create(NewExhibitor(slug="other", name="Other", tables=1))
    lucie = emulator.user("Lucie")
    await register_representative(lucie, exhibitor.invite_token)
    intruder_rep = emulator.user("Ivan")
    await register_representative(intruder_rep, other.invite_token)
    camille, eve = emulator.user("Camille"), emulator.user("Eve")
    await register_attendee(camille)
    await register_attendee(eve)
    await request(camille, "10:00")
    await lucie.next_reply()
    meeting = await meeting_of(bot, camille)
    with caplog.at_level(logging.WARNING):
        for phone, data in (
            (eve, f"mt:acc:{meeting.id}"),  # an attendee accepting
            (intruder_rep, f"mt:acc:{meeting.id}"),  # another exhibitor's representative
            (intruder_rep, f"mt:decr:{meeting.id}:full"),
            (intruder_rep, f"mt:prop:{meeting.id}:0"),
            (eve, f"mt:wd:{meeting.id}"),  # withdrawing someone else's request
            (camille, f"mt:acc:{meeting.id}"),  # accepting one's own request
            (eve, "mt:acc:987654"),
        ):
            await phone.press_raw(data)
            assert "ne vous concerne pas" in (await phone.next_reply()).text
    assert len([r for r in caplog.records if "may not use" in r.getMessage()]) == 7
    assert (await meeting_of(bot, camille)).status == Status.PENDING


# ---------------------------------------------------------------------- time passing


async def test_expiry_attendance_and_nudges(emulator: TelegramEmulator, runner: BotRunner) -> None:
    clock = FakeClock(BEFORE_THE_DAY)
    services = await runner.start(clock=clock, sweep_seconds=0.05)
    exhibitor = await soupe(services)
    lucie = emulator.user("Lucie")
    await register_representative(lucie, exhibitor.invite_token)
    camille, nina = emulator.user("Camille"), emulator.user("Nina", language_code="en")
    await register_attendee(camille)
    await register_attendee(nina, org_type="Local authority", themes=("Health",))
    await request(camille, "09:30")
    ask_camille = await lucie.next_reply()
    await request(nina, "09:45")
    ask_nina = await lucie.next_reply()
    await lucie.press("✅ Accepter", ask_nina)
    await nina.next_reply()  # the confirmation, its calendar file attached
    await lucie.next_reply()

    await asyncio.sleep(0.2)  # 07:00: outside the event's hours, no nudge
    assert not [m for m in lucie.bot_messages if "de rendez-vous sans réponse" in m.content]

    clock.now = datetime(2027, 3, 16, 8, 31, tzinfo=UTC)  # 09:31 in Paris: Camille's 09:30 request expires
    expired = await camille.wait_for_text("n'a pas reçu de réponse à temps")
    assert "Encore libres chez eux : 09:45, 10:00, 10:15" in expired.text
    assert expired.button_labels == ["📅 Demander un autre créneau"]
    await lucie.wait_for_text("Demande expirée sans réponse")
    assert ask_camille.buttons == []

    clock.now = datetime(2027, 3, 16, 9, 1, tzinfo=UTC)  # 10:01: Nina's 09:45 meeting is over
    question = await nina.wait_for_text("Did the meeting with Disco Soupe")
    await nina.press("✅ Yes", question)
    rep_question = await lucie.wait_for_text("a-t-il eu lieu ?")
    await lucie.press("🚫 L'autre partie n'est pas venue", rep_question)
    await lucie.wait_for_text("Merci, c'est noté")
    await nina.wait_for_text("Thank you, noted")  # each side's answer is in once each is thanked
    meeting = await meeting_of(services, nina)
    assert (meeting.attendance_attendee, meeting.attendance_exhibitor) == ("met", "no_show")

    # a request nobody answers: a nudge during the event's hours, not again before the interval
    another = emulator.user("Paul")
    await register_attendee(another)
    await request(another, "16:00")
    await lucie.next_reply()
    nudge = await lucie.wait_for_text("1 demande de rendez-vous sans réponse")
    await asyncio.sleep(0.3)
    assert len([m for m in lucie.bot_messages if "de rendez-vous sans réponse" in m.content]) == 1
    clock.now += timedelta(minutes=121)
    await emulator.wait_for(
        lambda: len([m for m in lucie.bot_messages if "de rendez-vous sans réponse" in m.content]) == 2
    )
    await lucie.press("Voir les demandes", nudge)
    stand = await lucie.wait_for_text("Stand Disco Soupe")
    assert "1 demande en attente de votre réponse" in stand.text
    assert "Table 1 : 👤 Nina" in stand.text
    assert any(label.startswith("Répondre : 16:00 · Paul") for label in stand.button_labels)


async def test_forget_cancels_meetings_and_tells_the_exhibitor(emulator: TelegramEmulator, bot: Services) -> None:
    exhibitor = await soupe(bot)
    lucie = emulator.user("Lucie")
    await register_representative(lucie, exhibitor.invite_token)
    camille = emulator.user("Camille")
    await register_attendee(camille)
    await request(camille, "10:00", note="Note très personnelle")
    await lucie.press("✅ Accepter", await lucie.next_reply())
    await lucie.next_reply()  # her calendar file
    meeting_id = (await meeting_of(bot, camille)).id
    await camille.send("/forget")
    await camille.press("🗑 Oui, tout supprimer", await camille.wait_for_text("Supprimer toutes vos données"))
    await camille.wait_for_text("vos données ont été supprimées")
    told = await lucie.wait_for_text("a supprimé ses données")
    assert "10:00" in told.text

    def cancellation() -> ChatMessage | None:
        return next((m for m in lucie.bot_messages if m.document and "cancelled" in (m.document.file_name or "")), None)

    await emulator.wait_for(lambda: cancellation() is not None)
    assert parse_ics(cancellation())["method"] == "CANCEL"  # type: ignore[arg-type]
    meeting = await MeetingRepository(bot.db).get(meeting_id)
    assert meeting is not None and meeting.attendee_id is None and meeting.note is None
    assert meeting.status == Status.CANCELLED


async def test_lateness_only_for_a_meeting_still_to_come(emulator: TelegramEmulator, runner: BotRunner) -> None:
    clock = FakeClock(BEFORE_THE_DAY)
    services = await runner.start(clock=clock)
    exhibitor = await soupe(services)
    lucie = emulator.user("Lucie")
    await register_representative(lucie, exhibitor.invite_token)
    camille = emulator.user("Camille")
    await register_attendee(camille)
    await request(camille, "10:00")
    await lucie.press("✅ Accepter", await lucie.next_reply())
    await camille.wait_for_text("Ajoutez-le à votre agenda")
    meeting = await meeting_of(services, camille)
    clock.now = meeting.slot_start + timedelta(minutes=16)  # the 15-minute meeting is over
    await camille.press_raw(f"rm:late:{meeting.id}")
    await camille.wait_for_text("n'a plus lieu ou est terminé")
    clock.now = meeting.slot_start + timedelta(minutes=2)  # under way: the stand can still be told
    await lucie.press_raw(f"rm:late:{meeting.id}")
    await camille.wait_for_text("Lucie aura environ 5 minutes de retard")
    await lucie.press_raw(f"rm:late:{meeting.id}")
    await lucie.wait_for_text("C'est déjà transmis")


async def test_button_labels_show_names_as_typed(emulator: TelegramEmulator, runner: BotRunner) -> None:
    """Labels are plain text: "&" and "<" in a name show as themselves (the fixture checks every label)."""
    services = await runner.start(clock=FakeClock(BEFORE_THE_DAY))
    await ExhibitorRepository(services.db).create(
        NewExhibitor(slug="compost", name="Compost & Co <Lyon>", stand="B2", tables=1, themes=["circular-economy"])
    )
    camille = emulator.user("Camille")
    await register_attendee(camille, name="Camille & <Dominique>")
    await request(camille, "10:00", slug="compost")
    camille.skip_unread()
    await camille.send("/agenda")
    agenda = await camille.next_reply()
    assert any("Compost & Co <Lyon>" in label for label in agenda.button_labels), agenda.button_labels


async def test_a_half_day_header_in_the_picker_is_acknowledged_and_does_nothing(
    emulator: TelegramEmulator, runner: BotRunner
) -> None:
    services = await runner.start(clock=FakeClock(BEFORE_THE_DAY))
    await soupe(services)
    camille = emulator.user("Camille")
    await register_attendee(camille)
    card = await open_card(camille)
    await camille.press("📅 Demander un rendez-vous", card)
    picker = await camille.next_reply()
    header = picker.button_labels[0]
    assert header.startswith("— ") and header.endswith(" —")
    before = (len(camille.bot_messages), picker.text, picker.button_labels)
    answer = await camille.callback_answer(await camille.press(header, picker))
    assert not answer.get("text")  # answered (no spinner left), silently
    await asyncio.sleep(0.2)
    assert (len(camille.bot_messages), picker.text, picker.button_labels) == before


# ---------------------------------------------------------------------- a busy stand


async def test_a_busy_stand_holds_up_no_one(
    emulator: TelegramEmulator, runner: BotRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A stand gets its requests at one message a second (Telegram's pace per chat); the people who
    sent them are answered at once all the same, and a request withdrawn before its copy has even
    gone still closes that copy."""
    monkeypatch.setattr(pacing, "REPLY_SECONDS", 0.3)  # the representative soon counts as idle
    services = await runner.start()
    exhibitor = await soupe(services, tables=3)
    lucie = emulator.user("Lucie")
    await register_representative(lucie, exhibitor.invite_token)
    people = [emulator.user(name) for name in ("Camille", "Sam", "Ines")]
    await asyncio.gather(*(register_attendee(p) for p in people))
    await asyncio.sleep(0.4)  # Lucie has not written for a while: the bot paces what it sends her
    await asyncio.gather(*(request(p, t) for p, t in zip(people, ("10:00", "10:15", "10:30"), strict=True)))

    async def agenda(phone: Phone) -> ChatMessage:
        phone.skip_unread()
        await phone.send("/agenda")
        return await phone.next_reply()

    answers = await asyncio.gather(*(agenda(p) for p in people))
    ines = people[2]
    await ines.press("↩ Retirer 10:30 · Disco Soupe", answers[2])  # before her copy can have gone
    assert "Demande à Disco Soupe retirée" in (await ines.next_reply()).text

    def copies() -> list[ChatMessage]:
        return [m for m in lucie.bot_messages if "Demande de rendez-vous" in m.text]

    await emulator.wait_for(lambda: len(copies()) == 3)
    arrived = sorted(m.received_at for m in copies())
    assert arrived[2] - arrived[0] >= 1.9  # one a second in her chat
    assert max(a.received_at for a in answers) < arrived[2]  # nobody waited for that
    [withdrawn] = [m for m in copies() if "Ines" in m.text]
    await lucie.wait_for_text("Demande retirée")
    assert withdrawn.buttons == [] and "Demande retirée" in withdrawn.text
    assert all(m.buttons for m in copies() if m is not withdrawn)


async def test_calendar_files_hold_names_as_typed_not_as_html(emulator: TelegramEmulator, bot: Services) -> None:
    """Text in a file is plain text: an exhibitor called ``Soupe & <Co>`` at stand ``A&1`` reads so in
    the meeting's .ics and in a published plan's, not as ``&amp;`` and ``&lt;``."""
    exhibitor = await ExhibitorRepository(bot.db).create(
        NewExhibitor(slug="soupe-co", name="Soupe & <Co>", stand="A&1", tables=1, themes=["circular-economy"])
    )
    lucie = emulator.user("Lucie")
    await register_representative(lucie, exhibitor.invite_token)
    camille = emulator.user("Camille")
    await register_attendee(camille)
    await request(camille, "10:30", slug="soupe-co")
    await lucie.press("✅ Accepter", await lucie.next_reply())
    confirmed = await camille.wait_for_text("Rendez-vous confirmé avec Soupe & <Co>")
    [vevent] = parse_ics(confirmed).walk("VEVENT")
    assert str(vevent["summary"]) == "Rendez-vous avec Soupe & <Co>"
    assert "stand A&1, table 1" in str(vevent["location"])

    meeting = await meeting_of(bot, camille)
    plan = plan_file(bot, "en", PlanFile((MeetingFile(meeting, "Soupe & <Co>", "A&1"),)))
    [planned] = icalendar.Calendar.from_ical(plan).walk("VEVENT")
    assert str(planned["summary"]) == "Meeting with Soupe & <Co>"
    assert "stand A&1, table 1" in str(planned["location"])
    assert b"&amp" not in plan and b"&lt" not in plan
