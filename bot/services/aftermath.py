"""After the meeting: each side shares contact details in one tap (only those they choose), the stand
keeps its leads (a private note, a follow-up state), both sides rate the meeting, and each attendee
gets one message at the end of the day."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import ClassVar

from bot.documents.spreadsheet import Column, Sheet
from bot.event import Event
from bot.services.flows import FlowDraft
from bot.services.notices import ContactsFile, Joined, Mention, Msg, Notice, msg, naming
from bot.services.profile import clean
from storage.aftermath import LEAD_STATES, ContactCard, Lead, Rating
from storage.meetings import Meeting, Status
from storage.participants import Participant, Role
from storage.repositories import Repositories

FIELDS = ("email", "phone", "website")
MAX_NOTE = 1000
MAX_COMMENT = 500
SUMMARY_AFTER = timedelta(minutes=15)  # the end-of-day message goes this long after the day's last slot
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_PHONE = re.compile(r"^\+?[0-9 ().-]{6,30}$")
_URL = re.compile(r"^https?://[^\s/$.?#][^\s]*$", re.IGNORECASE)


class AftermathError(Exception):
    def __init__(self, key: str, **params: object) -> None:
        super().__init__(key)
        self.key = key
        self.params = params


class MeetingGone(AftermathError):
    """The meeting was cancelled, or its attendee asked to be forgotten: nothing more is kept about it."""

    def __init__(self) -> None:
        super().__init__("leads.meeting_gone")


class ContactDraft(FlowDraft):
    """/contact: the detail being typed."""

    FLOW: ClassVar[str] = "contact"
    field: str


class LeadNoteDraft(FlowDraft):
    FLOW: ClassVar[str] = "lead_note"
    meeting_id: int


class CommentDraft(FlowDraft):
    FLOW: ClassVar[str] = "rating_comment"
    meeting_id: int


@dataclass(frozen=True)
class LeadView:
    meeting: Meeting
    attendee: Participant | None
    shared: ContactCard | None  # what the attendee shared with the stand
    lead: Lead | None


@dataclass(frozen=True)
class Shared:
    notices: list[Notice] = field(default_factory=list)
    again: bool = False  # they had shared with this meeting already: nothing sent


class AftermathService:
    def __init__(self, repos: Repositories, event: Event, clock: Callable[[], datetime] | None = None) -> None:
        self.event = event
        self._repo = repos.aftermath
        self._meetings = repos.meetings
        self._participants = repos.participants
        self._exhibitors = repos.exhibitors
        self._programme = repos.programme
        self.clock = clock or (lambda: datetime.now(UTC))

    # ------------------------------------------------------------------ who may

    def _side(self, me: Participant, meeting: Meeting) -> str | None:
        if meeting.attendee_id == me.id:
            return "attendee"
        if me.role == Role.EXHIBITOR and me.exhibitor_id == meeting.exhibitor_id:
            return "exhibitor"
        return None

    async def _after(self, me: Participant, meeting_id: int) -> tuple[Meeting, str]:
        """A meeting of theirs that took place: accepted, its slot over, nobody said it did not."""
        meeting = await self._meetings.get(meeting_id)
        side = self._side(me, meeting) if meeting is not None else None
        if meeting is None or side is None:
            raise AftermathError("aftermath.not_yours")
        ended = meeting.slot_start + timedelta(minutes=self.event.slot_minutes) <= self.clock()
        said_no = "no_show" in (meeting.attendance_attendee, meeting.attendance_exhibitor)
        if meeting.status != Status.ACCEPTED or not ended or said_no:
            raise AftermathError("aftermath.not_held")
        return meeting, side

    # ------------------------------------------------------------------ contact details

    async def card(self, me: Participant) -> ContactCard:
        return await self._repo.card(me.id)

    async def set_detail(self, me: Participant, name: str, value: str | None) -> ContactCard:
        """One detail set (checked), or cleared with None."""
        if name not in FIELDS:
            raise AftermathError("aftermath.not_yours")
        if value is not None:
            value = clean(value)
            if name == "website" and value and not value.lower().startswith(("http://", "https://")):
                value = f"https://{value}"
            checks = {"email": _EMAIL, "phone": _PHONE, "website": _URL}
            limits = {"email": 200, "phone": 40, "website": 200}
            if len(value) > limits[name] or not checks[name].match(value):
                raise AftermathError(f"contact.bad_{name}")
        current = await self._repo.card(me.id)
        updated = ContactCard(**{f: (value if f == name else getattr(current, f)) for f in FIELDS})
        await self._repo.set_card(me.id, updated)
        return updated

    async def share_options(self, me: Participant, meeting_id: int) -> tuple[Meeting, ContactCard]:
        meeting, _ = await self._after(me, meeting_id)
        return meeting, await self._repo.card(me.id)

    async def share(self, me: Participant, meeting_id: int, chosen: set[str]) -> Shared:
        """The chosen details, as a contact card, to the other side (every representative of the stand,
        or the attendee). Only what they ticked, and only once per meeting."""
        meeting, side = await self._after(me, meeting_id)
        card = (await self._repo.card(me.id)).chosen(chosen & set(FIELDS))
        if not card.fields:
            raise AftermathError("aftermath.nothing_chosen")
        exhibitor = await self._exhibitors.by_id(meeting.exhibitor_id)
        assert exhibitor is not None
        organisation = me.organisation if side == "attendee" else exhibitor.name
        if not await self._repo.share(meeting.id, me.id, side, me.full_name, organisation, card):
            return Shared(again=True)
        if side == "attendee":
            others = await self._participants.representatives(meeting.exhibitor_id)
        else:
            attendee = await self._participants.by_id(meeting.attendee_id) if meeting.attendee_id else None
            others = [attendee] if attendee else []
        file_name = _file_name(me.full_name)
        contact = ContactsFile(((me.full_name, organisation, card),), f"maillage-{file_name}.vcf")
        text = msg("aftermath.shared_with_you", name=me.full_name, organisation=organisation or "—")
        about = naming(me, details=(card.email, card.phone, card.website, file_name))
        return Shared([Notice(p, text, calendar=contact, about=about) for p in others])

    # ------------------------------------------------------------------ ratings

    async def rate(self, me: Participant, meeting_id: int, stars: int) -> bool:
        """False when their side had rated it already (the first rating stays)."""
        meeting, side = await self._after(me, meeting_id)
        if not 1 <= stars <= 5:
            raise AftermathError("aftermath.not_yours")
        return await self._repo.rate(meeting.id, side, me.id, stars)

    async def comment(self, me: Participant, meeting_id: int, text: str) -> None:
        meeting, side = await self._after(me, meeting_id)
        comment = clean(text, multiline=True)
        if not comment:
            raise AftermathError("rating.comment_empty")
        if len(comment) > MAX_COMMENT:
            raise AftermathError("rating.comment_too_long", maximum=MAX_COMMENT, length=len(comment))
        await self._repo.comment(meeting.id, side, comment)

    # the flows' answers: what each one-question conversation saves
    async def comment_for(self, me: Participant, draft: CommentDraft, text: str) -> None:
        await self.comment(me, draft.meeting_id, text)

    async def detail_for(self, me: Participant, draft: ContactDraft, text: str) -> None:
        await self.set_detail(me, draft.field, text)

    async def note_for(self, me: Participant, draft: LeadNoteDraft, text: str) -> None:
        await self.set_lead_note(me, draft.meeting_id, text)

    async def rating(self, me: Participant, meeting_id: int) -> Rating | None:
        meeting, side = await self._after(me, meeting_id)
        return await self._repo.rating(meeting.id, side)

    # ------------------------------------------------------------------ the stand's leads

    def _stand_of(self, rep: Participant) -> int:
        if rep.role != Role.EXHIBITOR or rep.exhibitor_id is None:
            raise AftermathError("leads.representatives_only")
        return rep.exhibitor_id

    async def leads(self, rep: Participant) -> list[LeadView]:
        """The stand's meetings that took place (or whose slot is over), with what the attendee shared."""
        exhibitor_id = self._stand_of(rep)
        now = self.clock()
        length = timedelta(minutes=self.event.slot_minutes)
        meetings = [
            m
            for m in await self._meetings.for_exhibitor(exhibitor_id, (Status.ACCEPTED,))
            if m.slot_start + length <= now
        ]
        ids = [m.id for m in meetings]
        leads = await self._repo.leads(ids)
        shares = {s.meeting_id: s.card for s in await self._repo.shares_of_meetings(ids) if s.side == "attendee"}
        views = []
        for m in meetings:
            attendee = await self._participants.by_id(m.attendee_id) if m.attendee_id else None
            views.append(LeadView(m, attendee, shares.get(m.id), leads.get(m.id)))
        return views

    async def lead_meeting(self, rep: Participant, meeting_id: int) -> Meeting:
        """A meeting of the stand's that a lead may be kept about: accepted, its attendee still here."""
        exhibitor_id = self._stand_of(rep)
        meeting = await self._meetings.get(meeting_id)
        if meeting is None or meeting.exhibitor_id != exhibitor_id:
            raise AftermathError("aftermath.not_yours")
        if meeting.status != Status.ACCEPTED or meeting.attendee_id is None:
            raise MeetingGone
        return meeting

    async def set_lead_state(self, rep: Participant, meeting_id: int, state: str) -> None:
        if state not in LEAD_STATES:
            raise AftermathError("aftermath.not_yours")
        meeting = await self.lead_meeting(rep, meeting_id)
        if not await self._repo.set_lead(meeting.id, rep.id, state=state):
            raise MeetingGone

    async def set_lead_note(self, rep: Participant, meeting_id: int, text: str) -> None:
        meeting = await self.lead_meeting(rep, meeting_id)
        note = clean(text, multiline=True)
        if not note:
            raise AftermathError("leads.note_empty")
        if len(note) > MAX_NOTE:
            raise AftermathError("leads.note_too_long", maximum=MAX_NOTE, length=len(note))
        if not await self._repo.set_lead(meeting.id, rep.id, note=note):  # gone since it was read
            raise MeetingGone

    async def leads_sheet(self, rep: Participant, labels: Callable[[str], str]) -> Sheet:
        """The stand's leads as a sheet: ``labels(key)`` names the columns and states in the reader's language."""
        rows = []
        for view in await self.leads(rep):
            a, card = view.attendee, view.shared or ContactCard()
            rows.append(
                [
                    view.meeting.slot_start.astimezone(self.event.tz).replace(tzinfo=None, second=0),
                    a.full_name if a else None,
                    a.organisation if a else None,
                    card.email,
                    card.phone,
                    card.website,
                    labels(f"leads.state.{view.lead.state if view.lead else 'to_contact'}"),
                    view.lead.note if view.lead else None,
                    view.lead.state if view.lead else "to_contact",
                ]
            )
        keys = ("slot", "attendee", "organisation", "email", "phone", "website", "state", "note")
        columns = [Column(labels(f"leads.column.{k}")) for k in keys] + [Column("state", hidden=True)]
        return Sheet(labels("leads.sheet"), columns, rows)

    # ------------------------------------------------------------------ the end of the day

    async def days_left_to_sum_up(self) -> list[date]:
        """Event days whose last slot ended SUMMARY_AFTER ago or more, not summed up yet."""
        now = self.clock()
        done = await self._repo.days_summed_up()
        due = []
        for day in self.event.days:
            slots = self.event.slots_on(day.date)
            if slots and slots[-1].end + SUMMARY_AFTER <= now and day.date.isoformat() not in done:
                due.append(day.date)
        return due

    def day_claim(self, day: date) -> tuple[str, tuple[str, str]]:
        """The statement whose one changed row makes the day's messages filed once (with them)."""
        return self._repo.day_claim(day.isoformat())

    async def mark_summed_up(self, day: date) -> None:
        await self._repo.mark_day(day.isoformat())

    async def day_summaries(self, day: date) -> list[Notice]:
        """One message per attendee who met someone or followed a session that day: whom they met (with
        the stand's website), the contacts shared with them, the sessions they followed, and a file
        of contact cards."""
        starts = [s.start for s in self.event.slots_on(day)]
        meetings = [
            m
            for m in await self._meetings.accepted_in(starts)
            if m.attendee_id is not None and "no_show" not in (m.attendance_attendee, m.attendance_exhibitor)
        ]
        shares = await self._repo.shares_of_meetings([m.id for m in meetings])
        from_stands = {s.meeting_id: s for s in shares if s.side == "exhibitor"}
        exhibitors = {e.id: e for e in await self._exhibitors.all()}
        by_attendee: dict[int, list[Meeting]] = {}
        for m in sorted(meetings, key=lambda m: m.slot_start):
            by_attendee.setdefault(m.attendee_id or 0, []).append(m)
        sessions = [s for s in self.event.programme if s.start.date() == day]
        followers: dict[int, list[str]] = {}
        for session in sessions:
            for follower in await self._programme.followers(session.id):
                followers.setdefault(follower, []).append(session.id)
        notices = []
        for person_id in sorted(set(by_attendee) | set(followers)):
            person = await self._participants.by_id(person_id)
            if person is None or person.role != Role.ATTENDEE:
                continue
            lines: list[Msg | Joined] = []
            cards = []
            named: list[Mention] = []  # the representatives whose details it shows
            for m in by_attendee.get(person_id, []):
                stand = exhibitors[m.exhibitor_id]
                share = from_stands.get(m.id)
                if share is not None:
                    shown = (share.full_name, share.card.email, share.card.phone, share.card.website)
                    named.append(Mention(share.participant_id, tuple(x for x in shown if x)))
                lines.append(
                    msg("summary.met", exhibitor=stand.name, website=stand.website or "—")
                    if share is None
                    else msg(
                        "summary.met_shared",
                        exhibitor=stand.name,
                        website=stand.website or "—",
                        name=share.full_name,
                        details=", ".join(v for v in (share.card.email, share.card.phone, share.card.website) if v),
                    )
                )
                card = share.card if share else ContactCard()
                website = card.website or stand.website
                name = share.full_name if share else stand.name
                cards.append((name, stand.name, ContactCard(card.email, card.phone, website)))
            followed = [s for s in sessions if s.id in followers.get(person_id, [])]
            for s in followed:
                lines.append(msg("summary.session", title=s.title(person.language), room=s.room))
            text = msg(
                "summary.text",
                count=len(by_attendee.get(person_id, [])),
                sessions=len(followed),
                lines=Joined(tuple(lines), "\n"),
                event=self.event.name(person.language),
            )
            attachment = ContactsFile(tuple(cards), f"maillage-{day.isoformat()}.vcf") if cards else None
            notices.append(
                Notice(
                    person, text, calendar=attachment, outbox=f"day:{day.isoformat()}", about=tuple(named), bulk=True
                )
            )
        return notices


def _file_name(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")[:40] or "contact"
