"""The programme: sessions from the event file, changes announced since, who follows what."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import ClassVar

from bot.event import LANGUAGES, Event, LocalizedText, Session, Slot
from bot.services.flows import FlowDraft
from bot.services.notices import Clock, Day, Localized, Notice, SessionFile, msg
from storage.programme import SessionChange
from storage.reminders import Reminder
from storage.repositories import Repositories

SOON = timedelta(hours=1)


def localized_title(session: SessionView) -> Localized:
    return Localized({language: session.title(language) for language in LANGUAGES})


def session_file(session: SessionView, *, cancelled: bool) -> SessionFile:
    return SessionFile(
        session.id,
        localized_title(session),
        session.start,
        session.end,
        session.room,
        session.sequence,
        cancelled,
    )


class SessionChangeDraft(FlowDraft):
    """An organiser typing a session's new time or room (the step says which)."""

    FLOW: ClassVar[str] = "session"
    session: str


@dataclass(frozen=True)
class SessionView:
    id: str
    title: LocalizedText
    format: str
    start: datetime  # in the event's timezone
    end: datetime
    room: str
    speakers: list[str] = field(default_factory=list)
    exhibitors: list[str] = field(default_factory=list)
    themes: list[str] = field(default_factory=list)
    cancelled: bool = False
    sequence: int = 0

    def overlaps(self, start: datetime, end: datetime) -> bool:
        return not self.cancelled and start < self.end and self.start < end


