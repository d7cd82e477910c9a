"""The programme on the phones: now and next, by half-day, by theme, session cards, "remind me", changes."""

from __future__ import annotations

import re
from datetime import datetime, time

from telegram import InlineKeyboardMarkup, Update

from bot.event import Language
from bot.i18n import MESSAGE_TEXT, Html, clip_lines, escape, to_plain
from bot.runtime import Context, Services
from bot.services.notices import Notice
from bot.services.programme import SessionChangeDraft, SessionView, session_file
from handlers import buttons
from handlers.common import edit_or_send, is_organiser, organiser_only, reply, user_language
from handlers.notify import tell
from handlers.paging import Entry, PageData, markup, page_of, paged, paged_rows


def _when(services: Services, language: Language, session: SessionView) -> str:
    tr = services.tr
    return f"{tr.format_time(language, session.start)}–{tr.format_time(language, session.end)}"


def _line(services: Services, language: Language, session: SessionView) -> Html:
    key = "programme.line_cancelled" if session.cancelled else "programme.line"
    return services.tr(
        language, key, when=_when(services, language, session), title=session.title(language), room=session.room
    )


def _home_keyboard(services: Services, language: Language) -> InlineKeyboardMarkup:
    tr = services.tr
    rows = []
    for index, day in enumerate(services.event.days):
        label = tr.format_date(language, day.date)
        rows.append(
            [
                buttons.PROGRAMME.button(tr(language, "programme.morning", day=label), f"d:{index}:0"),
                buttons.PROGRAMME.button(tr(language, "programme.afternoon", day=label), f"d:{index}:1"),
            ]
        )
    rows.append([buttons.PROGRAMME.button(tr(language, "programme.by_theme"), "themes")])
    return InlineKeyboardMarkup(rows)


async def now_text(services: Services, language: Language) -> Html:
    live, soon = await services.programme.now_and_next()
    parts: list[str] = [services.tr(language, "programme.now_title")]
    half = MESSAGE_TEXT // 2 - 200  # what is on now and what comes next share the message
    lines = [_line(services, language, s) for s in live]
    parts.append(
        clip_lines(services.tr, language, lines, budget=half) or services.tr(language, "programme.nothing_now")
    )
    parts.append(services.tr(language, "programme.next_title"))
    lines = [_line(services, language, s) for s in soon]
    parts.append(
        clip_lines(services.tr, language, lines, budget=half) or services.tr(language, "programme.nothing_soon")
    )
    return Html("\n".join(parts))


async def now(update: Update, context: Context) -> None:
    """/now: what is on right now and within the hour, in one message."""
    services = context.services
    language = await user_language(update, context)
    await reply(update, context, await now_text(services, language))


async def home(update: Update, context: Context) -> None:
    services = context.services
    language = await user_language(update, context)
    await edit_or_send(update, context, await now_text(services, language), _home_keyboard(services, language))


async def _list(
    update: Update, context: Context, title: str, sessions: list[SessionView], data: PageData, number: int
) -> None:
    """Sessions a page at a time; ``data(page)`` is the callback data of a page of the list."""
    services = context.services
    language = await user_language(update, context)
    entries = [
        Entry(
            _line(services, language, s),
            [
                [
                    buttons.PROGRAMME.button(
                        f"{services.tr.format_time(language, s.start)} · {s.title(language)}"[:60], f"s:{s.id}"
                    )
                ]
            ],
        )
        for s in sessions
    ]
    back = [[buttons.PROGRAMME.button(services.tr(language, "programme.back"), "home")]]
    if not entries:
        text = Html(f"<b>{escape(title)}</b>\n\n" + services.tr(language, "programme.empty"))
        await edit_or_send(update, context, text, InlineKeyboardMarkup(back))
        return
    page = page_of(services.tr, language, Html(f"<b>{escape(title)}</b>"), entries, number, data, footer=back)
    await edit_or_send(update, context, page.text, markup(page))


