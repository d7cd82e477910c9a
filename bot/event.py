"""The event definition (a TOML file) and the meeting grid computed from it."""

from __future__ import annotations

import itertools
import tomllib
from datetime import date, datetime, time, timedelta
from functools import cached_property
from pathlib import Path
from typing import Annotated, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationError, field_validator, model_validator

Language = Literal["fr", "en"]
LANGUAGES: tuple[Language, ...] = ("fr", "en")


class EventError(Exception):
    """The event file is missing or invalid; the message gives the path of each bad field."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


NonEmpty = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]


class LocalizedText(_Strict):
    fr: NonEmpty
    en: NonEmpty

    def __call__(self, language: Language) -> str:
        return self.en if language == "en" else self.fr


class TimeRange(_Strict):
    start: time
    end: time

    @model_validator(mode="after")
    def _ordered(self) -> TimeRange:
        if self.end <= self.start:
            raise ValueError(f"end {self.end:%H:%M} must be after start {self.start:%H:%M}")
        return self

    def overlaps(self, start: time, end: time) -> bool:
        return start < self.end and self.start < end


class EventDay(_Strict):
    date: date
    windows: list[TimeRange] = Field(min_length=1)
    breaks: list[TimeRange] = []

    @field_validator("windows")
    @classmethod
    def _no_overlap(cls, windows: list[TimeRange]) -> list[TimeRange]:
        ordered = sorted(windows, key=lambda w: w.start)
        for before, after in itertools.pairwise(ordered):
            if after.start < before.end:
                raise ValueError(
                    f"windows {before.start:%H:%M}-{before.end:%H:%M} and {after.start:%H:%M}-{after.end:%H:%M} overlap"
                )
        return ordered


class Theme(_Strict):
    id: Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9_-]{0,31}$")]
    fr: NonEmpty
    en: NonEmpty

    def label(self, language: Language) -> str:
        return self.en if language == "en" else self.fr


class Reminders(_Strict):
    lead_minutes: list[Annotated[int, Field(ge=1, le=1440)]] = Field(default=[15], min_length=1)
    # Seconds instead of minutes, for rehearsals and tests that compress time
    lead_seconds: list[Annotated[int, Field(ge=1, le=86400)]] | None = None
    day_digest_minutes_before: int = Field(default=30, ge=0, le=720)
    day_digest_seconds_before: int | None = Field(default=None, ge=0, le=43200)
    # how often representatives are reminded of requests they have not answered
    nudge_interval_minutes: int = Field(default=120, ge=5, le=1440)

    @field_validator("lead_minutes", "lead_seconds")
    @classmethod
    def _distinct(cls, leads: list[int] | None) -> list[int] | None:
        if leads is not None and len(set(leads)) != len(leads):
            raise ValueError("lead times must be distinct")
        return sorted(leads, reverse=True) if leads is not None else None

    @property
    def leads(self) -> list[timedelta]:
        """How long before a meeting each reminder goes, longest first."""
        if self.lead_seconds is not None:
            return [timedelta(seconds=s) for s in self.lead_seconds]
        return [timedelta(minutes=m) for m in self.lead_minutes]

    @property
    def digest_lead(self) -> timedelta:
        if self.day_digest_seconds_before is not None:
            return timedelta(seconds=self.day_digest_seconds_before)
        return timedelta(minutes=self.day_digest_minutes_before)


class Limits(_Strict):
    open_requests_per_attendee: int = Field(default=10, ge=1, le=100)
    default_tables_per_exhibitor: int = Field(default=1, ge=1, le=50)
    # the speed-meeting planner: how many exhibitors an attendee may wish for (ranked), and how many
    # meetings a plan may give one attendee (their meetings already booked included)
    wishes_per_attendee: int = Field(default=10, ge=1, le=30)
    planned_meetings_per_attendee: int = Field(default=8, ge=1, le=48)


class Privacy(_Strict):
    # personal data is deleted this many days after the event's last day (the consent text says so)
    purge_after_days: int = Field(default=90, ge=1, le=3650)


SessionFormat = Literal["pitch", "pecha_kucha", "plenary", "workshop"]


class Session(_Strict):
    """A talk on the programme: a plenary, pitches, a pecha kucha (20 slides × 20 s), a workshop."""

    id: Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9_-]{0,31}$")]
    title: LocalizedText
    format: SessionFormat
    start: datetime  # local time of the event (the event's timezone is applied)
    end: datetime
    room: NonEmpty
    speakers: list[NonEmpty] = []
    exhibitors: list[Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9-]{0,47}$")]] = []  # slugs
    themes: list[str] = []

    @model_validator(mode="after")
    def _ordered(self) -> Session:
        if self.end <= self.start:
            raise ValueError(f"end {self.end:%H:%M} must be after start {self.start:%H:%M}")
        return self


class Slot(BaseModel):
    model_config = ConfigDict(frozen=True)

    start: datetime  # timezone-aware, in the event's timezone
    end: datetime

    @cached_property
    def utc_iso(self) -> str:
        """How meetings store the slot: its start in UTC, ISO 8601 (asked about 15 times an update)."""
        return self.start.astimezone(ZoneInfo("UTC")).isoformat()

    @property
    def key(self) -> str:
        """A stable identifier: the UTC start time."""
        return self.start.astimezone(ZoneInfo("UTC")).strftime("%Y%m%dT%H%MZ")


class Event(_Strict):
    name: LocalizedText
    timezone: str
    venue: NonEmpty
    slot_minutes: int = Field(ge=5, le=240)
    days: list[EventDay] = Field(min_length=1)
    breaks: list[TimeRange] = []  # apply to every day
    themes: list[Theme] = Field(min_length=1)
    reminders: Reminders = Reminders()
    limits: Limits = Limits()
    privacy: Privacy = Privacy()
    sessions: list[Session] = []

    @field_validator("timezone")
    @classmethod
    def _known_timezone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"{value!r} is not an IANA timezone such as Europe/Paris") from None
        return value

    @field_validator("days")
    @classmethod
    def _distinct_days(cls, days: list[EventDay]) -> list[EventDay]:
        dates = [d.date for d in days]
        if len(set(dates)) != len(dates):
            raise ValueError("a date appears twice")
        return sorted(days, key=lambda d: d.date)

    @field_validator("themes")
    @classmethod
    def _distinct_themes(cls, themes: list[Theme]) -> list[Theme]:
        ids = [t.id for t in themes]
        duplicates = sorted({i for i in ids if ids.count(i) > 1})
        if duplicates:
            raise ValueError(f"theme ids must be unique: {', '.join(duplicates)}")
        return themes

    @model_validator(mode="after")
    def _sessions_fit(self) -> Event:
        ids = [s.id for s in self.sessions]
        if len(set(ids)) != len(ids):
            raise ValueError("session ids must be unique")
        known = {t.id for t in self.themes}
        for index, session in enumerate(self.sessions):
            unknown = [t for t in session.themes if t not in known]
            if unknown:
                raise ValueError(f"sessions[{index}] ({session.id}): unknown theme {', '.join(unknown)}")
        return self

    @cached_property
    def programme(self) -> tuple[Session, ...]:
        """The sessions in time order, their times in the event's timezone."""

        def local(moment: datetime) -> datetime:
            return moment.replace(tzinfo=self.tz) if moment.tzinfo is None else moment.astimezone(self.tz)

        return tuple(
            sorted(
                (s.model_copy(update={"start": local(s.start), "end": local(s.end)}) for s in self.sessions),
                key=lambda s: (s.start, s.id),
            )
        )

    def session(self, session_id: str) -> Session | None:
        return next((s for s in self.programme if s.id == session_id), None)

    @model_validator(mode="after")
    def _slots_fit(self) -> Event:
        for index, day in enumerate(self.days):
            if not self._day_slots(day):
                raise ValueError(
                    f"days[{index}] ({day.date}) has no {self.slot_minutes}-minute slot outside its breaks"
                )
        return self

    @cached_property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def theme(self, theme_id: str) -> Theme | None:
        return next((t for t in self.themes if t.id == theme_id), None)

    @cached_property
    def slots(self) -> tuple[Slot, ...]:
        return tuple(slot for day in self.days for slot in self._day_slots(day))

    def purge_due(self) -> datetime:
        """When personal data goes: ``purge_after_days`` after the end of the event's last day."""
        last = max(day.date for day in self.days)
        end_of_day = datetime.combine(last + timedelta(days=1), time(0), tzinfo=self.tz)
        return (end_of_day + timedelta(days=self.privacy.purge_after_days)).astimezone(ZoneInfo("UTC"))

    def digest_due(self, moment: datetime) -> datetime | None:
        """When the day's agenda goes out for the event day of ``moment``: before its first slot."""
        slots = self.slots_on(moment.astimezone(self.tz).date())
        return slots[0].start.astimezone(ZoneInfo("UTC")) - self.reminders.digest_lead if slots else None

    def slots_on(self, day: date) -> list[Slot]:
        return [s for s in self.slots if s.start.date() == day]

    def _day_slots(self, day: EventDay) -> list[Slot]:
        length = timedelta(minutes=self.slot_minutes)
        breaks = [*self.breaks, *day.breaks]
        slots = []
        for window in day.windows:
            start = datetime.combine(day.date, window.start, tzinfo=self.tz)
            end_of_window = datetime.combine(day.date, window.end, tzinfo=self.tz)
            while start + length <= end_of_window:
                end = start + length
                if not any(b.overlaps(start.time(), end.time()) for b in breaks):
                    slots.append(Slot(start=start, end=end))
                start = end
        return slots


def _path(loc: tuple[int | str, ...]) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "(file)"


def load_event(path: Path) -> Event:
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise EventError(f"{path}: no such event file (EVENT_FILE)") from None
    except OSError as err:
        raise EventError(f"{path}: cannot read the event file: {err.strerror}") from None
    try:
        data = tomllib.loads(raw.decode("utf-8-sig"))
    except (UnicodeDecodeError, tomllib.TOMLDecodeError) as err:
        raise EventError(f"{path}: not valid TOML: {err}") from None
    try:
        return Event.model_validate(data)
    except ValidationError as err:
        problems = [
            f"{path}: {_path(tuple(e['loc']))}: {e['msg'].removeprefix('Value error, ')}"
            for e in err.errors(include_url=False)
        ]
        raise EventError("\n".join(problems)) from None
