"""The real bot, driven over HTTP through the emulator the way phones would: the basics."""

from __future__ import annotations

import logging

import pytest

from bot.emulator import TelegramEmulator
from bot.runtime import Services
from storage.participants import ParticipantRepository
from tests.conftest import BotRunner
from tests.helpers import register_attendee


async def test_start_welcomes_a_french_user_in_french(emulator: TelegramEmulator, bot: Services) -> None:
    camille = emulator.user("Camille", language_code="fr")
    await camille.send("/start")
    reply = await camille.next_reply()
    assert reply.text.startswith("Bienvenue sur Maillage")
    assert "Journée de l'innovation sociale et urbaine" in reply.text
    assert "rendez-vous de 15 minutes" in reply.text
    assert reply.button_labels == ["✓ 🇫🇷 Français", "🇬🇧 English"]  # prefilled from Telegram


async def test_start_welcomes_an_english_user_in_english(emulator: TelegramEmulator, bot: Services) -> None:
    sam = emulator.user("Sam", language_code="en-GB")
    await sam.send("/start")
    reply = await sam.next_reply()
    assert reply.text.startswith("Welcome to Maillage")
    assert "Social and Urban Innovation Day" in reply.text
    assert reply.button_labels == ["🇫🇷 Français", "✓ 🇬🇧 English"]


async def test_other_languages_get_french_by_default(emulator: TelegramEmulator, bot: Services) -> None:
    jonas = emulator.user("Jonas", language_code="de")
    await jonas.send("/start")
    assert (await jonas.next_reply()).text.startswith("Bienvenue")
    nolang = emulator.user("Ana", language_code=None)
    await nolang.send("/start")
    assert (await nolang.next_reply()).text.startswith("Bienvenue")


async def test_start_with_an_unknown_deep_link_still_welcomes(emulator: TelegramEmulator, bot: Services) -> None:
    lea = emulator.user("Léa")
    await lea.open_deep_link("zz-not-a-real-payload")
    assert (await lea.next_reply()).text.startswith("Bienvenue")


async def test_registered_users_get_the_menu_on_start(emulator: TelegramEmulator, bot: Services) -> None:
    camille = emulator.user("Camille", last_name="Martin")
    await register_attendee(camille)
    await camille.send("/start")
    reply = await camille.next_reply()
    assert "Bonjour Camille Martin" in reply.text
    assert reply.button_labels == [
        "🏢 Exposants",
        "✨ Pour vous",
        "📅 Mon agenda",
        "🎤 Programme",
        "🔍 Rechercher",
        "👤 Mon profil",
        "🌐 Langue",
        "❓ Aide",
    ]


async def test_help_lists_the_commands_and_the_event_day(emulator: TelegramEmulator, bot: Services) -> None:
    fr = emulator.user("Camille", language_code="fr")
    await fr.send("/help")
    text = (await fr.next_reply()).text
    for command in (
        "/start",
        "/agenda",
        "/exhibitors",
        "/search",
        "/me",
        "/language",
        "/mydata",
        "/forget",
        "/cancel",
        "/help",
    ):
        assert command in text
    assert "mardi 16 mars 2027" in text
    assert "/reps" not in text  # organisers only
    en = emulator.user("Sam", language_code="en")
    await en.send("/help")
    assert "Tuesday, March 16, 2027" in (await en.next_reply()).text


async def test_language_switch_is_remembered_across_a_restart(emulator: TelegramEmulator, runner: BotRunner) -> None:
    await runner.start()
    camille = emulator.user("Camille", language_code="fr")
    await register_attendee(camille)
    await camille.send("/language")
    prompt = await camille.next_reply()
    assert "Dans quelle langue" in prompt.text
    assert prompt.button_labels == ["✓ 🇫🇷 Français", "🇬🇧 English"]
    query = await camille.press("🇬🇧 English")
    assert await camille.callback_answer(query) == {}
    confirmation = await camille.wait_for_text("I will speak English")
    assert confirmation.message_id == prompt.message_id  # edited in place
    assert confirmation.buttons == []
    await camille.send("/help")
    assert "What I can do" in (await camille.next_reply()).text

    await runner.stop_all()
    await runner.start()
    await camille.send("/help")
    assert "What I can do" in (await camille.next_reply()).text


