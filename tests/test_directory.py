"""The exhibitor directory: import, browse, search, suggestions, stand links and QR codes."""

from __future__ import annotations

import io
import re
from datetime import UTC, datetime
from pathlib import Path

import openpyxl
import pytest
import zxingcpp
from PIL import Image

from bot.emulator import TelegramEmulator
from bot.event import Event
from bot.runtime import Services
from storage.db import Database, utcnow
from storage.exhibitors import ExhibitorRepository
from tests.conftest import ROOT, BotRunner
from tests.helpers import accept_consent, register_attendee, register_organiser, services_on
from tests.processes import run_command
from tests.stores import TestStore

EXAMPLE_CSV = ROOT / "examples" / "exhibitors.csv"
FRENCH_EXCEL = (
    "Nom;Thèmes;Stand;Tables;Site web;Courriel;Description\r\n"
    "Énergie Solidaire;renovation;A1;2;energie.example.org;contact@energie.example.org;"
    "Rénovation « basse consommation »\r\n"
    "Café Réparé;Économie circulaire, Usages et services aux habitants;A2;;;;Réparer ensemble\r\n"
)


async def import_example(services: Services) -> None:
    report = await services.directory.import_csv(EXAMPLE_CSV.read_bytes())
    assert report.ok, report.errors


async def add_meeting(
    db: Database, exhibitor_id: int, slot: str, status: str, table: int | None, attendee: int | None = None
) -> None:
    now = utcnow().isoformat()
    async with db.transaction() as tx:
        await tx.execute(
            "INSERT INTO meetings (attendee_id, exhibitor_id, slot_start, status, table_no, created_at, updated_at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?)",
            (attendee, exhibitor_id, slot, status, table, now, now),
        )


# ---------------------------------------------------------------------- import


async def test_the_example_file_imports_and_reimports_without_duplicates(store: TestStore, event: Event) -> None:
    async with store.open() as db:
        directory = services_on(db, event).directory
        first = await directory.import_csv(EXAMPLE_CSV.read_bytes())
        assert first.ok and len(first.created) == 20 and first.updated == []
        again = await directory.import_csv(EXAMPLE_CSV.read_bytes())
        assert again.ok and again.created == [] and len(again.updated) == 20
        assert await directory.count() == 20
        soupe = await directory.by_slug("disco-soupe")
        assert soupe is not None and soupe.themes == ("circular-economy", "services") and soupe.tables == 2
        assert soupe.website == "https://discosoupe.example.org"
        themes_used = {t for e in await directory.all_exhibitors() for t in e.themes}
        assert themes_used == {t.id for t in event.themes}  # all seven themes are represented
        # the invite link does not change on re-import
        assert (await directory.by_slug("disco-soupe")).invite_token == soupe.invite_token  # type: ignore[union-attr]


@pytest.mark.parametrize(
    "raw",
    [
        FRENCH_EXCEL.encode("cp1252"),  # French Excel's "CSV (séparateur : point-virgule)"
        "\ufeff".encode() + FRENCH_EXCEL.encode("utf-8"),  # "CSV UTF-8": with a BOM
        FRENCH_EXCEL.replace(";", ",")
        .replace("Économie circulaire, Usages et services aux habitants", '"circular-economy,services"')
        .replace("Rénovation « basse consommation »", "Rénovation basse consommation")
        .replace(
            "Nom,Thèmes,Stand,Tables,Site web,Courriel,Description",
            "name,themes,stand,tables,website,contact email,description",
        )
        .encode("utf-8"),  # comma-separated, English headers
    ],
    ids=["cp1252-semicolons", "utf8-bom-semicolons", "utf8-commas-english-headers"],
)
async def test_files_from_french_excel(store: TestStore, event: Event, raw: bytes) -> None:
    async with store.open() as db:
        directory = services_on(db, event).directory
        report = await directory.import_csv(raw)
        assert report.ok, report.errors
        energie = await directory.by_slug("energie-solidaire")
        assert energie is not None and energie.name == "Énergie Solidaire" and energie.tables == 2
        assert energie.contact_email == "contact@energie.example.org"
        cafe = await directory.by_slug("cafe-repare")
        assert cafe is not None and cafe.themes == ("circular-economy", "services")
        assert cafe.tables == event.limits.default_tables_per_exhibitor  # empty: the event's default


