"""What each side of a meeting cancelled by the organisers is told, in their language."""

from __future__ import annotations

from bot.event import Event
from bot.i18n import Translator
from bot.services.broadcasts import Notice
from bot.services.meetings import MeetingService
from bot.services.notices import naming
from storage.meetings import Meeting
from storage.participants import Role


async def cancellation_notices(
    tr: Translator, event: Event, meetings: MeetingService, cancelled: list[Meeting], key: str
) -> list[Notice]:
    """The representatives' notices name the attendee: they remember whom, for /forget."""
    notices: list[Notice] = []
    for meeting in cancelled:
        view = await meetings.view(meeting)
        people = ([view.attendee] if view.attendee else []) + await meetings.representatives(view.exhibitor.id)
        for person in people:
            about = view.attendee if person.role == Role.EXHIBITOR else None
            other = (about.full_name if about else "—") if person.role == Role.EXHIBITOR else view.exhibitor.name
            when = tr.format_slot(person.language, meeting.slot_start.astimezone(event.tz))
            notices.append(Notice(person, tr(person.language, key, other=other, when=when), naming(about)))
    return notices
