"""A double tap is not an error: every button that edits its message in place, tapped twice.

Once one after the other (the second tap lands on the edited message) and once at the same
time (both taps carry the message as it was). Telegram answers the second edit with 400
"message is not modified"; the user must never see an apology for it.
"""

from __future__ import annotations

import asyncio

import pytest

from bot.emulator import ChatMessage, Phone, TelegramEmulator
from bot.runtime import Services
from storage.participants import Role
from tests.conftest import BotRunner, FakeClock
from tests.helpers import next_with, register_attendee, register_organiser, register_representative
from tests.test_meetings import BEFORE_THE_DAY, open_card, soupe

BOSS = 4242
APOLOGY = ("Désolé", "Sorry")


async def tap_twice(phone: Phone, label: str, message: ChatMessage, *, together: bool) -> None:
    """Tap the button ``label`` of ``message`` twice, and wait until both taps are answered."""
    button = message.button(label)
    assert button is not None, f"no button {label!r} on {message.button_labels}"
    data = button["callback_data"]
    if together:
        first, second = await asyncio.gather(phone.press_raw(data, message), phone.press_raw(data, message))
    else:
        first = await phone.press_raw(data, message)
        await phone.callback_answer(first)
        second = await phone.press_raw(data, message)
    await phone.callback_answer(first)
    await phone.callback_answer(second)
    await asyncio.sleep(0.05)  # whatever the second tap sends after its answer


def no_apology(*phones: Phone) -> None:
    for phone in phones:
        texts = [m.content for m in phone.bot_messages] + phone.toasts
        assert not any(word in text for text in texts for word in APOLOGY), phone.transcript()


@pytest.fixture(params=[False, True], ids=["one-after-the-other", "at-the-same-time"])
def together(request: pytest.FixtureRequest) -> bool:
    return bool(request.param)


async def test_registration_language_join_and_forget(emulator: TelegramEmulator, bot: Services, together: bool) -> None:
    exhibitor = await soupe(bot)
    sam = emulator.user("Sam")
    await sam.send("/start")
    welcome = await sam.next_reply()
    await tap_twice(sam, "✓ 🇫🇷 Français", welcome, together=together)
    await emulator.wait_for(lambda: "✅ J'accepte" in welcome.button_labels)
    await sam.press("✅ J'accepte", welcome)
    await next_with(sam, "Quel est votre nom")
    camille = emulator.user("Camille")
    await register_attendee(camille)

    camille.skip_unread()
    await camille.send("/language")
    ask = await camille.next_reply()
    await tap_twice(camille, "🇬🇧 English", ask, together=together)
    camille.skip_unread()
    await camille.send("/language")
    await tap_twice(camille, "🇫🇷 Français", await camille.next_reply(), together=together)

    await camille.open_deep_link(f"x-{exhibitor.invite_token}")
    offer = await next_with(camille, "Représenter")
    await tap_twice(camille, "Non", offer, together=together)
    assert (await bot.registration.participant(camille.id)).role == Role.ATTENDEE  # type: ignore[union-attr]

    await camille.send("/forget")
    forget = await next_with(camille, "")
    await tap_twice(camille, "Non, garder mes données", forget, together=together)
    assert await bot.registration.participant(camille.id) is not None
    no_apology(camille, sam)


async def test_meeting_picker_and_note(emulator: TelegramEmulator, runner: BotRunner, together: bool) -> None:
    services = await runner.start(clock=FakeClock(BEFORE_THE_DAY))
    exhibitor = await soupe(services)
    lucie = emulator.user("Lucie")
    await register_representative(lucie, exhibitor.invite_token)
    camille = emulator.user("Camille")
    await register_attendee(camille)
    card = await open_card(camille)
    await camille.press("📅 Demander un rendez-vous", card)
    picker = await camille.next_reply()
    await tap_twice(camille, "10:00", picker, together=together)
    note = await next_with(camille, "Un mot pour préparer")
    await tap_twice(camille, "Passer", note, together=together)
    summary = await next_with(camille, "Votre demande")
    await tap_twice(camille, "✅ Envoyer la demande", summary, together=together)
    await lucie.wait_for_text("Demande de rendez-vous")
    await asyncio.sleep(0.2)
    # one question, one summary, one request: the second taps changed nothing
    assert sum("Un mot pour préparer" in m.content for m in camille.bot_messages) == 1
    assert sum("Votre demande" in m.content for m in camille.bot_messages) == 1
    assert sum("Demande de rendez-vous" in m.content for m in lucie.bot_messages) == 1
    assert not any("étape passée" in m.content for m in camille.bot_messages)
    no_apology(camille, lucie)


async def test_organiser_buttons(emulator: TelegramEmulator, runner: BotRunner, together: bool) -> None:
    boss = emulator.user("Hélène", user_id=BOSS)
    services = await runner.start(organiser_ids=str(BOSS), clock=FakeClock(BEFORE_THE_DAY))
    await register_organiser(boss)
    exhibitor = await soupe(services)
    lucie = emulator.user("Lucie")
    await register_representative(lucie, exhibitor.invite_token)

    boss.skip_unread()
    await boss.send("/reps")
    listing = await boss.next_reply()
    await tap_twice(boss, "Retirer Lucie", listing, together=together)
    await emulator.wait_for(lambda: "Oui, retirer" in listing.button_labels)
    await tap_twice(boss, "Oui, retirer", listing, together=together)
    await emulator.wait_for(lambda: "ne représente plus" in listing.text)
    assert (await services.registration.participant(lucie.id)).role == Role.ATTENDEE  # type: ignore[union-attr]

    await boss.send("/block")
    ask = await next_with(boss, "")
    await tap_twice(boss, "10:00", ask, together=together)
    await emulator.wait_for(lambda: "Tout le monde" in ask.button_labels)
    await tap_twice(boss, "Tout le monde", ask, together=together)
    await emulator.wait_for(lambda: "🚧 Oui, fermer ce créneau" in ask.button_labels)
    await tap_twice(boss, "🚧 Oui, fermer ce créneau", ask, together=together)
    await next_with(boss, "fermé")

    await boss.send("/broadcast")
    await next_with(boss, "Écrivez l'annonce")
    await boss.send("Le déjeuner est servi en salle B.")
    choose = await next_with(boss, "À qui l'envoyer ?")
    everyone = next(label for label in choose.button_labels if label.startswith("Tout le monde"))
    await tap_twice(boss, everyone, choose, together=together)
    when = await next_with(boss, "Quand l'envoyer ?")
    await tap_twice(boss, "Maintenant", when, together=together)
    await next_with(boss, "Aperçu")

    await boss.send("/session")
    pick = await next_with(boss, "Quelle session")
    await tap_twice(boss, pick.button_labels[0], pick, together=together)
    await emulator.wait_for(lambda: len(pick.button_labels) == 3)
    no_apology(boss)
