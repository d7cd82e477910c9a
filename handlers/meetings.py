"""Meetings on the phones: request, answer, propose, cancel, agenda, calendar files, attendance."""

from __future__ import annotations

import logging
import re
from collections.abc import Awaitable, Callable
from datetime import datetime

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, InputFile, Message, Update
from telegram.constants import ParseMode
from telegram.error import BadRequest, Forbidden

from bot.event import Language, Slot
from bot.i18n import Html, telegram_length
from bot.runtime import Context, MaillageApplication, Services
from bot.services.calendar import meeting_ics
from bot.services.flows import StoredConversation
from bot.services.meetings import Meeting, MeetingError, MeetingView, NotAllowed, Status
from bot.services.registration import Participant, Role
from handlers.common import edit_or_send, keep_choice, user_language
from handlers.paging import Entry, markup, page_of
from handlers.views import main_menu

log = logging.getLogger(__name__)

FLOW = "meeting"
NEW_PATTERN = r"^mt:new:(\d{1,9})$"
PICK_PATTERN = r"^mt:pick:(\d{1,9}):(\d{1,3})$"
SLOT_PATTERN = r"^mt:slot(?:ok)?:(\d{1,9}):(\d{1,4})$"
DRAFT_PATTERN = r"^mt:draft:(skip|send|cancel)$"
ANSWER_PATTERN = r"^mt:(acc|dec|show|wd|can):(\d{1,12})$"
DECLINE_PATTERN = r"^mt:decr:(\d{1,12}):(full|topic|other)$"
CANCEL_PATTERN = r"^mt:canr:(\d{1,12}):(unavailable|other)$"
PROPOSE_PATTERN = r"^mt:prop:(\d{1,12}):(\d{1,3})$"
PROPOSED_SLOT_PATTERN = r"^mt:ps:(\d{1,12}):(\d{1,4})$"
PROPOSAL_ANSWER_PATTERN = r"^mt:pa:(\d{1,12}):(yes|no)$"
MOVE_ANSWER_PATTERN = r"^mt:mv:(\d{1,12}):(yes|no)$"
ATTENDANCE_PATTERN = r"^mt:att:(\d{1,12}):(met|no_show)$"
NOOP_PATTERN = r"^mt:noop$"
AGENDA_PAGE_PATTERN = r"^ag:p:(\d{1,4})$"
AGENDA_PAGE_DATA = "ag:p:{page}"
TIMES_PER_ROW = 4
MAX_CAPTION = 1024  # Telegram's limit on a file's caption


# ---------------------------------------------------------------------- helpers


def slot_label(services: Services, language: Language, slot: Slot | None, start: object = None) -> str:
    moment = slot.start if slot is not None else start
    assert moment is not None
    return services.tr.format_slot(language, moment.astimezone(services.event.tz))  # type: ignore[attr-defined]


async def _me(update: Update, context: Context) -> Participant | None:
    user = update.effective_user
    assert user is not None
    return await context.services.registration.participant(user.id)


async def _answer_refusal(update: Update, context: Context, language: Language) -> None:
    """Forged or stale: answered politely, logged, nothing changes."""
    query = update.callback_query
    user = update.effective_user
    log.warning(
        "user %s pressed a meeting button they may not use: %r",
        user.id if user else None,
        query.data if query else None,
    )
    await context.bot.send_message(
        update.effective_chat.id,  # type: ignore[union-attr]
        context.services.tr(language, "meeting.not_yours"),
        parse_mode=ParseMode.HTML,
    )


async def _act(
    update: Update, context: Context, action: Callable[[Participant, re.Match[str]], Awaitable[Meeting]]
) -> tuple[Participant, Meeting] | None:
    """Answer the button, run ``action`` for whoever pressed it; refusals and errors are told, None then."""
    query = update.callback_query
    assert query is not None and context.match is not None
    await query.answer()
    me = await _me(update, context)
    language = me.language if me else await _language(update, context)
    if me is None:
        await _answer_refusal(update, context, language)
        return None
    try:
        meeting = await action(me, context.match)
    except NotAllowed:
        await _answer_refusal(update, context, language)
        return None
    except MeetingError as err:
        await _say(update, context, context.services.tr(language, err.key, **err.params))
        return None
    await query.edit_message_reply_markup(reply_markup=None)
    return me, meeting


async def _say(update: Update, context: Context, text: str, markup: InlineKeyboardMarkup | None = None) -> Message:
    chat = update.effective_chat
    assert chat is not None
    return await context.bot.send_message(chat.id, text, parse_mode=ParseMode.HTML, reply_markup=markup)


async def _notify(
    context: Context, participant: Participant, text: str, markup: InlineKeyboardMarkup | None = None
) -> Message | None:
    if not participant.reachable:
        return None
    try:
        return await context.bot.send_message(
            participant.telegram_id, text, parse_mode=ParseMode.HTML, reply_markup=markup
        )
    except Forbidden:
        await context.services.registration.set_reachable(participant.telegram_id, False)
        return None


