"""After the meeting, from both phones and in both languages: rating it, sharing contact details (only
those ticked, as a contact card), the stand's leads (note, follow-up, exports), the end-of-day
message, /stats, /mydata and /forget."""

from __future__ import annotations

import asyncio
import csv
import io
import json
from datetime import UTC, datetime

import openpyxl
import vobject

from bot.documents.vcard import vcards
from bot.emulator import ChatMessage, Phone, TelegramEmulator
from bot.runtime import Services
from storage.aftermath import AftermathRepository, ContactCard
from storage.exhibitors import ExhibitorRepository, NewExhibitor
from tests.conftest import BotRunner, FakeClock
from tests.helpers import next_with, register_attendee, register_organiser, register_representative
from tests.test_meetings import BEFORE_THE_DAY, meeting_of, request

BOSS = 7777
AFTER_TEN = datetime(2027, 3, 16, 9, 16, tzinfo=UTC)  # 10:16 in Paris: the 10:00 meeting is over
EVENING = datetime(2027, 3, 16, 16, 20, tzinfo=UTC)  # 17:20: the day's last slot ended at 17:00


async def met(emulator: TelegramEmulator, runner: BotRunner) -> tuple[Services, FakeClock, dict[str, Phone]]:
    """Camille (French) and Sam (English) each met Disco Soupe (Lucie, French); both said it took place."""
    clock = FakeClock(BEFORE_THE_DAY)
    boss = emulator.user("Hélène", user_id=BOSS)
    services = await runner.start(organiser_ids=str(BOSS), clock=clock, sweep_seconds=0.05)
    await register_organiser(boss)
    exhibitor = await ExhibitorRepository(services.db).create(
        NewExhibitor(
            slug="disco-soupe",
            name="Disco Soupe",
            stand="A1",
            tables=2,
            themes=["circular-economy"],
            website="https://discosoupe.org",
        )
    )
    lucie = emulator.user("Lucie")
    await register_representative(lucie, exhibitor.invite_token)
    camille, sam = emulator.user("Camille"), emulator.user("Sam", language_code="en")
    await register_attendee(camille)
    await register_attendee(sam, org_type="Local authority", themes=("Circular economy",))
    for phone in (camille, sam):
        await request(phone, "10:00")
        copy = await lucie.wait_for_text(f"👤 {phone.first_name} — ")
        await lucie.press("✅ Accepter", copy)
        await phone.wait_for_text("Add it to your calendar" if phone is sam else "Ajoutez-le à votre agenda")
    await services.programme.set_following((await services.registration.participant(camille.id)).id, "plenary", True)  # type: ignore[union-attr]
    clock.now = AFTER_TEN
    for phone, yes in ((camille, "✅ Oui"), (sam, "✅ Yes")):
        question = await phone.wait_for_text("eu lieu" if phone is camille else "take place")
        await phone.press(yes, question)
    return services, clock, {"boss": boss, "lucie": lucie, "camille": camille, "sam": sam}


async def after_met(phone: Phone) -> ChatMessage:
    return await phone.wait_for_text("How was it?" if phone.language_code == "en" else "Comment l'avez-vous trouvé ?")


async def test_ratings_once_per_side_with_a_comment_and_in_stats(emulator: TelegramEmulator, runner: BotRunner) -> None:
    services, _, people = await met(emulator, runner)
    camille, sam, boss = people["camille"], people["sam"], people["boss"]
    prompt = await after_met(camille)
    assert prompt.button_labels[:5] == ["★", "★★", "★★★", "★★★★", "★★★★★"]
    await camille.press("★★★★", prompt)
    await camille.wait_for_text("Merci pour votre note : ★★★★")
    await camille.send("Très concret, <b>merci</b> !")
    await camille.wait_for_text("votre commentaire est enregistré")
    # once: a second tap does not change it
    await camille.press("★", prompt)
    await camille.wait_for_text("Vous avez déjà noté ce rendez-vous")
    meeting = await meeting_of(services, camille)
    rating = await AftermathRepository(services.db).rating(meeting.id, "attendee")
    assert rating is not None and (rating.stars, rating.comment) == (4, "Très concret, <b>merci</b> !")

    english = await after_met(sam)
    await sam.press("★★", english)
    await sam.wait_for_text("Thank you for your rating: ★★")
    await sam.send("/cancel")
    # a forged rating for a meeting that is not theirs changes nothing
    sam.skip_unread()
    await sam.press_raw(f"af:r:{meeting.id}:5")
    assert "not for you" in (await next_with(sam, "not for you")).content
    assert (await AftermathRepository(services.db).rating(meeting.id, "attendee")).stars == 4  # type: ignore[union-attr]

    boss.skip_unread()
    await boss.send("/stats")
    ratings = await next_with(boss, "Notes des rendez-vous")
    assert "Économie circulaire : 3,0 ★ (2 notes) — ★5 0 · ★4 1 · ★3 0 · ★2 1 · ★1 0" in ratings.content
    assert "Disco Soupe : 3,0 ★ (2 notes)" in ratings.content