async def test_a_reimport_updates_by_slug(store: TestStore, event: Event) -> None:
    async with store.open() as db:
        directory = services_on(db, event).directory
        await directory.import_csv(EXAMPLE_CSV.read_bytes())
        changed = EXAMPLE_CSV.read_text(encoding="utf-8").replace(";A1;2;", ";Z9;4;")
        report = await directory.import_csv(changed.encode("utf-8"))
        assert report.ok
        soupe = await directory.by_slug("disco-soupe")
        assert soupe is not None and soupe.stand == "Z9" and soupe.tables == 4


async def test_a_file_with_bad_rows_imports_nothing_and_reports_each(store: TestStore, event: Event) -> None:
    bad = (
        "nom;identifiant;thèmes;tables\n"
        "Bonne Structure;bonne;health;2\n"
        ";sans-nom;health;1\n"  # line 3: missing name
        "Thème Inconnu;inconnu;astrophysics;1\n"  # line 4
        "Tables Bizarres;tables;health;deux\n"  # line 5
        "Doublon;bonne;health;1\n"  # line 6: duplicate slug
        "\n"
        "Trop De Tables;trop;mobility;99\n"  # line 8 (after a blank line)
        "Tables En Exposant;exposant;health;²\n"  # line 9: a digit for isdigit(), not for int()
        f"Tables Sans Fin;sans-fin;health;{'9' * 5000}\n"  # line 10: more digits than int() reads
    )
    async with store.open() as db:
        directory = services_on(db, event).directory
        report = await directory.import_csv(bad.encode("utf-8"))
        assert not report.ok
        assert [(e.line, e.key) for e in report.errors] == [
            (3, "import.error.missing_name"),
            (4, "import.error.unknown_theme"),
            (5, "import.error.bad_tables"),
            (6, "import.error.duplicate_slug"),
            (8, "import.error.bad_tables"),
            (9, "import.error.bad_tables"),
            (10, "import.error.bad_tables"),
        ]
        assert report.errors[3].params == {"slug": "bonne", "first": 2}
        assert await directory.count() == 0  # not even the good row


async def test_tables_used_by_accepted_meetings_cannot_be_taken_away(store: TestStore, event: Event) -> None:
    async with store.open() as db:
        directory = services_on(db, event).directory
        await directory.import_csv(EXAMPLE_CSV.read_bytes())
        soupe = await directory.by_slug("disco-soupe")
        assert soupe is not None
        await add_meeting(db, soupe.id, event.slots[0].utc_iso, "accepted", 2)
        fewer = EXAMPLE_CSV.read_text(encoding="utf-8").replace(";A1;2;", ";A1;1;").replace(";A2;2;", ";A2;5;")
        report = await directory.import_csv(fewer.encode("utf-8"))
        assert [(e.line, e.key) for e in report.errors] == [(2, "import.error.tables_in_use")]
        assert (await directory.by_slug("disco-soupe")).tables == 2  # type: ignore[union-attr]
        assert (await directory.by_slug("ferme-du-toit")).tables == 2  # type: ignore[union-attr]  # atomic


async def test_the_import_command_prints_each_invite_link(tmp_path: Path, emulator: TelegramEmulator) -> None:
    # offline: the links take the bot's username from BOT_USERNAME (or the one it saved at its last start)
    status, out = await run_command(
        tmp_path, emulator, "import-exhibitors", str(EXAMPLE_CSV), BOT_USERNAME=emulator.bot_username
    )
    assert status == 0, out
    assert "20 exhibitors created, 0 updated" in out  # the command line speaks English
    assert len(re.findall(r"^[a-z0-9-]+: https://t\.me/maillage_test_bot\?start=x-[\w-]+$", out, re.M)) == 20
    bad = tmp_path / "bad.csv"
    bad.write_text("nom;thèmes\nX;nowhere\n", encoding="utf-8")
    status, out = await run_command(tmp_path, emulator, "import-exhibitors", str(bad))
    assert status == 2 and "line 2: unknown theme: nowhere" in out


