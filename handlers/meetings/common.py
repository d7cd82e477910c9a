"""What the meeting handlers share: who pressed, polite refusals, one button's use case run and told."""

from __future__ import annotations

import logging
import re
from collections.abc import Awaitable, Callable
from datetime import datetime

from telegram import InlineKeyboardMarkup, Message, Update

from bot.event import Language, Slot
from bot.runtime import Context, Services
from bot.services.meeting_actions import Outcome
from bot.services.meetings import MeetingError, NotAllowed
from bot.services.registration import Participant
from handlers.common import user_language
from handlers.notify import tell

log = logging.getLogger(__name__)


def slot_label(services: Services, language: Language, slot: Slot | None, start: datetime | None = None) -> str:
    moment = slot.start if slot is not None else start
    assert moment is not None
    return services.tr.format_slot(language, moment.astimezone(services.event.tz))


async def me_of(update: Update, context: Context) -> Participant | None:
    user = update.effective_user
    assert user is not None
    return await context.services.registration.participant(user.id)


async def language_of(update: Update, context: Context) -> Language:
    return await user_language(update, context)


async def refuse(update: Update, context: Context, language: Language) -> None:
    """Forged or stale: answered politely, logged, nothing changes."""
    query = update.callback_query
    user = update.effective_user
    log.warning(
        "user %s pressed a meeting button they may not use: %r",
        user.id if user else None,
        query.data if query else None,
    )
    await say(update, context, context.services.tr(language, "meeting.not_yours"))


async def say(update: Update, context: Context, text: str, markup: InlineKeyboardMarkup | None = None) -> Message:
    chat = update.effective_chat
    assert chat is not None
    return await context.bot.send_message(chat.id, text, reply_markup=markup)


UseCase = Callable[[Participant, re.Match[str]], Awaitable[Outcome]]


async def act(
    update: Update, context: Context, use_case: UseCase, *, clear_buttons: bool = True
) -> tuple[Participant, Outcome] | None:
    """Answer the button, run ``use_case`` for whoever pressed it, and tell everyone what it returns;
    refusals and errors are told instead, and None returned."""
    query = update.callback_query
    assert query is not None and context.match is not None
    await query.answer()
    me = await me_of(update, context)
    language = me.language if me else await language_of(update, context)
    if me is None:
        await refuse(update, context, language)
        return None
    try:
        outcome = await use_case(me, context.match)
    except NotAllowed:
        await refuse(update, context, language)
        return None
    except MeetingError as err:
        await say(update, context, context.services.tr(language, err.key, **err.params))
        return None
    if clear_buttons:
        await query.edit_message_reply_markup(reply_markup=None)
    await tell(context, outcome.notices)
    return me, outcome
