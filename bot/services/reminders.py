"""Reminders before meetings and the day's digest, from rows in the database.

The rows are the truth. Whoever sends a reminder first claims its row (a lease, so that
a claim left by a crashed process is taken over later), then marks it sent. A reminder
can therefore only be sent twice if a process dies between Telegram's acceptance and
that mark. The in-memory jobs that wake the sender are rebuilt from the rows at start-up
and follow every change through ``on_change``.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

from bot.event import Event
from bot.services.programme import ProgrammeService, SessionView
from storage.meetings import Meeting, Status
from storage.participants import Participant, Role
from storage.reminders import MeetingReminders, Reminder, ReminderState
from storage.repositories import Repositories

DEFAULT_LEASE = timedelta(seconds=15)
MAX_ATTEMPTS = 20

Listener = Callable[[list[Reminder], list[int]], None]


@dataclass(frozen=True)
class DayEntry:
    start: datetime
    table: int | None
    exhibitor: str
    stand: str
    attendee: str  # name (organisation), or "" when the attendee is gone


@dataclass(frozen=True)
class DueReminder:
    """A claimed reminder and what its message needs."""

    reminder: Reminder
    participant: Participant
    meeting: Meeting | None = None
    session: SessionView | None = None
    counterpart: str = ""  # for a meeting reminder: who they meet
    stand: str = ""
    day: list[DayEntry] = field(default_factory=list)  # for a digest: the day's meetings, in time order
    sessions: list[SessionView] = field(default_factory=list)  # for a digest: the day's followed sessions


REBUILD_PAGE = 2_000  # meetings read and written at a time: memory stays flat however big the event


class ReminderService:
    def __init__(
        self,
        repos: Repositories,
        event: Event,
        clock: Callable[[], datetime] | None = None,
        lease: timedelta = DEFAULT_LEASE,
    ) -> None:
        self.event = event
        self._reminders = repos.reminders
        self._meetings = repos.meetings
        self._participants = repos.participants
        self._exhibitors = repos.exhibitors
        self.clock = clock or (lambda: datetime.now(UTC))
        self.lease = lease
        self.owner = f"sender-{secrets.token_hex(4)}"
        self._listeners: list[Listener] = []
        self.programme: ProgrammeService | None = None  # set by the composition root

    def subscribe(self, listener: Listener) -> None:
        """``listener(new_or_open_reminders, cancelled_ids)`` after every change."""
        self._listeners.append(listener)

    def cancelled_elsewhere(self, reminder_ids: list[int]) -> None:
        """Reminders another service cancelled in its own transaction (a representative removed from a
        stand): the listeners drop their jobs."""
        self._changed([], reminder_ids)

    def _changed(self, scheduled: list[Reminder], cancelled: list[int]) -> None:
        for listener in self._listeners:
            listener(scheduled, cancelled)

    async def schedule_meeting(self, meeting: Meeting) -> list[Reminder]:
        """An accepted meeting: both sides are reminded at each lead time, and get the day's digest."""
        if meeting.status != Status.ACCEPTED:
            return []
        people = [r.id for r in await self._participants.representatives(meeting.exhibitor_id)]
        if meeting.attendee_id is not None:
            people.append(meeting.attendee_id)
        scheduled = await self._reminders.schedule(
            meeting.id,
            meeting.slot_start,
            people,
            self.event.reminders.leads,
            self.event.digest_due(meeting.slot_start),
            self.event.reminders.digest_lead,
        )
        self._changed(scheduled, [])
        return scheduled

    async def schedule_meetings(self, meetings: list[Meeting]) -> None:
        """``schedule_meeting`` for many accepted meetings at once (a published plan), in one transaction."""
        plans = await self._plans(meetings, {})
        if plans:
            leads, digest = self.event.reminders.leads, self.event.reminders.digest_lead
            self._changed(await self._reminders.schedule_many(plans, leads, digest), [])

    async def _plans(self, meetings: list[Meeting], representatives: dict[int, list[int]]) -> list[MeetingReminders]:
        """Who is reminded of each meeting and when its day's digest is due; ``representatives`` caches
        each stand's people across calls."""
        plans = []
        for meeting in meetings:
            if meeting.exhibitor_id not in representatives:
                reps = await self._participants.representatives(meeting.exhibitor_id)
                representatives[meeting.exhibitor_id] = [r.id for r in reps]
            people = set(representatives[meeting.exhibitor_id])
            if meeting.attendee_id is not None:
                people.add(meeting.attendee_id)
            plans.append(
                MeetingReminders(
                    meeting_id=meeting.id,
                    slot_start=meeting.slot_start,
                    people=sorted(people),
                    digest_due=self.event.digest_due(meeting.slot_start),
                )
            )
        return plans

    async def cancel_meeting(self, meeting_id: int) -> list[int]:
        cancelled = await self._reminders.cancel_for_meeting(meeting_id)
        self._changed([], cancelled)
        return cancelled

    async def reschedule_meeting(self, meeting: Meeting) -> list[Reminder]:
        """A moved meeting: reminders for the old time are dropped, new ones scheduled for the new time."""
        self._changed([], await self._reminders.clear_for_meeting(meeting.id))
        return await self.schedule_meeting(meeting)

    async def rebuild(self) -> None:
        """At start-up: every accepted meeting ahead has its rows (a page of meetings at a time)."""
        now = self.clock()
        representatives: dict[int, list[int]] = {}
        last_id = 0
        while page := await self._meetings.accepted_after(now, after_id=last_id, limit=REBUILD_PAGE):
            plans = await self._plans(page, representatives)
            await self._reminders.schedule_all(plans, self.event.reminders.leads, self.event.reminders.digest_lead)
            last_id = page[-1].id

    async def upcoming(self, until: datetime) -> list[Reminder]:
        """Open reminders due before ``until`` (claimed ones included, whose lease may run out)."""
        return await self._reminders.open_due_before(until)

    async def reminder(self, reminder_id: int) -> Reminder | None:
        return await self._reminders.get(reminder_id)

    async def claim(self, reminder_id: int) -> DueReminder | None:
        """Claim a due reminder; None when it is not to be sent (taken, cancelled, too late, unreachable)."""
        now = self.clock()
        reminder = await self._reminders.claim(reminder_id, self.owner, now, self.lease)
        if reminder is None:
            return None
        participant = await self._participants.by_id(reminder.participant_id)
        if participant is None or not participant.reachable or reminder.attempts > MAX_ATTEMPTS:
            await self._reminders.finish(reminder.id, ReminderState.SKIPPED)
            return None
        if reminder.kind == "session":
            session = await self.programme.session(reminder.session_id or "") if self.programme else None
            if session is None or session.cancelled or session.start <= now:
                await self._reminders.finish(reminder.id, ReminderState.SKIPPED)
                return None
            return DueReminder(reminder, participant, session=session)
        if reminder.kind == "meeting":
            meeting = await self._meetings.get(reminder.meeting_id or 0)
            if meeting is None or meeting.status != Status.ACCEPTED:
                await self._reminders.finish(reminder.id, ReminderState.CANCELLED)
                return None
            if meeting.slot_start <= now:  # the meeting has begun: too late to remind
                await self._reminders.finish(reminder.id, ReminderState.SKIPPED)
                return None
            entry = await self._entry(meeting)
            counterpart = entry.exhibitor if participant.role != Role.EXHIBITOR else entry.attendee
            return DueReminder(reminder, participant, meeting=meeting, counterpart=counterpart, stand=entry.stand)
        day = (reminder.due_at + self.event.reminders.digest_lead).astimezone(self.event.tz).date()
        meetings = await self._day_of(participant, day)
        sessions = []
        if self.programme is not None:
            sessions = [
                s for s in await self.programme.followed(participant.id) if s.start.date() == day and not s.cancelled
            ]
        if all(m.slot_start <= now for m in meetings) and all(s.start <= now for s in sessions):
            await self._reminders.finish(reminder.id, ReminderState.SKIPPED)
            return None
        return DueReminder(reminder, participant, day=[await self._entry(m) for m in meetings], sessions=sessions)

    async def _entry(self, meeting: Meeting) -> DayEntry:
        exhibitor = await self._exhibitors.by_id(meeting.exhibitor_id)
        attendee = await self._participants.by_id(meeting.attendee_id) if meeting.attendee_id else None
        who = ""
        if attendee is not None:
            who = f"{attendee.full_name} ({attendee.organisation})" if attendee.organisation else attendee.full_name
        return DayEntry(
            meeting.slot_start,
            meeting.table_no,
            exhibitor.name if exhibitor else "",
            exhibitor.stand if exhibitor else "",
            who,
        )

    async def _day_of(self, participant: Participant, day: date) -> list[Meeting]:
        if participant.role == Role.EXHIBITOR and participant.exhibitor_id is not None:
            meetings = await self._meetings.for_exhibitor(participant.exhibitor_id, (Status.ACCEPTED,))
        else:
            meetings = await self._meetings.for_attendee(participant.id, (Status.ACCEPTED,))
        return [m for m in meetings if m.slot_start.astimezone(self.event.tz).date() == day]

    async def sent(self, reminder_id: int) -> None:
        await self._reminders.finish(reminder_id, ReminderState.SENT)

    async def skipped(self, reminder_id: int) -> None:
        await self._reminders.finish(reminder_id, ReminderState.SKIPPED)

    async def release(self, reminder_id: int) -> None:
        await self._reminders.release(reminder_id)