async def test_organisers_import_by_sending_the_file(emulator: TelegramEmulator, runner: BotRunner) -> None:
    boss = emulator.user("Hélène", user_id=5151)
    services = await runner.start(organiser_ids="5151")
    await register_organiser(boss)
    await boss.upload("exposants.csv", FRENCH_EXCEL.encode("cp1252"), "text/csv")
    report = await boss.next_reply()
    assert "Import réussi : 2 exposants créés, 0 mis à jour" in report.text
    links = await boss.next_reply()
    assert links.document is not None and links.document.file_name == "maillage-invite-links.xlsx"
    sheet = openpyxl.load_workbook(io.BytesIO(links.document.content))["Liens"]
    rows = [[cell.value for cell in row] for row in sheet.iter_rows()]
    assert rows[0][:3] == ["Exposant", "Stand", "Lien d'invitation des représentants"] and len(rows) == 3
    assert rows[1][2].startswith("https://t.me/maillage_test_bot?start=x-")
    assert sheet.column_dimensions["E"].hidden and rows[0][4] == "slug"
    await boss.upload("bad.csv", b"nom;tables\nX;-3\n<b>Y</b>;0\n", "text/csv")
    failed = await boss.next_reply()
    assert "Rien n'a été importé : 2 problèmes" in failed.text
    assert "ligne 2 : nombre de tables « -3 » invalide" in failed.text
    assert await services.directory.count() == 2

    camille = emulator.user("Camille")
    await register_attendee(camille)
    await camille.upload("exposants.csv", FRENCH_EXCEL.encode("cp1252"), "text/csv")
    assert "Je n'ai pas compris" in (await camille.next_reply()).text  # not an organiser: no import


# ---------------------------------------------------------------------- browsing


async def test_browse_by_theme_with_pages_and_cards(emulator: TelegramEmulator, bot: Services) -> None:
    await import_example(bot)
    camille = emulator.user("Camille")
    await register_attendee(camille)
    await camille.press("🏢 Exposants")
    themes = await camille.next_reply()
    assert "20 structures" in themes.text
    assert "Économie circulaire (7)" in themes.button_labels
    assert "Tous les exposants" in themes.button_labels
    await camille.press("Tous les exposants", themes)
    page1 = await camille.wait_for_text("page 1/3")
    assert page1.message_id == themes.message_id  # browsing edits in place
    names = [label for label in page1.button_labels if "·" in label]
    assert len(names) == 8 and names[0].startswith("Autopartage des Cités")
    assert "Suivants ›" in page1.button_labels and "‹ Précédents" not in page1.button_labels
    await camille.press("Suivants ›", page1)
    await camille.wait_for_text("page 2/3")
    await camille.press("Suivants ›", page1)
    page3 = await camille.wait_for_text("page 3/3")
    assert len([label for label in page3.button_labels if "·" in label]) == 4
    assert "Suivants ›" not in page3.button_labels
    await camille.press("← Thèmes", page3)
    await camille.wait_for_text("Choisissez un thème")
    await camille.press("Mobilité (3)", page3)
    mobility = await camille.wait_for_text("Mobilité — 3 exposants, page 1/1")
    await camille.press("Coop Mobilité Solidaire · B1", mobility)
    card = await camille.wait_for_text("Coop Mobilité Solidaire")
    assert "📍 Stand B1" in card.text and "🏷 Usages et services aux habitants, Mobilité" in card.text
    assert "garage solidaire" in card.text and "🌐 https://coopmobilite.example.org" in card.text
    assert "🗓 21 créneaux encore libres" in card.text  # 15:30-16:15: on stage at the pecha kucha
    await camille.press("← Liste", card)
    await camille.wait_for_text("Mobilité — 3 exposants")


async def test_cards_count_free_slots_and_fit_telegram(emulator: TelegramEmulator, bot: Services) -> None:
    await import_example(bot)
    repo = ExhibitorRepository(bot.db)
    soupe = await repo.by_slug("disco-soupe")
    assert soupe is not None
    for table in (1, 2):  # the first slot is full
        await add_meeting(bot.db, soupe.id, bot.event.slots[0].utc_iso, "accepted", table)
    await add_meeting(bot.db, soupe.id, bot.event.slots[1].utc_iso, "accepted", 1)  # one table left
    await add_meeting(bot.db, soupe.id, bot.event.slots[2].utc_iso, "pending", None)  # holds no table
    long_text = ("Cuisine <anti-gaspi> & partage 🌱 " * 200)[:3000]
    async with bot.db.transaction() as tx:
        await tx.execute("UPDATE exhibitors SET description = ? WHERE id = ?", (long_text, soupe.id))
    camille = emulator.user("Camille")
    await register_attendee(camille)
    await camille.open_deep_link("e-disco-soupe")
    card = await camille.next_reply()
    assert "🗓 21 créneaux encore libres" in card.text  # a full slot, and two on stage (11:00, 11:15)
    assert "Cuisine <anti-gaspi> & partage 🌱" in card.text  # escaped, shown as written
    assert "…\n\n🌐 https://discosoupe.example.org" in card.text  # a long description is cut
    assert len(card.text) <= 4096


