"""Registration across real processes: a crash in the middle, invite links from the command line."""

from __future__ import annotations

import re
from pathlib import Path

from bot.emulator import TelegramEmulator
from bot.services.registration import Invitation
from bot.telegram.bot import NOT_MODIFIED
from storage.exhibitors import ExhibitorRepository, NewExhibitor
from storage.participants import ParticipantRepository, Role
from tests.conftest import BotRunner
from tests.helpers import accept_consent, register_attendee, register_organiser, services_on
from tests.processes import run_command, start_bot, wait_until
from tests.stores import TestStore, store_of


async def handled_what_the_crash_left(tmp_path: Path) -> None:
    """Wait until the restarted bot has handled the updates the crash interrupted (bot/telegram/inbox.py):
    the one in flight is handed on again, before what comes next."""

    def left() -> int:
        return int(store_of(tmp_path).scalar("SELECT COUNT(*) FROM inbox"))

    await wait_until(lambda: left() == 0)


async def test_a_registration_resumes_where_it_was_after_sigkill(tmp_path: Path, emulator: TelegramEmulator) -> None:
    bot = await start_bot(tmp_path, emulator)
    camille = emulator.user("Camille", language_code="fr")
    await accept_consent(camille)
    await camille.send("Camille Martin")
    await camille.next_reply()
    await camille.send("Ville de Roubaix")
    ask_type = await camille.next_reply()
    assert "type" in ask_type.text

    await bot.kill()
    bot = await start_bot(tmp_path, emulator)
    await handled_what_the_crash_left(tmp_path)
    camille.skip_unread()  # a question the crash may have left unrecorded is asked again: fine

    await camille.press("Bailleur social", ask_type)  # the question asked before the crash
    assert "fonction" in (await camille.next_reply()).text
    await camille.send("Chargée de mission")
    ask_themes = await camille.next_reply()
    await camille.press("▫️ Rénovation", ask_themes)
    await emulator.wait_for(lambda: "✅ Rénovation" in ask_themes.button_labels)

    await bot.kill()  # again, in the middle of ticking themes
    bot = await start_bot(tmp_path, emulator)
    await handled_what_the_crash_left(tmp_path)
    camille.skip_unread()

    await camille.press("Valider", ask_themes)
    await camille.next_reply()
    await camille.press("Passer")
    summary = await camille.next_reply()
    for line in (
        "Nom : Camille Martin",
        "Organisation : Ville de Roubaix",
        "Type : Bailleur social",
        "Fonction : Chargée de mission",
        "Thèmes : Rénovation",
    ):
        assert line in summary.text
    await camille.press("✅ Confirmer")
    assert "vous êtes inscrit(e)" in (await camille.next_reply()).text
    assert await bot.stop() == 0
    # An answer the crash interrupted is handed on again at the restart, and not taken twice
    assert not [m for m in camille.bot_messages if "répondez avec les boutons" in m.text]
    # A press the crash interrupted is handled again after the restart (bot/telegram/inbox.py): its edit may
    # show what the message already shows, which Telegram refuses and the bot absorbs, as after a
    # double tap. Nothing else is refused.
    assert not [c for c in emulator.errors() if NOT_MODIFIED not in (c.description or "")]


async def test_a_question_lost_in_a_crash_is_asked_again_at_start(
    emulator: TelegramEmulator, runner: BotRunner
) -> None:
    camille = emulator.user("Camille", language_code="fr")
    await camille.send("/start")  # the chat exists
    async with runner.store.open() as db:
        # as if the bot had stored the consent, then died before asking the first question
        await runner.start()
        await runner.stop_all()
        await services_on(db, runner.event).registration.begin(camille.id, "fr", None, "Camille")
    # On PostgreSQL, where other workers may be at work, a question is asked again once it has waited
    # longer than a claim's lease (a live worker asks its own within milliseconds): a short one here
    await runner.start(inbox_lease_seconds=1)
    resumed = await camille.wait_for_text("Reprenons où nous en étions")
    assert "nom complet" in resumed.text
    await runner.stop_all()
    await runner.start()  # asked once: not again at the next start
    await camille.send("/help")
    await camille.wait_for_text("Ce que je sais faire")
    assert len([m for m in camille.bot_messages if "Reprenons" in m.text]) == 1


async def test_organiser_invite_links_are_single_use(
    store: TestStore, tmp_path: Path, emulator: TelegramEmulator
) -> None:
    bot = await start_bot(tmp_path, emulator)
    status, out = await run_command(tmp_path, emulator, "invite", "organiser")
    assert status == 0, out
    link = re.search(r"https://t\.me/maillage_test_bot\?start=(o-[A-Za-z0-9_-]+)", out)
    assert link, out
    payload = link.group(1)

    helene = emulator.user("Hélène", language_code="fr")
    done = await register_organiser(helene, payload)
    assert "équipe d'organisation" in done.text
    thomas = emulator.user("Thomas", language_code="fr")
    await thomas.open_deep_link(payload)  # the same link, used up
    assert "n'est pas (ou plus) valable" in (await thomas.next_reply()).text

    # an attendee joins the organisers with a new link
    camille = emulator.user("Camille", language_code="fr")
    await register_attendee(camille)
    _, out = await run_command(tmp_path, emulator, "invite", "organiser")
    second = re.search(r"start=(o-[A-Za-z0-9_-]+)", out)
    assert second
    await camille.open_deep_link(second.group(1))
    offer = await camille.next_reply()
    await camille.press("Oui", offer)
    await camille.wait_for_text("Vous faites désormais partie de l'équipe d'organisation")
    assert await bot.stop() == 0

    async with store.open() as db:
        roles = {
            p.telegram_id: p.role
            for p in [await ParticipantRepository(db).by_telegram_id(u.id) for u in (helene, camille)]
            if p
        }
    assert roles == {helene.id: Role.ORGANISER, camille.id: Role.ORGANISER}
    assert Invitation.from_code(payload[0] + payload[2:]) is not None


async def test_exhibitor_invite_links_from_the_command_line(
    store: TestStore, tmp_path: Path, emulator: TelegramEmulator
) -> None:
    (tmp_path / "data").mkdir()
    async with store.open() as db:
        exhibitor = await ExhibitorRepository(db).create(NewExhibitor(slug="repair-cafe", name="Repair Café"))
    status, out = await run_command(tmp_path, emulator, "invite", "exhibitor", "repair-cafe")
    assert status == 0 and f"start=x-{exhibitor.invite_token}" in out
    status, out = await run_command(tmp_path, emulator, "invite", "exhibitor", "repair-cafe", "--revoke")
    assert status == 0 and "previous link revoked" in out and exhibitor.invite_token not in out
    status, out = await run_command(tmp_path, emulator, "invite", "exhibitor", "no-such-stand")
    assert status == 2 and "no exhibitor with slug 'no-such-stand'" in out
