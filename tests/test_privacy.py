"""Privacy as promised: safe exports, /forget everywhere, a complete /mydata, the purge, private files, quiet logs."""

from __future__ import annotations

import asyncio
import csv
import io
import json
import stat
from datetime import timedelta
from pathlib import Path

import openpyxl

from bot.emulator import Phone, TelegramEmulator
from bot.event import Event
from bot.runtime import Services
from storage.aftermath import AftermathRepository, ContactCard
from storage.db import SqliteDatabase
from storage.exhibitors import ExhibitorRepository, NewExhibitor
from storage.repositories import Repositories
from tests.conftest import EXAMPLE_EVENT, BotRunner, FakeClock
from tests.helpers import next_with, register_attendee, register_organiser, register_representative
from tests.processes import run_command, start_bot
from tests.stores import TestStore, store_of
from tests.test_meetings import BEFORE_THE_DAY, open_card, request
from tests.test_registration import rows_mentioning

BOSS = 7777
FORMULAS = ('=HYPERLINK("http://evil.example","clic")', "+33 Ville", "-5", "@SUM(A1:A9)")


def read_csv(content: bytes, delimiter: str = ";") -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(content.decode("utf-8-sig")), delimiter=delimiter))


def no_formula(rows: list[dict[str, str]]) -> None:
    for row in rows:
        for value in row.values():
            assert not (value or "").startswith(("=", "+", "-", "@", "\t", "\r")), row


def no_formula_in_workbook(content: bytes) -> set[str]:
    """Every text cell of the workbook; none is a formula, and formula-looking text keeps its quote prefix."""
    texts = set()
    for sheet in openpyxl.load_workbook(io.BytesIO(content)).worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                assert cell.data_type != "f", (sheet.title, cell.coordinate, cell.value)
                if isinstance(cell.value, str):
                    texts.add(cell.value)
                    if cell.value.startswith(("=", "+", "-", "@")):
                        assert cell.quotePrefix, (sheet.title, cell.coordinate, cell.value)
    return texts


async def setup_day(emulator: TelegramEmulator, runner: BotRunner) -> tuple[Services, Phone, Phone, Phone]:
    """An organiser, a stand with a representative, and Camille with an accepted meeting at 10:00."""
    boss = emulator.user("Hélène", user_id=BOSS)
    services = await runner.start(organiser_ids=str(BOSS), clock=FakeClock(BEFORE_THE_DAY))
    await register_organiser(boss)
    exhibitor = await ExhibitorRepository(services.db).create(
        NewExhibitor(slug="disco-soupe", name="Disco Soupe", stand="A1", tables=2, themes=["circular-economy"])
    )
    lucie = emulator.user("Lucie")
    await register_representative(lucie, exhibitor.invite_token)
    camille = emulator.user("Camille", last_name="Zyxwvutsr")
    await register_attendee(camille, organisation="Mairie de Qwertyville")
    await request(camille, "10:00", note="Une note très reconnaissable")
    await lucie.press("✅ Accepter", await next_with(lucie, "Demande de rendez-vous"))
    await camille.wait_for_text("Ajoutez-le à votre agenda")
    return services, boss, lucie, camille


