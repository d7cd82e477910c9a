"""/agenda, a page at a time: an attendee's meetings and followed sessions, or the stand's day."""

from __future__ import annotations

from datetime import datetime

from telegram import Update

from bot.i18n import Html
from bot.runtime import Context
from bot.services.meeting_actions import who
from bot.services.meetings import Meeting, Status
from bot.services.registration import Participant, Role
from handlers import buttons
from handlers.common import edit_or_send
from handlers.meetings.common import language_of, me_of, say, slot_label
from handlers.notify import render
from handlers.paging import Entry, markup, page_of
from handlers.planning import planned_why


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
    me = await me_of(update, context)
    if me is None:
        await say(update, context, services.tr(await language_of(update, context), "me.not_registered"))
        return
    if me.role == Role.EXHIBITOR and me.exhibitor_id is not None:
        header, entries = await _stand_day(context, me)
    else:
        header, entries = await _attendee_day(context, me)
    if not entries:
        await edit_or_send(update, context, services.tr(me.language, "agenda.empty"), None, edit=edit)
        return
    page = page_of(services.tr, me.language, header, entries, number, buttons.AGENDA_PAGE.data)
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
            if meeting.plan_reason is not None:  # made by the planner: why
                text = Html(f"{text}\n{planned_why(services, language, meeting)}")
            label = services.tr(language, "agenda.cancel", time=time, exhibitor=view.exhibitor.name[:30])
            button = buttons.CANCEL.button(label, meeting.id)
            timed.append((meeting.slot_start, Entry(text, [[button]])))
        else:
            key = "agenda.proposed" if meeting.awaiting == "attendee" else "agenda.pending"
            label = services.tr(language, "agenda.withdraw", time=time, exhibitor=view.exhibitor.name[:30])
            pending.append(
                Entry(
                    services.tr(language, key, when=when, exhibitor=view.exhibitor.name),
                    [[buttons.WITHDRAW.button(label, meeting.id)]],
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
                    language,
                    "agenda.table",
                    table=meeting.table_no or 0,
                    who=render(services, language, who(view.attendee)),
                )
            )
            time = services.tr.format_time(language, meeting.slot_start.astimezone(services.event.tz))
            name = view.attendee.full_name if view.attendee else "—"
            rows.append(
                [
                    buttons.PROPOSE.button(
                        services.tr(language, "agenda.move", time=time, name=name[:24]), meeting.id, 0
                    ),
                    buttons.CANCEL.button(
                        services.tr(language, "agenda.cancel", time=time, exhibitor=name[:24]), meeting.id
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
                    [[buttons.SHOW_REQUEST.button(label, meeting.id)]],
                )
            )
    return header, entries
