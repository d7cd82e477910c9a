"""Helpers shared by handlers: the user's language, replying with catalog text."""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable, Coroutine
from typing import Any

from telegram import CallbackQuery, InlineKeyboardMarkup, Message, Update
from telegram.error import Forbidden

from bot.event import Language
from bot.i18n import MESSAGE_TEXT, escape, to_plain
from bot.runtime import Context
from bot.services.registration import Participant
from bot.telegram.bot import plain_labels
from bot.telegram.pacing import PacedRateLimiter

log = logging.getLogger(__name__)

Callback = Callable[[Update, Context], Coroutine[Any, Any, None]]


async def note_user_activity(update: Update, context: Context) -> None:
    """Tell the send budget that this user just wrote or pressed: the next messages are replies."""
    chat = update.effective_chat
    limiter = context.bot.rate_limiter
    if chat is not None and isinstance(limiter, PacedRateLimiter):
        limiter.heard_from(chat.id)


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
    return await context.bot.send_message(chat.id, text, reply_markup=reply_markup)


async def notify(
    context: Context, participant: Participant, text: str, reply_markup: InlineKeyboardMarkup | None = None
) -> bool:
    """Write to a participant on the bot's own initiative; never to one who blocked the bot."""
    if not participant.reachable:
        return False
    try:
        await context.bot.send_message(participant.telegram_id, text, reply_markup=reply_markup)
    except Forbidden:
        await context.services.registration.set_reachable(participant.telegram_id, False)
        return False
    return True


async def is_organiser(update: Update, context: Context) -> bool:
    """Every organiser action checks this; refusals are answered and logged."""
    user = update.effective_user
    assert user is not None
    registration = context.services.registration
    if registration.is_organiser(user.id, await registration.participant(user.id)):
        return True
    language = await user_language(update, context)
    text = context.services.tr(language, "organiser.only")
    if update.callback_query is not None:
        log.warning("user %s tried an organiser button: %r", user.id, update.callback_query.data)
    else:
        typed = update.effective_message.text if update.effective_message else None
        command = typed.split(maxsplit=1)[0][:40] if typed else None
        log.warning("user %s tried an organiser command %r (%d characters)", user.id, command, len(typed or ""))
    if update.callback_query is not None:
        await update.callback_query.answer(text, show_alert=True)
    else:
        await reply(update, context, text)
    return False


def organiser_only(callback: Callback) -> Callback:
    """The organisers' commands and buttons: anyone else is refused politely (is_organiser) and nothing runs."""

    @functools.wraps(callback)
    async def guarded(update: Update, context: Context) -> None:
        if await is_organiser(update, context):
            await callback(update, context)

    return guarded


async def keep_choice(query: CallbackQuery) -> None:
    """A button answer replaces the keyboard: the message keeps what was chosen, as forms in Telegram
    do ("À qui l'envoyer ? → Tout le monde"). Afterwards the message has no buttons left."""
    message = query.message
    markup = message.reply_markup if isinstance(message, Message) else None
    label = next(
        (b.text for row in (markup.inline_keyboard if markup else ()) for b in row if b.callback_data == query.data),
        None,
    )
    if not isinstance(message, Message) or message.text is None or label is None:
        await query.edit_message_reply_markup(reply_markup=None)
        return
    text = f"{message.text_html}\n→ <b>{escape(label)}</b>"
    if len(text) > MESSAGE_TEXT:  # a long question keeps its text, and loses its buttons only
        await query.edit_message_reply_markup(reply_markup=None)
        return
    await query.edit_message_text(text, reply_markup=None)


async def edit_or_send(
    update: Update, context: Context, text: str, markup: InlineKeyboardMarkup | None, *, edit: bool = True
) -> None:
    """Browsing edits the pressed message in place; a command or the main menu starts a new one.

    Pressing a button that would show the same thing again changes nothing (Telegram refuses
    an edit to identical content).
    """
    query = update.callback_query
    if edit and query is not None and isinstance(query.message, Message) and query.message.text:
        if query.message.text == to_plain(text) and query.message.reply_markup == plain_labels(markup):
            return
        await query.edit_message_text(text, reply_markup=markup)
    else:
        await reply(update, context, text, markup)