async def test_exports_never_hold_a_live_formula(
    emulator: TelegramEmulator, store: TestStore, event: Event, tmp_path: Path
) -> None:
    runner = BotRunner(emulator, store, event, [])
    try:
        boss = emulator.user("Hélène", user_id=BOSS)
        services = await runner.start(organiser_ids=str(BOSS), clock=FakeClock(BEFORE_THE_DAY))
        await register_organiser(boss)
        await ExhibitorRepository(services.db).create(
            NewExhibitor(slug="tricky", name=FORMULAS[0], stand=FORMULAS[1], tables=1, themes=["health"])
        )
        eve = emulator.user("Eve")
        await register_attendee(eve, name=FORMULAS[3], organisation=FORMULAS[1], job_title=FORMULAS[2])
        boss.skip_unread()
        for command, delimiter in (("/export csv", ";"), ("/export plain", ",")):
            before = len([m for m in boss.bot_messages if m.document])
            await boss.send(command)
            await emulator.wait_for(lambda b=before: len([m for m in boss.bot_messages if m.document]) == b + 3)
            files = {m.document.file_name: m.document.content for m in boss.bot_messages[-3:] if m.document}  # type: ignore[union-attr]
            participants = read_csv(files["maillage-participants.csv"], delimiter)
            exhibitors = read_csv(files["maillage-exhibitors.csv"], delimiter)
            no_formula(participants + exhibitors)
            # the text is all there, behind the apostrophe that keeps a spreadsheet from running it
            assert {p["Nom"] for p in participants} >= {"'" + FORMULAS[3]}
            assert exhibitors[0]["Exposant"] == "'" + FORMULAS[0] and exhibitors[0]["Stand"] == "'" + FORMULAS[1]
        # the workbook: every cell that looks like a formula is text, shown as typed
        before = len([m for m in boss.bot_messages if m.document])
        await boss.send("/export")
        await emulator.wait_for(lambda: len([m for m in boss.bot_messages if m.document]) == before + 1)
        content = boss.bot_messages[-1].document.content  # type: ignore[union-attr]
        cells = no_formula_in_workbook(content)
        assert {FORMULAS[0], FORMULAS[1], FORMULAS[3]} <= cells

        # the exhibitors' file an organiser sends, and the invite links that come back
        boss.skip_unread()
        upload = f"nom;identifiant;thèmes\n{FORMULAS[2]} Compost;compost;Santé\n".encode()
        await boss.upload("exposants.csv", upload)
        links = await next_with(boss, "liens")
        assert links.document is not None
        assert "-5 Compost" in no_formula_in_workbook(links.document.content)
    finally:
        await runner.stop_all()
    # the command line's export: the same cells, in a file only its owner can read
    out = tmp_path / "participants.csv"
    status, text = await run_command(tmp_path, emulator, "export", "participants", "--csv", "--out", str(out))
    assert status == 0, text
    no_formula(read_csv(out.read_bytes()))
    assert stat.S_IMODE(out.stat().st_mode) == 0o600


async def test_forget_takes_the_name_out_of_messages_to_others(emulator: TelegramEmulator, runner: BotRunner) -> None:
    services, boss, lucie, camille = await setup_day(emulator, runner)
    # the organisers close 10:00: Lucie's notice names Camille, and sits in the outbox's rows
    boss.skip_unread()
    await boss.send("/block")
    ask = await boss.next_reply()
    await boss.press("10:00", ask)
    await emulator.wait_for(lambda: "Tout le monde" in ask.button_labels)
    await boss.press("Tout le monde", ask)
    await emulator.wait_for(lambda: "🚧 Oui, fermer ce créneau" in ask.button_labels)
    await boss.press("🚧 Oui, fermer ce créneau", ask)
    notice = await lucie.wait_for_text("a dû fermer le créneau")
    assert "Camille Zyxwvutsr" in notice.text
    needles: tuple[str | int, ...] = ("Zyxwvutsr", "Qwertyville", "très reconnaissable", camille.id)
    assert rows_mentioning(runner.store, *needles)

    camille.skip_unread()
    await camille.send("/forget")
    await camille.press("🗑 Oui, tout supprimer", await camille.next_reply())
    await camille.wait_for_text("vos données ont été supprimées")
    assert rows_mentioning(runner.store, *needles) == []
    rows = await services.db.fetch_all("SELECT text FROM deliveries WHERE text LIKE '%fermer le créneau%'")
    assert rows and all("avec … est annulé" in r["text"] for r in rows)  # the notice stays, without her name


async def test_mydata_holds_everything_stored_about_the_person(emulator: TelegramEmulator, runner: BotRunner) -> None:
    services, boss, lucie, camille = await setup_day(emulator, runner)
    me = await services.registration.participant(camille.id)
    assert me is not None
    await services.programme.set_following(me.id, "plenary", True)  # she follows the opening plenary
    # an announcement to everyone, and a new meeting request half written
    from tests.test_organisers import broadcast

    await broadcast(boss, "Le déjeuner est servi en salle B.", "Tout le monde")
    await camille.wait_for_text("déjeuner est servi")
    await ExhibitorRepository(services.db).create(NewExhibitor(slug="repair-cafe", name="Repair Café", tables=1))
    camille.skip_unread()
    await camille.press("📅 Demander un rendez-vous", await open_card(camille, "repair-cafe"))
    await camille.press("11:30", await next_with(camille, "choisissez un créneau"))
    await next_with(camille, "Un mot pour préparer")

    # a wish for the planner, hers, and the stand's wish to meet her
    exhibitors = {e.slug: e for e in await ExhibitorRepository(services.db).all()}
    await services.wishes.toggle(me, exhibitors["repair-cafe"].id)
    lucie_me = await services.registration.participant(lucie.id)
    assert lucie_me is not None
    await services.wishes.set_stand_wish(lucie_me, me.id, True)
    camille.skip_unread()
    await camille.send("/mydata")
    data = json.loads((await next_with(camille, "")).document.content)  # type: ignore[union-attr]
    assert data["meetings"][0]["note"] == "Une note très reconnaissable"
    assert [s["id"] for s in data["followed_sessions"]] == ["plenary"]
    assert {r["kind"] for r in data["reminders"]} >= {"meeting", "digest", "session"}
    assert any("déjeuner est servi" in m["text"] for m in data["messages_sent_to_you"])
    assert data["conversation_in_progress"]["flow"] == "meeting"
    assert data["meeting_wishes"] == [{"exhibitor": "Repair Café", "rank": 1}]
    assert data["stands_that_wish_to_meet_you"] == ["Disco Soupe"]

    lucie.skip_unread()
    await lucie.send("/mydata")
    theirs = json.loads((await next_with(lucie, "")).document.content)  # type: ignore[union-attr]
    [answered] = theirs["meetings_answered_as_representative"]
    assert answered["status"] == "accepted" and answered["exhibitor"] == "Disco Soupe"
    assert "attendance_exhibitor" in answered


