"""``python -m bot.emulator``: a local Bot API server with one console user.

Type a line to send it as the user; ``!press <label>`` presses an inline button of
the last message that has it; ``!block`` / ``!unblock``; ``!quit`` to stop.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import sys

from bot.emulator import TelegramEmulator
from bot.emulator.phone import ChatMessage, Phone


def _show(msg: ChatMessage) -> None:
    print(f"\n[bot] {msg.content}")
    for row in msg.buttons:
        print("      " + "  ".join(f"[{b['text']}]" for b in row))


async def _printer(phone: Phone) -> None:
    while True:
        try:
            _show(await phone.next_reply(timeout=3600))
        except AssertionError:
            continue


async def _console(phone: Phone) -> None:
    loop = asyncio.get_running_loop()
    while True:
        line = await loop.run_in_executor(None, sys.stdin.readline)
        if not line or line.strip() == "!quit":
            return
        line = line.rstrip("\n")
        try:
            if line.startswith("!press "):
                await phone.press(line[len("!press ") :])
            elif line == "!block":
                await phone.block()
            elif line == "!unblock":
                await phone.unblock()
            elif line:
                await phone.send(line)
        except (LookupError, RuntimeError) as err:
            print(f"(emulator) {err}")


async def main(port: int, language: str) -> None:
    async with TelegramEmulator(port=port) as emulator:
        print(f"Bot API emulator on {emulator.root_url}")
        print(f"  TELEGRAM_BOT_TOKEN={emulator.token}")
        print(f"  TELEGRAM_API_BASE_URL={emulator.root_url}")
        print("Type messages as the user; !press <label>, !block, !unblock, !quit.")
        phone = emulator.user("Camille", last_name="Martin", language_code=language)
        printer = asyncio.create_task(_printer(phone))
        try:
            await _console(phone)
        finally:
            printer.cancel()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(prog="python -m bot.emulator", description=__doc__)
    parser.add_argument("--port", type=int, default=8081)
    parser.add_argument("--language", default="fr", help="the console user's Telegram language_code")
    args = parser.parse_args()
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(main(args.port, args.language))