async def _send_ics(
    context: Context, participant: Participant, view: MeetingView, cancelled: bool, lead: Html | None = None
) -> None:
    """The meeting as a calendar file; ``lead``: the news that goes with it, in the same message."""
    if not participant.reachable:
        return
    services = context.services
    language = participant.language
    other = (
        view.exhibitor.name
        if participant.role != Role.EXHIBITOR
        else (view.attendee.full_name if view.attendee else "—")
    )
    summary = services.tr(language, "meeting.ics_summary", other=other)
    location = services.tr(
        language,
        "meeting.ics_location",
        venue=services.event.venue,
        stand=view.exhibitor.stand or "—",
        table=view.meeting.table_no or "—",
    )
    content = meeting_ics(
        event=services.event,
        meeting_id=view.meeting.id,
        start=view.meeting.slot_start,
        summary=summary.replace("<b>", "").replace("</b>", ""),
        location=location,
        description=services.event.name(language),
        sequence=view.meeting.sequence,
        cancelled=cancelled,
    )
    name = f"maillage-meeting-{view.meeting.id}{'-cancelled' if cancelled else ''}.ics"
    caption = services.tr(language, "meeting.ics_cancel_caption" if cancelled else "meeting.ics_caption")
    if lead is not None:
        if telegram_length(lead) + telegram_length(caption) + 2 > MAX_CAPTION:
            await _notify(context, participant, lead)  # too long for a caption: two messages
        else:
            caption = Html(f"{lead}\n\n{caption}")
    try:
        await context.bot.send_document(
            participant.telegram_id,
            InputFile(content, filename=name, attach=False),
            caption=caption,
            parse_mode=ParseMode.HTML,
        )
    except Forbidden:
        await services.registration.set_reachable(participant.telegram_id, False)


def _who(services: Services, language: Language, attendee: Participant | None) -> Html:
    if attendee is None:
        return services.tr(language, "meeting.someone")
    org_type = services.tr(language, f"orgtype.{attendee.org_type.value}") if attendee.org_type else ""
    who = services.tr(
        language, "meeting.who", name=attendee.full_name, organisation=attendee.organisation or "—", type=org_type
    )
    if attendee.job_title:  # what the person does tells the stand who is coming
        who = Html(who + services.tr(language, "meeting.who_job", job=attendee.job_title))
    return who


# ---------------------------------------------------------------------- slot picker


def slot_keyboard(
    services: Services,
    language: Language,
    slots: list[Slot],
    day_index: int,
    choose: str,
    page: str,
    clashing: set[Slot] | None = None,
) -> InlineKeyboardMarkup:
    """Time buttons grouped by half-day for one event day; ``choose``/``page`` take an index.

    Slots in ``clashing`` overlap a session the person follows: marked with ⚠.
    """
    days = sorted({s.start.astimezone(services.event.tz).date() for s in slots})
    day_index = min(max(day_index, 0), max(len(days) - 1, 0))
    rows: list[list[InlineKeyboardButton]] = []
    if days:
        day = days[day_index]
        todays = [s for s in slots if s.start.astimezone(services.event.tz).date() == day]
        for half, label_key in ((lambda h: h < 13, "meeting.morning"), (lambda h: h >= 13, "meeting.afternoon")):
            group = [s for s in todays if half(s.start.astimezone(services.event.tz).hour)]
            if not group:
                continue
            header = services.tr(language, label_key, day=services.tr.format_date(language, day))
            rows.append([InlineKeyboardButton(f"— {header} —", callback_data="mt:noop")])
            buttons = [
                InlineKeyboardButton(
                    ("⚠ " if clashing and s in clashing else "")
                    + services.tr.format_time(language, s.start.astimezone(services.event.tz)),
                    callback_data=choose.format(index=services.event.slots.index(s)),
                )
                for s in group
            ]
            rows += [buttons[i : i + TIMES_PER_ROW] for i in range(0, len(buttons), TIMES_PER_ROW)]
        navigation = []
        if day_index > 0:
            navigation.append(
                InlineKeyboardButton(
                    services.tr(language, "button.previous_day"), callback_data=page.format(day=day_index - 1)
                )
            )
        if day_index + 1 < len(days):
            navigation.append(
                InlineKeyboardButton(
                    services.tr(language, "button.next_day"), callback_data=page.format(day=day_index + 1)
                )
            )
        if navigation:
            rows.append(navigation)
    rows.append([InlineKeyboardButton(services.tr(language, "button.cancel"), callback_data="mt:draft:cancel")])
    return InlineKeyboardMarkup(rows)


async def noop(update: Update, context: Context) -> None:
    assert update.callback_query is not None
    await update.callback_query.answer()


# ---------------------------------------------------------------------- requesting


async def start_request(update: Update, context: Context) -> None:
    query = update.callback_query
    assert query is not None and context.match is not None
    await query.answer()
    await _show_picker(update, context, int(context.match.group(1)), 0, edit=False)


async def pick_day(update: Update, context: Context) -> None:
    query = update.callback_query
    assert query is not None and context.match is not None
    await query.answer()
    await _show_picker(update, context, int(context.match.group(1)), int(context.match.group(2)), edit=True)


async def _show_picker(update: Update, context: Context, exhibitor_id: int, day: int, *, edit: bool) -> None:
    services = context.services
    me = await _me(update, context)
    if me is None:
        language = await _language(update, context)
        await _say(update, context, services.tr(language, "me.not_registered"))
        return
    language = me.language
    exhibitor = await services.directory.exhibitor(exhibitor_id)
    if exhibitor is None:
        await _say(update, context, services.tr(language, "directory.gone"))
        return
    try:
        await services.meetings.check_can_request(me, exhibitor)
    except MeetingError as err:
        await _say(update, context, services.tr(language, err.key, **err.params))
        return
    slots = await services.meetings.free_slots(me, exhibitor)
    if not slots:
        await _say(update, context, services.tr(language, "meeting.no_slot", exhibitor=exhibitor.name))
        return
    text = services.tr(language, "meeting.pick_slot", exhibitor=exhibitor.name)
    clashing = {slot for slot in slots if await services.programme.clashes(me.id, slot)}
    markup = slot_keyboard(
        services, language, slots, day, f"mt:slot:{exhibitor.id}:{{index}}", f"mt:pick:{exhibitor.id}:{{day}}", clashing
    )
    query = update.callback_query
    if edit and query is not None and isinstance(query.message, Message):
        await query.edit_message_text(text, parse_mode=ParseMode.HTML, reply_markup=markup)
    else:
        await _say(update, context, text, markup)