async def test_commands_are_published_in_both_languages(emulator: TelegramEmulator, bot: Services) -> None:
    expected = [
        "start",
        "agenda",
        "wishes",
        "contact",
        "exhibitors",
        "search",
        "programme",
        "now",
        "me",
        "language",
        "mydata",
        "forget",
        "cancel",
        "help",
    ]
    published = {lang: [c["command"] for c in cmds] for (_, lang), cmds in emulator.commands.items()}
    assert published == {"fr": expected, "en": expected, "": expected}
    descriptions = {
        lang: {c["command"]: c["description"] for c in cmds} for (_, lang), cmds in emulator.commands.items()
    }
    assert descriptions["fr"]["language"] == "Changer de langue"
    assert descriptions["en"]["language"] == "Switch language"


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("/frobnicate", "Je ne connais pas la commande /frobnicate"),
        ("/" + "x" * 32, "Je ne connais pas la commande /xxxx"),
    ],
)
async def test_unknown_commands_get_a_hint(
    emulator: TelegramEmulator, bot: Services, typed: str, expected: str
) -> None:
    user = emulator.user("Camille")
    await user.send(typed)
    reply = await user.next_reply()
    assert expected in reply.text
    assert "/help" in reply.text


async def test_stray_messages_of_any_kind_get_a_hint(emulator: TelegramEmulator, bot: Services) -> None:
    user = emulator.user("Sam", language_code="en")
    await user.send("hello there 🌱")
    assert "I did not understand" in (await user.next_reply()).text
    await user.send("<script>alert(1)</script> & <b>")
    assert "I did not understand" in (await user.next_reply()).text
    await user.send("é" * 4096)
    assert "I did not understand" in (await user.next_reply()).text
    await user.send_sticker()
    assert "I did not understand" in (await user.next_reply()).text
    await user.send_photo(b"\xff\xd8\xff\xe0not really a jpeg")
    assert "I did not understand" in (await user.next_reply()).text
    await user.upload("notes.txt", b"hello", "text/plain")
    assert "I did not understand" in (await user.next_reply()).text


async def test_stale_and_forged_buttons_are_answered_and_change_nothing(
    emulator: TelegramEmulator, bot: Services
) -> None:
    user = emulator.user("Camille")
    await user.send("/start")
    await user.next_reply()
    for data in ("lang:de", "lang:fr;DROP TABLE participants", "meeting:accept:999", "x" * 64, "reg:name:keep"):
        query = await user.press_raw(data)
        answer = await user.callback_answer(query)
        if answer:  # a pattern no handler knows: an alert
            assert answer["show_alert"] is True
            assert "n'est plus valable" in answer["text"]
        else:  # a registration button out of its step: a message
            assert "étape passée" in (await user.next_reply()).text
    assert await ParticipantRepository(bot.db).count() == 0


async def test_a_failure_is_logged_with_the_update_id_and_the_user_gets_an_apology(
    emulator: TelegramEmulator, bot: Services, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    async def broken(*args: object) -> None:
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(bot.languages, "choose", broken)
    user = emulator.user("Sam", language_code="en")
    await user.send("/language")
    await user.next_reply()
    with caplog.at_level(logging.ERROR):
        await user.press("🇫🇷 Français")
        apology = await user.next_reply()
    assert "Sorry, something went wrong on our side" in apology.text
    failure = [r for r in caplog.records if r.name == "handlers.errors"]
    assert failure and failure[0].getMessage().startswith("update ") and failure[0].exc_info is not None
    # and the bot keeps answering
    await user.send("/help")
    assert "What I can do" in (await user.next_reply()).text


async def test_edited_messages_are_not_answered(emulator: TelegramEmulator, bot: Services) -> None:
    user = emulator.user("Camille")
    await user.send("bonjour")
    await user.next_reply()
    mine = user.messages[0]
    await user.edit(mine, "/help")  # an edit is not a new request
    await user.send("/language")  # a later message is answered, and only it
    await user.next_reply()
    assert [m.content.split("\n")[0] for m in user.bot_messages] == [
        "Je n'ai pas compris ce message. Tapez /help pour voir ce que je sais faire.",
        "Dans quelle langue voulez-vous que je vous parle ?",
    ]
    assert mine.text == "/help" and mine.edit_date is not None
