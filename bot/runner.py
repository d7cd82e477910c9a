"""Running the bot: long polling or webhook, until asked to stop."""

from __future__ import annotations

import asyncio
import logging
import signal
from urllib.parse import urlsplit

from bot.app import ALLOWED_UPDATES, build_application, build_services, on_shutdown, on_startup
from bot.event import load_event
from bot.inbox import InboxQueue
from bot.runtime import Services
from bot.settings import Settings
from bot.webhook import WebhookServer
from storage.db import Database

log = logging.getLogger(__name__)

POLL_TIMEOUT_SECONDS = 10


async def serve(services: Services, stop: asyncio.Event) -> None:
    """Run the bot with these services until ``stop`` is set."""
    settings = services.settings
    application = build_application(services)
    webhook: WebhookServer | None = None
    async with application:  # initialize (getMe) ... shutdown
        await application.start()
        await on_startup(application)
        if isinstance(application.update_queue, InboxQueue):
            await application.update_queue.resume(application.bot)  # before any new update
        updater = application.updater
        assert updater is not None
        if settings.webhook_url is not None:
            assert settings.webhook_secret is not None
            secret = settings.webhook_secret.get_secret_value()
            path = urlsplit(str(settings.webhook_url)).path
            webhook = WebhookServer(application, path, secret, settings.webhook_listen, settings.webhook_port)
            await webhook.start()
            await application.bot.set_webhook(
                str(settings.webhook_url), secret_token=secret, allowed_updates=ALLOWED_UPDATES
            )
            log.info(
                "Maillage is up as @%s, webhook on %s:%d",
                application.bot.username,
                settings.webhook_listen,
                settings.webhook_port,
            )
        else:
            await updater.start_polling(allowed_updates=ALLOWED_UPDATES, timeout=POLL_TIMEOUT_SECONDS)
            log.info("Maillage is up as @%s, long polling", application.bot.username)
        await stop.wait()
        log.info("stopping")
        await on_shutdown(application)
        if webhook is not None:
            await webhook.stop()
        if updater.running:
            await updater.stop()
        await application.stop()


async def run(settings: Settings) -> None:
    """``python -m bot run``: open the database, serve until SIGTERM or SIGINT."""
    event = load_event(settings.event_file)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    db = Database(settings.database_path)
    await db.connect()
    try:
        await serve(build_services(settings, event, db), stop)
    finally:
        await db.close()
    log.info("stopped cleanly")
