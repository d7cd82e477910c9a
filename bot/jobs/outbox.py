"""The outbox worker: notices and announcements leave the database within Telegram's limits, and the
organiser who sent an announcement watches its progress."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from datetime import timedelta

from telegram import InlineKeyboardMarkup, InputFile
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TimedOut

from bot.event import Language
from bot.jobs import every
from bot.runtime import Context, MaillageApplication, Services
from bot.services.broadcasts import Delivery
from bot.telegram.pacing import BROADCAST, in_flight_for, retry_seconds
from bot.telegram.transport import NotSent
from handlers.notify import rewrite_copies

log = logging.getLogger(__name__)

PROGRESS_EVERY = 2.0  # seconds between two edits of the organiser's progress message
LEASE = timedelta(seconds=10)
MAX_ATTEMPTS = 8
NOT_SENT_AGAIN = timedelta(seconds=0.2)  # no connection came free: nothing went out, try again soon
STOP_GRACE = 5.0  # seconds a stopping process gives the deliveries on their way to be sent and marked


async def run(application: MaillageApplication) -> None:
    """Claims due deliveries and sends them within Telegram's limits, until the process stops.

    Only as many are on their way at once as the budget's pace needs (in_flight_for): each
    one sent but not yet marked sent when the process dies goes out again after the restart."""
    services = application.services
    broadcasts = services.broadcasts
    stopping = application.state.outbox_stopping
    concurrency = in_flight_for(services.settings.telegram_messages_per_second)
    owner = services.reminders.owner
    limit = asyncio.Semaphore(concurrency)

    async def deliver(delivery: Delivery) -> None:
        async with limit:
            await _deliver(application, services, delivery)

    while not stopping.is_set():
        broadcasts.queued.clear()
        batch = await broadcasts.claim_due(owner, LEASE, concurrency * 2)
        if batch:
            await asyncio.gather(*(deliver(d) for d in batch))
            continue
        next_due = await broadcasts.next_due()
        timeout = 1.0
        if next_due is not None and (wait := (next_due - broadcasts.clock()).total_seconds()) > 0:
            timeout = min(timeout, max(0.05, wait))
        # else what is due waits behind a notice to its chat still on its way: its end sets ``queued``
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(broadcasts.queued.wait(), timeout)


async def _deliver(application: MaillageApplication, services: Services, delivery: Delivery) -> None:
    broadcasts = services.broadcasts
    try:
        message_id = await _send(application, services, delivery)
    except Withdrawn:
        await broadcasts.undeliverable(delivery, "failed", "withdrawn")
    except NotSent:
        log.info("delivery %s waited too long for a connection, not sent: again shortly", delivery.id)
        await broadcasts.retry_later(delivery, NOT_SENT_AGAIN, "not sent: no free connection", tried=False)
    except RetryAfter as error:
        await broadcasts.retry_later(delivery, timedelta(seconds=retry_seconds(error)), "429")
    except Forbidden as error:
        await services.registration.set_reachable(delivery.chat_id, False)
        await broadcasts.undeliverable(delivery, "unreachable", str(error))
    except BadRequest as error:
        await broadcasts.undeliverable(delivery, "failed", str(error))
    except (TimedOut, NetworkError) as error:  # it may have reached Telegram: sent again, a duplicate at worst
        if delivery.attempts >= MAX_ATTEMPTS:
            await broadcasts.undeliverable(delivery, "failed", str(error))
        else:
            await broadcasts.retry_later(delivery, timedelta(seconds=min(60, 2**delivery.attempts)), str(error))
    else:
        await broadcasts.delivered(delivery, message_id)


class Withdrawn(Exception):
    """The calendar file named someone who has since asked to be forgotten: it is not sent."""


async def _send(application: MaillageApplication, services: Services, delivery: Delivery) -> int | None:
    """The delivery sent: a message, a calendar file with its caption, or the rewrite of request copies.
    Announcements take what the budget leaves; notices come before them (bot/telegram/pacing.py)."""
    bot = application.bot
    pace = BROADCAST if delivery.announcement else None
    markup = InlineKeyboardMarkup.de_json(json.loads(delivery.buttons), bot) if delivery.buttons else None
    if delivery.rewrites_copies_of is not None:
        await rewrite_copies(
            bot, services, delivery.rewrites_copies_of, delivery.participant_id, delivery.chat_id, delivery.text
        )
        return None
    if delivery.document_name is not None:
        if delivery.document is None:
            raise Withdrawn
        file = InputFile(delivery.document.encode("utf-8"), filename=delivery.document_name, attach=False)
        sent = await bot.send_document(
            delivery.chat_id, file, caption=delivery.text, reply_markup=markup, rate_limit_args=pace
        )
    else:
        sent = await bot.send_message(delivery.chat_id, delivery.text, reply_markup=markup, rate_limit_args=pace)
    return sent.message_id


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
    """A graceful stop: nothing more is claimed, what is on its way is sent and marked (within
    STOP_GRACE), and whatever this process still holds is released at once, not left to its lease:
    a claim left behind would hold its chat's next notices until the lease lapsed."""
    state = application.state
    task, state.outbox_task = state.outbox_task, None
    if task is None:
        return
    state.outbox_stopping.set()
    broadcasts = application.services.broadcasts
    broadcasts.queued.set()  # wakes the loop's wait
    try:
        await asyncio.wait_for(asyncio.shield(task), STOP_GRACE)
    except TimeoutError:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
    released = await broadcasts.release(application.services.reminders.owner)
    if released:
        log.info("%d deliveries on their way at the stop are released, to go out after the restart", released)
