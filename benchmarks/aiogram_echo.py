"""A bare echo bot on aiogram 3, the other major Python framework: a baseline.

Runs in its own virtual environment (see benchmarks.common.aiogram_python), with only
aiogram installed: TELEGRAM_BOT_TOKEN and TELEGRAM_API_BASE_URL point it at the emulator.
aiogram's defaults: every update handled in its own task, one aiohttp session.
"""

import asyncio
import os

from aiogram import Bot, Dispatcher
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.types import Message

dispatcher = Dispatcher()


@dispatcher.message()
async def echo(message: Message) -> None:
    await message.answer(message.text or "?")


async def main() -> None:
    server = TelegramAPIServer.from_base(os.environ["TELEGRAM_API_BASE_URL"])
    bot = Bot(os.environ["TELEGRAM_BOT_TOKEN"], session=AiohttpSession(api=server))
    await dispatcher.start_polling(bot, polling_timeout=10, handle_signals=True)


if __name__ == "__main__":
    asyncio.run(main())
