"""The notifier: renders what a use case returned (bot/services/notices.py) in each recipient's
language. What the person who acted is told goes out at once; everything else is written to the
database outbox, which any worker sends (bot/jobs/outbox.py)."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Iterable, Sequence
from itertools import groupby
from typing import Any, NamedTuple

from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup, InputFile
from telegram.error import BadRequest, Forbidden

from bot.documents.vcard import vcards
from bot.event import Language
from bot.i18n import Html, telegram_length, to_plain
from bot.runtime import Context, Services
from bot.services.broadcasts import Outgoing, mentioned
from bot.services.calendar import CalendarEntry, meeting_ics, meetings_ics
from bot.services.notices import (
    Button,
    Clock,
    ContactsFile,
    Day,
    Joined,
    Localized,
    MeetingFile,
    Moment,
    Msg,
    Notice,
    PlanFile,
    SessionFile,
    Text,
)
from bot.telegram.bot import plain_labels
from bot.telegram.concurrency import acting_user
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
    """Notices to other people are written to the outbox first, in one transaction per audience: once
    this returns they are safe from a crash, and the outbox sends them (in order within each chat,
    before announcements) from whichever process is free. Then the person who acted gets theirs."""
    now: list[Notice] = []
    later: list[Notice] = []
    actor = acting_user()
    for notice in notices:
        if notice.outbox is None and (notice.reply or notice.to.telegram_id == actor):
            now.append(notice)
        elif notice.to.reachable:
            later.append(notice)
    for (audience, bulk), group in groupby(later, key=lambda n: (n.outbox or "notice", n.bulk)):
        await context.services.broadcasts.notify(
            [out for notice in group for out in outgoing(context.services, notice)], audience=audience, bulk=bulk
        )
    for notice in now:
        await _tell_one(context, notice)


RENDERED_AT_ONCE = 25  # people's messages rendered between two turns of the event loop


async def file_bulk(
    services: Services, notices: list[Notice], audience: str, claim: tuple[str, Sequence[Any]] | None = None
) -> bool:
    """Many people's messages (a published plan, the end of the day) into the outbox in one transaction:
    all filed or none. Rendering hundreds of files takes a while: the loop gets a turn every few people,
    so that the bot keeps answering meanwhile. With a ``claim``, filed only by whoever claims first."""
    outs: list[Outgoing] = []
    for number, notice in enumerate(notices, start=1):
        if notice.to.reachable:
            outs += outgoing(services, notice)
        if number % RENDERED_AT_ONCE == 0:
            await asyncio.sleep(0)
    return await services.broadcasts.notify(outs, audience=audience, bulk=True, claim=claim) is not None


def outgoing(services: Services, notice: Notice) -> list[Outgoing]:
    """The notice as the outbox keeps it: its text rendered, its buttons as Telegram's JSON, its
    calendar file (a lead too long for a caption goes first, on its own)."""
    person = notice.to
    language = person.language
    text = render(services, language, notice.text) if notice.text is not None else None
    about = mentioned(notice.about)
    markup = keyboard(services, language, notice.buttons)
    # the labels as the phone shows them: MaillageBot turns catalog HTML into plain text only when it sends
    plain = plain_labels(markup) if markup is not None else None
    buttons = json.dumps(plain.to_dict(), ensure_ascii=False) if isinstance(plain, InlineKeyboardMarkup) else None
    if notice.rewrites_request is not None:
        assert text is not None
        return [Outgoing(person.id, person.telegram_id, text, about, rewrites_copies_of=notice.rewrites_request)]
    if notice.calendar is not None:
        file = attachment(services, language, notice.calendar, text)
        lead = [Outgoing(person.id, person.telegram_id, file.lead, about)] if file.lead is not None else []
        document = file.content.decode("utf-8")
        return [*lead, Outgoing(person.id, person.telegram_id, file.caption, about, buttons, document, file.name)]
    assert text is not None
    return [Outgoing(person.id, person.telegram_id, text, about, buttons, copy_of=notice.request_copy)]


async def _tell_one(context: Context, notice: Notice) -> None:
    services = context.services
    person = notice.to
    language = person.language
    text = render(services, language, notice.text) if notice.text is not None else None
    try:
        if notice.rewrites_request is not None:
            assert text is not None
            await rewrite_copies(context.bot, services, notice.rewrites_request, person.id, person.telegram_id, text)
        elif notice.calendar is not None:
            await _send_calendar(context, notice, text)
        else:
            assert text is not None
            sent = await context.bot.send_message(
                person.telegram_id,
                text,
                reply_markup=keyboard(services, language, notice.buttons),
            )
            if notice.request_copy is not None:
                await services.meetings.remember_request_message(notice.request_copy, person.id, sent.message_id)
    except Forbidden:
        await services.registration.set_reachable(person.telegram_id, False)


async def rewrite_copies(
    bot: Bot, services: Services, meeting_id: int, participant_id: int | None, chat_id: int, text: str
) -> None:
    """The representative's copy of a request, rewritten in place: its buttons go."""
    for holder, message_id in await services.meetings.request_messages(meeting_id):
        if holder != participant_id:
            continue
        try:
            await bot.edit_message_text(text, chat_id=chat_id, message_id=message_id)
        except BadRequest as err:  # deleted by the user, or too old to edit
            log.info("could not update message %s: %s", message_id, err)


