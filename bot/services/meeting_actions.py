"""The meeting use cases as the phones see them: each one changes the meeting (MeetingService keeps
the rules) and returns who is told what (bot/services/notices.py). A button press goes from the
handler to one of these methods and back once; the notifier sends what it returns."""

from __future__ import annotations

from dataclasses import dataclass, replace

from bot.event import LANGUAGES, Event, Slot
from bot.services.meetings import MeetingService, MeetingView
from bot.services.notices import (
    Button,
    Clock,
    Joined,
    Localized,
    MeetingFile,
    Moment,
    Msg,
    Notice,
    Text,
    msg,
    naming,
)
from storage.meetings import Meeting, Status
from storage.participants import Participant, Role


@dataclass(frozen=True)
class Outcome:
    meeting: Meeting
    notices: tuple[Notice, ...] = ()


def who(attendee: Participant | None) -> Text:
    """The attendee as a stand sees them: name, organisation and its type, and job title."""
    if attendee is None:
        return msg("meeting.someone")
    org_type = msg(f"orgtype.{attendee.org_type.value}") if attendee.org_type else ""
    text = msg("meeting.who", name=attendee.full_name, organisation=attendee.organisation or "—", type=org_type)
    if attendee.job_title:  # what the person does tells the stand who is coming
        return Joined((text, msg("meeting.who_job", job=attendee.job_title)), separator="")
    return text


def when(view: MeetingView) -> Moment:
    return Moment(view.slot.start if view.slot is not None else view.meeting.slot_start)


def at(slot: Slot) -> Moment:
    return Moment(slot.start)


