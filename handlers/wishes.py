"""Wishes for the speed-meeting planner: ⭐ on an exhibitor's card, /wishes to see, reorder and remove
them; a stand's representatives mark the attendees they want to meet (among those who sent requests,
or by theme and organisation type)."""

from __future__ import annotations

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Message, Update

from bot.event import Language
from bot.i18n import Html
from bot.runtime import Context, Services
from bot.services.registration import Participant, Role
from bot.services.wishes import ORG_TYPES, WishError, WishLine
from handlers import buttons
from handlers.common import edit_or_send, user_language
from handlers.meetings.common import me_of, say
from handlers.paging import Entry, markup, page_of
from handlers.views import shorten, theme_labels

ALL = "-"


def wish_button(services: Services, language: Language, exhibitor_id: int, rank: int | None) -> InlineKeyboardButton:
    """The card's ⭐ button: add to the wishes, or (with its rank) take it out."""
    tr = services.tr
    label = tr(language, "wishes.card_remove", rank=rank) if rank else tr(language, "wishes.card_add")
    return buttons.WISH.button(label, exhibitor_id)


async def _refuse(update: Update, context: Context, error: WishError) -> None:
    language = await user_language(update, context)
    await say(update, context, context.services.tr(language, error.key, **error.params))


# ---------------------------------------------------------------------------------------------- attendees


async def toggle_from_card(update: Update, context: Context) -> None:
    query = update.callback_query
    assert query is not None and context.match is not None
    await query.answer()
    me = await me_of(update, context)
    exhibitor_id = int(context.match.group(1))
    if me is None:
        await _refuse(update, context, WishError("me.not_registered"))
        return
    try:
        rank = await context.services.wishes.toggle(me, exhibitor_id)
    except WishError as error:
        await _refuse(update, context, error)
        return
    message = query.message
    if isinstance(message, Message) and message.reply_markup is not None:
        new = wish_button(context.services, me.language, exhibitor_id, rank)
        rows = [
            [new if b.callback_data == query.data else b for b in row] for row in message.reply_markup.inline_keyboard
        ]
        await query.edit_message_reply_markup(InlineKeyboardMarkup(rows))
    key = "wishes.added" if rank else "wishes.removed"
    exhibitor = await context.services.directory.exhibitor(exhibitor_id)
    await say(
        update,
        context,
        context.services.tr(me.language, key, rank=rank or 0, exhibitor=exhibitor.name if exhibitor else "—"),
    )


async def wishes(update: Update, context: Context) -> None:
    """/wishes: an attendee's ranked wishes; a representative's list of attendees the stand wants to meet."""
    me = await me_of(update, context)
    if me is None:
        await say(update, context, context.services.tr(await user_language(update, context), "me.not_registered"))
        return
    if me.role == Role.EXHIBITOR:
        await _stand_home(update, context, me, 0, edit=False)
    elif me.role == Role.ATTENDEE:
        await _attendee_wishes(update, context, me, edit=False)
    else:
        await say(update, context, context.services.tr(me.language, "wishes.attendees_only"))


async def _attendee_pressed(update: Update, context: Context) -> Participant | None:
    """A button of an attendee's /wishes: answered first, then the attendee (anyone else is told why not)."""
    query = update.callback_query
    assert query is not None
    await query.answer()
    me = await me_of(update, context)
    if me is None or me.role != Role.ATTENDEE:
        await _refuse(update, context, WishError("wishes.attendees_only"))
        return None
    return me


async def wishes_button(update: Update, context: Context) -> None:
    assert context.match is not None
    if (me := await _attendee_pressed(update, context)) is None:
        return
    action, exhibitor_id = context.match.group(1), int(context.match.group(2))
    if action == "del":
        await context.services.wishes.remove(me, exhibitor_id)
    else:
        await context.services.wishes.move(me, exhibitor_id, -1 if action == "up" else 1)
    await _attendee_wishes(update, context, me, edit=True)


