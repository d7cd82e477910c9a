"""The organisers' console through the emulator: broadcasts, statistics, exports, blocked slots, reconcile."""

from __future__ import annotations

import csv
import io
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import openpyxl
from PIL import Image

from bot.emulator import ChatMessage, Phone, TelegramEmulator
from bot.runtime import Services
from storage.exhibitors import ExhibitorRepository, NewExhibitor
from storage.meetings import MeetingRepository, Status
from tests.conftest import EXAMPLE_EVENT, BotRunner, FakeClock
from tests.helpers import next_with, register_attendee, register_organiser, register_representative
from tests.processes import run_command, start_bot
from tests.stores import TestStore
from tests.test_meetings import BEFORE_THE_DAY, request

BOSS = 7777


async def console(
    emulator: TelegramEmulator, runner: BotRunner, **start: object
) -> tuple[Services, Phone, dict[str, Phone]]:
    """An organiser, two attendees (different themes), a representative, one accepted meeting at 10:00."""
    boss = emulator.user("Hélène", user_id=BOSS)
    services = await runner.start(organiser_ids=str(BOSS), **start)  # type: ignore[arg-type]
    await register_organiser(boss)
    exhibitor = await ExhibitorRepository(services.db).create(
        NewExhibitor(slug="disco-soupe", name="Disco Soupe", stand="A1", tables=2, themes=["circular-economy"])
    )
    rep = emulator.user("Lucie")
    await register_representative(rep, exhibitor.invite_token)
    camille = emulator.user("Camille")
    await register_attendee(camille, themes=("Agriculture urbaine",))
    sam = emulator.user("Sam", language_code="en")
    await register_attendee(sam, org_type="Local authority", themes=("Mobility",))
    await request(camille, "10:00")
    await rep.press("✅ Accepter", await rep.next_reply())
    await camille.wait_for_text("Ajoutez-le à votre agenda")
    return services, boss, {"rep": rep, "camille": camille, "sam": sam}


async def broadcast(boss: Phone, text: str, audience: str, when: str = "Maintenant") -> ChatMessage:
    """/broadcast → text → audience → time → preview → send; returns the progress message."""
    boss.skip_unread()
    await boss.send("/broadcast")
    await next_with(boss, "Écrivez l'annonce")
    await boss.send(text)
    choose = await next_with(boss, "À qui l'envoyer ?")
    if audience.startswith("theme:"):
        await boss.press("Un thème…", choose)
        await boss.emulator.wait_for(lambda: audience[6:] in choose.button_labels)
        await boss.press(audience[6:], choose)
    elif audience.startswith("slots:"):
        first, last = audience[6:].split("-")
        await boss.press("Ceux qui ont un rendez-vous entre deux heures…", choose)
        await boss.emulator.wait_for(lambda: "À partir de quel créneau ?" in choose.content)
        await boss.press(first, choose)
        await boss.emulator.wait_for(lambda: "Jusqu'à quel créneau (inclus) ?" in choose.content)
        await boss.press(last, choose)
    else:
        await boss.press(next(label for label in choose.button_labels if label.startswith(audience)), choose)
    ask_when = await next_with(boss, "Quand l'envoyer ?")
    await boss.press(when, ask_when)
    summary = await next_with(boss, "Aperçu, tel que les destinataires le verront")
    await boss.press("✅ Envoyer", summary)
    return await next_with(boss, "Envoi en cours")


def got(phone: Phone, text: str) -> bool:
    return any(text in m.content for m in phone.bot_messages)


