"""No update is lost to a crash: each is in the database before Telegram is told it arrived, and a
restart handles what the crash interrupted (bot/telegram/inbox.py). Handled updates leave the inbox."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from telegram import Update

from bot.emulator import Phone, TelegramEmulator
from bot.telegram.concurrency import PerUserUpdateProcessor
from tests.conftest import BotRunner
from tests.helpers import accept_consent
from tests.processes import start_bot, wait_until
from tests.stores import TestStore, store_of


def inbox_rows(tmp_path: Path) -> int:
    return inbox_rows_at(store_of(tmp_path))


def inbox_rows_at(store: TestStore) -> int:
    return int(store.scalar("SELECT COUNT(*) FROM inbox"))


def answered(phones: list[Phone]) -> list[int]:
    return [len([m for m in p.bot_messages if "Ce que je sais faire" in m.text]) for p in phones]


async def test_updates_taken_from_telegram_survive_a_sigkill(tmp_path: Path, emulator: TelegramEmulator) -> None:
    # One message a second: the bot takes the six questions from Telegram at once (which then
    # forgets them), and answers them one by one; it dies after the first answer
    bot = await start_bot(tmp_path, emulator, TELEGRAM_MESSAGES_PER_SECOND="1")
    phones = [emulator.user(f"P{n}") for n in range(6)]
    for phone in phones:
        await phone.send("/help")
    # killed once Telegram was told it has them all (the getUpdates after the one that fetched them)
    await wait_until(lambda: sum(answered(phones)) >= 1 and not emulator._updates)
    await bot.kill()
    assert sum(answered(phones)) < len(phones)  # some were taken and not answered when the bot died
    assert inbox_rows(tmp_path) >= 1

    bot = await start_bot(tmp_path, emulator)
    await wait_until(lambda: all(answered(phones)), timeout=20)
    duplicates = sum(answered(phones)) - len(phones)
    # An update whose answer went out just before the kill, but not yet marked handled, is answered again
    assert duplicates <= 1, answered(phones)
    await wait_until(lambda: inbox_rows(tmp_path) == 0)  # nobody's messages stay once handled
    assert await bot.stop() == 0


async def test_repeated_kills_lose_nothing_and_duplicates_are_counted(
    tmp_path: Path, emulator: TelegramEmulator
) -> None:
    phones = [emulator.user(f"P{n}") for n in range(8)]
    rounds = 4
    kills = 0
    bot = await start_bot(tmp_path, emulator, TELEGRAM_MESSAGES_PER_SECOND="4")
    for _ in range(rounds):
        for phone in phones:
            await phone.send("/help")
        await asyncio.sleep(0.6)  # some answered, some taken and waiting for their turn to send
        await bot.kill()
        kills += 1
        bot = await start_bot(tmp_path, emulator, TELEGRAM_MESSAGES_PER_SECOND="4")
    await wait_until(lambda: all(n >= rounds for n in answered(phones)), timeout=30)
    sent = rounds * len(phones)
    duplicates = sum(answered(phones)) - sent
    print(f"{sent} messages, {kills} SIGKILLs, {duplicates} answered twice")
    assert duplicates <= kills  # at most the one in flight at each kill
    await wait_until(lambda: inbox_rows(tmp_path) == 0)
    assert await bot.stop() == 0


async def replay_after_restart(runner: BotRunner, camille: Phone, text: str, arrived: datetime) -> None:
    """As if the bot had died while handling ``text`` from Camille, received at ``arrived``."""
    await runner.stop_all()
    update = {
        "update_id": 10**9,
        "message": {
            "message_id": 10**6,
            "date": int(arrived.timestamp()),
            "chat": {"id": camille.id, "type": "private", "first_name": camille.first_name},
            "from": {"id": camille.id, "is_bot": False, "first_name": camille.first_name},
            "text": text,
        },
    }
    # as the process that took it left it: claimed (its lease since run out) and not handled
    runner.store.execute(
        "INSERT INTO inbox (update_id, user_key, payload, received_at, claimed_by, claimed_until, claims)"
        " VALUES (?, ?, ?, ?, 'a process that died', ?, 1)",
        (update["update_id"], camille.id, json.dumps(update), arrived.isoformat(), arrived.isoformat()),
    )
    camille.skip_unread()
    await runner.start()


async def test_an_answer_taken_before_the_crash_is_not_taken_again(
    emulator: TelegramEmulator, runner: BotRunner
) -> None:
    await runner.start()
    camille = emulator.user("Camille")
    await accept_consent(camille)
    await camille.send("Camille Martin")
    await camille.next_reply()
    before = datetime.now(UTC)
    await camille.send("Ville de Roubaix")
    assert "type" in (await camille.next_reply()).text  # taken: the conversation moved on

    seen = len(camille.bot_messages)
    await replay_after_restart(runner, camille, "Ville de Roubaix", before)
    await wait_until(lambda: inbox_rows_at(runner.store) == 0)
    await asyncio.sleep(0.3)
    assert not [m for m in camille.bot_messages[seen:] if "répondez avec les boutons" in m.text]

    # one the crash came before: it is taken now
    await replay_after_restart(runner, camille, "n'importe quoi", datetime.now(UTC))
    assert "répondez avec les boutons" in (await camille.next_reply()).text


async def test_an_update_stopped_midway_stays_in_the_inbox() -> None:
    """The processor tells the inbox an update is handled when its handlers are done, failed
    included, and not when it was stopped (cancelled) midway: that one runs again at the next start."""
    handled: list[int] = []

    async def note(update_id: int) -> None:
        handled.append(update_id)

    processor = PerUserUpdateProcessor(handled=note)

    def update(update_id: int) -> Update:
        return Update.de_json(
            {
                "update_id": update_id,
                "message": {
                    "message_id": update_id,
                    "date": 0,
                    "chat": {"id": 7, "type": "private"},
                    "from": {"id": 7, "is_bot": False, "first_name": "Camille"},
                    "text": "bonjour",
                },
            },
            None,
        )

    async def fine() -> None:
        pass

    async def failing() -> None:
        raise RuntimeError("a handler's bug")

    await processor.do_process_update(update(1), fine())
    with pytest.raises(RuntimeError):
        await processor.do_process_update(update(2), failing())
    stuck = asyncio.create_task(processor.do_process_update(update(3), asyncio.sleep(10)))
    await asyncio.sleep(0.01)
    stuck.cancel()
    with pytest.raises(asyncio.CancelledError):
        await stuck
    assert handled == [1, 2]