async def _language(update: Update, context: Context) -> Language:
    return await user_language(update, context)


async def choose_slot(update: Update, context: Context) -> None:
    query = update.callback_query
    assert query is not None and context.match is not None
    await query.answer()
    services = context.services
    me = await _me(update, context)
    exhibitor = await services.directory.exhibitor(int(context.match.group(1)))
    slot = services.meetings.slot_by_index(int(context.match.group(2)))
    if me is None or exhibitor is None or slot is None:
        await _say(update, context, services.tr(await _language(update, context), "fallback.stale_button"))
        return
    if slot not in await services.meetings.free_slots(me, exhibitor):
        await _say(update, context, services.tr(me.language, "meeting.slot_gone"))
        return
    clashes = await services.programme.clashes(me.id, slot)
    if clashes and not (query.data or "").startswith("mt:slotok:"):  # a second confirmation
        index = services.meetings.slot_index(slot)
        titles = ", ".join(s.title(me.language) for s in clashes)
        markup = InlineKeyboardMarkup(
            [
                [
                    InlineKeyboardButton(
                        services.tr(me.language, "meeting.clash_ok"), callback_data=f"mt:slotok:{exhibitor.id}:{index}"
                    )
                ],
                [
                    InlineKeyboardButton(
                        services.tr(me.language, "meeting.clash_other"), callback_data=f"mt:new:{exhibitor.id}"
                    )
                ],
            ]
        )
        await _say(update, context, services.tr(me.language, "meeting.clash", titles=titles), markup)
        return
    index = services.meetings.slot_index(slot)
    current = await services.flows.current(me.telegram_id)
    if (
        current is not None
        and current.flow == FLOW
        and current.step == "note"
        and (current.data.get("exhibitor_id"), current.data.get("slot")) == (exhibitor.id, index)
    ):
        return  # a second tap on the same time: its question is already on the screen
    draft = StoredConversation(
        telegram_id=me.telegram_id,
        flow=FLOW,
        step="note",
        data={"exhibitor_id": exhibitor.id, "slot": index, "note": None, "language": me.language},
        prompt_pending=False,
    )
    await services.flows.save(draft)
    await keep_choice(query)
    markup = InlineKeyboardMarkup(
        [
            [InlineKeyboardButton(services.tr(me.language, "button.skip"), callback_data="mt:draft:skip")],
            [InlineKeyboardButton(services.tr(me.language, "button.cancel"), callback_data="mt:draft:cancel")],
        ]
    )
    text = services.tr(
        me.language,
        "meeting.ask_note",
        exhibitor=exhibitor.name,
        when=slot_label(services, me.language, slot),
        maximum=300,
    )
    await _say(update, context, text, markup)


async def on_note(update: Update, context: Context, draft: StoredConversation) -> None:
    """The attendee typed the note for the exhibitor (or something else at that step)."""
    services = context.services
    message = update.effective_message
    assert message is not None
    language: Language = draft.data.get("language", "fr")
    if draft.step != "note" or message.text is None:
        key = "conversation.use_buttons" if draft.step != "note" else "conversation.text_expected"
        await _say(update, context, services.tr(language, key))
        return
    try:
        note = services.meetings.clean_note(message.text)
    except MeetingError as err:
        await _say(update, context, services.tr(language, err.key, **err.params))
        return
    draft.data["note"] = note or None
    await _show_summary(update, context, draft)


async def _show_summary(update: Update, context: Context, draft: StoredConversation) -> None:
    services = context.services
    language: Language = draft.data.get("language", "fr")
    draft.step = "confirm"
    await services.flows.save(draft)
    exhibitor = await services.directory.exhibitor(int(draft.data["exhibitor_id"]))
    slot = services.meetings.slot_by_index(int(draft.data["slot"]))
    if exhibitor is None or slot is None:
        await services.flows.drop(draft.telegram_id)
        await _say(update, context, services.tr(language, "meeting.slot_gone"))
        return
    text = services.tr(
        language,
        "meeting.summary",
        exhibitor=exhibitor.name,
        stand=exhibitor.stand or "—",
        when=slot_label(services, language, slot),
        note=draft.data.get("note") or services.tr(language, "profile.empty"),
    )
    markup = InlineKeyboardMarkup(
        [
            [InlineKeyboardButton(services.tr(language, "meeting.send"), callback_data="mt:draft:send")],
            [InlineKeyboardButton(services.tr(language, "button.cancel"), callback_data="mt:draft:cancel")],
        ]
    )
    await _say(update, context, text, markup)


def _already_done(action: str, draft: StoredConversation | None) -> bool:
    """Skip pressed again once the summary is shown, or Send once the request is gone out."""
    at_summary = draft is not None and draft.flow == FLOW and draft.step == "confirm"
    return (action == "skip" and at_summary) or (action == "send" and draft is None)