async def test_personal_data_is_purged_after_the_event(emulator: TelegramEmulator, runner: BotRunner) -> None:
    services, _, lucie, camille = await setup_day(emulator, runner)
    consent = next(m for m in camille.bot_messages if "Combien de temps" in m.text)
    assert "au plus tard 90 jours après" in consent.text  # what the purge below makes true
    before = (await services.reports.statistics()).by_role
    assert before == {"attendee": 1, "exhibitor": 1, "organiser": 1}
    due = services.event.purge_due()
    assert due.astimezone(services.event.tz).date().isoformat() == "2027-06-15"  # 90 days after 16 March
    # after the meeting: her details and what she shared, the stand's note, her rating with a comment
    me, rep = await services.registration.participant(camille.id), await services.registration.participant(lucie.id)
    assert me is not None and rep is not None
    [meeting] = await services.meetings.agenda_of_attendee(me)
    aftermath = AftermathRepository(services.db)
    card = ContactCard("zyxwvutsr@qwertyville.fr", None, None)
    await aftermath.set_card(me.id, card)
    assert await aftermath.share(meeting.id, me.id, "attendee", me.full_name, me.organisation, card)
    await aftermath.set_lead(meeting.id, rep.id, note="Zyxwvutsr veut des ateliers")
    assert await aftermath.rate(meeting.id, "attendee", me.id, 5)
    assert await aftermath.comment(meeting.id, "attendee", "Qwertyville remercie")
    await runner.stop_all()
    # the day before, the bot keeps everything
    services = await runner.start(organiser_ids=str(BOSS), clock=FakeClock(due - timedelta(days=1)))
    await asyncio.sleep(1.5)  # the purge job's first run is a second after the start
    assert await Repositories.on(services.db).participants.count() == 3
    await runner.stop_all()
    # once it is due, everything personal goes; the counts stay
    services = await runner.start(organiser_ids=str(BOSS), clock=FakeClock(due + timedelta(minutes=1)))
    for _ in range(200):
        if await Repositories.on(services.db).participants.count() == 0:
            break
        await asyncio.sleep(0.025)
    assert await Repositories.on(services.db).participants.count() == 0
    assert rows_mentioning(runner.store, "Zyxwvutsr", "Qwertyville", "très reconnaissable", "Lucie") == []
    after = await services.reports.statistics()
    assert after.by_role == before and after.by_status.get("accepted") == 1
    assert after.ratings_by_theme == {"circular-economy": {5: 1}}  # the stars stay, anonymous


async def test_the_purge_command(store: TestStore, emulator: TelegramEmulator, tmp_path: Path) -> None:
    (tmp_path / "data").mkdir()
    async with store.open() as db:
        await ExhibitorRepository(db).create(NewExhibitor(slug="disco-soupe", name="Disco Soupe"))
        from storage.db import utcnow
        from storage.participants import NewParticipant, ParticipantRepository, Role

        async with db.transaction() as tx:
            new = NewParticipant(
                telegram_id=987654321,
                role=Role.ATTENDEE,
                language="fr",
                full_name="Anastasia Quorblex",
                consent_at=utcnow(),
            )
            await ParticipantRepository(db).create(new, tx)
    status, out = await run_command(tmp_path, emulator, "purge", "--dry-run")
    assert status == 0 and "would delete 1 participants" in out and "nothing deleted" in out
    status, out = await run_command(tmp_path, emulator, "purge")
    assert status == 0 and "not yet" in out  # the sample event is in 2027
    past = tmp_path / "past.toml"
    past.write_text(EXAMPLE_EVENT.read_text(encoding="utf-8").replace("2027-03-16", "2020-03-16"), encoding="utf-8")
    status, out = await run_command(tmp_path, emulator, "purge", EVENT_FILE=str(past))
    assert status == 0 and "deleted 1 participants" in out, out
    assert rows_mentioning(store_of(tmp_path), "Quorblex", 987654321) == []