class MeetingActions:
    def __init__(self, meetings: MeetingService, event: Event) -> None:
        self._meetings = meetings
        self._event = event

    # ------------------------------------------------------------------ what the notices say

    def request_text(self, view: MeetingView) -> Msg:
        attendee = view.attendee
        themes = Localized(
            {
                lang: ", ".join(t.label(lang) for t in self._event.themes if attendee and t.id in attendee.themes)
                or "—"
                for lang in LANGUAGES
            }
        )
        return msg(
            "meeting.request",
            who=who(attendee),
            themes=themes,
            looking_for=(attendee.looking_for if attendee else None) or "—",
            when=when(view),
            note=view.meeting.note or "—",
        )

    @staticmethod
    def request_buttons(meeting_id: int) -> tuple[tuple[Button, ...], ...]:
        return (
            (
                Button(msg("meeting.accept"), "meeting.accept", (meeting_id,)),
                Button(msg("meeting.decline"), "meeting.decline", (meeting_id,)),
            ),
            (Button(msg("meeting.propose"), "meeting.propose", (meeting_id, 0)),),
        )

    def _file(self, view: MeetingView, person: Participant, *, cancelled: bool) -> MeetingFile:
        other = (
            view.exhibitor.name
            if person.role != Role.EXHIBITOR
            else (view.attendee.full_name if view.attendee else "—")
        )
        return MeetingFile(view.meeting, other, view.exhibitor.stand or "—", cancelled)

    async def _reps(self, view: MeetingView) -> list[Participant]:
        return await self._meetings.representatives(view.exhibitor.id)

    async def _to_reps(self, view: MeetingView) -> list[Notice]:
        """The request, with its buttons, to each of the stand's representatives."""
        return [
            Notice(
                rep,
                self.request_text(view),
                self.request_buttons(view.meeting.id),
                request_copy=view.meeting.id,
                about=naming(view.attendee),
            )
            for rep in await self._reps(view)
        ]

    async def _close_copies(self, view: MeetingView, outcome: Msg, *, details: bool = True) -> list[Notice]:
        """Every representative's copy of the request now says who answered, without buttons (a copy
        still on its way is rewritten once it has gone); without the request's ``details`` when the
        attendee asked to be forgotten."""
        return [
            Notice(
                rep,
                Joined((self.request_text(view), outcome)) if details else outcome,
                rewrites_request=view.meeting.id,
                about=naming(view.attendee),
            )
            for rep in await self._reps(view)
        ]

    @staticmethod
    def _naming(view: MeetingView, notices: list[Notice], *actors: Participant | None) -> list[Notice]:
        """Each notice may name the meeting's attendee and whoever acted (a representative who answered,
        proposed or cancelled): /forget takes them out of those kept, whoever they went to."""
        people = [p for p in (view.attendee, *actors) if p is not None]
        return [replace(n, about=naming(*(p for p in people if p.id != n.to.id))) for n in notices]

    async def _accepted(self, meeting: Meeting, rep: Participant | None) -> list[Notice]:
        """Both sides learn the meeting is on, with time, stand, table, each other and a calendar file."""
        view = await self._meetings.view(meeting)
        table = meeting.table_no or 0
        answered_by = rep.full_name if rep else (view.attendee.full_name if view.attendee else "—")
        notices = await self._close_copies(view, msg("meeting.outcome_accepted", name=answered_by, table=table))
        if view.attendee is not None:
            text = msg(
                "meeting.accepted_attendee",
                exhibitor=view.exhibitor.name,
                when=when(view),
                stand=view.exhibitor.stand or "—",
                table=table,
                rep=answered_by if rep else "—",
            )
            # one message: the confirmation, with the calendar file attached
            notices.append(Notice(view.attendee, text, calendar=self._file(view, view.attendee, cancelled=False)))
        notices += [
            Notice(other, None, calendar=self._file(view, other, cancelled=False)) for other in await self._reps(view)
        ]
        return self._naming(view, notices, rep)

    # ------------------------------------------------------------------ the use cases

    async def request(self, me: Participant, exhibitor_id: int, slot: Slot, note: str | None) -> Outcome:
        meeting = await self._meetings.request(me, exhibitor_id, slot, note)
        return Outcome(meeting, tuple(await self._to_reps(await self._meetings.view(meeting))))

    async def show_request(self, me: Participant, meeting_id: int) -> Outcome:
        """A representative opens a request again from the stand's agenda: a new copy, with its buttons."""
        meeting = await self._meetings.request_to_answer(me, meeting_id)
        view = await self._meetings.view(meeting)
        copy = Notice(
            me, self.request_text(view), self.request_buttons(meeting.id), request_copy=meeting.id, reply=True
        )
        return Outcome(meeting, (copy,))

    async def accept(self, me: Participant, meeting_id: int) -> Outcome:
        meeting = await self._meetings.accept(me, meeting_id)
        return Outcome(meeting, tuple(await self._accepted(meeting, me)))

    async def decline(self, me: Participant, meeting_id: int, reason: str) -> Outcome:
        meeting = await self._meetings.decline(me, meeting_id, reason)
        view = await self._meetings.view(meeting)
        notices = await self._close_copies(view, msg("meeting.outcome_declined", name=me.full_name))
        if view.attendee is not None:
            text = msg(
                "meeting.declined_attendee",
                exhibitor=view.exhibitor.name,
                when=when(view),
                reason=msg(f"meeting.reason.{meeting.decline_reason or 'other'}"),
            )
            notices.append(Notice(view.attendee, text))
        return Outcome(meeting, tuple(self._naming(view, notices, me)))

    async def withdraw(self, me: Participant, meeting_id: int) -> Outcome:
        meeting = await self._meetings.withdraw(me, meeting_id)
        view = await self._meetings.view(meeting)
        mine = Notice(me, msg("meeting.withdrawn_you", exhibitor=view.exhibitor.name), reply=True)
        notices = [mine, *await self._close_copies(view, msg("meeting.outcome_withdrawn"))]
        return Outcome(meeting, tuple(self._naming(view, notices)))

    async def cancel(self, me: Participant, meeting_id: int, reason: str) -> Outcome:
        meeting = await self._meetings.cancel(me, meeting_id, reason)
        return Outcome(meeting, tuple(await self._cancelled(meeting, me)))

    async def _cancelled(self, meeting: Meeting, by: Participant | None) -> list[Notice]:
        """Both sides hear of it, in their language, with a calendar file that removes the meeting."""
        view = await self._meetings.view(meeting)
        reason = msg(f"meeting.reason.{meeting.cancel_reason or 'other'}")
        notices: list[Notice] = []
        for person in ([view.attendee] if view.attendee else []) + await self._reps(view):
            if by is not None and person.id == by.id:
                text = msg("meeting.cancelled_you", when=when(view))
            else:
                other: object = (
                    view.exhibitor.name
                    if person.role != Role.EXHIBITOR
                    else (view.attendee.full_name if view.attendee else msg("meeting.someone"))
                )
                text = msg("meeting.cancelled_other", other=other, when=when(view), reason=reason)
            notices += [Notice(person, text), Notice(person, None, calendar=self._file(view, person, cancelled=True))]
        return self._naming(view, notices, by)

    async def propose(self, me: Participant, meeting_id: int, slot: Slot) -> Outcome:
        """Another time for a request, or a new time for an accepted meeting."""
        meeting = await self._meetings.propose(me, meeting_id, slot)
        view = await self._meetings.view(meeting)
        if meeting.status == Status.ACCEPTED:  # moving a confirmed meeting, not answering a request
            return Outcome(meeting, tuple(self._naming(view, self._move_proposed(view, me, slot), me)))
        notices = await self._close_copies(view, msg("meeting.outcome_proposed", name=me.full_name, when=at(slot)))
        if view.attendee is not None:
            buttons = (
                (
                    Button(
                        msg("meeting.proposal_yes", time=Clock((slot.start,))), "meeting.proposal", (meeting.id, "yes")
                    ),
                ),
                (Button(msg("meeting.proposal_no"), "meeting.proposal", (meeting.id, "no")),),
            )
            text = msg("meeting.proposal", exhibitor=view.exhibitor.name, when=at(slot))
            notices.append(Notice(view.attendee, text, buttons))
        return Outcome(meeting, tuple(self._naming(view, notices, me)))

    def _move_proposed(self, view: MeetingView, rep: Participant, slot: Slot) -> list[Notice]:
        notices = [Notice(rep, msg("meeting.move_proposed_you", when=at(slot)))]
        if view.attendee is not None:
            buttons = (
                (
                    Button(
                        msg("meeting.proposal_yes", time=Clock((slot.start,))), "meeting.move", (view.meeting.id, "yes")
                    ),
                ),
                (Button(msg("meeting.move_keep"), "meeting.move", (view.meeting.id, "no")),),
            )
            text = msg("meeting.move_proposal", exhibitor=view.exhibitor.name, old=when(view), when=at(slot))
            notices.append(Notice(view.attendee, text, buttons))
        return notices

    async def answer_proposal(self, me: Participant, meeting_id: int, yes: bool) -> Outcome:
        meeting = await self._meetings.answer_proposal(me, meeting_id, yes)
        if meeting.status == Status.ACCEPTED:
            return Outcome(meeting, tuple(await self._accepted(meeting, None)))
        view = await self._meetings.view(meeting)
        notices = [Notice(me, msg("meeting.proposal_declined_you"), reply=True)]
        notices += [
            Notice(rep, msg("meeting.proposal_declined", name=me.full_name, when=when(view)))
            for rep in await self._reps(view)
        ]
        return Outcome(meeting, tuple(self._naming(view, notices)))

    async def answer_move(self, me: Participant, meeting_id: int, yes: bool) -> Outcome:
        """The attendee takes the new time of an accepted meeting (or keeps the old one)."""
        meeting = await self._meetings.answer_move(me, meeting_id, yes)
        view = await self._meetings.view(meeting)
        reps = await self._reps(view)
        if not yes:
            notices = [Notice(me, msg("meeting.move_kept_you"), reply=True)]
            notices += [Notice(rep, msg("meeting.move_declined", name=me.full_name)) for rep in reps]
            return Outcome(meeting, tuple(self._naming(view, notices)))
        notices = []
        for person in [me, *reps]:
            text = msg(
                "meeting.moved",
                exhibitor=view.exhibitor.name,
                who=view.attendee.full_name if view.attendee else "—",
                when=when(view),
                stand=view.exhibitor.stand or "—",
                table=meeting.table_no or "—",
            )
            # same UID, higher SEQUENCE: calendars update
            notices += [Notice(person, text), Notice(person, None, calendar=self._file(view, person, cancelled=False))]
        return Outcome(meeting, tuple(self._naming(view, notices)))

    async def record_attendance(self, me: Participant, meeting_id: int, answer: str) -> Outcome:
        return Outcome(await self._meetings.record_attendance(me, meeting_id, answer))

    # ------------------------------------------------------------------ what time brings

    async def sweep(self) -> list[Notice]:
        """Expiries, attendance questions, nudges: the database says what is due."""
        notices: list[Notice] = []
        for meeting in await self._meetings.expire_due():
            notices += await self._expired(meeting)
        for meeting in await self._meetings.attendance_due():
            notices += await self._attendance_questions(meeting)
        for rep, count in await self._meetings.nudges_due():
            see = Button(msg("meeting.see_requests"), "menu", ("agenda",))
            notices.append(Notice(rep, msg("meeting.nudge", count=count), ((see,),)))
        return notices

    async def _expired(self, meeting: Meeting) -> list[Notice]:
        view = await self._meetings.view(meeting)
        if view.attendee is None:
            return []
        others = await self._meetings.free_slots(view.attendee, view.exhibitor)
        key = "meeting.expired" if others else "meeting.expired_no_slot"
        times = Clock(tuple(s.start for s in others[:3]))
        text = msg(key, exhibitor=view.exhibitor.name, when=when(view), times=times)
        again = ((Button(msg("meeting.request_again"), "meeting.request", (view.exhibitor.id,)),),) if others else ()
        notices = [Notice(view.attendee, text, again), *await self._close_copies(view, msg("meeting.outcome_expired"))]
        return self._naming(view, notices)

    async def _attendance_questions(self, meeting: Meeting) -> list[Notice]:
        view = await self._meetings.view(meeting)
        notices = []
        for person in ([view.attendee] if view.attendee else []) + await self._reps(view):
            other = (
                view.exhibitor.name
                if person.role != Role.EXHIBITOR
                else (view.attendee.full_name if view.attendee else "—")
            )
            buttons = (
                (Button(msg("meeting.attendance_met"), "meeting.attendance", (meeting.id, "met")),),
                (Button(msg("meeting.attendance_no_show"), "meeting.attendance", (meeting.id, "no_show")),),
            )
            notices.append(Notice(person, msg("meeting.attendance_question", other=other, when=when(view)), buttons))
        return self._naming(view, notices)

    async def forget(self, participant: Participant) -> list[Notice]:
        """/forget: the attendee's meetings are cancelled and the stands told."""
        if participant.role != Role.ATTENDEE:
            return []
        was_accepted = {
            m.id for m in await self._meetings.agenda_of_attendee(participant) if m.status == Status.ACCEPTED
        }
        notices: list[Notice] = []
        for meeting in await self._meetings.cancel_for_forgotten(participant):
            view = await self._meetings.view(meeting)
            for rep in await self._reps(view):
                notices.append(Notice(rep, msg("meeting.cancelled_forgotten", when=when(view))))
                if meeting.id in was_accepted:
                    # the same calendar entry taken out, without the name of the person who left
                    removed = MeetingFile(view.meeting, "—", view.exhibitor.stand or "—", cancelled=True)
                    notices.append(Notice(rep, None, calendar=removed))
            forgotten = msg("meeting.cancelled_forgotten", when=when(view))
            notices += await self._close_copies(view, forgotten, details=False)
        return notices