async def draft_button(update: Update, context: Context) -> None:
    query = update.callback_query
    assert query is not None and context.match is not None
    await query.answer()
    services = context.services
    action = context.match.group(1)
    draft = await services.flows.current(query.from_user.id)
    language = await _language(update, context)
    if _already_done(action, draft):
        return  # a second tap: the first one has done what the button says
    if draft is None or draft.flow != FLOW:
        if action == "cancel":  # from the slot picker, before any draft exists
            await query.edit_message_reply_markup(reply_markup=None)
            await _say(update, context, services.tr(language, "meeting.request_dropped"))
        else:
            await _say(update, context, services.tr(language, "conversation.stale"))
        return
    await keep_choice(query)
    if action == "cancel":
        await services.flows.drop(draft.telegram_id)
        await _say(update, context, services.tr(language, "meeting.request_dropped"))
    elif action == "skip" and draft.step == "note":
        await _show_summary(update, context, draft)
    elif action == "send" and draft.step == "confirm":
        await _send_request(update, context, draft)
    else:
        await _say(update, context, services.tr(language, "conversation.stale"))


async def _send_request(update: Update, context: Context, draft: StoredConversation) -> None:
    services = context.services
    me = await _me(update, context)
    language: Language = draft.data.get("language", "fr")
    slot = services.meetings.slot_by_index(int(draft.data["slot"]))
    await services.flows.drop(draft.telegram_id)
    if me is None or slot is None:
        await _say(update, context, services.tr(language, "meeting.slot_gone"))
        return
    try:
        meeting = await services.meetings.request(me, int(draft.data["exhibitor_id"]), slot, draft.data.get("note"))
    except MeetingError as err:
        await _say(update, context, services.tr(language, err.key, **err.params))
        return
    view = await services.meetings.view(meeting)
    organiser = services.registration.is_organiser(me.telegram_id, me)
    await _say(  # with the menu: the attendee carries on from here
        update,
        context,
        services.tr(
            me.language, "meeting.sent", exhibitor=view.exhibitor.name, when=slot_label(services, me.language, slot)
        ),
        main_menu(services.tr, me.language, organiser),
    )
    await send_request_to_representatives(context, view)


# ---------------------------------------------------------------------- the representatives' side


def request_text(services: Services, language: Language, view: MeetingView) -> Html:
    attendee = view.attendee
    themes = ", ".join(t.label(language) for t in services.event.themes if attendee and t.id in attendee.themes)
    return services.tr(
        language,
        "meeting.request",
        who=_who(services, language, attendee),
        themes=themes or "—",
        looking_for=(attendee.looking_for if attendee else None) or "—",
        when=slot_label(services, language, view.slot, view.meeting.slot_start),
        note=view.meeting.note or "—",
    )


def request_buttons(services: Services, language: Language, meeting_id: int) -> InlineKeyboardMarkup:
    tr = services.tr
    return InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(tr(language, "meeting.accept"), callback_data=f"mt:acc:{meeting_id}"),
                InlineKeyboardButton(tr(language, "meeting.decline"), callback_data=f"mt:dec:{meeting_id}"),
            ],
            [InlineKeyboardButton(tr(language, "meeting.propose"), callback_data=f"mt:prop:{meeting_id}:0")],
        ]
    )


async def send_request_to_representatives(context: Context, view: MeetingView) -> None:
    services = context.services
    for rep in await services.meetings.representatives(view.exhibitor.id):
        sent = await _notify(
            context,
            rep,
            request_text(services, rep.language, view),
            request_buttons(services, rep.language, view.meeting.id),
        )
        if sent is not None:
            await services.meetings.remember_request_message(view.meeting.id, rep.id, sent.message_id)


async def _close_request_messages(context: Context, view: MeetingView, outcome_key: str, **params: object) -> None:
    """Every representative's copy of the request now says who answered, without buttons."""
    services = context.services
    reps = {r.id: r for r in await services.meetings.representatives(view.exhibitor.id)}
    for participant_id, message_id in await services.meetings.request_messages(view.meeting.id):
        rep = reps.get(participant_id)
        if rep is None or not rep.reachable:
            continue
        text = Html(
            request_text(services, rep.language, view) + "\n\n" + services.tr(rep.language, outcome_key, **params)
        )
        try:
            await context.bot.edit_message_text(
                text, chat_id=rep.telegram_id, message_id=message_id, parse_mode=ParseMode.HTML
            )
        except Forbidden:
            await services.registration.set_reachable(rep.telegram_id, False)
        except BadRequest as err:
            log.info("could not update request message %s: %s", message_id, err)


async def answer(update: Update, context: Context) -> None:
    """accept, decline (asks the reason), show (the request again), withdraw and cancel."""
    query = update.callback_query
    assert query is not None and context.match is not None
    await query.answer()
    services = context.services
    action, meeting_id = context.match.group(1), int(context.match.group(2))
    me = await _me(update, context)
    language = me.language if me else await _language(update, context)
    if me is None:
        await _answer_refusal(update, context, language)
        return
    try:
        if action == "acc":
            meeting = await services.meetings.accept(me, meeting_id)
            await _accepted(context, meeting, me)
        elif action == "dec":
            await _ask_reason(update, context, me, meeting_id, "decline")
        elif action == "can":
            await _ask_reason(update, context, me, meeting_id, "cancel")
        elif action == "wd":
            meeting = await services.meetings.withdraw(me, meeting_id)
            view = await services.meetings.view(meeting)
            await _say(update, context, services.tr(language, "meeting.withdrawn_you", exhibitor=view.exhibitor.name))
            await _close_request_messages(context, view, "meeting.outcome_withdrawn")
        else:  # show
            await _show_request_again(update, context, me, meeting_id)
    except NotAllowed:
        await _answer_refusal(update, context, language)
    except MeetingError as err:
        markup = None
        if err.key == "meeting.slot_full":
            markup = InlineKeyboardMarkup(
                [
                    [
                        InlineKeyboardButton(
                            services.tr(language, "meeting.propose"), callback_data=f"mt:prop:{meeting_id}:0"
                        )
                    ]
                ]
            )
        await _say(update, context, services.tr(language, err.key, **err.params), markup)


