"""Calendar files (.ics) for meetings, with icalendar.

One stable UID per meeting: a cancellation sends METHOD:CANCEL with the same UID and a
higher SEQUENCE, so calendar apps remove the meeting instead of keeping a ghost.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from icalendar import Calendar, vCalAddress, vText
from icalendar import Event as VEvent

from bot.event import Event

PRODID = "-//Maillage//Meetings//FR"


def meeting_uid(meeting_id: int) -> str:
    return f"meeting-{meeting_id}@maillage"


def meeting_ics(
    *,
    event: Event,
    meeting_id: int,
    start: datetime,
    summary: str,
    location: str,
    description: str,
    sequence: int,
    cancelled: bool,
    uid: str | None = None,
    minutes: int | None = None,
) -> bytes:
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("method", "CANCEL" if cancelled else "REQUEST")
    vevent = VEvent()
    vevent.add("uid", uid or meeting_uid(meeting_id))
    vevent.add("dtstamp", datetime.now(UTC))
    local_start = start.astimezone(event.tz)
    vevent.add("dtstart", local_start)  # with TZID=<the event's zone>
    vevent.add("dtend", local_start + timedelta(minutes=minutes or event.slot_minutes))
    vevent.add("summary", summary)
    vevent.add("location", location)
    vevent.add("description", description)
    vevent.add("sequence", sequence)
    vevent.add("status", "CANCELLED" if cancelled else "CONFIRMED")
    organizer = vCalAddress("mailto:noreply@maillage.invalid")
    organizer.params["cn"] = vText(event.name.fr)
    vevent["organizer"] = organizer
    calendar.add_component(vevent)
    calendar.add_missing_timezones()
    return calendar.to_ical()