async def test_removed_exhibitors_and_forged_buttons_are_answered(emulator: TelegramEmulator, bot: Services) -> None:
    await import_example(bot)
    camille = emulator.user("Camille")
    await register_attendee(camille)
    await camille.send("/exhibitors")
    themes = await camille.next_reply()
    await camille.press("Tous les exposants", themes)
    page = await camille.wait_for_text("page 1/3")
    autopartage = await ExhibitorRepository(bot.db).by_slug("autopartage")
    assert autopartage is not None
    async with bot.db.transaction() as tx:
        await tx.execute("DELETE FROM exhibitors WHERE id = ?", (autopartage.id,))
    await camille.press(page.button_labels[0], page)
    assert "n'est plus dans l'annuaire" in (await camille.next_reply()).text
    await camille.press_raw("dir:e:99999999")
    assert "n'est plus dans l'annuaire" in (await camille.next_reply()).text
    await camille.press_raw("dir:l:astrophysics:0")
    assert "n'est plus valable" in (await camille.next_reply()).text
    query = await camille.press_raw("dir:l:" + "x" * 40 + ":0")  # does not even match the pattern
    assert (await camille.callback_answer(query))["show_alert"] is True


# ---------------------------------------------------------------------- search


async def test_search_ignores_accents_and_case(emulator: TelegramEmulator, bot: Services) -> None:
    await import_example(bot)
    camille = emulator.user("Camille")
    await register_attendee(camille)
    await camille.send("/search energie")
    results = await camille.next_reply()
    assert results.button_labels == ["Énergie Partagée Quartiers · E2"]
    await camille.send("/search COMPOST")
    results = await camille.next_reply()
    assert results.button_labels[0] == "Compost & Co · E1"  # the name matches first
    assert "La Ferme du Toit · A2" in results.button_labels  # "compost partagé" in its description
    await camille.send("/search vélo réparation")  # every word must match
    assert (await camille.next_reply()).button_labels == ["Vélo-École Pour Tous · D1"]
    await camille.send("/search mobilité")  # theme labels match too
    assert len((await camille.next_reply()).button_labels) == 3
    await camille.send("/search <b>licorne</b>")
    nothing = await camille.next_reply()
    assert "Aucun exposant ne correspond à « <b>licorne</b> »" in nothing.text and "/exhibitors" in nothing.text
    await camille.send("/search a")  # matches nearly everything: the 8 most relevant, and a hint
    assert "ajoutez un mot" in (await camille.next_reply()).text.lower()


async def test_the_search_button_asks_then_searches(emulator: TelegramEmulator, bot: Services) -> None:
    await import_example(bot)
    sam = emulator.user("Sam", language_code="en")
    await register_attendee(sam, org_type="Local authority", themes=("Mobility",))
    await sam.press("🔍 Search")
    asked = await sam.next_reply()
    assert "What are you looking for?" in asked.text
    await sam.send("repair", reply_to=asked)
    results = await sam.next_reply()
    assert "Repair Café des Quartiers · A3" in results.button_labels
    await sam.send("/search")  # no words: the question again
    assert "What are you looking for?" in (await sam.next_reply()).text


# ---------------------------------------------------------------------- suggestions


