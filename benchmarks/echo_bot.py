"""Bare echo bots on PTB, one per transport and concurrency set-up, as baselines.

python -m benchmarks.echo_bot VARIANT   (TELEGRAM_BOT_TOKEN and TELEGRAM_API_BASE_URL set)
"""

from __future__ import annotations

import asyncio
import os
import signal
import sys

from telegram import Update
from telegram.ext import Application, ApplicationBuilder, ContextTypes, MessageHandler, filters
from telegram.request import HTTPXRequest

from bot.telegram.concurrency import PerUserUpdateProcessor
from bot.telegram.transport import AiohttpRequest

VARIANTS = {
    "ptb-defaults": "PTB defaults: one update at a time, httpx pool",
    "ptb-concurrent-httpx64": "PTB concurrent updates, httpx pool of 64",
    "ptb-peruser-aiohttp": "per-user ordered concurrency, aiohttp transport (Maillage's set-up)",
}


async def echo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    assert update.effective_message is not None and update.effective_message.text is not None
    await update.effective_message.reply_text(update.effective_message.text)


def build(variant: str) -> Application:  # type: ignore[type-arg]
    root = os.environ["TELEGRAM_API_BASE_URL"].rstrip("/")
    builder: ApplicationBuilder = Application.builder().token(os.environ["TELEGRAM_BOT_TOKEN"]).base_url(f"{root}/bot")  # type: ignore[type-arg]
    if variant == "ptb-concurrent-httpx64":
        builder = builder.concurrent_updates(True).request(HTTPXRequest(connection_pool_size=64))
    elif variant == "ptb-peruser-aiohttp":
        builder = builder.concurrent_updates(PerUserUpdateProcessor()).request(AiohttpRequest())
        builder = builder.get_updates_request(AiohttpRequest(connection_limit=2))
    elif variant != "ptb-defaults":
        raise SystemExit(f"unknown variant {variant}; choose among {', '.join(VARIANTS)}")
    application = builder.build()
    application.add_handler(MessageHandler(filters.TEXT, echo))
    return application


async def main(variant: str) -> None:
    application = build(variant)
    stop = asyncio.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        asyncio.get_running_loop().add_signal_handler(sig, stop.set)
    async with application:
        await application.start()
        assert application.updater is not None
        await application.updater.start_polling(timeout=10)
        await stop.wait()
        await application.updater.stop()
        await application.stop()


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1]))