class ProgrammeService:
    def __init__(self, repos: Repositories, event: Event, clock: Callable[[], datetime] | None = None) -> None:
        self.event = event
        self._repo = repos.programme
        self._reminders = repos.reminders
        self._participants = repos.participants
        self.clock = clock or (lambda: datetime.now(UTC))
        self._listeners: list[Callable[[list[Reminder], list[int]], None]] = []

    def subscribe(self, listener: Callable[[list[Reminder], list[int]], None]) -> None:
        self._listeners.append(listener)

    def _changed(self, scheduled: list[Reminder], cleared: list[int]) -> None:
        for listener in self._listeners:
            listener(scheduled, cleared)

    def _view(self, session: Session, changes: dict[str, SessionChange]) -> SessionView:
        change = changes.get(session.id)
        start, end, room, cancelled, sequence = session.start, session.end, session.room, False, 0
        if change is not None:
            start = change.start.astimezone(self.event.tz) if change.start else start
            end = change.end_at.astimezone(self.event.tz) if change.end_at else end
            room = change.room or room
            cancelled, sequence = change.cancelled, change.sequence
        return SessionView(
            session.id,
            session.title,
            session.format,
            start,
            end,
            room,
            list(session.speakers),
            list(session.exhibitors),
            list(session.themes),
            cancelled,
            sequence,
        )

    async def sessions(self) -> list[SessionView]:
        changes = await self._repo.changes()
        views = [self._view(s, changes) for s in self.event.programme]
        return sorted(views, key=lambda v: (v.start, v.id))

    async def session(self, session_id: str) -> SessionView | None:
        return next((s for s in await self.sessions() if s.id == session_id), None)

    async def now_and_next(self) -> tuple[list[SessionView], list[SessionView]]:
        now = self.clock()
        live = [s for s in await self.sessions() if not s.cancelled and s.start <= now < s.end]
        soon = [s for s in await self.sessions() if not s.cancelled and now < s.start <= now + SOON]
        return live, soon

    async def on_day(self, day: date, afternoon: bool | None = None) -> list[SessionView]:
        return [
            s
            for s in await self.sessions()
            if s.start.date() == day and (afternoon is None or (s.start.hour >= 13) == afternoon)
        ]

    async def with_theme(self, theme_id: str) -> list[SessionView]:
        return [s for s in await self.sessions() if theme_id in s.themes]

    async def presented_by(self, slug: str) -> list[SessionView]:
        return [s for s in await self.sessions() if slug in s.exhibitors and not s.cancelled]

    async def coming_by(self, slug: str) -> list[SessionView]:
        """The exhibitor's sessions that are not over yet: what its card shows."""
        now = self.clock()
        return [s for s in await self.presented_by(slug) if s.end > now]

    async def followed(self, participant_id: int) -> list[SessionView]:
        ids = await self._repo.followed_by(participant_id)
        return [s for s in await self.sessions() if s.id in ids]

    async def clashes(self, participant_id: int, slot: Slot) -> list[SessionView]:
        """Sessions this person follows that a meeting in ``slot`` would overlap."""
        return [s for s in await self.followed(participant_id) if s.overlaps(slot.start, slot.end)]

    async def exhibitor_busy(self, slug: str) -> set[str]:
        """Slots (UTC ISO) during which the exhibitor presents on stage: closed to its meetings."""
        sessions = await self.presented_by(slug)
        return {slot.utc_iso for slot in self.event.slots if any(s.overlaps(slot.start, slot.end) for s in sessions)}

    # ------------------------------------------------------------------ following and reminders

    def _dues(self, session: SessionView) -> list[tuple[int, datetime]]:
        return [
            (int(lead.total_seconds()), session.start.astimezone(UTC) - lead) for lead in self.event.reminders.leads
        ]

    async def set_following(self, participant_id: int, session_id: str, follow: bool | None = None) -> bool:
        """Follow or stop following (None: the other way round from now); the session's reminders
        follow the choice. Saying which makes a press handled twice (after a crash) harmless."""
        session = await self.session(session_id)
        if session is None:
            raise KeyError(session_id)
        following = await self._repo.follow(participant_id, session_id, follow)
        cleared = await self._reminders.clear_for_session(session_id, participant_id)
        scheduled: list[Reminder] = []
        if following and not session.cancelled:
            scheduled = await self._reminders.schedule_session(session_id, [participant_id], self._dues(session))
            digest = self.event.digest_due(session.start)
            if digest is not None:
                scheduled += await self._reminders.schedule_digest(
                    participant_id, digest, self.event.reminders.digest_lead
                )
        self._changed(scheduled, cleared)
        return following

    async def announce_change(
        self, session_id: str, *, start: datetime | None = None, room: str | None = None, cancelled: bool = False
    ) -> tuple[SessionView, list[Notice]]:
        """The change recorded, and what each follower is told: a notice through the outbox, and the
        session's calendar file, updated or cancelled."""
        session, follower_ids = await self.change(session_id, start=start, room=room, cancelled=cancelled)
        followers = [p for p in [await self._participants.by_id(i) for i in follower_ids] if p]
        key = "programme.notice_cancelled" if cancelled else "programme.notice_changed"
        text = msg(
            key,
            title=localized_title(session),
            when=Clock((session.start, session.end), separator="–"),
            day=Day(session.start.date()),
            room=session.room,
        )
        notices = [Notice(person, text, outbox=f"session:{session_id}") for person in followers]
        notices += [Notice(person, None, calendar=session_file(session, cancelled=cancelled)) for person in followers]
        return session, notices

    async def change(
        self, session_id: str, *, start: datetime | None = None, room: str | None = None, cancelled: bool = False
    ) -> tuple[SessionView, list[int]]:
        """Move, re-room or cancel a session; followers' reminders move with it. Returns it and its followers."""
        before = await self.session(session_id)
        if before is None:
            raise KeyError(session_id)
        end = start + (before.end - before.start) if start else None
        await self._repo.change(
            session_id,
            start=start.astimezone(UTC) if start else None,
            end=end.astimezone(UTC) if end else None,
            room=room,
            cancelled=cancelled,
        )
        after = await self.session(session_id)
        assert after is not None
        followers = await self._repo.followers(session_id)
        cleared = await self._reminders.clear_for_session(session_id, None)
        scheduled: list[Reminder] = []
        if not after.cancelled and followers:
            scheduled = await self._reminders.schedule_session(session_id, followers, self._dues(after))
        self._changed(scheduled, cleared)
        return after, followers
