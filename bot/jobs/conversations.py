"""At start-up: the questions of registrations and profile edits that may never have reached their
users before a crash or a restart are asked again."""

from __future__ import annotations

import logging

from telegram.error import Forbidden

from bot.runtime import Context, MaillageApplication
from handlers.conversation import send_prompt

log = logging.getLogger(__name__)


async def resume(application: MaillageApplication) -> None:
    """After a restart, ask again the questions that may never have reached their users."""
    services = application.services
    for conversation in await services.registration.unprompted():
        context = Context(application, chat_id=conversation.telegram_id, user_id=conversation.telegram_id)
        try:
            # After a crash the recorded prompt may be an older one, already without buttons
            resume = services.tr(conversation.draft.language, "conversation.resume")
            await send_prompt(context, conversation, resume, clear_previous=False)
        except Forbidden:
            log.info("could not resume a conversation: the user blocked the bot")