async def test_the_database_and_its_folder_are_private(tmp_path: Path) -> None:
    path = tmp_path / "new-folder" / "maillage.db"
    async with SqliteDatabase(path) as db:
        async with db.transaction() as tx:
            await tx.execute("CREATE TABLE scratch (x)")  # something in the WAL
        assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
        for name in (path, Path(f"{path}-wal"), Path(f"{path}-shm")):
            assert name.exists() and stat.S_IMODE(name.stat().st_mode) == 0o600, name
    path.chmod(0o644)  # a file from before: tightened at the next start
    async with SqliteDatabase(path):
        assert stat.S_IMODE(path.stat().st_mode) == 0o600


async def test_debug_logs_hold_no_message_texts_nor_names(tmp_path: Path, emulator: TelegramEmulator) -> None:
    bot = await start_bot(tmp_path, emulator, LOG_LEVEL="DEBUG")
    camille = emulator.user("Camille", last_name="Plantagenet")
    await register_attendee(camille, organisation="Ville Secrète de Zorglub", looking_for="Un besoin très confidentiel")
    await camille.send("/reps Mot de passe 1234")  # an organiser command, refused and logged
    await camille.next_reply()
    assert await bot.stop() == 0
    log = bot.text
    assert "DEBUG" in log  # the level is on
    for secret in ("Plantagenet", "Zorglub", "très confidentiel", "Mot de passe"):
        assert secret not in log, secret


class Person:
    """Someone with distinctive details, and every way a stored row could still name them."""

    def __init__(self, phone: Phone, name: str, *, organisation: str | None, card: ContactCard) -> None:
        self.phone, self.name, self.organisation, self.card = phone, name, organisation, card

    @property
    def needles(self) -> tuple[str | int, ...]:
        texts = (self.name, self.name.lower(), self.organisation, self.card.email, self.card.phone, self.card.website)
        return (*(t for t in texts if t), self.phone.id)


