"""What a use case says to whom, as data: the recipient, the message (a catalog key and its values),
its buttons and its attachment. The notifier (handlers/notify.py) renders each one in its
recipient's language and sends it; the domain never knows Telegram."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from storage.aftermath import ContactCard
from storage.meetings import Meeting
from storage.participants import Participant, Role


@dataclass(frozen=True)
class Msg:
    """A catalog message. Values are escaped, except those that are themselves rendered in the
    reader's language: a Msg, a Joined, a Moment (a slot's day and time), a Clock (times of day),
    a Day, a Localized."""

    key: str
    values: Mapping[str, Any] = field(default_factory=dict)


def msg(key: str, **values: Any) -> Msg:
    return Msg(key, values)


@dataclass(frozen=True)
class Joined:
    """Messages one after the other, ``separator`` between them."""

    parts: tuple[Msg | Joined, ...]
    separator: str = "\n\n"


Text = Msg | Joined


@dataclass(frozen=True)
class Moment:
    at: datetime


@dataclass(frozen=True)
class Clock:
    """Times of day, joined by ``separator`` (a list, or a "from–to" span)."""

    at: tuple[datetime, ...]
    separator: str = ", "


@dataclass(frozen=True)
class Day:
    on: date


@dataclass(frozen=True)
class Localized:
    """A value already written in each language (theme labels, a session's title)."""

    texts: Mapping[str, str]


@dataclass(frozen=True)
class Mention:
    """Someone a message names, and each phrase of theirs it shows (name, organisation, the details
    they shared, a file named after them): /forget takes them out of the stored message, and its file."""

    person_id: int
    phrases: tuple[str, ...]


def naming(*people: Participant | None, details: tuple[str | None, ...] = ()) -> tuple[Mention, ...]:
    """The people a message names, each with their name and their organisation (a representative's is
    their stand's, which is no secret), and ``details`` of theirs it shows as well."""
    return tuple(
        Mention(p.id, tuple(dict.fromkeys(x for x in (p.full_name, _organisation(p), *details) if x)))
        for p in people
        if p is not None
    )


def _organisation(person: Participant) -> str | None:
    return person.organisation if person.role != Role.EXHIBITOR else None


@dataclass(frozen=True)
class Button:
    """A button: its label, and the action it stands for with the action's arguments
    (handlers/buttons.py turns the action into the callback data of its family)."""

    label: Text
    action: str
    args: tuple[int | str, ...] = ()


@dataclass(frozen=True)
class MeetingFile:
    """The meeting as a calendar file (.ics) for its recipient, who meets ``other`` at ``stand``;
    ``cancelled`` removes it from calendars (same UID, higher SEQUENCE)."""

    meeting: Meeting
    other: str
    stand: str
    cancelled: bool = False


@dataclass(frozen=True)
class PlanFile:
    """Several meetings in one calendar file: what a published plan gives a person."""

    meetings: tuple[MeetingFile, ...]


@dataclass(frozen=True)
class ContactsFile:
    """Contact cards (a .vcf): each person's name, organisation and the details they chose to share."""

    cards: tuple[tuple[str, str | None, ContactCard], ...]
    file_name: str


@dataclass(frozen=True)
class SessionFile:
    """A session of the programme as a calendar file; ``cancelled`` takes it out of calendars."""

    session_id: str
    title: Localized
    start: datetime
    end: datetime
    room: str
    sequence: int
    cancelled: bool = False


@dataclass(frozen=True)
class Notice:
    to: Participant
    text: Text | None  # None: the calendar file alone, with its usual caption
    buttons: tuple[tuple[Button, ...], ...] = ()
    # a file sent with the text as its caption, when it fits: a calendar, or contact cards
    calendar: MeetingFile | SessionFile | PlanFile | ContactsFile | None = None
    # the recipient's copies of this meeting's request, rewritten in place (no buttons left)
    rewrites_request: int | None = None
    request_copy: int | None = None  # a meeting request sent to a representative: its message id is kept
    reply: bool = False  # to the person who just pressed: sent even if they were marked unreachable
    outbox: str | None = None  # the outbox audience it is filed under (default: "notice")
    about: tuple[Mention, ...] = ()  # whom the text or its file names: /forget takes them out of it
    bulk: bool = False  # one of many (a published plan): sent after other notices, as announcements are


def one_button(label: Text, action: str, *args: int | str) -> tuple[tuple[Button, ...], ...]:
    return ((Button(label, action, args),),)
