"""Running the bot: long polling or webhook, until asked to stop."""

from __future__ import annotations

import asyncio
import logging
import signal
from typing import Literal
from urllib.parse import urlsplit

from bot.app import ALLOWED_UPDATES, build_application, build_services, on_shutdown, on_startup
from bot.event import load_event
from bot.runtime import MaillageApplication, Services
from bot.settings import ConfigError, Settings
from bot.telegram.cluster import BudgetShare, Claimer
from bot.telegram.inbox import InboxQueue
from bot.telegram.webhook import WebhookServer
from storage.backends import open_database

log = logging.getLogger(__name__)

POLL_TIMEOUT_SECONDS = 10
Role = Literal["all", "ingress", "worker"]


async def serve(services: Services, stop: asyncio.Event, role: Role = "all") -> None:
    """Run the bot with these services until ``stop`` is set: all of it (``all``), or, sharing a
    PostgreSQL database with other processes, only the ``ingress`` (receives updates, keeps them in
    the inbox) or a ``worker`` (handles them, sends, runs the jobs)."""
    settings = services.settings
    shared = services.db.backend == "postgresql"
    if role != "all" and not shared:
        raise ConfigError(f"a separate {role} needs PostgreSQL (DATABASE_URL=postgresql://...): use python -m bot run")
    application = build_application(services, handle_here=role != "ingress")
    webhook: WebhookServer | None = None
    budget = BudgetShare(application) if shared and role != "ingress" else None
    claimer = None if budget is None else Claimer(application, sharers=lambda: budget.alive)
    async with application:  # initialize (getMe) ... shutdown
        await application.start()
        if budget is not None:
            await budget.start()
        await on_startup(application, jobs=role != "ingress")
        if claimer is not None:
            await claimer.start()
        elif role == "all":
            await _take_over(application)  # the one process on SQLite: whatever a crash left is its
        updater = application.updater
        assert updater is not None
        if role == "worker":
            log.info("Maillage worker %s is up as @%s", services.inbox.owner, application.bot.username)
        elif settings.webhook_url is not None:
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
        if claimer is not None:
            await claimer.stop()
        await on_shutdown(application)
        if webhook is not None:
            await webhook.stop()
        if updater.running:
            await updater.stop()
        await application.stop()
        if budget is not None:
            await budget.stop()


async def _take_over(application: MaillageApplication) -> None:
    """Queue, oldest first, the updates a crash left unhandled."""
    queue = application.update_queue
    assert isinstance(queue, InboxQueue)
    count = queue.hand_on(await application.services.inbox.take_over_all(), application.bot)
    if count:
        log.info("%d updates a restart interrupted are handled now", count)


async def run(settings: Settings, role: Role = "all") -> None:
    """``python -m bot run`` (or ``ingress``, ``worker``): open the database, serve until SIGTERM or SIGINT."""
    event = load_event(settings.event_file)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    db = open_database(settings.database_url)
    await db.connect()
    try:
        await serve(build_services(settings, event, db), stop, role)
    finally:
        await db.close()
    log.info("stopped cleanly")
