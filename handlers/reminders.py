""" "I'll be 5 minutes late", pressed under a meeting's reminder."""

from __future__ import annotations

import logging

from telegram import Update

from bot.runtime import Context
from bot.services.meetings import Lateness
from handlers.common import user_language
from handlers.notify import tell

log = logging.getLogger(__name__)


async def late(update: Update, context: Context) -> None:
    """ "I'll be 5 minutes late": the other side is told, once, while the meeting is still to come or on."""
    query = update.callback_query
    assert query is not None and context.match is not None
    await query.answer()
    services = context.services
    me = await services.registration.participant(query.from_user.id)
    language = me.language if me else await user_language(update, context)
    if me is None:
        outcome = Lateness("not_yours")
    else:
        outcome = await services.meetings.announce_lateness(me, int(context.match.group(1)))
    if outcome.outcome == "not_yours":
        log.warning("user %s pressed a lateness button that is not theirs: %r", query.from_user.id, query.data)
    if outcome.outcome != "told" or me is None or outcome.meeting is None:
        key = {"not_yours": "meeting.not_yours", "over": "reminder.late_over", "already": "reminder.late_already"}
        await context.bot.send_message(query.from_user.id, services.tr(language, key[outcome.outcome]))
        return
    await tell(context, outcome.notices)
    await context.bot.send_message(query.from_user.id, services.tr(language, "reminder.late_sent"))