async def card(update: Update, context: Context, session_id: str) -> None:
    services = context.services
    language = await user_language(update, context)
    session = await services.programme.session(session_id)
    if session is None:
        await reply(update, context, services.tr(language, "fallback.stale_button"))
        return
    user = update.effective_user
    assert user is not None
    me = await services.registration.participant(user.id)
    following = me is not None and session.id in {s.id for s in await services.programme.followed(me.id)}
    presenters = [e for e in [await services.directory.by_slug(slug) for slug in session.exhibitors] if e]
    text = services.tr(
        language,
        "programme.card",
        title=session.title(language),
        day=services.tr.format_date(language, session.start.date()),
        when=_when(services, language, session),
        room=session.room,
        format=services.tr(language, f"programme.format.{session.format}"),
        speakers=", ".join(session.speakers) or "—",
        presenters=", ".join(e.name for e in presenters) or "—",
    )
    if session.cancelled:
        text = Html(text + "\n\n" + services.tr(language, "programme.cancelled"))
    rows = []
    if not session.cancelled and me is not None:
        key = "programme.unfollow" if following else "programme.follow"
        rows.append([buttons.PROGRAMME.button(services.tr(language, key), f"f:{session.id}:{int(not following)}")])
    rows += [[buttons.CARD.button(f"🏢 {e.name}"[:60], e.id)] for e in presenters]
    rows.append([buttons.PROGRAMME.button(services.tr(language, "programme.back"), "home")])
    await edit_or_send(update, context, text, InlineKeyboardMarkup(rows))


async def button(update: Update, context: Context) -> None:
    query = update.callback_query
    assert query is not None and context.match is not None
    await query.answer()
    services = context.services
    language = await user_language(update, context)
    action = context.match.group(1)
    if action == "home":
        await home(update, context)
    elif action == "themes":
        rows = [[buttons.PROGRAMME.button(t.label(language), f"t:{t.id}")] for t in services.event.themes]
        rows.append([buttons.PROGRAMME.button(services.tr(language, "programme.back"), "home")])
        await edit_or_send(update, context, services.tr(language, "programme.pick_theme"), InlineKeyboardMarkup(rows))
    elif action.startswith("d:"):
        index, half, *number = (int(x) for x in action[2:].split(":"))
        if index >= len(services.event.days):
            await reply(update, context, services.tr(language, "fallback.stale_button"))
            return
        day = services.event.days[index].date
        key = "programme.afternoon" if half else "programme.morning"
        title = to_plain(services.tr(language, key, day=services.tr.format_date(language, day)))
        sessions = await services.programme.on_day(day, bool(half))
        await _list(
            update,
            context,
            title,
            sessions,
            lambda page: buttons.PROGRAMME.data(f"d:{index}:{half}:{page}"),
            number[0] if number else 0,
        )
    elif action.startswith("t:"):
        theme_id, _, number_text = action[2:].partition(":")
        theme = services.event.theme(theme_id)
        if theme is None:
            await reply(update, context, services.tr(language, "fallback.stale_button"))
            return
        sessions = await services.programme.with_theme(theme.id)
        await _list(
            update,
            context,
            theme.label(language),
            sessions,
            lambda page: buttons.PROGRAMME.data(f"t:{theme.id}:{page}"),
            int(number_text or 0),
        )
    elif action.startswith("s:"):
        await card(update, context, action[2:])
    else:
        session_id, _, want = action[2:].partition(":")
        await _follow(update, context, session_id, want == "1" if want else None)


async def _follow(update: Update, context: Context, session_id: str, want: bool | None) -> None:
    """The button says follow or not (an older button, without it, turns it the other way)."""
    services = context.services
    user = update.effective_user
    assert user is not None
    me = await services.registration.participant(user.id)
    language = await user_language(update, context)
    session = await services.programme.session(session_id)
    if me is None or session is None or session.cancelled:
        await reply(
            update, context, services.tr(language, "me.not_registered" if me is None else "fallback.stale_button")
        )
        return
    following = await services.programme.set_following(me.id, session_id, want)
    await card(update, context, session_id)
    # following sends the session to the calendar; unfollowing takes it out again (same UID,
    # METHOD:CANCEL, a higher SEQUENCE), as for a cancelled meeting
    await tell(context, [Notice(me, None, calendar=session_file(session, cancelled=not following), reply=True)])


# ---------------------------------------------------------------------- organisers' changes


