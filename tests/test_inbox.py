"""No update is lost to a crash: each is in the database before Telegram is told it arrived, and a
restart handles what the crash interrupted (bot/inbox.py). Handled updates leave the inbox."""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path

from bot.emulator import Phone, TelegramEmulator
from tests.processes import start_bot, wait_until


def inbox_rows(tmp_path: Path) -> int:
    with sqlite3.connect(tmp_path / "data" / "maillage.db") as conn:
        return int(conn.execute("SELECT COUNT(*) FROM inbox").fetchone()[0])


def answered(phones: list[Phone]) -> list[int]:
    return [len([m for m in p.bot_messages if "Ce que je sais faire" in m.text]) for p in phones]


async def test_updates_taken_from_telegram_survive_a_sigkill(tmp_path: Path, emulator: TelegramEmulator) -> None:
    # One message a second: the bot takes the six questions from Telegram at once (which then
    # forgets them), and answers them one by one; it dies after the first answer
    bot = await start_bot(tmp_path, emulator, TELEGRAM_MESSAGES_PER_SECOND="1")
    phones = [emulator.user(f"P{n}") for n in range(6)]
    for phone in phones:
        await phone.send("/help")
    await wait_until(lambda: sum(answered(phones)) >= 1)
    await bot.kill()
    assert not emulator._updates  # Telegram was told: it will not send them again
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
