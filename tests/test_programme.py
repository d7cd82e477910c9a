"""The programme through the emulator: views, remind-me, session reminders, clashes, changes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import icalendar

from bot.emulator import ChatMessage, TelegramEmulator
from bot.event import load_event
from bot.runtime import Services
from tests.conftest import BotRunner, FakeClock, rehearsal_zone
from tests.helpers import next_with, register_attendee, register_organiser
from tests.test_directory import import_example

BOSS = 8888


def ics(message: ChatMessage) -> icalendar.Calendar:
    assert message.document is not None
    return icalendar.Calendar.from_ical(message.document.content)


async def test_programme_views_and_the_remind_me_toggle(emulator: TelegramEmulator, runner: BotRunner) -> None:
    clock = FakeClock(datetime(2027, 3, 16, 9, 50, tzinfo=UTC))  # 10:50 in Paris
    services = await runner.start(clock=clock)
    await import_example(services)
    camille = emulator.user("Camille")
    await register_attendee(camille)
    await camille.send("/now")
    now = await camille.next_reply()
    assert "Rien sur scène en ce moment" in now.text
    assert "11:00–11:30 — Pitchs — Économie circulaire · Salle A" in now.text
    await camille.send("/programme")
    home = await camille.next_reply()
    await camille.press("Matin · mardi 16 mars 2027", home)
    morning = await camille.wait_for_text("Plénière d'ouverture")
    assert "• 09:00–09:30 — Plénière d'ouverture : innover dans les quartiers · Auditorium" in morning.text
    await camille.press("← Programme", morning)
    await emulator.wait_for(lambda: "Par thème" in morning.button_labels)
    await camille.press("Par thème", morning)
    await camille.wait_for_text("Quel thème ?")
    await camille.press("Mobilité", morning)
    await camille.wait_for_text("Pecha kucha — Mobilité et rénovation")
    await camille.press("15:30 · Pecha kucha — Mobilité et rénovation", morning)
    card = await camille.wait_for_text("Pecha kucha (20 images × 20 secondes)")
    assert "🏢 Coop Mobilité Solidaire, RénoVert, Énergie Partagée Quartiers, Toits Vivants" in card.text
    assert "🏢 RénoVert" in card.button_labels
    await camille.press("🔔 Me le rappeler", card)
    await emulator.wait_for(lambda: "🔕 Ne plus me le rappeler" in card.button_labels)
    calendar = ics(await next_with(camille, "Ajoutez-le à votre agenda"))
    [vevent] = calendar.walk("VEVENT")
    assert str(vevent["uid"]) == "session-pecha-kucha@maillage"
    assert vevent["dtstart"].dt == datetime(2027, 3, 16, 15, 30, tzinfo=services.event.tz)
    assert vevent["dtend"].dt == datetime(2027, 3, 16, 16, 15, tzinfo=services.event.tz)
    await camille.send("/agenda")
    agenda = await camille.next_reply()
    assert "🎤 mardi 16 mars, 15:30 — Pecha kucha — Mobilité et rénovation · Auditorium" in agenda.text
    await camille.press("🔕 Ne plus me le rappeler", card)
    await emulator.wait_for(lambda: "🔔 Me le rappeler" in card.button_labels)
    participant = await services.registration.participant(camille.id)
    assert participant is not None and await services.programme.followed(participant.id) == []
    # and the calendar drops it: same UID, METHOD:CANCEL, a higher SEQUENCE
    removal = ics(await next_with(camille, "retire"))
    [cancelled] = removal.walk("VEVENT")
    assert str(removal["method"]) == "CANCEL" and str(cancelled["uid"]) == "session-pecha-kucha@maillage"
    assert int(cancelled["sequence"]) > int(vevent.get("sequence", 0))


async def test_a_card_lists_only_the_sessions_still_to_come(emulator: TelegramEmulator, runner: BotRunner) -> None:
    after_the_pitch = datetime(2027, 3, 16, 11, 45, tzinfo=runner.event.tz)
    services = await runner.start(clock=FakeClock(after_the_pitch))
    await import_example(services)
    camille = emulator.user("Camille")
    await register_attendee(camille)
    await camille.open_deep_link("e-disco-soupe")
    card = await camille.next_reply()
    assert "Disco Soupe" in card.text and "Pitchs — Économie circulaire" not in card.text  # over at 11:30


async def test_sessions_on_cards_clashes_and_exhibitors_on_stage(emulator: TelegramEmulator, runner: BotRunner) -> None:
    services = await runner.start()
    await import_example(services)
    camille = emulator.user("Camille")
    await register_attendee(camille)
    await camille.open_deep_link("e-disco-soupe")
    card = await camille.next_reply()
    assert "🎤 11:00 — Pitchs — Économie circulaire (Salle A)" in card.text
    await camille.press("📅 Demander un rendez-vous", card)
    picker = await camille.next_reply()
    assert "11:00" not in picker.button_labels and "11:15" not in picker.button_labels  # on stage then
    assert "11:30" in picker.button_labels
    participant = await services.registration.participant(camille.id)
    assert participant is not None
    await services.programme.set_following(participant.id, "pecha-kucha", True)
    await camille.open_deep_link("e-repair-cafe")
    card = await camille.next_reply()
    await camille.press("📅 Demander un rendez-vous", card)
    picker = await camille.next_reply()
    assert "⚠ 15:30" in picker.button_labels and "⚠ 16:00" in picker.button_labels and "15:15" in picker.button_labels
    await camille.press("⚠ 15:30", picker)
    clash = await camille.next_reply()
    assert "Ce créneau chevauche : Pecha kucha — Mobilité et rénovation" in clash.text
    await camille.press("Oui, réserver quand même", clash)
    assert "Un mot pour préparer le rendez-vous" in (await camille.next_reply()).text


def rehearsal_with_a_session(tmp_path: Path) -> tuple[Path, datetime]:
    """Today's event, first slot at the next whole minute at least 40 s away; a session 5 minutes later."""
    now = datetime.now(UTC)
    first = (now + timedelta(seconds=40)).replace(second=0, microsecond=0) + timedelta(minutes=1)
    lead = int((first - now).total_seconds()) - 5  # a reminder for something starting at `first` is due in ~5 s
    from zoneinfo import ZoneInfo

    zone = rehearsal_zone(now)
    local = first.astimezone(ZoneInfo(zone))
    later = local + timedelta(minutes=5)
    text = f"""
name = {{ fr = "Répétition", en = "Rehearsal" }}
timezone = "{zone}"
venue = "Salle test"
slot_minutes = 5
[[days]]
date = {local.date().isoformat()}
windows = [{{ start = {local:%H:%M}:00, end = {(local + timedelta(minutes=30)):%H:%M}:00 }}]
[[themes]]
id = "mobility"
fr = "Mobilité"
en = "Mobility"
[reminders]
lead_seconds = [{lead}]
day_digest_seconds_before = 1
[[sessions]]
id = "pecha"
title = {{ fr = "Pecha kucha test", en = "Test pecha kucha" }}
format = "pecha_kucha"
start = {later:%Y-%m-%dT%H:%M}:00
end = {(later + timedelta(minutes=20)):%Y-%m-%dT%H:%M}:00
room = "Auditorium"
themes = ["mobility"]
"""
    path = tmp_path / "rehearsal.toml"
    path.write_text(text, encoding="utf-8")
    return path, first