async def _pick_session(update: Update, context: Context, number: int) -> None:
    services = context.services
    language = await user_language(update, context)
    rows = [
        [
            buttons.CHANGE_SESSION.button(
                f"{services.tr.format_time(language, s.start)} · {s.title(language)}"[:60], s.id
            )
        ]
        for s in await services.programme.sessions()
        if not s.cancelled
    ]
    keyboard = InlineKeyboardMarkup(paged_rows(services.tr, language, rows, number, buttons.SESSIONS_PAGE.data))
    await edit_or_send(update, context, services.tr(language, "programme.change_pick"), keyboard)


# /session: pick a session to move, re-room or cancel
changes, changes_page = paged(_pick_session, is_organiser)


@organiser_only
async def change_button(update: Update, context: Context) -> None:
    query = update.callback_query
    assert query is not None and context.match is not None
    await query.answer()
    services = context.services
    language = await user_language(update, context)
    session = await services.programme.session(context.match.group(1))
    action = context.match.group(2)
    if session is None or session.cancelled:
        await reply(update, context, services.tr(language, "fallback.stale_button"))
        return
    if action is None:
        tr = services.tr
        rows = [
            [buttons.CHANGE_SESSION.button(tr(language, "programme.change_move"), session.id, "move")],
            [buttons.CHANGE_SESSION.button(tr(language, "programme.change_room"), session.id, "room")],
            [buttons.CHANGE_SESSION.button(tr(language, "programme.change_cancel"), session.id, "cancel")],
        ]
        await edit_or_send(update, context, _line(services, language, session), InlineKeyboardMarkup(rows))
        return
    if action == "cancel":
        markup = InlineKeyboardMarkup(
            [
                [
                    buttons.CHANGE_SESSION.button(
                        services.tr(language, "programme.change_cancel_ok"), session.id, "cancelok"
                    )
                ]
            ]
        )
        await edit_or_send(
            update,
            context,
            services.tr(language, "programme.change_cancel_sure", title=session.title(language)),
            markup,
        )
        return
    if action == "cancelok":
        await apply_change(update, context, session.id, cancelled=True)
        return
    user = update.effective_user
    assert user is not None
    await services.flows.begin(user.id, action, SessionChangeDraft(language=language, session=session.id))
    await reply(update, context, services.tr(language, f"programme.ask_{action}"))


async def on_text(update: Update, context: Context) -> None:
    """The organiser typed the new time (HH:MM, same day) or the new room."""
    services = context.services
    message = update.effective_message
    assert message is not None and update.effective_user is not None
    draft = await services.flows.load(update.effective_user.id, SessionChangeDraft)
    if draft is None:
        return  # done or cancelled a moment ago
    language = draft.draft.language
    session = await services.programme.session(draft.draft.session)
    if session is None or message.text is None:
        await reply(update, context, services.tr(language, "conversation.text_expected"))
        return
    if draft.step == "move":
        match = re.fullmatch(r"\s*(\d{1,2})[:hH.](\d{2})\s*", message.text)
        if match is None or int(match.group(1)) > 23 or int(match.group(2)) > 59:
            await reply(update, context, services.tr(language, "broadcast.bad_time"))
            return
        start = datetime.combine(
            session.start.date(), time(int(match.group(1)), int(match.group(2))), tzinfo=services.event.tz
        )
        await services.flows.drop(draft.telegram_id)
        await apply_change(update, context, session.id, start=start)
    else:
        room = " ".join(message.text.split())[:60]
        if not room:
            await reply(update, context, services.tr(language, "conversation.text_expected"))
            return
        await services.flows.drop(draft.telegram_id)
        await apply_change(update, context, session.id, room=room)


async def apply_change(
    update: Update,
    context: Context,
    session_id: str,
    *,
    start: datetime | None = None,
    room: str | None = None,
    cancelled: bool = False,
) -> None:
    """Record the change; followers are told (outbox), get an updated calendar file, and their reminders move."""
    services = context.services
    language = await user_language(update, context)
    session, notices = await services.programme.announce_change(session_id, start=start, room=room, cancelled=cancelled)
    await tell(context, notices)
    told = len({n.to.id for n in notices})
    await reply(
        update,
        context,
        services.tr(language, "programme.change_done", title=session.title(language), count=told),
    )
