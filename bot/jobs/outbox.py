"""The outbox worker: announcements and notices leave the database within Telegram's limits, and the
organiser who sent an announcement watches its progress."""

from __future__ import annotations

import asyncio
import contextlib
from datetime import timedelta

from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TimedOut

from bot.event import Language
from bot.jobs import every
from bot.pacing import BROADCAST, in_flight_for, retry_seconds
from bot.runtime import Context, MaillageApplication, Services
from bot.services.broadcasts import Delivery

PROGRESS_EVERY = 2.0  # seconds between two edits of the organiser's progress message
LEASE = timedelta(seconds=10)
MAX_ATTEMPTS = 8


async def run(application: MaillageApplication) -> None:
    """Claims due deliveries and sends them within Telegram's limits, until cancelled.

    Only as many are on their way at once as the budget's pace needs (in_flight_for): each
    one sent but not yet marked sent when the process dies goes out again after the restart."""
    services = application.services
    broadcasts = services.broadcasts
    concurrency = in_flight_for(services.settings.telegram_messages_per_second)
    owner = services.reminders.owner
    limit = asyncio.Semaphore(concurrency)

    async def deliver(delivery: Delivery) -> None:
        async with limit:
            await _deliver(application, services, delivery)

    while True:
        broadcasts.queued.clear()
        batch = await broadcasts.claim_due(owner, LEASE, concurrency * 2)
        if batch:
            await asyncio.gather(*(deliver(d) for d in batch))
            continue
        next_due = await broadcasts.next_due()
        timeout = 1.0
        if next_due is not None:
            timeout = min(timeout, max(0.05, (next_due - broadcasts.clock()).total_seconds()))
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(broadcasts.queued.wait(), timeout)


async def _deliver(application: MaillageApplication, services: Services, delivery: Delivery) -> None:
    broadcasts = services.broadcasts
    try:
        await application.bot.send_message(delivery.chat_id, delivery.text, rate_limit_args=BROADCAST)
    except RetryAfter as error:
        await broadcasts.retry_later(delivery, timedelta(seconds=retry_seconds(error)), "429")
    except Forbidden as error:
        await services.registration.set_reachable(delivery.chat_id, False)
        await broadcasts.undeliverable(delivery, "unreachable", str(error))
    except BadRequest as error:
        await broadcasts.undeliverable(delivery, "failed", str(error))
    except (TimedOut, NetworkError) as error:
        if delivery.attempts >= MAX_ATTEMPTS:
            await broadcasts.undeliverable(delivery, "failed", str(error))
        else:
            await broadcasts.retry_later(delivery, timedelta(seconds=min(60, 2**delivery.attempts)), str(error))
    else:
        await broadcasts.delivered(delivery)


async def report_progress(context: Context) -> None:
    """Every few seconds: the organisers' progress messages, then the final report."""
    services = context.services
    shown = context.app.state.progress_shown
    for broadcast in await services.broadcasts.unfinished():
        progress = await services.broadcasts.progress(broadcast.id)
        if progress.done:
            await services.broadcasts.finish(broadcast.id)
        if broadcast.progress_chat_id is None or broadcast.progress_message_id is None:
            continue
        author = await services.registration.participant_by_id(broadcast.author_id) if broadcast.author_id else None
        language: Language = author.language if author else services.settings.default_language
        key = "broadcast.report" if progress.done else "broadcast.progress"
        text = services.tr(language, key, sent=progress.sent, total=progress.total, count=progress.unreachable)
        if shown.get(broadcast.id) == text:
            continue
        shown[broadcast.id] = text
        with contextlib.suppress(BadRequest):  # the same text after a restart
            await context.bot.edit_message_text(
                text,
                chat_id=broadcast.progress_chat_id,
                message_id=broadcast.progress_message_id,
            )


def start(application: MaillageApplication) -> None:
    # A plain task: PTB's create_task would make Application.stop() wait for it forever
    application.state.outbox_task = asyncio.get_running_loop().create_task(run(application))
    every(application, report_progress, PROGRESS_EVERY, "broadcast-progress")


async def stop(application: MaillageApplication) -> None:
    task, application.state.outbox_task = application.state.outbox_task, None
    if task is not None:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
