"""Asking for a meeting: the stand's free times, a day at a time; the note; the summary; sending."""

from __future__ import annotations

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Message, Update

from bot.event import Language, Slot
from bot.runtime import Context, Services
from bot.services.flows import Ongoing
from bot.services.meetings import MeetingDraft, MeetingError
from handlers import buttons
from handlers.common import keep_choice
from handlers.meetings.common import language_of, me_of, say, slot_label
from handlers.notify import tell
from handlers.views import main_menu

TIMES_PER_ROW = 4


def slot_keyboard(
    services: Services,
    language: Language,
    slots: list[Slot],
    day_index: int,
    choose: buttons.Family,
    page: buttons.Family,
    owner: int,
    clashing: set[Slot] | None = None,
) -> InlineKeyboardMarkup:
    """Time buttons grouped by half-day for one event day; ``choose`` and ``page`` take ``owner`` (the
    exhibitor, or the meeting) then a slot index or a day index.

    Slots in ``clashing`` overlap a session the person follows: marked with ⚠.
    """
    tz = services.event.tz
    days = sorted({s.start.astimezone(tz).date() for s in slots})
    day_index = min(max(day_index, 0), max(len(days) - 1, 0))
    rows: list[list[InlineKeyboardButton]] = []
    if days:
        day = days[day_index]
        todays = [s for s in slots if s.start.astimezone(tz).date() == day]
        for half, label_key in ((lambda h: h < 13, "meeting.morning"), (lambda h: h >= 13, "meeting.afternoon")):
            group = [s for s in todays if half(s.start.astimezone(tz).hour)]
            if not group:
                continue
            header = services.tr(language, label_key, day=services.tr.format_date(language, day))
            rows.append([buttons.NOOP.button(f"— {header} —")])
            times = [
                choose.button(
                    ("⚠ " if clashing and s in clashing else "")
                    + services.tr.format_time(language, s.start.astimezone(tz)),
                    owner,
                    services.event.slots.index(s),
                )
                for s in group
            ]
            rows += [times[i : i + TIMES_PER_ROW] for i in range(0, len(times), TIMES_PER_ROW)]
        navigation = []
        if day_index > 0:
            navigation.append(page.button(services.tr(language, "button.previous_day"), owner, day_index - 1))
        if day_index + 1 < len(days):
            navigation.append(page.button(services.tr(language, "button.next_day"), owner, day_index + 1))
        if navigation:
            rows.append(navigation)
    rows.append([buttons.DRAFT.button(services.tr(language, "button.cancel"), "cancel")])
    return InlineKeyboardMarkup(rows)


async def noop(update: Update, context: Context) -> None:
    """A half-day's header: acknowledged, nothing else."""
    assert update.callback_query is not None
    await update.callback_query.answer()


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
    me = await me_of(update, context)
    if me is None:
        await say(update, context, services.tr(await language_of(update, context), "me.not_registered"))
        return
    language = me.language
    exhibitor = await services.directory.exhibitor(exhibitor_id)
    if exhibitor is None:
        await say(update, context, services.tr(language, "directory.gone"))
        return
    try:
        await services.meetings.check_can_request(me, exhibitor)
    except MeetingError as err:
        await say(update, context, services.tr(language, err.key, **err.params))
        return
    slots = await services.meetings.free_slots(me, exhibitor)
    if not slots:
        await say(update, context, services.tr(language, "meeting.no_slot", exhibitor=exhibitor.name))
        return
    text = services.tr(language, "meeting.pick_slot", exhibitor=exhibitor.name)
    clashing = {slot for slot in slots if await services.programme.clashes(me.id, slot)}
    markup = slot_keyboard(services, language, slots, day, buttons.SLOT, buttons.PICK_DAY, exhibitor.id, clashing)
    query = update.callback_query
    if edit and query is not None and isinstance(query.message, Message):
        await query.edit_message_text(text, reply_markup=markup)
    else:
        await say(update, context, text, markup)


async def choose_slot(update: Update, context: Context) -> None:
    """A time was chosen (or confirmed despite a session the attendee follows then): the note comes next."""
    query = update.callback_query
    assert query is not None and context.match is not None
    await query.answer()
    services = context.services
    me = await me_of(update, context)
    exhibitor = await services.directory.exhibitor(int(context.match.group(1)))
    slot = services.meetings.slot_by_index(int(context.match.group(2)))
    if me is None or exhibitor is None or slot is None:
        await say(update, context, services.tr(await language_of(update, context), "fallback.stale_button"))
        return
    if slot not in await services.meetings.free_slots(me, exhibitor):
        await say(update, context, services.tr(me.language, "meeting.slot_gone"))
        return
    index = services.meetings.slot_index(slot)
    clashes = await services.programme.clashes(me.id, slot)
    if clashes and not (query.data or "").startswith(buttons.SLOT_DESPITE_CLASH.prefix + ":"):
        titles = ", ".join(s.title(me.language) for s in clashes)
        markup = InlineKeyboardMarkup(
            [
                [buttons.SLOT_DESPITE_CLASH.button(services.tr(me.language, "meeting.clash_ok"), exhibitor.id, index)],
                [buttons.REQUEST.button(services.tr(me.language, "meeting.clash_other"), exhibitor.id)],
            ]
        )
        await say(update, context, services.tr(me.language, "meeting.clash", titles=titles), markup)
        return
    current = await services.flows.load(me.telegram_id, MeetingDraft)
    if (
        current is not None
        and current.step == "note"
        and (current.draft.exhibitor_id, current.draft.slot)
        == (
            exhibitor.id,
            index,
        )
    ):
        return  # a second tap on the same time: its question is already on the screen
    await services.flows.begin(
        me.telegram_id, "note", MeetingDraft(language=me.language, exhibitor_id=exhibitor.id, slot=index)
    )
    await keep_choice(query)
    markup = InlineKeyboardMarkup(
        [
            [buttons.DRAFT.button(services.tr(me.language, "button.skip"), "skip")],
            [buttons.DRAFT.button(services.tr(me.language, "button.cancel"), "cancel")],
        ]
    )
    text = services.tr(
        me.language,
        "meeting.ask_note",
        exhibitor=exhibitor.name,
        when=slot_label(services, me.language, slot),
        maximum=300,
    )
    await say(update, context, text, markup)