async def test_each_audience_gets_exactly_its_people(emulator: TelegramEmulator, runner: BotRunner) -> None:
    _, boss, people = await console(emulator, runner)
    cases = [
        ("Tout le monde", {"rep", "camille", "sam", "boss"}),
        ("Les participants", {"camille", "sam"}),
        ("Les représentants", {"rep"}),
        ("theme:Mobilité", {"sam"}),
        ("slots:09:45-10:15", {"camille", "rep"}),
    ]
    everyone = {**people, "boss": boss}
    for n, (audience, expected) in enumerate(cases):
        text = f"<b>Annonce {n}</b> : le déjeuner est servi 🍲"
        progress = await broadcast(boss, text, audience)
        report = f"Annonce envoyée : {len(expected)}/{len(expected)}"
        await boss.emulator.wait_for(lambda p=progress, r=report: r in p.content)  # the progress message, edited
        for name, phone in everyone.items():
            received = [  # the announcement, signed by the organisers
                m
                for m in phone.bot_messages
                if (m.text or "").split("\n\n")[0] == f"Annonce {n} : le déjeuner est servi 🍲"
            ]
            if name == "boss":
                received = received[1:]  # the first one is the preview
            assert bool(received) == (name in expected), (audience, name)
        bold = next(m for m in people["camille"].bot_messages if m.content.startswith("Annonce 0"))
        assert {"type": "bold", "offset": 0, "length": 9} in bold.entities  # formatting kept
    await boss.send("/broadcasts")
    history = await boss.wait_for_text("📣 Annonces")
    assert "4/4 envoyées" in history.text and "slots:" in history.text


async def test_the_broadcast_questions_keep_the_answers(emulator: TelegramEmulator, runner: BotRunner) -> None:
    _, boss, people = await console(emulator, runner)
    await broadcast(boss, "Le déjeuner est servi.", "Tout le monde")
    # each recipient is told, in their language, who the announcement is from
    fr = await people["camille"].wait_for_text("Le déjeuner est servi.")
    assert fr.text.endswith("— L'équipe d'organisation · Journée de l'innovation sociale et urbaine")
    en = await people["sam"].wait_for_text("Le déjeuner est servi.")
    assert en.text.splitlines()[-1].startswith("— The organisers · ")
    audience = next(m for m in boss.bot_messages if "À qui l'envoyer ?" in m.text)
    assert "→ Tout le monde" in audience.text and audience.buttons == []
    when = next(m for m in boss.bot_messages if "Quand l'envoyer ?" in m.text)
    assert when.text.endswith("→ Maintenant") and when.buttons == []


async def test_a_text_telegram_would_refuse_is_refused_with_the_reason(
    emulator: TelegramEmulator, runner: BotRunner
) -> None:
    _, boss, people = await console(emulator, runner)
    await boss.send("/broadcast")
    await boss.wait_for_text("Écrivez l'annonce")
    await boss.send("<b>Salle 2 & salle 3")
    refused = await boss.wait_for_text("Telegram refuserait ce texte")
    assert "unescaped" in refused.text or "end tag" in refused.text
    await boss.send("<marquee>Salle 2</marquee>")
    await boss.wait_for_text('Unsupported start tag "marquee"')
    await boss.send("<b>Salle 2</b> &amp; salle 3")
    await boss.wait_for_text("À qui l'envoyer ?")
    await boss.send("/cancel")
    await boss.wait_for_text("Annonce abandonnée")
    assert not got(people["camille"], "Salle 2")


async def test_a_scheduled_broadcast_waits_for_its_time(emulator: TelegramEmulator, runner: BotRunner) -> None:
    clock = FakeClock(BEFORE_THE_DAY)
    _, boss, people = await console(emulator, runner, clock=clock)
    await broadcast(boss, "Ouverture des portes", "Tout le monde", when="Dans 15 min")
    await emulator.wait_for(lambda: True)
    import asyncio

    await asyncio.sleep(1.5)
    assert not got(people["sam"], "Ouverture des portes")
    clock.now += timedelta(minutes=16)
    await people["sam"].wait_for_text("Ouverture des portes", timeout=5)


async def test_statistics_with_a_chart(emulator: TelegramEmulator, runner: BotRunner) -> None:
    _, boss, _ = await console(emulator, runner)
    await boss.send("/stats")
    text = await boss.wait_for_text("Statistiques")
    assert "Inscrits : participant(e) : 2" in text.text
    assert "acceptés 1" in text.text and "Taux d'acceptation : 100 %" in text.text
    assert "Agriculture urbaine 0" in text.text or "Économie circulaire 1" in text.text
    await emulator.wait_for(lambda: any(m.photo is not None for m in boss.bot_messages))
    photo = next(m for m in boss.bot_messages if m.photo is not None)
    image = Image.open(io.BytesIO(photo.photo.content))  # type: ignore[union-attr]
    assert image.format == "PNG" and image.width > 300