async def _show_request_again(update: Update, context: Context, me: Participant, meeting_id: int) -> None:
    services = context.services
    meeting = await services.meetings.get(meeting_id)
    if meeting is None or me.role != Role.EXHIBITOR or me.exhibitor_id != meeting.exhibitor_id:
        raise NotAllowed
    view = await services.meetings.view(meeting)
    if meeting.status != Status.PENDING or meeting.awaiting != "exhibitor":
        raise MeetingError("meeting.already_answered")
    sent = await _say(
        update, context, request_text(services, me.language, view), request_buttons(services, me.language, meeting.id)
    )
    await services.meetings.remember_request_message(meeting.id, me.id, sent.message_id)


async def _ask_reason(update: Update, context: Context, me: Participant, meeting_id: int, kind: str) -> None:
    services = context.services
    meeting = await services.meetings.get(meeting_id)
    if meeting is None:
        raise NotAllowed
    is_rep = me.role == Role.EXHIBITOR and me.exhibitor_id == meeting.exhibitor_id
    if kind == "decline" and not is_rep:
        raise NotAllowed
    if kind == "cancel" and not (is_rep or meeting.attendee_id == me.id):
        raise NotAllowed
    reasons = ("full", "topic", "other") if kind == "decline" else ("unavailable", "other")
    prefix = "decr" if kind == "decline" else "canr"
    markup = InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(
                    services.tr(me.language, f"meeting.reason.{r}"), callback_data=f"mt:{prefix}:{meeting_id}:{r}"
                )
            ]
            for r in reasons
        ]
    )
    await _say(update, context, services.tr(me.language, f"meeting.ask_{kind}_reason"), markup)


async def _accepted(context: Context, meeting: Meeting, rep: Participant | None) -> None:
    """Both sides learn the meeting is on, with time, stand, table, each other and a calendar file."""
    services = context.services
    view = await services.meetings.view(meeting)
    table = meeting.table_no or 0
    answered_by = rep.full_name if rep else (view.attendee.full_name if view.attendee else "—")
    await _close_request_messages(context, view, "meeting.outcome_accepted", name=answered_by, table=table)
    if view.attendee is not None:
        language = view.attendee.language
        text = services.tr(
            language,
            "meeting.accepted_attendee",
            exhibitor=view.exhibitor.name,
            when=slot_label(services, language, view.slot, meeting.slot_start),
            stand=view.exhibitor.stand or "—",
            table=table,
            rep=answered_by if rep else "—",
        )
        # one message: the confirmation, with the calendar file attached
        await _send_ics(context, view.attendee, view, cancelled=False, lead=text)
    for other in await services.meetings.representatives(view.exhibitor.id):
        if other.reachable:
            await _send_ics(context, other, view, cancelled=False)


async def decline_with_reason(update: Update, context: Context) -> None:
    services = context.services
    done = await _act(update, context, lambda me, m: services.meetings.decline(me, int(m.group(1)), m.group(2)))
    if done is None:
        return
    me, meeting = done
    view = await services.meetings.view(meeting)
    reason = meeting.decline_reason or "other"
    await _close_request_messages(context, view, "meeting.outcome_declined", name=me.full_name)
    if view.attendee is not None:
        lang = view.attendee.language
        text = services.tr(
            lang,
            "meeting.declined_attendee",
            exhibitor=view.exhibitor.name,
            when=slot_label(services, lang, view.slot, meeting.slot_start),
            reason=services.tr(lang, f"meeting.reason.{reason}"),
        )
        await _notify(context, view.attendee, text)


async def cancel_with_reason(update: Update, context: Context) -> None:
    services = context.services
    done = await _act(update, context, lambda me, m: services.meetings.cancel(me, int(m.group(1)), m.group(2)))
    if done is not None:
        await announce_cancellation(context, done[1], by=done[0])


async def announce_cancellation(context: Context, meeting: Meeting, by: Participant | None) -> None:
    """Both sides hear of it, in their language, with a calendar file that removes the meeting."""
    services = context.services
    view = await services.meetings.view(meeting)
    reps = await services.meetings.representatives(view.exhibitor.id)
    reason = meeting.cancel_reason or "other"
    for person in ([view.attendee] if view.attendee else []) + reps:
        lang = person.language
        if by is not None and person.id == by.id:
            text = services.tr(
                lang, "meeting.cancelled_you", when=slot_label(services, lang, view.slot, meeting.slot_start)
            )
        else:
            other = (
                view.exhibitor.name
                if person.role != Role.EXHIBITOR
                else (view.attendee.full_name if view.attendee else services.tr(lang, "meeting.someone"))
            )
            text = services.tr(
                lang,
                "meeting.cancelled_other",
                other=other,
                when=slot_label(services, lang, view.slot, meeting.slot_start),
                reason=services.tr(lang, f"meeting.reason.{reason}"),
            )
        await _notify(context, person, text)
        await _send_ics(context, person, view, cancelled=True)


