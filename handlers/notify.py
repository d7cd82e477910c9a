"""The notifier: renders what a use case returned (bot/services/notices.py) in each recipient's
language and sends it. It is the one place where notices become Telegram messages, and so the place
that will later hand them to a database outbox instead."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable
from typing import Any

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, InputFile, Message
from telegram.error import BadRequest, Forbidden

from bot.concurrency import acting_user
from bot.event import Language
from bot.i18n import Html, telegram_length
from bot.runtime import Context, Services
from bot.services.calendar import meeting_ics
from bot.services.notices import (
    Button,
    Clock,
    Day,
    Joined,
    Localized,
    MeetingFile,
    Moment,
    Msg,
    Notice,
    SessionFile,
    Text,
)
from handlers.buttons import ACTIONS

log = logging.getLogger(__name__)

MAX_CAPTION = 1024  # Telegram's limit on a file's caption


def render(services: Services, language: Language, text: Text) -> Html:
    if isinstance(text, Joined):
        return Html(text.separator.join(render(services, language, part) for part in text.parts))
    return services.tr(language, text.key, **{k: _value(services, language, v) for k, v in text.values.items()})


def _value(services: Services, language: Language, value: Any) -> Any:
    if isinstance(value, Msg | Joined):
        return render(services, language, value)
    if isinstance(value, Moment):
        return services.tr.format_slot(language, value.at.astimezone(services.event.tz))
    if isinstance(value, Clock):
        return value.separator.join(
            services.tr.format_time(language, t.astimezone(services.event.tz)) for t in value.at
        )
    if isinstance(value, Day):
        return services.tr.format_date(language, value.on)
    if isinstance(value, Localized):
        return value.texts.get(language) or next(iter(value.texts.values()), "")
    return value


def keyboard(services: Services, language: Language, rows: Iterable[Iterable[Button]]) -> InlineKeyboardMarkup | None:
    built = [
        [
            InlineKeyboardButton(
                render(services, language, button.label), callback_data=ACTIONS[button.action].data(*button.args)
            )
            for button in row
        ]
        for row in rows
    ]
    return InlineKeyboardMarkup(built) if built else None


async def tell(context: Context, notices: Iterable[Notice]) -> None:
    """Send each notice in turn; one that cannot reach its recipient does not stop the others.
    Those meant for the outbox are written to it together (the outbox worker sends them).
    While handling someone's update, notices to other people go out on their own (``_tell_later``)."""
    actor = acting_user()
    queued: list[Notice] = []
    for notice in notices:
        if queued and notice.outbox != queued[0].outbox:
            await _queue(context, queued)
            queued = []
        if notice.outbox is not None:
            queued.append(notice)
        elif actor is not None and notice.to.telegram_id != actor and not notice.reply:
            _tell_later(context, notice)
        else:
            await _tell_one(context, notice)
    if queued:
        await _queue(context, queued)


def _tell_later(context: Context, notice: Notice) -> None:
    """Send a notice to someone other than the person who acted, without holding up that person.

    A chat takes the bot's own messages at one a second, so a representative sent twelve requests
    at once receives them over twelve seconds. Sent inline, each would keep its sender's update
    running that long: that person's next tap would wait behind it, and the update would hold one
    of the bot's concurrent places. Sent on its own it does neither; each chat's notices keep their
    order, and PTB awaits the task when the bot stops."""
    state = context.app.state
    chat = notice.to.telegram_id
    previous, done = state.notice_turns.take(chat)
    copies = state.copies_on_the_way.setdefault(notice.request_copy, set()) if notice.request_copy else None
    if copies is not None:
        copies.add(done)

    async def send_in_turn() -> None:
        try:
            if previous is not None:
                await previous
            await _tell_one(context, notice)
        finally:
            state.notice_turns.done(chat, done)
            if copies is not None:
                copies.discard(done)
                if not copies:
                    state.copies_on_the_way.pop(notice.request_copy or 0, None)

    context.application.create_task(send_in_turn(), name="notice")