async def test_exports_open_in_a_spreadsheet_in_the_organisers_language(
    emulator: TelegramEmulator, runner: BotRunner
) -> None:
    _, boss, _ = await console(emulator, runner)
    # by default: one Excel workbook, a sheet each, in French
    await boss.send("/export")
    await emulator.wait_for(lambda: len([m for m in boss.bot_messages if m.document]) == 1)
    [message] = [m for m in boss.bot_messages if m.document]
    assert message.document is not None and message.document.file_name == "maillage-export.xlsx"
    workbook = openpyxl.load_workbook(io.BytesIO(message.document.content))
    assert workbook.sheetnames == ["Participants", "Exposants", "Rendez-vous"]
    meetings = sheet_rows(workbook["Rendez-vous"])
    [meeting] = meetings
    assert meeting["Statut"] == "accepté" and meeting["Table"] == 1 and meeting["Exposant"] == "Disco Soupe"
    assert meeting["Créneau"] == datetime(2027, 3, 16, 10, 0)  # a time, in Paris, to the minute
    assert meeting["exhibitor"] == "disco-soupe" and meeting["status"] == "accepted"  # the codes, hidden
    participants = {p["Nom"]: p for p in sheet_rows(workbook["Participants"])}
    assert set(participants) >= {"Camille", "Sam", "Lucie", "Hélène"}
    assert participants["Sam"]["Rôle"] == "participant(e)" and participants["Sam"]["Langue"] == "anglais"
    assert participants["Camille"]["Thèmes"] == "Agriculture urbaine"
    assert participants["Lucie"]["Stand représenté"] == "Disco Soupe"
    assert "telegram_id" not in participants["Sam"]
    # in English on request
    await boss.send("/export en")
    await emulator.wait_for(lambda: len([m for m in boss.bot_messages if m.document]) == 2)
    english = openpyxl.load_workbook(io.BytesIO([m for m in boss.bot_messages if m.document][-1].document.content))  # type: ignore[union-attr]
    assert english.sheetnames == ["Participants", "Exhibitors", "Meetings"]
    assert sheet_rows(english["Meetings"])[0]["Status"] == "accepted"
    # CSV for French Excel, and plain CSV, on request
    await boss.send("/export csv")
    await emulator.wait_for(lambda: len([m for m in boss.bot_messages if m.document]) == 5)
    files = {m.document.file_name: m.document.content for m in boss.bot_messages[-3:] if m.document}  # type: ignore[union-attr]
    assert set(files) == {"maillage-participants.csv", "maillage-exhibitors.csv", "maillage-meetings.csv"}
    assert all(content.startswith("\ufeff".encode()) for content in files.values())
    rows = list(csv.DictReader(io.StringIO(files["maillage-meetings.csv"].decode("utf-8-sig")), delimiter=";"))
    assert rows[0]["Créneau"] == "2027-03-16 10:00" and rows[0]["Statut"] == "accepté"
    await boss.send("/export plain")
    await emulator.wait_for(lambda: len([m for m in boss.bot_messages if m.document]) == 8)
    plain = [m.document.content for m in boss.bot_messages if m.document][-1]  # type: ignore[union-attr]
    assert not plain.startswith("\ufeff".encode()) and plain.splitlines()[0].startswith(b"N\xc2\xb0,")


def sheet_rows(sheet: Any) -> list[dict[str, Any]]:
    """A worksheet's rows by header, hidden columns included."""
    values = [[cell.value for cell in row] for row in sheet.iter_rows()]
    return [dict(zip(values[0], row, strict=True)) for row in values[1:]]