# ---------------------------------------------------------------------- proposals


async def propose_pick(update: Update, context: Context) -> None:
    query = update.callback_query
    assert query is not None and context.match is not None
    await query.answer()
    services = context.services
    me = await _me(update, context)
    meeting_id, day = int(context.match.group(1)), int(context.match.group(2))
    language = me.language if me else await _language(update, context)
    if me is None:
        await _answer_refusal(update, context, language)
        return
    try:
        slots = await services.meetings.proposable_slots(me, meeting_id)
    except NotAllowed:
        await _answer_refusal(update, context, language)
        return
    except MeetingError as err:
        await _say(update, context, services.tr(language, err.key, **err.params))
        return
    if not slots:
        await _say(update, context, services.tr(language, "meeting.nothing_to_propose"))
        return
    markup = slot_keyboard(
        services, language, slots, day, f"mt:ps:{meeting_id}:{{index}}", f"mt:prop:{meeting_id}:{{day}}"
    )
    await _say(update, context, services.tr(language, "meeting.pick_proposal"), markup)


async def propose_slot(update: Update, context: Context) -> None:
    query = update.callback_query
    assert query is not None and context.match is not None
    await query.answer()
    services = context.services
    me = await _me(update, context)
    language = me.language if me else await _language(update, context)
    slot = services.meetings.slot_by_index(int(context.match.group(2)))
    if me is None or slot is None:
        await _answer_refusal(update, context, language)
        return
    try:
        meeting = await services.meetings.propose(me, int(context.match.group(1)), slot)
    except NotAllowed:
        await _answer_refusal(update, context, language)
        return
    except MeetingError as err:
        await _say(update, context, services.tr(language, err.key, **err.params))
        return
    await query.edit_message_reply_markup(reply_markup=None)
    view = await services.meetings.view(meeting)
    if meeting.status == Status.ACCEPTED:  # moving a confirmed meeting, not answering a request
        await _propose_move(context, view, me, slot)
        return
    await _close_request_messages(
        context, view, "meeting.outcome_proposed", name=me.full_name, when=slot_label(services, language, slot)
    )
    if view.attendee is not None:
        lang = view.attendee.language
        when = slot_label(services, lang, slot)
        markup = InlineKeyboardMarkup(
            [
                [
                    InlineKeyboardButton(
                        services.tr(
                            lang,
                            "meeting.proposal_yes",
                            time=services.tr.format_time(lang, slot.start.astimezone(services.event.tz)),
                        ),
                        callback_data=f"mt:pa:{meeting.id}:yes",
                    )
                ],
                [
                    InlineKeyboardButton(
                        services.tr(lang, "meeting.proposal_no"), callback_data=f"mt:pa:{meeting.id}:no"
                    )
                ],
            ]
        )
        await _notify(
            context,
            view.attendee,
            services.tr(lang, "meeting.proposal", exhibitor=view.exhibitor.name, when=when),
            markup,
        )


async def proposal_answer(update: Update, context: Context) -> None:
    services = context.services
    done = await _act(
        update, context, lambda me, m: services.meetings.answer_proposal(me, int(m.group(1)), m.group(2) == "yes")
    )
    if done is None:
        return
    me, meeting = done
    if meeting.status == Status.ACCEPTED:
        await _accepted(context, meeting, None)
        return
    view = await services.meetings.view(meeting)
    await _say(update, context, services.tr(me.language, "meeting.proposal_declined_you"))
    for rep in await services.meetings.representatives(view.exhibitor.id):
        when = slot_label(services, rep.language, view.slot, meeting.slot_start)
        await _notify(
            context, rep, services.tr(rep.language, "meeting.proposal_declined", name=me.full_name, when=when)
        )


async def _propose_move(context: Context, view: MeetingView, rep: Participant, slot: Slot) -> None:
    services = context.services
    await _notify(
        context,
        rep,
        services.tr(rep.language, "meeting.move_proposed_you", when=slot_label(services, rep.language, slot)),
    )
    if view.attendee is None:
        return
    lang = view.attendee.language
    time = services.tr.format_time(lang, slot.start.astimezone(services.event.tz))
    markup = InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(
                    services.tr(lang, "meeting.proposal_yes", time=time), callback_data=f"mt:mv:{view.meeting.id}:yes"
                )
            ],
            [InlineKeyboardButton(services.tr(lang, "meeting.move_keep"), callback_data=f"mt:mv:{view.meeting.id}:no")],
        ]
    )
    text = services.tr(
        lang,
        "meeting.move_proposal",
        exhibitor=view.exhibitor.name,
        old=slot_label(services, lang, view.slot, view.meeting.slot_start),
        when=slot_label(services, lang, slot),
    )
    await _notify(context, view.attendee, text, markup)


async def move_answer(update: Update, context: Context) -> None:
    """The attendee takes the new time of an accepted meeting (or keeps the old one)."""
    services = context.services
    accept = context.match is not None and context.match.group(2) == "yes"
    done = await _act(update, context, lambda me, m: services.meetings.answer_move(me, int(m.group(1)), accept))
    if done is None:
        return
    me, meeting = done
    view = await services.meetings.view(meeting)
    reps = await services.meetings.representatives(view.exhibitor.id)
    if not accept:
        await _say(update, context, services.tr(me.language, "meeting.move_kept_you"))
        for rep in reps:
            await _notify(context, rep, services.tr(rep.language, "meeting.move_declined", name=me.full_name))
        return
    for person in [me, *reps]:
        lang = person.language
        text = services.tr(
            lang,
            "meeting.moved",
            exhibitor=view.exhibitor.name,
            who=view.attendee.full_name if view.attendee else "—",
            when=slot_label(services, lang, view.slot, meeting.slot_start),
            stand=view.exhibitor.stand or "—",
            table=meeting.table_no or "—",
        )
        await _notify(context, person, text)
        await _send_ics(context, person, view, cancelled=False)  # same UID, higher SEQUENCE: calendars update


