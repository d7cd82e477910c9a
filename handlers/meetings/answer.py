"""Answering and changing a meeting: the stand accepts, declines (with a reason) or proposes another
time; the attendee answers a proposal or a move, withdraws a request, cancels; both sides say whether
it took place. Each press runs one use case (bot/services/meeting_actions.py) and tells what it returns."""

from __future__ import annotations

from telegram import InlineKeyboardMarkup, Update

from bot.i18n import Html
from bot.runtime import Context
from bot.services.meetings import MeetingError, NotAllowed
from handlers import buttons
from handlers.aftermath import after_met_markup
from handlers.meetings.common import act, language_of, me_of, refuse, say
from handlers.meetings.request import slot_keyboard
from handlers.notify import tell


async def accept(update: Update, context: Context) -> None:
    """The stand takes the request: both sides are told, the other representatives' copies closed."""
    query = update.callback_query
    assert query is not None and context.match is not None
    await query.answer()
    services = context.services
    meeting_id = int(context.match.group(1))
    me = await me_of(update, context)
    language = me.language if me else await language_of(update, context)
    if me is None:
        await refuse(update, context, language)
        return
    try:
        outcome = await services.meeting_actions.accept(me, meeting_id)
    except NotAllowed:
        await refuse(update, context, language)
        return
    except MeetingError as err:
        markup = None
        if err.key == "meeting.slot_full":  # another time, then
            markup = InlineKeyboardMarkup(
                [[buttons.PROPOSE.button(services.tr(language, "meeting.propose"), meeting_id, 0)]]
            )
        await say(update, context, services.tr(language, err.key, **err.params), markup)
        return
    await tell(context, outcome.notices)


async def withdraw(update: Update, context: Context) -> None:
    """The attendee takes back a request still waiting for an answer."""
    services = context.services
    await act(
        update,
        context,
        lambda me, m: services.meeting_actions.withdraw(me, int(m.group(1))),
        clear_buttons=False,
    )


async def show_request(update: Update, context: Context) -> None:
    """A representative opens a waiting request again from the stand's agenda."""
    services = context.services
    await act(
        update,
        context,
        lambda me, m: services.meeting_actions.show_request(me, int(m.group(1))),
        clear_buttons=False,
    )


async def ask_decline_reason(update: Update, context: Context) -> None:
    await _ask_reason(update, context, "decline", buttons.DECLINE_REASON)


async def ask_cancel_reason(update: Update, context: Context) -> None:
    await _ask_reason(update, context, "cancel", buttons.CANCEL_REASON)


async def _ask_reason(update: Update, context: Context, kind: str, reason: buttons.Family) -> None:
    query = update.callback_query
    assert query is not None and context.match is not None
    await query.answer()
    services = context.services
    meeting_id = int(context.match.group(1))
    me = await me_of(update, context)
    language = me.language if me else await language_of(update, context)
    try:
        if me is None:
            raise NotAllowed
        reasons = await services.meetings.reasons_to_offer(me, meeting_id, kind)
    except NotAllowed:
        await refuse(update, context, language)
        return
    markup = InlineKeyboardMarkup(
        [[reason.button(services.tr(language, f"meeting.reason.{r}"), meeting_id, r)] for r in reasons]
    )
    await say(update, context, services.tr(language, f"meeting.ask_{kind}_reason"), markup)


async def decline_with_reason(update: Update, context: Context) -> None:
    services = context.services
    await act(update, context, lambda me, m: services.meeting_actions.decline(me, int(m.group(1)), m.group(2)))


async def cancel_with_reason(update: Update, context: Context) -> None:
    services = context.services
    await act(update, context, lambda me, m: services.meeting_actions.cancel(me, int(m.group(1)), m.group(2)))


async def propose_pick(update: Update, context: Context) -> None:
    """The stand picks another time for a request, or a new time for a confirmed meeting."""
    query = update.callback_query
    assert query is not None and context.match is not None
    await query.answer()
    services = context.services
    me = await me_of(update, context)
    meeting_id, day = int(context.match.group(1)), int(context.match.group(2))
    language = me.language if me else await language_of(update, context)
    if me is None:
        await refuse(update, context, language)
        return
    try:
        slots = await services.meetings.proposable_slots(me, meeting_id)
    except NotAllowed:
        await refuse(update, context, language)
        return
    except MeetingError as err:
        await say(update, context, services.tr(language, err.key, **err.params))
        return
    if not slots:
        await say(update, context, services.tr(language, "meeting.nothing_to_propose"))
        return
    markup = slot_keyboard(services, language, slots, day, buttons.PROPOSED_SLOT, buttons.PROPOSE, meeting_id)
    await say(update, context, services.tr(language, "meeting.pick_proposal"), markup)


async def propose_slot(update: Update, context: Context) -> None:
    services = context.services

    async def propose(me, match):  # type: ignore[no-untyped-def]
        slot = services.meetings.slot_by_index(int(match.group(2)))
        if slot is None:
            raise NotAllowed
        return await services.meeting_actions.propose(me, int(match.group(1)), slot)

    await act(update, context, propose)


async def proposal_answer(update: Update, context: Context) -> None:
    services = context.services
    await act(
        update,
        context,
        lambda me, m: services.meeting_actions.answer_proposal(me, int(m.group(1)), m.group(2) == "yes"),
    )


async def move_answer(update: Update, context: Context) -> None:
    """The attendee takes the new time of an accepted meeting (or keeps the old one)."""
    services = context.services
    await act(
        update,
        context,
        lambda me, m: services.meeting_actions.answer_move(me, int(m.group(1)), m.group(2) == "yes"),
    )


async def attendance(update: Update, context: Context) -> None:
    services = context.services
    done = await act(
        update, context, lambda me, m: services.meeting_actions.record_attendance(me, int(m.group(1)), m.group(2))
    )
    if done is None:
        return
    me, outcome = done
    assert context.match is not None
    if context.match.group(2) == "met":
        # it took place: rate it, and share one's contact details if one wishes
        thanks = services.tr(me.language, "meeting.attendance_thanks")
        text = Html(f"{thanks}\n\n{services.tr(me.language, 'aftermath.after_met')}")
        await say(update, context, text, after_met_markup(services, me.language, outcome.meeting.id))
    else:
        await say(update, context, services.tr(me.language, "meeting.attendance_thanks"))