async def test_blocking_a_slot_cancels_its_meetings_with_notice(emulator: TelegramEmulator, runner: BotRunner) -> None:
    services, boss, people = await console(emulator, runner)
    await boss.send("/block")
    ask = await boss.wait_for_text("Quel créneau fermer")
    await boss.press("10:00", ask)
    await boss.wait_for_text("Fermer mardi 16 mars, 10:00 pour qui ?")
    await boss.press("Tout le monde", ask)
    await boss.wait_for_text("Les rendez-vous déjà pris sur ce créneau seront annulés")
    await boss.press("🚧 Oui, fermer ce créneau", ask)
    await boss.wait_for_text("1 rendez-vous annulé,")
    for phone in (people["camille"], people["rep"]):
        await phone.wait_for_text("a dû fermer le créneau mardi 16 mars, 10:00")
    meeting = (await MeetingRepository(services.db).for_exhibitor(1, tuple(Status)))[0]
    assert meeting.status == Status.CANCELLED and meeting.cancelled_by == "organiser"
    sam = people["sam"]
    card_phone_text = "📅 Request a meeting"
    await sam.open_deep_link("e-disco-soupe")
    card = await sam.wait_for_text("Disco Soupe")
    await sam.press(card_phone_text, card)
    picker = await sam.wait_for_text("pick a slot")
    assert "10:00" not in picker.button_labels and "10:15" in picker.button_labels


async def test_every_organiser_command_is_refused_to_others(emulator: TelegramEmulator, runner: BotRunner) -> None:
    _, _, people = await console(emulator, runner)
    camille = people["camille"]
    camille.skip_unread()
    for command in ("/broadcast", "/broadcasts", "/stats", "/export", "/block", "/reps"):
        await camille.send(command)
        assert "réservée à l'équipe d'organisation" in (await camille.next_reply()).text, command
    for data in ("bc:send", "blk:3:ok:all", "bc:aud:all"):
        query = await camille.press_raw(data)
        assert "réservée" in (await camille.callback_answer(query))["text"]


async def afternoon_request(store: TestStore, emulator: TelegramEmulator) -> tuple[Phone, Phone]:
    """Lucie represents Disco Soupe; Camille has asked it for a meeting at 15:00, not answered yet."""
    rep, camille = emulator.user("Lucie"), emulator.user("Camille")
    async with store.open() as db:
        exhibitor = await ExhibitorRepository(db).create(
            NewExhibitor(slug="disco-soupe", name="Disco Soupe", stand="A1")
        )
    await register_representative(rep, exhibitor.invite_token)
    await register_attendee(camille)
    await request(camille, "15:00")
    return rep, camille


def morning_only_event(tmp_path: Path) -> Path:
    """The sample event without its afternoon: a 15:00 meeting falls outside its slots."""
    path = tmp_path / "event.toml"
    path.write_text(
        EXAMPLE_EVENT.read_text(encoding="utf-8").replace("  { start = 14:00:00, end = 17:00:00 },\n", ""),
        encoding="utf-8",
    )
    return path


async def test_reconcile_after_the_event_file_changed(store: TestStore, tmp_path: Path) -> None:
    async with TelegramEmulator() as emulator:
        bot = await start_bot(tmp_path, emulator)
        rep, camille = await afternoon_request(store, emulator)
        await rep.press("✅ Accepter", await rep.next_reply())
        await camille.wait_for_text("Ajoutez-le à votre agenda")
        assert await bot.stop() == 0

        morning_only = morning_only_event(tmp_path)
        status, out = await run_command(tmp_path, emulator, "check")  # the default event: still fine
        assert status == 0, out
        import asyncio
        import sys

        from tests.processes import bot_environment

        async def command(*args: str) -> tuple[int, str]:
            process = await asyncio.create_subprocess_exec(
                sys.executable,
                "-m",
                "bot",
                *args,
                cwd=tmp_path,
                env=bot_environment(tmp_path, emulator, EVENT_FILE=str(morning_only)),
                stdout=asyncio.subprocess.PIPE,
                stderr=asyncio.subprocess.STDOUT,
            )
            output, _ = await process.communicate()
            return process.returncode or 0, output.decode()

        status, out = await command("check")
        assert status == 2 and "1 meetings fall outside the event's slots" in out and "Disco Soupe / Camille" in out
        status, out = await command("run")
        assert status == 2 and "python -m bot reconcile" in out
        status, out = await command("reconcile")
        assert status == 0 and "1 meetings cancelled" in out
        bot = await start_bot(tmp_path, emulator, EVENT_FILE=str(morning_only))
        await camille.wait_for_text("Le programme a changé : votre rendez-vous avec Disco Soupe")
        await rep.wait_for_text("Le programme a changé : votre rendez-vous avec Camille")
        assert await bot.stop() == 0