# ---------------------------------------------------------------------- agenda


async def agenda(update: Update, context: Context) -> None:
    await _show_agenda(update, context, 0, edit=False)


async def agenda_page(update: Update, context: Context) -> None:
    query = update.callback_query
    assert query is not None and context.match is not None
    await query.answer()
    await _show_agenda(update, context, int(context.match.group(1)), edit=True)


async def _show_agenda(update: Update, context: Context, number: int, *, edit: bool) -> None:
    """/agenda, a page at a time: one's meetings and followed sessions, or the stand's day for representatives."""
    services = context.services
    me = await _me(update, context)
    if me is None:
        await _say(update, context, services.tr(await _language(update, context), "me.not_registered"))
        return
    if me.role == Role.EXHIBITOR and me.exhibitor_id is not None:
        header, entries = await _stand_day(context, me)
    else:
        header, entries = await _attendee_day(context, me)
    if not entries:
        await edit_or_send(update, context, services.tr(me.language, "agenda.empty"), None, edit=edit)
        return
    page = page_of(services.tr, me.language, header, entries, number, AGENDA_PAGE_DATA)
    await edit_or_send(update, context, page.text, markup(page), edit=edit)


async def _attendee_day(context: Context, me: Participant) -> tuple[Html, list[Entry]]:
    services = context.services
    language = me.language
    meetings = await services.meetings.agenda_of_attendee(me)
    sessions = [s for s in await services.programme.followed(me.id) if not s.cancelled]
    timed: list[tuple[datetime, Entry]] = [  # accepted meetings and followed sessions, in time order
        (
            s.start,
            Entry(
                services.tr(
                    language,
                    "agenda.session",
                    when=services.tr.format_slot(language, s.start),
                    title=s.title(language),
                    room=s.room,
                )
            ),
        )
        for s in sessions
    ]
    pending: list[Entry] = []
    for meeting in meetings:
        view = await services.meetings.view(meeting)
        when = slot_label(services, language, view.slot, meeting.slot_start)
        time = services.tr.format_time(language, meeting.slot_start.astimezone(services.event.tz))
        if meeting.status == Status.ACCEPTED:
            reps = await services.meetings.representatives(view.exhibitor.id)
            text = services.tr(
                language,
                "agenda.accepted",
                when=when,
                exhibitor=view.exhibitor.name,
                stand=view.exhibitor.stand or "—",
                table=meeting.table_no or "—",
                people=", ".join(r.full_name for r in reps) or "—",
            )
            label = services.tr(language, "agenda.cancel", time=time, exhibitor=view.exhibitor.name[:30])
            button = InlineKeyboardButton(label, callback_data=f"mt:can:{meeting.id}")
            timed.append((meeting.slot_start, Entry(text, [[button]])))
        else:
            key = "agenda.proposed" if meeting.awaiting == "attendee" else "agenda.pending"
            label = services.tr(language, "agenda.withdraw", time=time, exhibitor=view.exhibitor.name[:30])
            pending.append(
                Entry(
                    services.tr(language, key, when=when, exhibitor=view.exhibitor.name),
                    [[InlineKeyboardButton(label, callback_data=f"mt:wd:{meeting.id}")]],
                )
            )
    timed.sort(key=lambda entry: entry[0])
    return services.tr(language, "agenda.title"), [entry for _, entry in timed] + pending


async def _stand_day(context: Context, rep: Participant) -> tuple[Html, list[Entry]]:
    """The stand's day, slot by slot and table by table, then the requests waiting for an answer."""
    services = context.services
    language = rep.language
    exhibitor = await services.directory.exhibitor(rep.exhibitor_id or 0)
    assert exhibitor is not None
    accepted = await services.meetings.stand_day(exhibitor.id)
    pending = await services.meetings.pending_for_stand(exhibitor.id)
    header = services.tr(language, "agenda.stand_title", exhibitor=exhibitor.name, count=exhibitor.tables)
    entries: list[Entry] = []
    by_slot: dict[str, list[Meeting]] = {}
    for meeting in accepted:
        by_slot.setdefault(meeting.slot_start.isoformat(), []).append(meeting)
    for meetings in by_slot.values():
        first = meetings[0]
        when = slot_label(services, language, services.meetings.slot_at(first.slot_start), first.slot_start)
        parts = []
        rows = []
        for meeting in meetings:
            view = await services.meetings.view(meeting)
            parts.append(
                services.tr(
                    language, "agenda.table", table=meeting.table_no or 0, who=_who(services, language, view.attendee)
                )
            )
            time = services.tr.format_time(language, meeting.slot_start.astimezone(services.event.tz))
            name = view.attendee.full_name if view.attendee else "—"
            rows.append(
                [
                    InlineKeyboardButton(
                        services.tr(language, "agenda.move", time=time, name=name[:24]),
                        callback_data=f"mt:prop:{meeting.id}:0",
                    ),
                    InlineKeyboardButton(
                        services.tr(language, "agenda.cancel", time=time, exhibitor=name[:24]),
                        callback_data=f"mt:can:{meeting.id}",
                    ),
                ]
            )
        entries.append(Entry(Html(f"<b>{when}</b>\n" + "\n".join(parts)), rows))
    if not accepted:
        entries.append(Entry(services.tr(language, "agenda.stand_empty")))
    if pending:
        entries.append(Entry(services.tr(language, "agenda.stand_pending", count=len(pending))))
        for meeting in pending:
            view = await services.meetings.view(meeting)
            time = services.tr.format_time(language, meeting.slot_start.astimezone(services.event.tz))
            name = view.attendee.full_name if view.attendee else "—"
            label = services.tr(language, "agenda.answer", time=time, name=name[:30])
            entries.append(
                Entry(
                    services.tr(language, "agenda.pending_line", when=time, who=name),
                    [[InlineKeyboardButton(label, callback_data=f"mt:show:{meeting.id}")]],
                )
            )
    return header, entries


