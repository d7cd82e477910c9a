"""Calendar files (.ics) for meetings, with icalendar.

One stable UID per meeting: a cancellation sends METHOD:CANCEL with the same UID and a
higher SEQUENCE, so calendar apps remove the meeting instead of keeping a ghost.
"""

from __future__ import annotations

import functools
from datetime import UTC, datetime, timedelta
from typing import NamedTuple
from zoneinfo import ZoneInfo

from icalendar import Calendar, Timezone, vCalAddress, vText
from icalendar import Event as VEvent

from bot.event import Event

PRODID = "-//Maillage//Meetings//FR"


def meeting_uid(meeting_id: int) -> str:
    return f"meeting-{meeting_id}@maillage"


class CalendarEntry(NamedTuple):
    meeting_id: int
    start: datetime
    summary: str
    location: str
    description: str
    sequence: int


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
    calendar = _calendar("CANCEL" if cancelled else "REQUEST")
    entry = CalendarEntry(meeting_id, start, summary, location, description, sequence)
    calendar.add_component(_timezone(event.tz.key, start.astimezone(event.tz).year))
    calendar.add_component(_vevent(event, entry, cancelled=cancelled, uid=uid, minutes=minutes))
    return calendar.to_ical()


def meetings_ics(event: Event, entries: list[CalendarEntry]) -> bytes:
    """Several meetings in one file (a published plan), each with its own UID."""
    calendar = _calendar("PUBLISH")
    for year in sorted({e.start.astimezone(event.tz).year for e in entries}):
        calendar.add_component(_timezone(event.tz.key, year))
    for entry in entries:
        calendar.add_component(_vevent(event, entry, cancelled=False))
    return calendar.to_ical()


def _calendar(method: str) -> Calendar:
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("method", method)
    return calendar


def _vevent(
    event: Event, entry: CalendarEntry, *, cancelled: bool, uid: str | None = None, minutes: int | None = None
) -> VEvent:
    vevent = VEvent()
    vevent.add("uid", uid or meeting_uid(entry.meeting_id))
    vevent.add("dtstamp", datetime.now(UTC))
    local_start = entry.start.astimezone(event.tz)
    vevent.add("dtstart", local_start)  # with TZID=<the event's zone>
    vevent.add("dtend", local_start + timedelta(minutes=minutes or event.slot_minutes))
    vevent.add("summary", entry.summary)
    vevent.add("location", entry.location)
    vevent.add("description", entry.description)
    vevent.add("sequence", entry.sequence)
    vevent.add("status", "CANCELLED" if cancelled else "CONFIRMED")
    organizer = vCalAddress("mailto:noreply@maillage.invalid")
    organizer.params["cn"] = vText(event.name.fr)
    vevent["organizer"] = organizer
    return vevent


@functools.lru_cache(maxsize=16)
def _timezone(zone: str, year: int) -> Timezone:
    """The VTIMEZONE of ``zone``: building it walks the zone's transitions (milliseconds), so once per zone."""
    probe = Calendar()
    probe_event = VEvent()
    probe_event.add("dtstart", datetime(year, 7, 1, 12, tzinfo=ZoneInfo(zone)))
    probe.add_component(probe_event)
    probe.add_missing_timezones()
    (component,) = probe.walk("VTIMEZONE")
    assert isinstance(component, Timezone)
    return component