async def test_contact_details_are_shared_only_as_ticked(emulator: TelegramEmulator, runner: BotRunner) -> None:
    services, _, people = await met(emulator, runner)
    camille, lucie, sam = people["camille"], people["lucie"], people["sam"]
    prompt = await after_met(camille)
    await camille.press("📇 Partager mes coordonnées", prompt)
    await camille.wait_for_text("pas encore de coordonnées à partager")
    # /contact: set an e-mail (a bad one first), a phone and a website
    await camille.send("/contact")
    card = await next_with(camille, "Vos coordonnées")
    await camille.press("✉ E-mail", card)
    await camille.wait_for_text("Votre adresse e-mail ?")
    await camille.send("pas une adresse")
    await camille.wait_for_text("ne semble pas valide")
    await camille.send("camille@roubaix.fr")
    await next_with(camille, "camille@roubaix.fr")
    await camille.press("📞 Téléphone")
    await camille.send("+33 6 12 34 56 78")
    await next_with(camille, "+33 6 12 34 56 78")
    await camille.press("🌐 Site web")
    await camille.send("roubaix.fr")
    shown = await next_with(camille, "https://roubaix.fr")
    assert "• e-mail : camille@roubaix.fr" in shown.content

    # nothing ticked at first; she ticks the e-mail and the website, not the phone
    await camille.press("📇 Partager mes coordonnées", prompt)
    await emulator.wait_for(lambda: "Cochez ce que vous voulez partager" in prompt.content)
    picker = prompt  # the same message, edited in place
    assert all(label.startswith("☐") for label in picker.button_labels)
    await camille.press(next(label for label in picker.button_labels if "e-mail" in label), picker)
    await emulator.wait_for(lambda: any(label.startswith("☑ e-mail") for label in picker.button_labels))
    await camille.press(next(label for label in picker.button_labels if "site web" in label), picker)
    await emulator.wait_for(
        lambda: "📤 Envoyer" in picker.button_labels and "☑ site web" in " ".join(picker.button_labels)
    )
    await camille.press("📤 Envoyer", picker)
    await camille.wait_for_text("Envoyé : 1 personne reçoit vos coordonnées")

    received = await lucie.wait_for_text("partage ses coordonnées avec vous")
    assert received.document is not None and received.document.file_name == "maillage-camille.vcf"
    vcard = received.document.content.decode()
    assert "FN:Camille" in vcard and "EMAIL;TYPE=INTERNET:camille@roubaix.fr" in vcard
    assert "URL:https://roubaix.fr" in vcard and "TEL" not in vcard  # the phone was not ticked
    # once per meeting
    camille_meeting = await meeting_of(services, camille)
    await camille.press_raw(f"af:go:{camille_meeting.id}:ep")
    await emulator.wait_for(lambda: any("déjà partagé" in m.content for m in camille.bot_messages))
    assert len([m for m in lucie.bot_messages if m.document and m.document.file_name.endswith(".vcf")]) == 1
    # the stand's side, in the other direction, to Sam (in English)
    await lucie.send("/contact")
    await lucie.press("✉ E-mail", await next_with(lucie, "Vos coordonnées"))
    await lucie.send("lucie@discosoupe.org")
    await next_with(lucie, "lucie@discosoupe.org")
    sam_meeting = await meeting_of(services, sam)
    await lucie.press_raw(f"af:go:{sam_meeting.id}:e")
    card_for_sam = await sam.wait_for_text("Lucie (Disco Soupe) shares their contact details with you")
    assert card_for_sam.document is not None
    assert "EMAIL;TYPE=INTERNET:lucie@discosoupe.org" in card_for_sam.document.content.decode()
    # Sam never shared: nothing of his went anywhere
    assert await AftermathRepository(services.db).shares_by((await services.registration.participant(sam.id)).id) == []  # type: ignore[union-attr]