# ---------------------------------------------------------------------- attendance


async def attendance(update: Update, context: Context) -> None:
    services = context.services
    done = await _act(
        update, context, lambda me, m: services.meetings.record_attendance(me, int(m.group(1)), m.group(2))
    )
    if done is not None:
        await _say(update, context, services.tr(done[0].language, "meeting.attendance_thanks"))


# ---------------------------------------------------------------------- what time brings


async def sweep(context: Context) -> None:
    """Runs every few seconds: expiries, attendance questions, nudges. The database says what is due."""
    services = context.services
    for meeting in await services.meetings.expire_due():
        await _expired(context, meeting)
    for meeting in await services.meetings.attendance_due():
        await _ask_attendance(context, meeting)
    for rep, count in await services.meetings.nudges_due():
        await _nudge(context, rep, count)


async def _expired(context: Context, meeting: Meeting) -> None:
    services = context.services
    view = await services.meetings.view(meeting)
    if view.attendee is None:
        return
    language = view.attendee.language
    others = await services.meetings.free_slots(view.attendee, view.exhibitor)
    times = ", ".join(services.tr.format_time(language, s.start.astimezone(services.event.tz)) for s in others[:3])
    key = "meeting.expired" if others else "meeting.expired_no_slot"
    text = services.tr(
        language,
        key,
        exhibitor=view.exhibitor.name,
        when=slot_label(services, language, view.slot, meeting.slot_start),
        times=times,
    )
    markup = None
    if others:
        markup = InlineKeyboardMarkup(
            [
                [
                    InlineKeyboardButton(
                        services.tr(language, "meeting.request_again"), callback_data=f"mt:new:{view.exhibitor.id}"
                    )
                ]
            ]
        )
    await _notify(context, view.attendee, text, markup)
    await _close_request_messages(context, view, "meeting.outcome_expired")


async def _ask_attendance(context: Context, meeting: Meeting) -> None:
    services = context.services
    view = await services.meetings.view(meeting)
    people = ([view.attendee] if view.attendee else []) + await services.meetings.representatives(view.exhibitor.id)
    for person in people:
        lang = person.language
        other = (
            view.exhibitor.name
            if person.role != Role.EXHIBITOR
            else (view.attendee.full_name if view.attendee else "—")
        )
        markup = InlineKeyboardMarkup(
            [
                [
                    InlineKeyboardButton(
                        services.tr(lang, "meeting.attendance_met"), callback_data=f"mt:att:{meeting.id}:met"
                    )
                ],
                [
                    InlineKeyboardButton(
                        services.tr(lang, "meeting.attendance_no_show"), callback_data=f"mt:att:{meeting.id}:no_show"
                    )
                ],
            ]
        )
        await _notify(
            context,
            person,
            services.tr(
                lang,
                "meeting.attendance_question",
                other=other,
                when=slot_label(services, lang, view.slot, meeting.slot_start),
            ),
            markup,
        )


async def _nudge(context: Context, rep: Participant, count: int) -> None:
    services = context.services
    markup = InlineKeyboardMarkup(
        [[InlineKeyboardButton(services.tr(rep.language, "meeting.see_requests"), callback_data="menu:agenda")]]
    )
    await _notify(context, rep, services.tr(rep.language, "meeting.nudge", count=count), markup)


def schedule(application: MaillageApplication, interval: float) -> None:
    """The sweep runs on PTB's JobQueue; a late run catches up instead of being dropped."""
    assert application.job_queue is not None
    application.job_queue.run_repeating(
        sweep,
        interval=interval,
        first=interval,
        name="meetings-sweep",
        job_kwargs={"misfire_grace_time": None, "coalesce": True, "max_instances": 1},
    )


async def forget_meetings(context: Context, participant: Participant) -> None:
    """/forget: the attendee's meetings are cancelled and the exhibitors told."""
    services = context.services
    if participant.role != Role.ATTENDEE:
        return
    was_accepted = {
        m.id for m in await services.meetings.agenda_of_attendee(participant) if m.status == Status.ACCEPTED
    }
    for meeting in await services.meetings.cancel_for_forgotten(participant):
        view = await services.meetings.view(meeting)
        for rep in await services.meetings.representatives(view.exhibitor.id):
            await _notify(
                context,
                rep,
                services.tr(
                    rep.language,
                    "meeting.cancelled_forgotten",
                    when=slot_label(services, rep.language, view.slot, meeting.slot_start),
                ),
            )
            if meeting.id in was_accepted:
                await _send_ics(context, rep, view, cancelled=True)
        await _close_request_messages(context, view, "meeting.outcome_withdrawn")
