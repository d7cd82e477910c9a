"""Helpers shared by handlers: the user's language, replying with catalog text."""

from __future__ import annotations

from telegram import InlineKeyboardMarkup, Message, Update
from telegram.constants import ParseMode
from telegram.error import Forbidden

from bot.event import Language
from bot.runtime import Context
from storage.participants import Participant


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


async def notify(
    context: Context, participant: Participant, text: str, reply_markup: InlineKeyboardMarkup | None = None
) -> bool:
    """Write to a participant on the bot's own initiative; never to one who blocked the bot."""
    if not participant.reachable:
        return False
    try:
        await context.bot.send_message(
            participant.telegram_id, text, parse_mode=ParseMode.HTML, reply_markup=reply_markup
        )
    except Forbidden:
        await context.services.registration.participants.set_reachable(participant.telegram_id, False)
        return False
    return True
