"""At start-up: the questions of registrations and profile edits that may never have reached their
users before a crash or a restart are asked again."""

from __future__ import annotations

import logging
from datetime import UTC, datetime

from telegram.error import Forbidden

from bot.jobs import every
from bot.runtime import Context, MaillageApplication
from handlers.conversation import send_prompt

log = logging.getLogger(__name__)


async def resume(application: MaillageApplication, saved_before: datetime | None = None) -> None:
    """After a restart, ask again the questions that may never have reached their users. Beside other
    workers (``saved_before``): only those left pending longer than a claim's lease (a live worker sends
    its prompt within milliseconds), each claimed first so that one worker asks it."""
    services = application.services
    for conversation in await services.registration.unprompted(saved_before):
        if saved_before is not None and not await services.registration.claim_unprompted(conversation, saved_before):
            continue
        context = Context(application, chat_id=conversation.telegram_id, user_id=conversation.telegram_id)
        try:
            # After a crash the recorded prompt may be an older one, already without buttons
            resume = services.tr(conversation.draft.language, "conversation.resume")
            await send_prompt(context, conversation, resume, clear_previous=False)
        except Forbidden:
            log.info("could not resume a conversation: the user blocked the bot")


async def resume_left_by_others(context: Context) -> None:
    """Beside other workers: the questions a worker that died left unasked, once its claims ran out."""
    lease = context.services.inbox.lease
    await resume(context.app, datetime.now(UTC) - lease)


def schedule(application: MaillageApplication) -> None:
    """On PostgreSQL, where other workers may die while this one carries on."""
    every(application, resume_left_by_others, application.services.inbox.lease, "conversations-resume")