async def test_forget_and_the_purge_leave_nothing_of_anyone_anywhere(
    emulator: TelegramEmulator, runner: BotRunner
) -> None:
    """A day with everything that keeps something about a person: a meeting confirmed by Lucie, contact
    details shared both ways, the stand's note and its rating comment about Camille, the end-of-day
    message naming Lucie with her details, an announcement whose progress Hélène watched. Every table
    found from the schema is scanned for each person's name, organisation, e-mail, phone, website and
    Telegram id: after Lucie's /forget, Camille's, Hélène's, and after the purge."""
    from tests.test_aftermath import AFTER_TEN, EVENING
    from tests.test_organisers import broadcast

    clock = FakeClock(BEFORE_THE_DAY)
    services = await runner.start(organiser_ids=str(BOSS), clock=clock, sweep_seconds=0.05)
    boss = Person(
        emulator.user("Hélène", last_name="Brontesque", user_id=BOSS),
        "Brontesque",
        organisation=None,
        card=ContactCard(),
    )
    await register_organiser(boss.phone)
    exhibitor = await ExhibitorRepository(services.db).create(
        NewExhibitor(slug="disco-soupe", name="Disco Soupe", stand="A1", tables=2, website="https://discosoupe.org")
    )
    lucie = Person(
        emulator.user("Lucie", last_name="Kestrelmoor"),
        "Kestrelmoor",
        organisation=None,
        card=ContactCard("lucie@kestrelmoor.org", "+33 7 55 66 77 88", "https://kestrelmoor.org"),
    )
    karim = emulator.user("Karim", last_name="Vantablack")
    for rep in (lucie.phone, karim):
        await register_representative(rep, exhibitor.invite_token)
    camille = Person(
        emulator.user("Camille", last_name="Zyxwvutsr"),
        "Zyxwvutsr",
        organisation="Mairie de Qwertyville",
        card=ContactCard("camille@qwertyville.fr", "+33 6 11 22 33 44", "https://qwertyville.fr"),
    )
    await register_attendee(camille.phone, organisation="Mairie de Qwertyville")
    await request(camille.phone, "10:00")
    await lucie.phone.press("✅ Accepter", await next_with(lucie.phone, "Demande de rendez-vous"))
    confirmed = await camille.phone.wait_for_text("Ajoutez-le à votre agenda")
    assert "Lucie Kestrelmoor" in confirmed.content  # the confirmation names her
    me, lucie_me = (
        await services.registration.participant(camille.phone.id),
        await services.registration.participant(lucie.phone.id),
    )
    assert me is not None and lucie_me is not None
    [meeting] = await services.meetings.agenda_of_attendee(me)

    clock.now = AFTER_TEN
    await camille.phone.press("✅ Oui", await camille.phone.wait_for_text("eu lieu"))
    for person, who in ((camille, me), (lucie, lucie_me)):
        for field in ("email", "phone", "website"):
            await services.aftermath.set_detail(who, field, getattr(person.card, field))
        await person.phone.press_raw(f"af:go:{meeting.id}:epw")
    vcf = await lucie.phone.wait_for_text("partage ses coordonnées avec vous")
    assert vcf.document is not None and "zyxwvutsr" in (vcf.document.file_name or "")  # a file named after her
    await camille.phone.wait_for_text("partage ses coordonnées avec vous")
    await services.aftermath.set_lead_note(lucie_me, meeting.id, "Zyxwvutsr : rappeler au +33 6 11 22 33 44")
    assert await services.aftermath.rate(lucie_me, meeting.id, 3)
    await services.aftermath.comment(
        lucie_me, meeting.id, "Mme Zyxwvutsr arrivée en retard, rappeler le +33 6 11 22 33 44"
    )
    await broadcast(boss.phone, "Le déjeuner est servi en salle B.", "Tout le monde")
    await camille.phone.wait_for_text("déjeuner est servi")
    clock.now = EVENING
    summary = await camille.phone.wait_for_text("Votre journée à", timeout=10)
    assert "Lucie Kestrelmoor : lucie@kestrelmoor.org" in summary.content
    assert summary.document is not None and b"kestrelmoor" in summary.document.content

    camille.phone.skip_unread()
    await camille.phone.send("/mydata")
    data = json.loads((await next_with(camille.phone, "")).document.content)  # type: ignore[union-attr]
    assert data["stands_ratings_of_your_meetings"] == [
        {
            "meeting_id": meeting.id,
            "stars": 3,
            "comment": "Mme Zyxwvutsr arrivée en retard, rappeler le +33 6 11 22 33 44",
        }
    ]
    assert data["stands_notes_about_your_meetings"][0]["note"].startswith("Zyxwvutsr")
    assert data["messages_to_others_naming_you"] >= 2  # the request copies, the contact card
    for person in (boss, lucie, camille):
        assert rows_mentioning(runner.store, *person.needles), person.name

    async def forget(phone: Phone) -> None:
        phone.skip_unread()
        await phone.send("/forget")
        await phone.press("🗑 Oui, tout supprimer", await next_with(phone, "Supprimer toutes vos données"))
        await phone.wait_for_text("vos données ont été supprimées")

    # Lucie: out of the confirmation, the end-of-day message and its contact cards sent to Camille
    await forget(lucie.phone)
    assert rows_mentioning(runner.store, *lucie.needles) == []
    [kept] = await services.db.fetch_all("SELECT text, document FROM deliveries WHERE text LIKE '%Votre journée%'")
    assert "Disco Soupe — https://discosoupe.org" in kept["text"] and kept["document"] is None

    # Camille, while Karim has the stand's leads on screen
    karim.skip_unread()
    await karim.send("/leads")
    leads = await next_with(karim, "1 piste")
    await forget(camille.phone)
    assert rows_mentioning(runner.store, *camille.needles) == []
    # a note on the lead still on screen: refused, nothing kept
    await karim.press("📝 Note", leads)
    gone = await next_with(karim, "rien n'est gardé à son sujet")
    assert "annulé" in gone.content
    await karim.send("Camille Zyxwvutsr, camille@qwertyville.fr, +33 6 11 22 33 44")  # typed anyway
    await karim.next_reply()
    assert rows_mentioning(runner.store, *camille.needles) == []
    assert await services.db.fetch_all("SELECT * FROM leads") == []

    # Hélène: the chat where she watched her announcement go out
    await forget(boss.phone)
    assert rows_mentioning(runner.store, *boss.needles) == []

    # the purge: nobody left, Karim included
    karim_needles = ("Vantablack", karim.id)
    assert rows_mentioning(runner.store, *karim_needles)
    await runner.stop_all()
    services = await runner.start(clock=FakeClock(services.event.purge_due() + timedelta(minutes=1)))
    for _ in range(200):
        if await Repositories.on(services.db).participants.count() == 0:
            break
        await asyncio.sleep(0.025)
    for needles in (karim_needles, camille.needles, lucie.needles, boss.needles):
        assert rows_mentioning(runner.store, *needles) == []