async def test_the_stands_leads_note_follow_up_and_exports(emulator: TelegramEmulator, runner: BotRunner) -> None:
    services, _, people = await met(emulator, runner)
    lucie, camille = people["lucie"], people["camille"]
    await lucie.send("/leads")
    leads = await next_with(lucie, "2 pistes")
    assert "Camille (Ville de Roubaix)" in leads.content and "coordonnées non partagées" in leads.content
    assert leads.content.count("Suivi : à recontacter") == 2
    camille_meeting = await meeting_of(services, camille)
    await lucie.press_raw(f"ld:{camille_meeting.id}:note:0", leads)
    await lucie.wait_for_text("Votre note sur ce rendez-vous")
    await lucie.send('=HYPERLINK("http://x") veut des ateliers anti-gaspi')
    await lucie.wait_for_text("Note enregistrée")
    fresh = await next_with(lucie, "2 pistes")
    await lucie.press_raw(f"ld:{camille_meeting.id}:contacted:0", fresh)
    await emulator.wait_for(lambda: "Suivi : recontacté" in fresh.content)
    # an attendee cannot touch a stand's leads
    camille.skip_unread()
    await camille.press_raw(f"ld:{camille_meeting.id}:not_relevant:0")
    await next_with(camille, "pour ses représentants")
    await camille.send("/leads")
    await next_with(camille, "pour ses représentants")

    # a colleague at the stand who reads English sees the same leads
    jo = emulator.user("Jo", language_code="en")
    exhibitor = await ExhibitorRepository(services.db).by_slug("disco-soupe")
    assert exhibitor is not None
    await register_representative(jo, exhibitor.invite_token)
    await jo.send("/leads")
    english = await next_with(jo, "2 leads")
    assert "Follow-up: contacted" in english.content and "Follow-up: to contact" in english.content
    assert english.button_labels[:3] == ["📝 Note", "↩ To contact", "✖ Not relevant"]

    def exported(name: str) -> list[ChatMessage]:
        return [m for m in lucie.bot_messages if m.document and m.document.file_name == name]

    await lucie.press("⬇ Excel", fresh)
    await emulator.wait_for(lambda: len(exported("maillage-leads.xlsx")) == 1)
    [workbook] = exported("maillage-leads.xlsx")
    sheet = openpyxl.load_workbook(io.BytesIO(workbook.document.content))["Pistes"]  # type: ignore[union-attr]
    rows = [[c.value for c in row] for row in sheet.iter_rows()]
    by_name = {row[1]: row for row in rows[1:]}
    assert by_name["Camille"][6] == "recontacté" and by_name["Camille"][7].startswith("=HYPERLINK")
    assert sheet.cell(row=[r[1] for r in rows].index("Camille") + 1, column=8).data_type == "s"
    assert by_name["Camille"][0] == datetime(2027, 3, 16, 10, 0)
    await lucie.press("⬇ CSV (Excel)", fresh)
    await emulator.wait_for(lambda: len(exported("maillage-leads.csv")) == 1)
    [csv_file] = exported("maillage-leads.csv")
    text = csv_file.document.content.decode("utf-8-sig")  # type: ignore[union-attr]
    [camille_row] = [r for r in csv.DictReader(io.StringIO(text), delimiter=";") if r["Participant"] == "Camille"]
    assert camille_row["Note du stand"].startswith("'=HYPERLINK")  # never run as a formula
    assert camille_row["Rendez-vous"] == "2027-03-16 10:00"