async def on_note(update: Update, context: Context) -> None:
    """The attendee typed the note for the exhibitor (or something else at that step)."""
    services = context.services
    message = update.effective_message
    assert message is not None and update.effective_user is not None
    draft = await services.flows.load(update.effective_user.id, MeetingDraft)
    if draft is None:
        return  # the request was sent or dropped a moment ago
    language = draft.draft.language
    if draft.step != "note" or message.text is None:
        key = "conversation.use_buttons" if draft.step != "note" else "conversation.text_expected"
        await say(update, context, services.tr(language, key))
        return
    try:
        note = services.meetings.clean_note(message.text)
    except MeetingError as err:
        await say(update, context, services.tr(language, err.key, **err.params))
        return
    draft.draft.note = note or None
    await _show_summary(update, context, draft)


async def _show_summary(update: Update, context: Context, draft: Ongoing[MeetingDraft]) -> None:
    services = context.services
    language = draft.draft.language
    draft.step = "confirm"
    await services.flows.save(draft)
    exhibitor = await services.directory.exhibitor(draft.draft.exhibitor_id)
    slot = services.meetings.slot_by_index(draft.draft.slot)
    if exhibitor is None or slot is None:
        await services.flows.drop(draft.telegram_id)
        await say(update, context, services.tr(language, "meeting.slot_gone"))
        return
    text = services.tr(
        language,
        "meeting.summary",
        exhibitor=exhibitor.name,
        stand=exhibitor.stand or "—",
        when=slot_label(services, language, slot),
        note=draft.draft.note or services.tr(language, "profile.empty"),
    )
    markup = InlineKeyboardMarkup(
        [
            [buttons.DRAFT.button(services.tr(language, "meeting.send"), "send")],
            [buttons.DRAFT.button(services.tr(language, "button.cancel"), "cancel")],
        ]
    )
    await say(update, context, text, markup)


async def _already_done(context: Context, user_id: int, action: str, draft: Ongoing[MeetingDraft] | None) -> bool:
    """Skip pressed again once the summary is shown, or Send once the request is gone out (the user is
    in no conversation at all: asked only then, it costs a read only then)."""
    if action == "skip":
        return draft is not None and draft.step == "confirm"
    return action == "send" and draft is None and await context.services.flows.kind(user_id) is None


async def draft_button(update: Update, context: Context) -> None:
    query = update.callback_query
    assert query is not None and context.match is not None
    await query.answer()
    services = context.services
    action = context.match.group(1)
    draft = await services.flows.load(query.from_user.id, MeetingDraft)
    language = await language_of(update, context)
    if await _already_done(context, query.from_user.id, action, draft):
        return  # a second tap: the first one has done what the button says
    if draft is None:
        if action == "cancel":  # from the slot picker, before any draft exists
            await query.edit_message_reply_markup(reply_markup=None)
            await say(update, context, services.tr(language, "meeting.request_dropped"))
        else:
            await say(update, context, services.tr(language, "conversation.stale"))
        return
    await keep_choice(query)
    if action == "cancel":
        await services.flows.drop(draft.telegram_id)
        await say(update, context, services.tr(language, "meeting.request_dropped"))
    elif action == "skip" and draft.step == "note":
        await _show_summary(update, context, draft)
    elif action == "send" and draft.step == "confirm":
        await _send_request(update, context, draft)
    else:
        await say(update, context, services.tr(language, "conversation.stale"))


async def _send_request(update: Update, context: Context, draft: Ongoing[MeetingDraft]) -> None:
    services = context.services
    me = await me_of(update, context)
    language = draft.draft.language
    slot = services.meetings.slot_by_index(draft.draft.slot)
    await services.flows.drop(draft.telegram_id)
    if me is None or slot is None:
        await say(update, context, services.tr(language, "meeting.slot_gone"))
        return
    try:
        outcome = await services.meeting_actions.request(me, draft.draft.exhibitor_id, slot, draft.draft.note)
    except MeetingError as err:
        await say(update, context, services.tr(language, err.key, **err.params))
        return
    exhibitor = await services.directory.exhibitor(outcome.meeting.exhibitor_id)
    organiser = services.registration.is_organiser(me.telegram_id, me)
    sent = services.tr(
        me.language,
        "meeting.sent",
        exhibitor=exhibitor.name if exhibitor else "—",
        when=slot_label(services, me.language, slot),
    )
    await tell(context, outcome.notices)  # the stand's copies are in the outbox before "sent" is said
    await say(update, context, sent, main_menu(services.tr, me.language, organiser))  # the attendee carries on