async def wishes_page(update: Update, context: Context) -> None:
    assert context.match is not None
    if (me := await _attendee_pressed(update, context)) is not None:
        await _attendee_wishes(update, context, me, edit=True, number=int(context.match.group(1)))


def _wish_text(services: Services, me: Participant, line: WishLine) -> Html:
    tr, language = services.tr, me.language
    head = tr(language, "wishes.line", rank=line.rank, exhibitor=line.exhibitor.name)
    meeting = line.meeting
    if meeting is not None and meeting.status == "accepted":
        when = tr.format_slot(language, meeting.slot_start.astimezone(services.event.tz))
        state = tr(language, "wishes.state.met", when=when, table=meeting.table_no or "—")
    elif meeting is not None:
        state = tr(language, "wishes.state.requested")
    elif line.unmet is not None:
        state = tr(language, f"wishes.unmet.{line.unmet}")
    else:
        state = tr(language, "wishes.state.waiting")
    return Html(f"{head}\n{state}")


async def _attendee_wishes(update: Update, context: Context, me: Participant, *, edit: bool, number: int = 0) -> None:
    services = context.services
    tr, language = services.tr, me.language
    lines = await services.wishes.lines(me)
    if not lines:
        await edit_or_send(update, context, tr(language, "wishes.none", most=services.wishes.most), None, edit=edit)
        return
    entries = []
    for line in lines:
        name = shorten(line.exhibitor.name, 24)
        row = [
            buttons.WISHES.button("⬆", "up", line.exhibitor.id),
            buttons.WISHES.button("⬇", "down", line.exhibitor.id),
            buttons.WISHES.button(tr(language, "wishes.remove", exhibitor=name), "del", line.exhibitor.id),
        ]
        entries.append(Entry(_wish_text(services, me, line), [row]))
    header = tr(language, "wishes.header", count=len(lines), most=services.wishes.most)
    page = page_of(tr, language, header, entries, number, buttons.WISHES_PAGE.data)
    await edit_or_send(update, context, page.text, markup(page), edit=edit)


# ---------------------------------------------------------------------------------------------- stands


def _who(services: Services, language: Language, person: Participant) -> Html:
    parts = [person.full_name]
    if person.organisation:
        parts.append(person.organisation)
    text = " · ".join(parts)
    themes = theme_labels(services.event, language, person.themes)
    return services.tr(language, "wishes.stand_person", who=text, themes=themes or "—")


async def _stand_home(update: Update, context: Context, me: Participant, number: int, *, edit: bool) -> None:
    services = context.services
    tr, language = services.tr, me.language
    wished = await services.wishes.stand_wishes(me)
    find = [
        [buttons.SW_LIST.button(tr(language, "wishes.stand_from_requests"), "q", 0)],
        [buttons.SW_THEMES.button(tr(language, "wishes.stand_find"))],
    ]
    entries = [
        Entry(
            _who(services, language, person),
            [
                [
                    buttons.SW_DROP.button(
                        tr(language, "wishes.remove", exhibitor=shorten(person.full_name, 24)), person.id, number
                    )
                ]
            ],
        )
        for person in wished
    ]
    header = tr(language, "wishes.stand_header", count=len(wished))
    page = page_of(tr, language, header, entries, number, buttons.SW_HOME.data, footer=find)
    await edit_or_send(update, context, page.text, markup(page), edit=edit)


async def _representative(update: Update, context: Context) -> Participant | None:
    me = await me_of(update, context)
    if me is None or me.role != Role.EXHIBITOR or me.exhibitor_id is None:
        await _refuse(update, context, WishError("wishes.representatives_only"))
        return None
    return me


async def stand_home(update: Update, context: Context) -> None:
    query = update.callback_query
    assert query is not None and context.match is not None
    await query.answer()
    if me := await _representative(update, context):
        await _stand_home(update, context, me, int(context.match.group(1)), edit=True)