async def test_a_moved_session_notifies_re_reminds_and_updates_calendars(
    emulator: TelegramEmulator, runner: BotRunner, tmp_path: Path
) -> None:
    path, first = rehearsal_with_a_session(tmp_path)
    runner.event = load_event(path)
    boss = emulator.user("Hélène", user_id=BOSS)
    services: Services = await runner.start(organiser_ids=str(BOSS))
    await register_organiser(boss)
    sam = emulator.user("Sam", language_code="en")
    await register_attendee(sam, org_type="Local authority", themes=("Mobility",))
    participant = await services.registration.participant(sam.id)
    assert participant is not None
    await sam.send("/programme")
    home = await sam.next_reply()
    half = "Afternoon · " if services.event.programme[0].start.hour >= 13 else "Morning · "
    await sam.press(half + services.tr.format_date("en", first.astimezone(services.event.tz).date()), home)
    await emulator.wait_for(lambda: any("Test pecha kucha" in label for label in home.button_labels))
    await sam.press(next(label for label in home.button_labels if "Test pecha kucha" in label), home)
    await emulator.wait_for(lambda: "🔔 Remind me" in home.button_labels)
    card = home
    await sam.press("🔔 Remind me", card)
    first_ics = ics(await next_with(sam, "Add it to your calendar"))

    # the organisers move it to the first slot: its reminder now falls due in a few seconds
    boss.skip_unread()
    await boss.send("/session")
    pick = await next_with(boss, "Quelle session modifier ?")
    await boss.press(pick.button_labels[0], pick)
    await boss.emulator.wait_for(lambda: "🕒 Déplacer" in pick.button_labels)
    await boss.press("🕒 Déplacer", pick)
    await next_with(boss, "Nouvelle heure de début")
    new_time = first.astimezone(services.event.tz).strftime("%H:%M")
    await boss.send(new_time)
    await next_with(boss, "1 personne prévenue.")

    notice = await sam.wait_for_text("Programme change")
    assert "“Test pecha kucha” now takes place" in notice.text and new_time in notice.text
    update = ics(await next_with(sam, "Add it to your calendar"))
    [before], [after] = first_ics.walk("VEVENT"), update.walk("VEVENT")
    assert after["uid"] == before["uid"] and int(after["sequence"]) > int(before["sequence"])
    assert after["dtstart"].dt == first.astimezone(services.event.tz)
    reminder = await sam.wait_for_text("⏰ In", timeout=15)
    assert f"{new_time}: Test pecha kucha, Auditorium." in reminder.text
    rows = await services.db.fetch_all("SELECT due_at, lead_seconds FROM reminders WHERE session_id = 'pecha'")
    assert [datetime.fromisoformat(r[0]) + timedelta(seconds=r[1]) for r in rows] == [first]