async def test_the_end_of_the_day_privacy_and_forgetting(emulator: TelegramEmulator, runner: BotRunner) -> None:
    services, clock, people = await met(emulator, runner)
    camille, lucie, sam = people["camille"], people["lucie"], people["sam"]
    await lucie.send("/contact")
    await lucie.press("🌐 Site web", await next_with(lucie, "Vos coordonnées"))
    await lucie.send("https://discosoupe.org/lucie")
    await next_with(lucie, "discosoupe.org/lucie")
    camille_meeting = await meeting_of(services, camille)
    await lucie.press_raw(f"af:go:{camille_meeting.id}:w")
    await camille.wait_for_text("partage ses coordonnées")
    await camille.press("★★★★★", await after_met(camille))

    clock.now = EVENING
    summary = await camille.wait_for_text("Votre journée à", timeout=10)
    assert "1 rendez-vous" in summary.content
    assert "Disco Soupe — https://discosoupe.org" in summary.content
    assert "📇 Lucie : https://discosoupe.org/lucie" in summary.content
    assert "Plénière d'ouverture" in summary.content  # the session she followed
    assert summary.document is not None and summary.document.file_name == "maillage-2027-03-16.vcf"
    assert "URL:https://discosoupe.org/lucie" in summary.document.content.decode()
    english = await sam.wait_for_text("Your day at", timeout=10)
    assert "1 meeting" in english.content and "Disco Soupe — https://discosoupe.org" in english.content
    # once a day, whatever the sweeps and processes
    await asyncio.sleep(0.3)
    assert sum("Votre journée à" in m.content for m in camille.bot_messages) == 1
    assert not any("journée à" in m.content or "Your day" in m.content for m in lucie.bot_messages)

    camille.skip_unread()
    await camille.send("/mydata")
    data = json.loads((await next_with(camille, "")).document.content)  # type: ignore[union-attr]
    assert data["ratings_you_gave"][0]["stars"] == 5 and data["contact_details"]["email"] is None
    assert data["stands_notes_about_your_meetings"] == []
    lucie.skip_unread()
    await lucie.send("/mydata")
    theirs = json.loads((await next_with(lucie, "")).document.content)  # type: ignore[union-attr]
    assert theirs["contacts_you_shared"][0]["website"] == "https://discosoupe.org/lucie"

    # /forget: the stand's notes about her, the details shared at her meeting, her rating's comment go
    await services.aftermath.set_lead_note(
        await services.registration.participant(lucie.id), camille_meeting.id, "Recontacter Camille"
    )  # type: ignore[arg-type]
    camille.skip_unread()
    await camille.send("/mydata")
    data = json.loads((await next_with(camille, "")).document.content)  # type: ignore[union-attr]
    assert data["stands_notes_about_your_meetings"][0]["note"] == "Recontacter Camille"
    await camille.send("/forget")
    await camille.press("🗑 Oui, tout supprimer", await next_with(camille, "Supprimer toutes vos données"))
    await camille.wait_for_text("vos données ont été supprimées")
    repo = AftermathRepository(services.db)
    assert await repo.leads([camille_meeting.id]) == {}
    assert await repo.shares_of_meetings([camille_meeting.id]) == []
    row = await services.db.fetch_one(
        "SELECT participant_id, comment FROM ratings WHERE meeting_id = ?", (camille_meeting.id,)
    )
    assert row is not None and row[0] is None and row[1] is None  # the stars stay for the figures, anonymous


def test_a_vcard_keeps_one_line_per_field_whatever_a_name_holds() -> None:
    """A name or an organisation saved before separators were folded (or an exhibitor's, from a CSV)
    holding U+2028, U+2029 or NEL: each stays one field for a reader that splits on Unicode line
    breaks, and an address book (vobject) reads the card back whole."""
    content = vcards(
        [("Camille\u2028Martin", "Ville\u2029de\x85Roubaix; Nord", ContactCard(email="c@roubaix.fr", phone="+33 6"))]
    ).decode()
    assert [line.split(":", 1)[0] for line in content.splitlines()] == [
        "BEGIN", "VERSION", "FN", "N", "ORG", "EMAIL;TYPE=INTERNET", "TEL;TYPE=WORK,VOICE", "END",
    ]  # fmt: skip
    card = vobject.readOne(content)
    assert card.fn.value == "Camille\nMartin"
    assert card.email.value == "c@roubaix.fr" and card.tel.value == "+33 6"
