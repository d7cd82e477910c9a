"""Registration and profiles, end to end through the emulator, as people on their phones."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from typing import Any

import pytest

from bot.emulator import Phone, TelegramEmulator
from bot.runtime import Services
from storage.exhibitors import Exhibitor, ExhibitorRepository, NewExhibitor
from storage.participants import OrgType, Role
from storage.repositories import Repositories
from tests.conftest import BotRunner
from tests.helpers import accept_consent, register_attendee, register_organiser, register_representative
from tests.stores import TestStore


def rows_mentioning(store: TestStore, *needles: str | int) -> list[tuple[str, tuple[Any, ...]]]:
    """Every row of every table holding one of the needles (texts inside cells, or equal numbers).

    The inbox is left out: it holds an update only while it is handled, and deletes it then
    (tests/test_inbox.py checks that it empties)."""
    found = []
    for table in store.tables():
        if table == "inbox":
            continue
        for row in store.query(f"SELECT * FROM {table}"):
            for cell in row:
                if any(
                    (isinstance(n, str) and isinstance(cell, str) and n in cell)
                    or (isinstance(n, int) and (cell == n or (isinstance(cell, str) and str(n) in cell)))
                    for n in needles
                ):
                    found.append((table, row))
                    break
    return found


async def disco_soupe(services: Services) -> Exhibitor:
    return await ExhibitorRepository(services.db).create(
        NewExhibitor(slug="disco-soupe", name="Disco Soupe", stand="B12", tables=2, themes=["circular-economy"])
    )


# ---------------------------------------------------------------------- the happy paths


async def test_an_attendee_registers_in_french(emulator: TelegramEmulator, bot: Services, runner: BotRunner) -> None:
    camille = emulator.user("Camille", last_name="Martin", language_code="fr")
    await camille.send("/start")
    welcome = await camille.next_reply()
    await camille.press("✓ 🇫🇷 Français", welcome)
    notice = await camille.wait_for_text("Vos données, en bref")
    assert notice.message_id == welcome.message_id
    assert "jamais votre identifiant Telegram" in notice.text and "/forget" in notice.text
    assert notice.button_labels == ["✅ J'accepte", "Non merci", "← Retour"]
    assert rows_mentioning(runner.store, camille.id) == []  # nothing stored before consent

    await camille.press("✅ J'accepte")
    ask_name = await camille.next_reply()
    assert "nom complet" in ask_name.text
    assert ask_name.button_labels == ["Garder « Camille Martin »", "← Retour"]
    await camille.press("Garder « Camille Martin »")
    ask_org = await camille.next_reply()
    assert "organisation" in ask_org.text
    assert ask_name.buttons == []  # the answered question lost its buttons
    await camille.send("Ville de Roubaix")
    ask_type = await camille.next_reply()
    assert ask_type.button_labels[:6] == [
        "Collectivité locale",
        "Bailleur social",
        "Entreprise ou start-up",
        "Économie sociale et solidaire",
        "Recherche ou formation",
        "Autre",
    ]
    await camille.press("Collectivité locale")
    ask_job = await camille.next_reply()
    assert "fonction" in ask_job.text and "Passer" in ask_job.button_labels
    await camille.send("Cheffe de projet renouvellement urbain")
    ask_themes = await camille.next_reply()
    assert len([label for label in ask_themes.button_labels if label.startswith("▫️")]) == 7
    await camille.press("▫️ Agriculture urbaine")
    await camille.press("▫️ Économie circulaire")
    await emulator.wait_for(lambda: "✅ Économie circulaire" in ask_themes.button_labels)
    await camille.press("✅ Agriculture urbaine")  # untick
    await emulator.wait_for(lambda: "▫️ Agriculture urbaine" in ask_themes.button_labels)
    await camille.press("Valider")
    ask_looking = await camille.next_reply()
    assert "cherchez-vous" in ask_looking.text
    await camille.send("Des solutions anti-gaspillage pour nos cantines")
    summary = await camille.next_reply()
    for line in (
        "Nom : Camille Martin",
        "Organisation : Ville de Roubaix",
        "Type : Collectivité locale",
        "Fonction : Cheffe de projet renouvellement urbain",
        "Thèmes : Économie circulaire",
        "Recherche : Des solutions anti-gaspillage pour nos cantines",
    ):
        assert line in summary.text
    assert "✏️ Nom" in summary.button_labels and "✅ Confirmer" in summary.button_labels
    await camille.press("✅ Confirmer")
    done = await camille.next_reply()
    assert "C'est fait, Camille Martin : vous êtes inscrit(e) !" in done.text
    assert done.button_labels == [
        "🏢 Exposants",
        "✨ Pour vous",
        "📅 Mon agenda",
        "🎤 Programme",
        "🔍 Rechercher",
        "👤 Mon profil",
        "🌐 Langue",
        "❓ Aide",
    ]

    participant = await bot.registration.participant(camille.id)
    assert participant is not None
    assert participant.role == Role.ATTENDEE and participant.org_type == OrgType.LOCAL_AUTHORITY
    assert participant.themes == ("circular-economy",)
    assert participant.consent_at is not None and participant.language == "fr"
    assert await bot.registration.conversation(camille.id) is None


async def test_an_attendee_registers_in_english(emulator: TelegramEmulator, bot: Services) -> None:
    sam = emulator.user("Sam", last_name="Taylor", language_code="en")
    done = await register_attendee(
        sam,
        organisation="Bristol City Council",
        org_type="Local authority",
        themes=("Mobility", "Health"),
        looking_for="Shared mobility for social housing estates",
    )
    assert "Done, Sam Taylor: you are registered!" in done.text
    assert done.button_labels == [
        "🏢 Exhibitors",
        "✨ For you",
        "📅 My agenda",
        "🎤 Programme",
        "🔍 Search",
        "👤 My profile",
        "🌐 Language",
        "❓ Help",
    ]
    participant = await bot.registration.participant(sam.id)
    assert participant is not None and participant.language == "en"
    assert participant.themes == ("health", "mobility")
    summary = next(m for m in sam.bot_messages if "Check your profile" in m.text)
    assert "Themes: Health, Mobility" in summary.text  # in the event's order


async def test_a_french_phone_can_register_in_english(emulator: TelegramEmulator, bot: Services) -> None:
    lea = emulator.user("Léa", language_code="fr")
    await lea.send("/start")
    welcome = await lea.next_reply()
    await lea.press("🇬🇧 English", welcome)
    notice = await lea.wait_for_text("Your data, in short")
    await lea.press("✅ I accept", notice)
    assert "full name" in (await lea.next_reply()).text
    await lea.send("/help")
    assert "What I can do" in (await lea.next_reply()).text


# ---------------------------------------------------------------------- validation


async def test_every_validation_rule(emulator: TelegramEmulator, bot: Services) -> None:
    camille = emulator.user("C", language_code="fr")  # a one-letter Telegram name is not offered
    ask_name = await accept_consent(camille)
    assert ask_name.button_labels == ["← Retour"]
    await camille.send("A")
    assert "2 caractères au moins" in (await camille.next_reply()).text
    for invisible in (
        "\u200d\u200d\u200d",
        "\u200c\u200d \u200d",
        "\u3164\u3164",
        "\u2800\u2800\u2800",
        "\u0301\u0301",
    ):
        await camille.send(invisible)  # joiners, fillers, the braille blank, lone accents: nothing to see
        assert "2 caractères au moins" in (await camille.next_reply()).text
    assert await bot.registration.participant(camille.id) is None
    await camille.send("x" * 81)
    assert "trop long (81 caractères) : 80 au plus" in (await camille.next_reply()).text
    await camille.send_sticker()
    assert "J'attends une réponse écrite" in (await camille.next_reply()).text
    await camille.send_photo(b"\xff\xd8\xff")
    assert "J'attends une réponse écrite" in (await camille.next_reply()).text
    await camille.upload("cv.pdf", b"%PDF-1.4", "application/pdf")
    assert "J'attends une réponse écrite" in (await camille.next_reply()).text
    await camille.send_voice()
    assert "J'attends une réponse écrite" in (await camille.next_reply()).text
    await camille.send("  Zoé\u202e \u0000<b>Ναυσικά</b>\t🌱  محمد  ")  # controls, bidi override, HTML, scripts, emoji
    ask_org = await camille.next_reply()
    assert "organisation" in ask_org.text
    await camille.send("O" * 121)
    assert "trop long (121 caractères) : 120 au plus" in (await camille.next_reply()).text
    await camille.send("Mairie & <i>Cie</i>")
    await camille.next_reply()
    await camille.send("Collectivité locale")  # typed where buttons are expected
    assert "répondez avec les boutons" in (await camille.next_reply()).text
    await camille.press("Collectivité locale")
    await camille.next_reply()
    await camille.send("x")
    assert "2 caractères au moins" in (await camille.next_reply()).text
    await camille.press("Passer")
    ask_themes = await camille.next_reply()
    await camille.press("Valider", ask_themes)
    assert "Cochez au moins un thème" in (await camille.next_reply()).text
    await camille.press("▫️ Santé", ask_themes)
    await emulator.wait_for(lambda: "✅ Santé" in ask_themes.button_labels)
    await camille.press("Valider", ask_themes)
    await camille.next_reply()
    await camille.send("é" * 501)
    assert "trop long (501 caractères) : 500 au plus" in (await camille.next_reply()).text
    await camille.send("Ligne 1\n\n\n\nLigne 2 🌱")
    summary = await camille.next_reply()
    assert "Nom : Zoé <b>Ναυσικά</b> 🌱 محمد" in summary.text  # shown as typed, never as markup
    assert "Organisation : Mairie & <i>Cie</i>" in summary.text
    assert "Fonction : —" in summary.text
    await camille.press("✅ Confirmer")
    await camille.next_reply()
    participant = await bot.registration.participant(camille.id)
    assert participant is not None
    assert participant.full_name == "Zoé <b>Ναυσικά</b> 🌱 محمد"
    assert participant.job_title is None
    assert participant.looking_for == "Ligne 1\n\nLigne 2 🌱"


async def test_line_and_paragraph_separators_are_folded_as_line_breaks(
    emulator: TelegramEmulator, bot: Services
) -> None:
    """U+2028, U+2029 and NEL are line breaks to many readers (str.splitlines(), vCard and CSV
    readers): a one-line field keeps none, a text keeps them as ordinary line breaks."""
    camille = emulator.user("Camille")
    await register_attendee(
        camille,
        name="Camille\u2028Martin\u2029",
        organisation="Ville\u0085de Roubaix",
        looking_for="Ligne 1\u2028Ligne 2\u2029Ligne 3",
    )
    participant = await bot.registration.participant(camille.id)
    assert participant is not None
    assert participant.full_name == "Camille Martin" and participant.organisation == "Ville de Roubaix"
    assert participant.looking_for == "Ligne 1\nLigne 2\nLigne 3"


# ---------------------------------------------------------------------- moving around


async def test_back_edit_and_stale_buttons(emulator: TelegramEmulator, bot: Services, runner: BotRunner) -> None:
    camille = emulator.user("Camille", language_code="fr")
    ask_name = await accept_consent(camille)
    await camille.send("Camille Martin")
    ask_org = await camille.next_reply()
    await camille.press("← Retour", ask_org)
    assert "nom complet" in (await camille.next_reply()).text
    query = await camille.press_raw("reg:organisation:back", ask_org)  # an old button of a later step
    await camille.callback_answer(query)
    assert "étape passée" in (await camille.next_reply()).text
    await camille.send("Camille Martin")
    await camille.next_reply()
    await camille.send("Ville de Roubaix")
    ask_type = await camille.next_reply()
    await camille.press("Bailleur social", ask_type)
    await camille.next_reply()
    query = await camille.press_raw("reg:orgtype:o:company", ask_type)  # pressed again, too late
    await camille.callback_answer(query)
    assert "étape passée" in (await camille.next_reply()).text
    await camille.press("Passer")
    ask_themes = await camille.next_reply()
    await camille.press("▫️ Mobilité", ask_themes)
    await emulator.wait_for(lambda: "✅ Mobilité" in ask_themes.button_labels)
    await camille.press("Valider", ask_themes)
    await camille.next_reply()
    await camille.press("Passer")
    summary = await camille.next_reply()
    await camille.press("✏️ Organisation", summary)
    assert "organisation" in (await camille.next_reply()).text
    await camille.send("Métropole Européenne de Lille")
    summary = await camille.next_reply()  # straight back to the summary
    assert "Organisation : Métropole Européenne de Lille" in summary.text
    assert "Type : Bailleur social" in summary.text

    # back from the first question: the consent question again, and nothing kept
    other = emulator.user("Nina", language_code="fr")
    first = await accept_consent(other)
    await other.press("← Retour", first)
    assert "Vos données, en bref" in (await other.next_reply()).text
    assert rows_mentioning(runner.store, other.id) == []
    del ask_name


async def test_cancel_leaves_at_any_step_and_keeps_nothing(
    emulator: TelegramEmulator, bot: Services, runner: BotRunner
) -> None:
    camille = emulator.user("Camille", language_code="fr")
    await camille.send("/cancel")
    assert "rien en cours" in (await camille.next_reply()).text
    await accept_consent(camille)
    await camille.send("Camille Martin")
    await camille.next_reply()
    await camille.send("Ville de Roubaix")
    ask_type = await camille.next_reply()
    await camille.send("/cancel")
    assert "Inscription abandonnée : rien n'a été conservé" in (await camille.next_reply()).text
    assert ask_type.buttons == []
    assert rows_mentioning(runner.store, camille.id, "Roubaix") == []
    await camille.send("bonjour")
    assert "Je n'ai pas compris" in (await camille.next_reply()).text


async def test_declining_consent_stores_nothing(emulator: TelegramEmulator, bot: Services, runner: BotRunner) -> None:
    camille = emulator.user("Camille", language_code="fr")
    await camille.send("/start")
    welcome = await camille.next_reply()
    await camille.press("✓ 🇫🇷 Français", welcome)
    await camille.wait_for_text("Vos données")
    await camille.press("Non merci", welcome)
    assert "rien n'a été enregistré" in (await camille.wait_for_text("Pas de souci")).text
    assert rows_mentioning(runner.store, camille.id) == []


# ---------------------------------------------------------------------- representatives


async def test_representatives_join_through_the_invite_link(emulator: TelegramEmulator, bot: Services) -> None:
    exhibitor = await disco_soupe(bot)
    lucie = emulator.user("Lucie", last_name="Bernard", language_code="fr")
    await lucie.open_deep_link(f"x-{exhibitor.invite_token}")
    welcome = await lucie.next_reply()
    assert "Vous êtes invité(e) à représenter Disco Soupe" in welcome.text
    lucie.skip_unread()
    done = await register_representative(lucie, exhibitor.invite_token)
    assert "vous représentez Disco Soupe" in done.text
    karim = emulator.user("Karim", language_code="en")
    done = await register_representative(karim, exhibitor.invite_token, job_title=None)
    assert "you represent Disco Soupe" in done.text
    reps = await Repositories.on(bot.db).participants.representatives(exhibitor.id)
    assert [r.full_name for r in reps] == ["Karim", "Lucie Bernard"]
    assert all(r.role == Role.EXHIBITOR and r.exhibitor_id == exhibitor.id for r in reps)
    summary = next(m for m in lucie.bot_messages if "Vérifiez votre profil" in m.text)
    assert "Exposant : Disco Soupe" in summary.text and "Thèmes" not in summary.text


async def test_invalid_and_revoked_invite_links_change_nothing(
    emulator: TelegramEmulator, bot: Services, runner: BotRunner
) -> None:
    exhibitor = await disco_soupe(bot)
    eve = emulator.user("Eve", language_code="fr")
    await eve.open_deep_link("x-notARealToken123")
    assert "n'est pas (ou plus) valable" in (await eve.next_reply()).text
    new_token = await ExhibitorRepository(bot.db).rotate_invite(exhibitor.id)
    await eve.open_deep_link(f"x-{exhibitor.invite_token}")  # the old, revoked link
    assert "n'est pas (ou plus) valable" in (await eve.next_reply()).text
    assert rows_mentioning(runner.store, eve.id) == []
    # a link revoked between the consent and the confirmation
    await register_representative(emulator.user("Paul"), new_token)
    marc = emulator.user("Marc", language_code="fr")
    first = await accept_consent(marc, f"x-{new_token}")
    await marc.press(first.button_labels[0], first)
    await marc.next_reply()
    await marc.press("Passer")
    await marc.next_reply()
    await ExhibitorRepository(bot.db).rotate_invite(exhibitor.id)
    await marc.press("✅ Confirmer")
    assert "n'est pas (ou plus) valable" in (await marc.next_reply()).text
    assert await bot.registration.participant(marc.id) is None
    assert rows_mentioning(runner.store, marc.id) == []


async def test_a_registered_attendee_can_become_a_representative(emulator: TelegramEmulator, bot: Services) -> None:
    exhibitor = await disco_soupe(bot)
    camille = emulator.user("Camille")
    await register_attendee(camille)
    await camille.open_deep_link(f"x-{exhibitor.invite_token}")
    offer = await camille.next_reply()
    assert "Représenter Disco Soupe ?" in offer.text
    await camille.press("Oui", offer)
    await camille.wait_for_text("Vous représentez désormais Disco Soupe")
    participant = await bot.registration.participant(camille.id)
    assert participant is not None and participant.role == Role.EXHIBITOR


# ---------------------------------------------------------------------- organisers


async def test_organisers_and_what_only_they_may_do(emulator: TelegramEmulator, runner: BotRunner) -> None:
    boss = emulator.user("Hélène", language_code="fr", user_id=4242)
    services = await runner.start(organiser_ids="4242")
    exhibitor = await disco_soupe(services)
    lucie = emulator.user("Lucie", language_code="fr")
    await register_representative(lucie, exhibitor.invite_token)
    camille = emulator.user("Camille", language_code="fr")
    await register_attendee(camille)

    done = await register_organiser(boss, job_title="Responsable de l'événement")
    summary = next(m for m in boss.bot_messages if "Vérifiez votre profil" in m.text)
    assert "Rôle : équipe d'organisation" in summary.text
    assert "équipe d'organisation" in done.text and "🧑‍💼 Représentants" in done.button_labels

    # an organiser command refused to a non-organiser, by command and by forged button
    lucie_id = (await services.registration.participant(lucie.id)).id  # type: ignore[union-attr]
    await camille.send("/reps")
    assert "réservée à l'équipe d'organisation" in (await camille.next_reply()).text
    query = await camille.press_raw(f"reps:revoke:{lucie_id}:yes")
    assert "réservée" in (await camille.callback_answer(query))["text"]
    assert (await services.registration.participant(lucie.id)).role == Role.EXHIBITOR  # type: ignore[union-attr]

    await boss.send("/reps")
    listing = await boss.next_reply()
    assert "Lucie — Disco Soupe" in listing.text
    await boss.press("Retirer Lucie", listing)
    await boss.wait_for_text("Retirer Lucie des représentants de Disco Soupe ?")
    await boss.press("Oui, retirer", listing)
    await boss.wait_for_text("Lucie ne représente plus Disco Soupe.")
    notice = await lucie.wait_for_text("vous a retiré(e) des représentants")
    assert "Disco Soupe" in notice.text
    lucie_now = await services.registration.participant(lucie.id)
    assert lucie_now is not None and lucie_now.role == Role.ATTENDEE and lucie_now.organisation == "Disco Soupe"
    await boss.send("/help")
    assert "/reps" in (await boss.next_reply()).text


# ---------------------------------------------------------------------- everyone


async def test_me_shows_the_profile_and_edits_each_field(emulator: TelegramEmulator, bot: Services) -> None:
    camille = emulator.user("Camille", last_name="Martin")
    await register_attendee(camille)
    await camille.send("/me")
    profile = await camille.next_reply()
    assert "Votre profil" in profile.text and "Organisation : Ville de Roubaix" in profile.text
    assert profile.button_labels == [
        "✏️ Nom",
        "✏️ Organisation",
        "✏️ Type",
        "✏️ Fonction",
        "✏️ Thèmes",
        "✏️ Recherche",
    ]
    await camille.press("✏️ Organisation", profile)
    ask = await camille.next_reply()
    assert "Actuellement : Ville de Roubaix" in ask.text and ask.button_labels == ["Annuler"]
    await camille.send("Ville de Tourcoing")
    updated = await camille.next_reply()
    assert "Profil mis à jour" in updated.text and "Organisation : Ville de Tourcoing" in updated.text
    await camille.press("✏️ Thèmes", updated)
    ask_themes = await camille.next_reply()
    assert "✅ Agriculture urbaine" in ask_themes.button_labels
    await camille.press("▫️ Rénovation", ask_themes)
    await emulator.wait_for(lambda: "✅ Rénovation" in ask_themes.button_labels)
    await camille.press("Valider", ask_themes)
    assert "Thèmes : Agriculture urbaine, Rénovation" in (await camille.next_reply()).text
    await camille.press("✏️ Fonction")
    await camille.next_reply()
    await camille.press("Annuler")
    assert "Modification abandonnée" in (await camille.next_reply()).text
    participant = await bot.registration.participant(camille.id)
    assert participant is not None and participant.organisation == "Ville de Tourcoing"
    assert participant.job_title == "Cheffe de projet"


async def test_mydata_sends_everything_stored(emulator: TelegramEmulator, bot: Services) -> None:
    stranger = emulator.user("Stranger")
    await stranger.send("/mydata")
    assert "ne conserve rien" in (await stranger.next_reply()).text
    camille = emulator.user("Camille", last_name="Martin")
    await register_attendee(camille, looking_for="Du compost <partagé>")
    await camille.send("/mydata")
    sent = await camille.next_reply()
    assert sent.document is not None and sent.document.file_name == "maillage-my-data.json"
    data = json.loads(sent.document.content)
    assert data["telegram_id"] == camille.id
    assert data["profile"]["full_name"] == "Camille Martin"
    assert data["profile"]["looking_for"] == "Du compost <partagé>"
    assert data["profile"]["themes"] == [
        {"id": "urban-agriculture", "fr": "Agriculture urbaine", "en": "Urban agriculture"}
    ]
    assert data["profile"]["consent_at"]


async def test_forget_leaves_no_personal_data_anywhere(
    emulator: TelegramEmulator, bot: Services, runner: BotRunner
) -> None:
    exhibitor = await disco_soupe(bot)
    camille = emulator.user("Camille", last_name="Zyxwvutsr", language_code="fr")
    await register_attendee(camille, organisation="Mairie de Qwertyville", looking_for="Un texte très reconnaissable")
    lucie = emulator.user("Lucie", last_name="Representante")
    await register_representative(lucie, exhibitor.invite_token)
    needles: tuple[str | int, ...] = ("Zyxwvutsr", "Qwertyville", "très reconnaissable", camille.id)
    assert rows_mentioning(runner.store, *needles)

    await camille.send("/forget")
    confirm = await camille.next_reply()
    assert "Supprimer toutes vos données ?" in confirm.text
    await camille.press("Non, garder mes données", confirm)
    await camille.wait_for_text("Rien n'a été supprimé")
    assert rows_mentioning(runner.store, *needles)
    await camille.send("/forget")
    confirm = await camille.next_reply()
    await camille.press("🗑 Oui, tout supprimer", confirm)
    await camille.wait_for_text("vos données ont été supprimées")
    assert rows_mentioning(runner.store, *needles) == []
    assert await bot.registration.participant(lucie.id) is not None  # only hers went
    await camille.send("/forget")
    assert "rien à supprimer" in (await camille.next_reply()).text

    # forgetting in the middle of a registration drops the answers too
    nina = emulator.user("Nina", language_code="fr")
    await accept_consent(nina)
    await nina.send("Nina Abcdefgh")
    await nina.next_reply()
    await nina.send("/forget")
    await nina.press("🗑 Oui, tout supprimer", await nina.next_reply())
    await nina.wait_for_text("vos données ont été supprimées")
    assert rows_mentioning(runner.store, "Abcdefgh", nina.id) == []


async def eventually(check: Callable[[], Awaitable[bool]], timeout: float = 5.0) -> None:
    """For state the emulator cannot see (the database): poll it."""
    deadline = asyncio.get_running_loop().time() + timeout
    while not await check():
        assert asyncio.get_running_loop().time() < deadline, "condition never met"
        await asyncio.sleep(0.02)


async def test_block_and_unblock_are_tracked(emulator: TelegramEmulator, runner: BotRunner) -> None:
    boss = emulator.user("Hélène", user_id=4243)
    services = await runner.start(organiser_ids="4243")
    exhibitor = await disco_soupe(services)
    lucie = emulator.user("Lucie")
    await register_representative(lucie, exhibitor.invite_token)
    await register_organiser(boss)

    async def reachable() -> bool:
        participant = await services.registration.participant(lucie.id)
        return participant is not None and participant.reachable

    await lucie.block()
    await eventually(lambda: _not(reachable))
    blocked_at = len(emulator.calls)
    await boss.send("/reps")
    listing = await boss.next_reply()
    await boss.press("Retirer Lucie", listing)
    await boss.wait_for_text("Retirer Lucie des représentants")
    await boss.press("Oui, retirer", listing)
    await boss.wait_for_text("Lucie ne représente plus Disco Soupe.")
    # nothing was even attempted towards her
    assert not [c for c in emulator.calls[blocked_at:] if str(c.params.get("chat_id")) == str(lucie.id)]
    await lucie.unblock()
    await eventually(reachable)


async def _not(check: Callable[[], Awaitable[bool]]) -> bool:
    return not await check()


@pytest.mark.parametrize("language", ["fr", "en"])
async def test_an_old_language_button_after_registration_is_answered(
    emulator: TelegramEmulator, bot: Services, language: str
) -> None:
    phone: Phone = emulator.user("Camille", language_code=language)
    await phone.send("/start")
    welcome = await phone.next_reply()
    await register_attendee(phone, themes=("Urban agriculture",) if language == "en" else ("Agriculture urbaine",))
    await phone.press(welcome.button_labels[0], welcome)  # still shown from long ago
    stale = "étape passée" if language == "fr" else "earlier step"
    await phone.wait_for_text(stale)


async def test_language_before_and_during_registration(
    emulator: TelegramEmulator, bot: Services, runner: BotRunner
) -> None:
    lea = emulator.user("Léa", language_code="fr")
    await lea.send("/language")
    prompt = await lea.next_reply()
    await lea.press("🇬🇧 English", prompt)
    await lea.wait_for_text("Your data, in short")  # the registration starts in that language
    assert rows_mentioning(runner.store, lea.id) == []
    await lea.press("✅ I accept", prompt)
    assert "full name" in (await lea.next_reply()).text
    await lea.send("/language")
    switch = await lea.next_reply()
    await lea.press("🇫🇷 Français", switch)
    await lea.wait_for_text("je vous parlerai désormais en français")
    assert "nom complet" in (await lea.next_reply()).text  # the same question, now in French


@pytest.mark.timeout(360)  # correctness, not speed: beside a second copy of the suite it took 2 min
async def test_a_crowd_registering_at_once_is_confirmed_and_keeps_one_live_prompt(
    emulator: TelegramEmulator, runner: BotRunner
) -> None:
    """300 people through the whole registration at the same time: each is confirmed (the read right
    after the write sees it), and only the newest question of each still has buttons."""
    await runner.start(telegram_messages_per_second=1000)  # the crowd's answers, not the budget, are measured
    phones = [emulator.user(f"Personne {n}", language_code="fr") for n in range(300)]
    # what is asserted is correctness, not speed: each answer may take up to a minute on a busy machine
    done = await asyncio.gather(
        *(register_attendee(p, name=f"Personne Numéro {n}", timeout=60) for n, p in enumerate(phones))
    )
    assert all("C'est fait" in d.text for d in done)
    for phone in phones:
        assert not any("Désolé" in m.content for m in phone.bot_messages), phone.transcript()
        prompts = [m for m in phone.bot_messages if m.button_labels and m is not phone.bot_messages[-1]]
        assert prompts == [], f"{phone.first_name}: older questions kept their buttons: {prompts}"
    row = await runner._running[0][2].fetch_one("SELECT COUNT(*) FROM participants")
    assert row is not None and row[0] == 300


async def test_a_button_answer_stays_written_in_its_question(emulator: TelegramEmulator, bot: Services) -> None:
    """As forms in Telegram do: once answered, the question shows the choice instead of its buttons."""
    camille = emulator.user("Camille")
    await register_attendee(camille, job_title=None)
    org_type = next(m for m in camille.bot_messages if "type de votre organisation" in m.text)
    assert org_type.text.endswith("→ Collectivité locale") and org_type.buttons == []
    job = next(m for m in camille.bot_messages if "Quelle est votre fonction" in m.text)
    assert job.text.endswith("→ Passer") and job.buttons == []
