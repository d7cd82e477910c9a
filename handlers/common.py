"""Helpers shared by handlers: the user's language, replying with catalog text."""

from __future__ import annotations

from telegram import InlineKeyboardMarkup, Message, Update
from telegram.constants import ParseMode

from bot.event import Language
from bot.runtime import Context


async def user_language(update: Update, context: Context) -> Language:
    user = update.effective_user
    services = context.services
    if user is None:
        return services.languages.default
    return await services.languages.language_for(user.id, user.language_code)


async def reply(
    update: Update,
    context: Context,
    text: str,
    reply_markup: InlineKeyboardMarkup | None = None,
) -> Message | None:
    """Send catalog text (Telegram HTML) to the chat the update came from."""
    chat = update.effective_chat
    if chat is None:
        return None
    return await context.bot.send_message(chat.id, text, parse_mode=ParseMode.HTML, reply_markup=reply_markup)
