"""The one error handler: log with the update id, apologise instead of going silent."""

from __future__ import annotations

import logging

from telegram import Update
from telegram.error import Forbidden, TelegramError

from bot.runtime import Context
from handlers.common import reply, user_language

log = logging.getLogger(__name__)


async def on_error(update: object, context: Context) -> None:
    update_id = update.update_id if isinstance(update, Update) else None
    log.error("update %s failed", update_id, exc_info=context.error)
    if not isinstance(update, Update) or isinstance(context.error, Forbidden):
        return
    try:
        language = await user_language(update, context)
    except Exception:  # the database itself may be what failed
        language = context.services.languages.default
    text = context.services.tr(language, "error.generic")
    try:
        await reply(update, context, text)
    except TelegramError:
        log.warning("could not tell the user about the failure of update %s", update_id)