class Attachment(NamedTuple):
    lead: Html | None  # the news, when it does not fit in the caption
    caption: Html
    name: str
    content: bytes


def attachment(
    services: Services,
    language: Language,
    file: MeetingFile | SessionFile | PlanFile | ContactsFile,
    lead: Html | None,
) -> Attachment:
    """The calendar file, and the news that goes with it as its caption when it fits."""
    if isinstance(file, ContactsFile):
        caption = services.tr(language, "aftermath.vcf_caption", count=len(file.cards))
        content = vcards(file.cards)
        if lead is not None and telegram_length(lead) + telegram_length(caption) + 2 <= MAX_CAPTION:
            return Attachment(None, Html(f"{lead}\n\n{caption}"), file.file_name, content)
        return Attachment(lead, caption, file.file_name, content)
    if isinstance(file, PlanFile):
        cancel_caption, content, name = "", plan_file(services, language, file), "maillage-plan.ics"
    elif isinstance(file, SessionFile):
        cancel_caption, content, name = (
            "programme.ics_cancel_caption",
            session_file(services, language, file),
            (f"maillage-{file.session_id}.ics"),
        )
    else:
        cancel_caption, content = "meeting.ics_cancel_caption", meeting_file(services, language, file)
        name = f"maillage-meeting-{file.meeting.id}{'-cancelled' if file.cancelled else ''}.ics"
    if isinstance(file, PlanFile):
        caption = services.tr(language, "planning.ics_caption", count=len(file.meetings))
    else:
        caption = services.tr(language, cancel_caption if file.cancelled else "meeting.ics_caption")
    if lead is not None and telegram_length(lead) + telegram_length(caption) + 2 <= MAX_CAPTION:
        return Attachment(None, Html(f"{lead}\n\n{caption}"), name, content)
    return Attachment(lead, caption, name, content)


async def _send_calendar(context: Context, notice: Notice, lead: Html | None) -> None:
    assert notice.calendar is not None
    file = attachment(context.services, notice.to.language, notice.calendar, lead)
    if file.lead is not None:
        await context.bot.send_message(notice.to.telegram_id, file.lead)
    await context.bot.send_document(
        notice.to.telegram_id,
        InputFile(file.content, filename=file.name, attach=False),
        caption=file.caption,
    )


def _meeting_entry(services: Services, language: Language, file: MeetingFile) -> CalendarEntry:
    """The meeting in a calendar: plain text (the catalog's Telegram HTML read as a person reads it)."""
    summary = services.tr(language, "meeting.ics_summary", other=file.other)
    location = services.tr(
        language,
        "meeting.ics_location",
        venue=services.event.venue,
        stand=file.stand,
        table=file.meeting.table_no or "—",
    )
    return CalendarEntry(
        meeting_id=file.meeting.id,
        start=file.meeting.slot_start,
        summary=to_plain(summary),
        location=to_plain(location),
        description=services.event.name(language),
        sequence=file.meeting.sequence,
    )


def meeting_file(services: Services, language: Language, file: MeetingFile) -> bytes:
    return meeting_ics(
        event=services.event, **_meeting_entry(services, language, file)._asdict(), cancelled=file.cancelled
    )


def plan_file(services: Services, language: Language, file: PlanFile) -> bytes:
    """Every meeting of a published plan in one file, each with the UID a later change will use."""
    return meetings_ics(services.event, [_meeting_entry(services, language, m) for m in file.meetings])


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