async def copies_sent(context: Context, meeting_id: int) -> None:
    """Wait until the request copies of this meeting still on their way are sent, and so known.

    Answering, withdrawing or cancelling a request rewrites every copy the representatives were
    sent; one that has not gone yet (its chat's pace) would be missed, and arrive later with its
    buttons. Only a press within seconds of the request ever waits here."""
    pending = context.app.state.copies_on_the_way.get(meeting_id)
    if pending:
        await asyncio.wait(set(pending))


async def _queue(context: Context, notices: list[Notice]) -> None:
    services = context.services
    rendered = [(n.to, render(services, n.to.language, n.text)) for n in notices if n.text is not None]
    await services.broadcasts.notify(rendered, audience=notices[0].outbox or "notice")


async def _tell_one(context: Context, notice: Notice) -> None:
    services = context.services
    person = notice.to
    if not person.reachable and not notice.reply:
        return
    language = person.language
    text = render(services, language, notice.text) if notice.text is not None else None
    try:
        if notice.replaces is not None:
            assert text is not None
            await _replace(context, person.telegram_id, notice.replaces, text)
        elif notice.calendar is not None:
            await _send_calendar(context, notice, text)
        else:
            assert text is not None
            sent = await context.bot.send_message(
                person.telegram_id,
                text,
                reply_markup=keyboard(services, language, notice.buttons),
            )
            await _remember(context, notice, sent)
    except Forbidden:
        await services.registration.set_reachable(person.telegram_id, False)


async def _replace(context: Context, chat_id: int, message_id: int, text: Html) -> None:
    try:
        await context.bot.edit_message_text(text, chat_id=chat_id, message_id=message_id)
    except BadRequest as err:  # deleted by the user, or too old to edit
        log.info("could not update message %s: %s", message_id, err)


async def _remember(context: Context, notice: Notice, sent: Message) -> None:
    if notice.request_copy is not None:
        await context.services.meetings.remember_request_message(notice.request_copy, notice.to.id, sent.message_id)


async def _send_calendar(context: Context, notice: Notice, lead: Html | None) -> None:
    """The meeting as a calendar file; the news that goes with it is its caption when it fits."""
    services = context.services
    file = notice.calendar
    assert file is not None
    language = notice.to.language
    if isinstance(file, SessionFile):
        cancel_caption, content, name = (
            "programme.ics_cancel_caption",
            session_file(services, language, file),
            (f"maillage-{file.session_id}.ics"),
        )
    else:
        cancel_caption, content = "meeting.ics_cancel_caption", meeting_file(services, language, file)
        name = f"maillage-meeting-{file.meeting.id}{'-cancelled' if file.cancelled else ''}.ics"
    caption = services.tr(language, cancel_caption if file.cancelled else "meeting.ics_caption")
    if lead is not None:
        if telegram_length(lead) + telegram_length(caption) + 2 > MAX_CAPTION:
            await context.bot.send_message(notice.to.telegram_id, lead)
        else:
            caption = Html(f"{lead}\n\n{caption}")
    await context.bot.send_document(
        notice.to.telegram_id,
        InputFile(content, filename=name, attach=False),
        caption=caption,
    )


def meeting_file(services: Services, language: Language, file: MeetingFile) -> bytes:
    summary = services.tr(language, "meeting.ics_summary", other=file.other)
    location = services.tr(
        language,
        "meeting.ics_location",
        venue=services.event.venue,
        stand=file.stand,
        table=file.meeting.table_no or "—",
    )
    return meeting_ics(
        event=services.event,
        meeting_id=file.meeting.id,
        start=file.meeting.slot_start,
        summary=summary.replace("<b>", "").replace("</b>", ""),
        location=location,
        description=services.event.name(language),
        sequence=file.meeting.sequence,
        cancelled=file.cancelled,
    )


def session_file(services: Services, language: Language, file: SessionFile) -> bytes:
    return meeting_ics(
        event=services.event,
        meeting_id=0,
        start=file.start,
        summary=file.title.texts[language],
        location=f"{services.event.venue}, {file.room}",
        description=services.event.name(language),
        sequence=file.sequence + (1 if file.cancelled else 0),
        cancelled=file.cancelled,
        uid=f"session-{file.session_id}@maillage",
        minutes=int((file.end - file.start).total_seconds() // 60),
    )