async def test_suggestions_rank_by_shared_themes_with_their_reason(emulator: TelegramEmulator, bot: Services) -> None:
    await import_example(bot)
    camille = emulator.user("Camille")
    await register_attendee(
        camille,
        themes=("Agriculture urbaine", "Économie circulaire"),
        looking_for="Du compost et moins de gaspillage dans nos cantines",
    )
    await camille.press("✨ Pour vous")
    first = await camille.next_reply()
    assert first.text.startswith("✨ Pour vous (page 1/")
    assert first.button_labels[0] == "Compost & Co"  # both themes and a shared word
    assert (
        "Compost & Co\n2 thèmes communs : agriculture urbaine, économie circulaire · mots en commun : compost"
        in first.text
    )
    again = await bot.directory.suggestions(await bot.registration.participant(camille.id))  # type: ignore[arg-type]
    assert [s.exhibitor.name for s in again][:5] == [label for label in first.button_labels[:5]]  # deterministic

    compost = await ExhibitorRepository(bot.db).by_slug("compost-co")
    participant = await bot.registration.participant(camille.id)
    assert compost is not None and participant is not None
    await add_meeting(bot.db, compost.id, bot.event.slots[3].utc_iso, "pending", None, participant.id)
    ranked = await bot.directory.suggestions(participant)
    assert ranked[-1].exhibitor.slug == "compost-co" and ranked[-1].requested  # already requested: last
    pages = -(-len(ranked) // 5)
    await camille.press("✨ Pour vous")
    browsing = await camille.next_reply()
    for page in range(2, pages + 1):
        await camille.press("Suivants ›", browsing)
        await camille.wait_for_text(f"page {page}/{pages}")
    reason = "2 thèmes communs : agriculture urbaine, économie circulaire · mots en commun : compost · déjà demandé"
    assert f"Compost & Co\n{reason}" in browsing.text


# ---------------------------------------------------------------------- stand links and QR codes


async def test_a_stand_link_opens_the_card_registered_or_not(emulator: TelegramEmulator, bot: Services) -> None:
    await import_example(bot)
    camille = emulator.user("Camille")
    await register_attendee(camille)
    await camille.open_deep_link("e-repair-cafe")
    assert "Repair Café des Quartiers" in (await camille.next_reply()).text

    newcomer = emulator.user("Nina", last_name="Durand")
    first_question = await accept_consent(newcomer, "e-repair-cafe")  # registered first...
    assert "nom complet" in first_question.text
    await newcomer.press(first_question.button_labels[0], first_question)
    await newcomer.next_reply()
    await newcomer.send("Bailleur du Nord")
    await newcomer.next_reply()
    await newcomer.press("Bailleur social")
    await newcomer.next_reply()
    await newcomer.press("Passer")
    themes = await newcomer.next_reply()
    await newcomer.press("▫️ Économie circulaire", themes)
    await emulator.wait_for(lambda: "✅ Économie circulaire" in themes.button_labels)
    await newcomer.press("Valider", themes)
    await newcomer.next_reply()
    await newcomer.press("Passer")
    await newcomer.next_reply()
    await newcomer.press("✅ Confirmer")
    assert "vous êtes inscrit(e)" in (await newcomer.next_reply()).text
    card = await newcomer.next_reply()  # ...then lands on the card
    assert card.text.startswith("Repair Café des Quartiers")

    await camille.open_deep_link("e-no-such-stand")
    assert "ne correspond à aucun stand" in (await camille.next_reply()).text


async def test_qr_codes_decode_to_each_stand_link(tmp_path: Path, emulator: TelegramEmulator) -> None:
    # offline: the links take the bot's username from BOT_USERNAME (or the one it saved at its last start)
    status, out = await run_command(
        tmp_path, emulator, "import-exhibitors", str(EXAMPLE_CSV), BOT_USERNAME=emulator.bot_username
    )
    assert status == 0, out
    status, out = await run_command(
        tmp_path, emulator, "qr", "--out", str(tmp_path / "qr"), BOT_USERNAME=emulator.bot_username
    )
    assert status == 0, out
    pngs = sorted((tmp_path / "qr").glob("*.png"))
    assert len(pngs) == 20
    for png in pngs:
        [decoded] = zxingcpp.read_barcodes(Image.open(png))
        assert decoded.text == f"https://t.me/maillage_test_bot?start=e-{png.stem}"
    index = (tmp_path / "qr" / "index.html").read_text(encoding="utf-8")
    assert index.count("<img") == 20 and "Disco Soupe Roubaix · A1" in index


async def test_slots_in_the_past_are_not_free(store: TestStore, event: Event) -> None:
    async with store.open() as db:
        await services_on(db, event).directory.import_csv(EXAMPLE_CSV.read_bytes())
        at_lunch = services_on(
            db, event, clock=lambda: datetime(2027, 3, 16, 12, 0, tzinfo=UTC)
        ).directory  # 13:00 in Paris
        soupe = await at_lunch.by_slug("disco-soupe")
        assert soupe is not None
        assert await at_lunch.free_slots(soupe) == 12  # the afternoon only
        after = services_on(db, event, clock=lambda: datetime(2027, 3, 17, tzinfo=UTC)).directory
        assert await after.free_slots(soupe) == 0
