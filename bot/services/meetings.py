"""The 15-minute meetings: who may do what, and when.

Every rule that matters is also a database invariant (see migrations 0003 and 0004);
the checks here give the polite answer before the database would refuse.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import ClassVar

from bot.event import Event, Slot
from bot.services.flows import FlowDraft
from bot.services.notices import Clock, Notice, msg, naming
from bot.services.profile import clean
from bot.services.programme import ProgrammeService
from bot.services.reminders import ReminderService
from storage.exhibitors import Exhibitor
from storage.meetings import OPEN, Conflict, Meeting, Status
from storage.participants import Participant, Role
from storage.repositories import Repositories

MAX_NOTE = 300
ASSIGN_ATTEMPTS = 5
DECLINE_REASONS = ("full", "topic", "other")
CANCEL_REASONS = ("unavailable", "other")


class MeetingDraft(FlowDraft):
    """A meeting request being written: the stand, the slot (its index in the event's grid), the note."""

    FLOW: ClassVar[str] = "meeting"
    exhibitor_id: int
    slot: int
    note: str | None = None


class MeetingError(Exception):
    """A request the user must be told about; ``key`` and ``params`` make the message."""

    def __init__(self, key: str, **params: object) -> None:
        super().__init__(key)
        self.key = key
        self.params = params


class NotAllowed(Exception):
    """This user may not do that to this meeting (forged or stale button)."""


@dataclass(frozen=True)
class MeetingView:
    """A meeting with both sides, as the screens show it."""

    meeting: Meeting
    exhibitor: Exhibitor
    attendee: Participant | None
    slot: Slot | None


@dataclass(frozen=True)
class Lateness:
    outcome: str  # "told", "already", "over" (not accepted, or ended), "not_yours"
    meeting: Meeting | None = None
    notices: list[Notice] = field(default_factory=list)  # the other side is told


def _is_party(me: Participant, meeting: Meeting) -> bool:
    return meeting.attendee_id == me.id or (me.role == Role.EXHIBITOR and me.exhibitor_id == meeting.exhibitor_id)


class MeetingService:
    def __init__(
        self,
        repos: Repositories,
        event: Event,
        reminders: ReminderService,
        programme: ProgrammeService,
        clock: Callable[[], datetime] | None = None,
    ) -> None:
        self.event = event
        self._meetings = repos.meetings
        self._exhibitors = repos.exhibitors
        self._participants = repos.participants
        self.clock = clock or (lambda: datetime.now(UTC))
        self.reminders = reminders
        self._blocks = repos.blocks
        self.programme = programme

    # ------------------------------------------------------------------ lateness

    async def announce_lateness(self, me: Participant, meeting_id: int) -> Lateness:
        """ "I'll be 5 minutes late": who is told, or why not (once per meeting and side, until it ends)."""
        meeting = await self._meetings.get(meeting_id)
        if meeting is None or not _is_party(me, meeting):
            return Lateness("not_yours")
        ends = meeting.slot_start + timedelta(minutes=self.event.slot_minutes)
        if meeting.status != Status.ACCEPTED or self.clock() >= ends:
            return Lateness("over", meeting)
        side = "attendee" if meeting.attendee_id == me.id else "exhibitor"
        if not await self._meetings.mark_late(meeting.id, side, self.clock()):
            return Lateness("already", meeting)
        if side == "attendee":
            others = await self._participants.representatives(meeting.exhibitor_id)
        else:
            attendee = await self._participants.by_id(meeting.attendee_id) if meeting.attendee_id else None
            others = [attendee] if attendee else []
        text = msg("reminder.late_notice", name=me.full_name, time=Clock((meeting.slot_start,)))
        return Lateness("told", meeting, [Notice(other, text, about=naming(me)) for other in others])

    # ------------------------------------------------------------------ slots

    def slot_at(self, start: datetime) -> Slot | None:
        start = start.astimezone(UTC)
        return next((s for s in self.event.slots if s.start.astimezone(UTC) == start), None)

    def slot_index(self, slot: Slot) -> int:
        return self.event.slots.index(slot)

    def slot_by_index(self, index: int) -> Slot | None:
        return self.event.slots[index] if 0 <= index < len(self.event.slots) else None

    async def free_slots(
        self, attendee: Participant, exhibitor: Exhibitor, except_meeting: int | None = None
    ) -> list[Slot]:
        """Slots ahead where the attendee is free and the exhibitor has a free table."""
        now = self.clock()
        busy = await self._meetings.busy_slots_of_attendee(attendee.id, except_meeting)
        busy |= await self._blocks.blocked_for(exhibitor.id)
        if self.programme is not None:  # on stage, not at the stand
            busy |= await self.programme.exhibitor_busy(exhibitor.slug)
        taken = await self._exhibitors.accepted_per_slot(exhibitor.id)
        return [
            slot
            for slot in self.event.slots
            if slot.start > now and slot.utc_iso not in busy and taken.get(slot.utc_iso, 0) < exhibitor.tables
        ]

    # ------------------------------------------------------------------ views

    async def view(self, meeting: Meeting) -> MeetingView:
        exhibitor = await self._exhibitors.by_id(meeting.exhibitor_id)
        assert exhibitor is not None
        attendee = await self._participants.by_id(meeting.attendee_id) if meeting.attendee_id else None
        return MeetingView(meeting, exhibitor, attendee, self.slot_at(meeting.slot_start))

    async def representatives(self, exhibitor_id: int) -> list[Participant]:
        return await self._participants.representatives(exhibitor_id)

    async def get(self, meeting_id: int) -> Meeting | None:
        return await self._meetings.get(meeting_id)

    async def pending_for_stand(self, exhibitor_id: int) -> list[Meeting]:
        return await self._meetings.for_exhibitor(exhibitor_id, (Status.PENDING,))

    async def remember_request_message(self, meeting_id: int, participant_id: int, message_id: int) -> None:
        """A representative's copy of a request, to be closed when someone answers it."""
        await self._meetings.remember_message(meeting_id, participant_id, message_id)

    async def request_messages(self, meeting_id: int) -> list[tuple[int, int]]:
        """(participant id, message id) of each representative's copy of the request."""
        return await self._meetings.messages(meeting_id)

    # ------------------------------------------------------------------ who may do what

    def _is_rep(self, participant: Participant, meeting: Meeting) -> bool:
        return participant.role == Role.EXHIBITOR and participant.exhibitor_id == meeting.exhibitor_id

    async def _meeting_for(self, meeting_id: int, participant: Participant, side: str) -> Meeting:
        meeting = await self._meetings.get(meeting_id)
        if meeting is None:
            raise NotAllowed
        if side == "exhibitor" and not self._is_rep(participant, meeting):
            raise NotAllowed
        if side == "attendee" and meeting.attendee_id != participant.id:
            raise NotAllowed
        if side == "either" and not (self._is_rep(participant, meeting) or meeting.attendee_id == participant.id):
            raise NotAllowed
        return meeting

    # ------------------------------------------------------------------ requesting

    def clean_note(self, text: str) -> str:
        note = clean(text, multiline=True)
        if len(note) > MAX_NOTE:
            raise MeetingError("meeting.note_too_long", maximum=MAX_NOTE, length=len(note))
        return note

    async def check_can_request(self, attendee: Participant, exhibitor: Exhibitor) -> None:
        if attendee.role != Role.ATTENDEE:
            raise MeetingError("meeting.attendees_only")
        open_meetings = await self._meetings.for_attendee(attendee.id)
        if any(m.exhibitor_id == exhibitor.id for m in open_meetings):
            raise MeetingError("meeting.already_open", exhibitor=exhibitor.name)
        limit = self.event.limits.open_requests_per_attendee
        if sum(m.status == Status.PENDING for m in open_meetings) >= limit:
            raise MeetingError("meeting.too_many_open", limit=limit)

    async def request(self, attendee: Participant, exhibitor_id: int, slot: Slot, note: str | None) -> Meeting:
        exhibitor = await self._exhibitors.by_id(exhibitor_id)
        if exhibitor is None:
            raise MeetingError("directory.gone")
        await self.check_can_request(attendee, exhibitor)
        if slot not in await self.free_slots(attendee, exhibitor):
            raise MeetingError("meeting.slot_gone")
        try:
            return await self._meetings.create_request(
                attendee.id, exhibitor.id, slot.start.astimezone(UTC), note or None
            )
        except Conflict:
            raise MeetingError("meeting.slot_gone") from None

    # ------------------------------------------------------------------ answering

    async def request_to_answer(self, rep: Participant, meeting_id: int) -> Meeting:
        """A request of the representative's stand still waiting for the stand's answer."""
        meeting = await self._meeting_for(meeting_id, rep, "exhibitor")
        if meeting.status != Status.PENDING or meeting.awaiting != "exhibitor":
            raise MeetingError("meeting.already_answered")
        return meeting

    async def reasons_to_offer(self, participant: Participant, meeting_id: int, kind: str) -> tuple[str, ...]:
        """The reasons a decline (by the stand) or a cancellation (by either side) may give."""
        if kind == "decline":
            await self._meeting_for(meeting_id, participant, "exhibitor")
            return DECLINE_REASONS
        await self._meeting_for(meeting_id, participant, "either")
        return CANCEL_REASONS

    async def accept(self, rep: Participant, meeting_id: int) -> Meeting:
        meeting = await self._meeting_for(meeting_id, rep, "exhibitor")
        if meeting.status != Status.PENDING or meeting.awaiting != "exhibitor":
            raise MeetingError("meeting.already_answered")
        return await self._assign(meeting, rep.id)

    async def _assign(self, meeting: Meeting, answered_by: int | None) -> Meeting:
        exhibitor = await self._exhibitors.by_id(meeting.exhibitor_id)
        assert exhibitor is not None
        for _ in range(ASSIGN_ATTEMPTS):
            try:
                accepted = await self._meetings.assign_table(meeting.id, exhibitor.tables, answered_by)
            except Conflict:
                # another process took the same table, or the meeting was answered meanwhile
                current = await self._meetings.get(meeting.id)
                if current is None or current.status != Status.PENDING:
                    raise MeetingError("meeting.already_answered") from None
                continue
            if accepted is None:
                raise MeetingError("meeting.slot_full")
            await self.reminders.schedule_meeting(accepted)
            return accepted
        raise MeetingError("meeting.slot_full")

    async def decline(self, rep: Participant, meeting_id: int, reason: str) -> Meeting:
        meeting = await self._meeting_for(meeting_id, rep, "exhibitor")
        if reason not in DECLINE_REASONS:
            raise NotAllowed
        if meeting.status != Status.PENDING or meeting.awaiting != "exhibitor":
            raise MeetingError("meeting.already_answered")
        declined = await self._meetings.decline(meeting.id, reason, rep.id)
        if declined is None:
            raise MeetingError("meeting.already_answered")
        return declined

    async def proposable_slots(self, rep: Participant, meeting_id: int) -> list[Slot]:
        """Another time for a request, or a new time for an accepted meeting: free on both sides."""
        meeting = await self._meeting_for(meeting_id, rep, "exhibitor")
        answering = meeting.status == Status.PENDING and meeting.awaiting == "exhibitor"
        moving = meeting.status == Status.ACCEPTED and meeting.slot_start > self.clock()
        if not (answering or moving) or meeting.attendee_id is None:
            raise MeetingError("meeting.already_answered")
        attendee = await self._participants.by_id(meeting.attendee_id)
        exhibitor = await self._exhibitors.by_id(meeting.exhibitor_id)
        assert attendee is not None and exhibitor is not None
        return [
            s
            for s in await self.free_slots(attendee, exhibitor, except_meeting=meeting.id)
            if s.utc_iso != meeting.slot_start.isoformat()
        ]

    async def propose(self, rep: Participant, meeting_id: int, slot: Slot) -> Meeting:
        if slot not in await self.proposable_slots(rep, meeting_id):
            raise MeetingError("meeting.slot_gone")
        current = await self._meetings.get(meeting_id)
        if current is not None and current.status == Status.ACCEPTED:
            moved = await self._meetings.propose_move(meeting_id, slot.start.astimezone(UTC), rep.id)
            if moved is None:
                raise MeetingError("meeting.not_active")
            return moved
        try:
            proposed = await self._meetings.propose(meeting_id, slot.start.astimezone(UTC), rep.id)
        except Conflict:
            raise MeetingError("meeting.slot_gone") from None
        if proposed is None:
            raise MeetingError("meeting.already_answered")
        return proposed

    async def answer_proposal(self, attendee: Participant, meeting_id: int, accept: bool) -> Meeting:
        meeting = await self._meeting_for(meeting_id, attendee, "attendee")
        if meeting.status != Status.PENDING or meeting.awaiting != "attendee":
            raise MeetingError("meeting.already_answered")
        if accept:
            try:
                return await self._assign(meeting, None)
            except MeetingError as err:
                if err.key == "meeting.slot_full":
                    raise MeetingError("meeting.slot_gone") from None
                raise
        declined = await self._meetings.decline(meeting.id, "proposal", None)
        if declined is None:
            raise MeetingError("meeting.already_answered")
        return declined

    async def answer_move(self, attendee: Participant, meeting_id: int, accept: bool) -> Meeting:
        """The attendee takes (or not) the new time proposed for an accepted meeting."""
        meeting = await self._meeting_for(meeting_id, attendee, "attendee")
        if meeting.status != Status.ACCEPTED or meeting.proposed_slot is None:
            raise MeetingError("meeting.already_answered")
        if not accept:
            kept = await self._meetings.drop_move(meeting.id)
            if kept is None:
                raise MeetingError("meeting.already_answered")
            return kept
        exhibitor = await self._exhibitors.by_id(meeting.exhibitor_id)
        assert exhibitor is not None
        try:
            moved = await self._meetings.move(meeting.id, exhibitor.tables)
        except Conflict:
            moved = None
        if moved is None:
            await self._meetings.drop_move(meeting.id)
            raise MeetingError("meeting.slot_gone")
        await self.reminders.reschedule_meeting(moved)  # reminders for the old time never go out
        return moved

    # ------------------------------------------------------------------ afterwards

    async def cancel(self, participant: Participant, meeting_id: int, reason: str) -> Meeting:
        meeting = await self._meeting_for(meeting_id, participant, "either")
        if reason not in CANCEL_REASONS:
            raise NotAllowed
        side = "attendee" if meeting.attendee_id == participant.id else "exhibitor"
        cancelled = await self._meetings.cancel(meeting.id, side, reason, (Status.ACCEPTED,))
        if cancelled is None:
            raise MeetingError("meeting.not_active")
        await self.reminders.cancel_meeting(cancelled.id)
        return cancelled

    async def withdraw(self, attendee: Participant, meeting_id: int) -> Meeting:
        meeting = await self._meeting_for(meeting_id, attendee, "attendee")
        withdrawn = await self._meetings.cancel(meeting.id, "attendee", "withdrawn", (Status.PENDING,))
        if withdrawn is None:
            raise MeetingError("meeting.not_active")
        return withdrawn

    async def expire_due(self) -> list[Meeting]:
        return await self._meetings.expire_due(self.clock())

    async def attendance_due(self) -> list[Meeting]:
        length = timedelta(minutes=self.event.slot_minutes)
        return await self._meetings.claim_attendance_questions(self.clock() - length)

    async def record_attendance(self, participant: Participant, meeting_id: int, answer: str) -> Meeting:
        meeting = await self._meeting_for(meeting_id, participant, "either")
        if answer not in ("met", "no_show"):
            raise NotAllowed
        side = "attendee" if meeting.attendee_id == participant.id else "exhibitor"
        recorded = await self._meetings.record_attendance(meeting.id, side, answer)
        if recorded is None:
            raise MeetingError("meeting.not_active")
        return recorded

    async def block_slot(self, slot: Slot, exhibitor_id: int | None) -> list[Meeting] | None:
        """Close a slot to meetings (for everyone, or one exhibitor); its open meetings are cancelled.

        None when it was closed for them already (a second tap on the same confirmation)."""
        if not await self._blocks.block(slot.start.astimezone(UTC), exhibitor_id):
            return None
        hit = [m.id for m in await self._meetings.open_at(slot.start, exhibitor_id)]
        return await self._cancel_by_organisers(hit, "blocked")

    async def outside_grid(self) -> list[Meeting]:
        """Open meetings whose slot the event file no longer has (it changed since they were made)."""
        return await self._meetings.open_outside([s.start for s in self.event.slots])

    async def reconcile(self) -> list[Meeting]:
        return await self._cancel_by_organisers([m.id for m in await self.outside_grid()], "other")

    async def _cancel_by_organisers(self, ids: list[int], reason: str) -> list[Meeting]:
        cancelled = await self._meetings.cancel_ids(ids, "organiser", reason)
        for meeting in cancelled:
            await self.reminders.cancel_meeting(meeting.id)
        return cancelled

    async def cancel_for_forgotten(self, attendee: Participant) -> list[Meeting]:
        cancelled = await self._meetings.cancel_all_of_attendee(attendee.id)
        for meeting in cancelled:
            await self.reminders.cancel_meeting(meeting.id)
        return cancelled

    # ------------------------------------------------------------------ agendas and nudges

    async def agenda_of_attendee(self, attendee: Participant) -> list[Meeting]:
        """Accepted meetings in time order, then pending ones."""
        meetings = await self._meetings.for_attendee(attendee.id, OPEN)
        return sorted(meetings, key=lambda m: (m.status != Status.ACCEPTED, m.slot_start))

    async def stand_day(self, exhibitor_id: int) -> list[Meeting]:
        return await self._meetings.for_exhibitor(exhibitor_id, (Status.ACCEPTED,))

    def within_event_hours(self, moment: datetime) -> bool:
        local = moment.astimezone(self.event.tz)
        return any(
            day.date == local.date() and any(w.start <= local.time() < w.end for w in day.windows)
            for day in self.event.days
        )

    async def nudges_due(self) -> list[tuple[Participant, int]]:
        """(representative, unanswered requests) for those not reminded within the interval."""
        now = self.clock()
        if not self.within_event_hours(now):
            return []
        due = []
        for exhibitor_id, count in (await self._meetings.exhibitors_with_pending()).items():
            for rep in await self._participants.representatives(exhibitor_id):
                if rep.reachable and await self._meetings.claim_nudge(
                    rep.id, now, self.event.reminders.nudge_interval_minutes
                ):
                    due.append((rep, count))
        return due