async def stand_drop(update: Update, context: Context) -> None:
    query = update.callback_query
    assert query is not None and context.match is not None
    await query.answer()
    if me := await _representative(update, context):
        try:
            await context.services.wishes.set_stand_wish(me, int(context.match.group(1)), False)
        except WishError as error:
            await _refuse(update, context, error)
        await _stand_home(update, context, me, int(context.match.group(2)), edit=True)


async def stand_themes(update: Update, context: Context) -> None:
    query = update.callback_query
    assert query is not None
    await query.answer()
    if not (me := await _representative(update, context)):
        return
    tr, language = context.services.tr, me.language
    rows = [[buttons.SW_ORG.button(tr(language, "wishes.stand_all_themes"), ALL)]]
    rows += [[buttons.SW_ORG.button(t.label(language), str(i))] for i, t in enumerate(context.services.event.themes)]
    rows.append([buttons.SW_HOME.button(tr(language, "wishes.stand_back"), 0)])
    await edit_or_send(update, context, tr(language, "wishes.stand_pick_theme"), InlineKeyboardMarkup(rows))


async def stand_org(update: Update, context: Context) -> None:
    query = update.callback_query
    assert query is not None and context.match is not None
    await query.answer()
    if not (me := await _representative(update, context)):
        return
    tr, language = context.services.tr, me.language
    theme = context.match.group(1)
    rows = [[buttons.SW_LIST.button(tr(language, "wishes.stand_all_types"), f"{theme}.{ALL}", 0)]]
    rows += [[buttons.SW_LIST.button(tr(language, f"orgtype.{t}"), f"{theme}.{t}", 0)] for t in ORG_TYPES]
    rows.append([buttons.SW_THEMES.button(tr(language, "wishes.stand_back"))])
    await edit_or_send(update, context, tr(language, "wishes.stand_pick_type"), InlineKeyboardMarkup(rows))


async def _candidates(context: Context, me: Participant, source: str) -> list[Participant]:
    services = context.services
    if source == "q":
        return await services.wishes.requesters(me)
    theme_index, org_type = source.split(".")
    themes = services.event.themes
    theme = themes[int(theme_index)].id if theme_index != ALL and int(theme_index) < len(themes) else None
    return await services.wishes.attendees_for_stand(me, theme, None if org_type == ALL else org_type)


async def _stand_list(update: Update, context: Context, me: Participant, source: str, number: int) -> None:
    services = context.services
    tr, language = services.tr, me.language
    people = await _candidates(context, me, source)
    wished = await services.wishes.wished_by_stand(me)
    entries = []
    for person in people:
        key = "wishes.stand_unmark" if person.id in wished else "wishes.stand_mark"
        label = tr(language, key, name=shorten(person.full_name, 24))
        entries.append(
            Entry(_who(services, language, person), [[buttons.SW_TOGGLE.button(label, person.id, source, number)]])
        )
    back = [[buttons.SW_HOME.button(tr(language, "wishes.stand_back"), 0)]]
    if not entries:
        await edit_or_send(update, context, tr(language, "wishes.stand_nobody"), InlineKeyboardMarkup(back))
        return
    header = tr(language, "wishes.stand_list_header", count=len(people))
    page = page_of(tr, language, header, entries, number, lambda n: buttons.SW_LIST.data(source, n), footer=back)
    await edit_or_send(update, context, page.text, markup(page))


async def stand_list(update: Update, context: Context) -> None:
    query = update.callback_query
    assert query is not None and context.match is not None
    await query.answer()
    if me := await _representative(update, context):
        await _stand_list(update, context, me, context.match.group(1), int(context.match.group(2)))


async def stand_toggle(update: Update, context: Context) -> None:
    query = update.callback_query
    assert query is not None and context.match is not None
    await query.answer()
    if not (me := await _representative(update, context)):
        return
    attendee_id, source, number = int(context.match.group(1)), context.match.group(2), int(context.match.group(3))
    wished = await context.services.wishes.wished_by_stand(me)
    try:
        await context.services.wishes.set_stand_wish(me, attendee_id, attendee_id not in wished)
    except WishError as error:
        await _refuse(update, context, error)
        return
    await _stand_list(update, context, me, source, number)
