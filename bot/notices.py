"""What each side of a meeting cancelled by the organisers is told, in their language."""

from __future__ import annotations

from bot.event import Event
from bot.i18n import Translator
from bot.services.meetings import MeetingService
from storage.meetings import Meeting
from storage.participants import Participant, Role


async def cancellation_notices(
    tr: Translator, event: Event, meetings: MeetingService, cancelled: list[Meeting], key: str
) -> list[tuple[Participant, str]]:
    notices: list[tuple[Participant, str]] = []
    for meeting in cancelled:
        view = await meetings.view(meeting)
        people = ([view.attendee] if view.attendee else []) + await meetings.representatives(view.exhibitor.id)
        for person in people:
            if person.role == Role.EXHIBITOR:
                other = view.attendee.full_name if view.attendee else "—"
            else:
                other = view.exhibitor.name
            when = tr.format_slot(person.language, meeting.slot_start.astimezone(event.tz))
            notices.append((person, tr(person.language, key, other=other, when=when)))
    return notices
