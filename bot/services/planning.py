"""Planning the speed meetings: the event's wishes and free places turned into a plan (bot/planner),
previewed by the organisers, then published as accepted meetings with their reminders, and each
person told once."""

from __future__ import annotations

import asyncio
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

from bot.event import Event, Slot
from bot.planner import Instance, figures, plan
from bot.planner.explain import why_not, why_planned
from bot.services.notices import Clock, Joined, Msg, Notice, PlanFile, msg
from bot.services.notices import MeetingFile as CalendarEntry
from bot.services.programme import ProgrammeService
from bot.services.reminders import ReminderService
from storage.meetings import OPEN, Meeting, Status
from storage.participants import Participant, Role
from storage.plans import PlannedMeeting, StoredPlan, Unmet
from storage.repositories import Repositories

PLAN_AUDIENCE = "plan:{id}"  # the outbox audience a plan's messages are filed under
# a pair with a meeting in one of these states is left alone: it is on, or the stand said no, or it was cancelled
SETTLED = (Status.PENDING, Status.ACCEPTED, Status.DECLINED, Status.CANCELLED)


class PlanningError(Exception):
    def __init__(self, key: str, **params: object) -> None:
        super().__init__(key)
        self.key = key
        self.params = params


@dataclass(frozen=True)
class Board:
    """The planner's input, and how its indices map back to the event."""

    instance: Instance
    slots: list[Slot]
    day: date | None


@dataclass(frozen=True)
class Publication:
    outcome: str  # "published", "resumed" (messages of an interrupted publication), "already", "gone"
    plan: StoredPlan | None = None
    made: int = 0  # meetings made
    left_out: int = 0  # planned meetings whose place was taken since the preview
    notices: list[Notice] = field(default_factory=list)


class PlanningService:
    def __init__(
        self,
        repos: Repositories,
        event: Event,
        reminders: ReminderService,
        programme: ProgrammeService,
        clock: Callable[[], datetime] | None = None,
    ) -> None:
        self.event = event
        self._repos = repos
        self._plans = repos.plans
        self.reminders = reminders
        self.programme = programme
        self.clock = clock or (lambda: datetime.now(UTC))

    # ------------------------------------------------------------------ the planner's input

    def days(self) -> list[date]:
        return [d.date for d in self.event.days]

    async def board(self, day: date | None = None) -> Board:
        repos = self._repos
        now = self.clock()
        slots = [s for s in self.event.slots if s.start > now and (day is None or s.start.date() == day)]
        index = {s.utc_iso: i for i, s in enumerate(slots)}
        day_numbers = {d: n for n, d in enumerate(sorted({s.start.date() for s in slots}))}
        people = {p.id: p for p in await repos.participants.all()}
        attendees = {i for i, p in people.items() if p.role == Role.ATTENDEE and p.reachable}
        wishes, stand_wishes = await repos.wishes.everyone()
        meetings = await repos.meetings.in_statuses(SETTLED)
        settled = {(m.attendee_id, m.exhibitor_id) for m in meetings if m.attendee_id is not None}
        booked: dict[int, set[int]] = defaultdict(set)
        holding: dict[int, set[str]] = defaultdict(set)  # every slot an open meeting holds, planned or not
        accepted: dict[tuple[int, str], int] = defaultdict(int)
        for m in meetings:
            if m.status not in (Status.PENDING, Status.ACCEPTED) or m.attendee_id is None:
                continue
            start = m.slot_start.astimezone(UTC).isoformat()
            holding[m.attendee_id].add(start)
            if start in index:
                booked[m.attendee_id].add(index[start])
            if m.status == Status.ACCEPTED:
                accepted[m.exhibitor_id, start] += 1
        exhibitors = await repos.exhibitors.all()
        free_tables: dict[int, tuple[int, ...]] = {}
        for e in exhibitors:
            closed = await repos.blocks.blocked_for(e.id) | await self.programme.exhibitor_busy(e.slug)
            free_tables[e.id] = tuple(
                0 if s.utc_iso in closed else max(0, e.tables - accepted[e.id, s.utc_iso]) for s in slots
            )
        wished_by = {w.attendee_id for w in wishes} | {a for a, _ in stand_wishes}
        attendee_free: dict[int, frozenset[int]] = {}
        for a in wished_by & attendees:
            followed = await self.programme.followed(a)
            attendee_free[a] = frozenset(
                i
                for i, s in enumerate(slots)
                if s.utc_iso not in holding[a] and not any(f.overlaps(s.start, s.end) for f in followed)
            )
        known = set(free_tables)
        already_met: dict[int, int] = defaultdict(int)
        wish_pairs = {(w.attendee_id, w.exhibitor_id) for w in wishes}
        for m in meetings:
            if m.status == Status.ACCEPTED and (m.attendee_id, m.exhibitor_id) in wish_pairs:
                already_met[m.attendee_id or 0] += 1
        instance = Instance(
            slot_days=tuple(day_numbers[s.start.date()] for s in slots),
            cap=self.event.limits.planned_meetings_per_attendee,
            rank_limit=self.event.limits.wishes_per_attendee,
            attendee_free=attendee_free,
            booked={a: frozenset(booked[a]) for a in attendee_free},
            free_tables=free_tables,
            wishes={
                (w.attendee_id, w.exhibitor_id): w.rank
                for w in wishes
                if w.attendee_id in attendee_free and w.exhibitor_id in known
            },
            stand_wishes=frozenset((a, e) for a, e in stand_wishes if a in attendee_free and e in known),
            already_met=dict(already_met),
            settled=frozenset(p for p in settled if p[0] in attendee_free),
        )
        return Board(instance, slots, day)

    # ------------------------------------------------------------------ computing a preview

    async def compute(self, organiser: Participant | None, day: date | None, time_limit: float) -> StoredPlan:
        """A new preview (the solver runs in a thread: the bot keeps answering meanwhile)."""
        board = await self.board(day)
        result = await asyncio.to_thread(plan, board.instance, time_limit=time_limit)
        instance = board.instance
        planned = []
        for a, e, s in result.meetings:
            reason, rank = why_planned(instance, (a, e))
            planned.append(PlannedMeeting(a, e, board.slots[s].start.astimezone(UTC), reason, rank))
        unmet = [Unmet(a, e, reason) for (a, e), reason in sorted(why_not(instance, result.meetings).items())]
        numbers = figures(instance, result.meetings)
        summary: dict[str, Any] = {
            "attendees": numbers.attendees,
            "wishes": numbers.wishes,
            "wishes_met": numbers.wishes_met,
            "mutual": numbers.mutual,
            "mutual_met": numbers.mutual_met,
            "no_meeting": numbers.no_meeting,
            "at_least": list(numbers.at_least),
            "meetings": numbers.meetings,
            "table_use": [[board.slots[i].utc_iso, use] for i, use in enumerate(numbers.table_use)],
            "idle_gaps": numbers.idle_gaps,
            "seconds": round(result.seconds, 2),
            "settled_seconds": round(result.settled_seconds, 2),
            "proven": result.proven,
            "gap": round(result.gap, 5),
            "stages": [{"name": s.name, "value": s.value, "bound": s.bound} for s in result.stages],
            "method": result.method,
        }
        day_text = day.isoformat() if day else None
        return await self._plans.save(organiser.id if organiser else None, day_text, summary, planned, unmet)

    async def planned(self, plan_id: int) -> list[PlannedMeeting]:
        return await self._plans.planned(plan_id)

    async def get(self, plan_id: int) -> StoredPlan | None:
        return await self._plans.get(plan_id)

    async def discard(self, plan_id: int) -> bool:
        return await self._plans.discard(plan_id)

    # ------------------------------------------------------------------ publishing

    async def publish(self, plan_id: int) -> Publication:
        """The preview's meetings made (those whose place is still free), their reminders scheduled,
        and what each person is told. A publication interrupted before its messages were filed
        (a crash) gives them again: pressing Publish once more completes it."""
        stored = await self._plans.get(plan_id)
        if stored is None or stored.state == "discarded":
            return Publication("gone", stored)
        if stored.state == "published":
            if await self._plans.announced(plan_id):
                return Publication("already", stored)
            made = await self._plans.made_by(plan_id)
            await self.reminders.schedule_meetings(made)
            return Publication("resumed", stored, len(made), 0, await self._notices(stored, made))
        tables = {e.id: e.tables for e in await self._repos.exhibitors.all()}
        result = await self._plans.publish(plan_id, tables)
        if result is None:  # published by someone else a moment ago
            return Publication("already", stored)
        planned = len(await self._plans.planned(plan_id))
        await self.reminders.schedule_meetings(result)
        stored = await self._plans.get(plan_id) or stored
        return Publication("published", stored, len(result), planned - len(result), await self._notices(stored, result))

    async def unannounced(self) -> list[StoredPlan]:
        return await self._plans.published_unannounced()

    async def _notices(self, stored: StoredPlan, made: list[Meeting]) -> list[Notice]:
        repos = self._repos
        audience = PLAN_AUDIENCE.format(id=stored.id)
        exhibitors = {e.id: e for e in await repos.exhibitors.all()}
        by_attendee: dict[int, list[Meeting]] = defaultdict(list)
        by_stand: dict[int, list[Meeting]] = defaultdict(list)
        for m in made:
            if m.attendee_id is not None:
                by_attendee[m.attendee_id].append(m)
            by_stand[m.exhibitor_id].append(m)
        notices: list[Notice] = []
        planned_for = {p.attendee_id for p in await self._plans.planned(stored.id)}
        unmet = await self._plans.unmet_attendees(stored.id)
        for attendee_id in sorted(set(by_attendee) | planned_for | unmet):
            person = await repos.participants.by_id(attendee_id)
            if person is None:
                continue
            own = sorted(by_attendee.get(attendee_id, []), key=lambda m: m.slot_start)
            if not own:
                # told only when they have no meeting at all: not after a plan before gave them some
                if not await repos.meetings.for_attendee(attendee_id, OPEN):
                    notices.append(Notice(person, msg("planning.told_none"), outbox=audience, bulk=True))
                continue
            lines = tuple(self._line(m, exhibitors[m.exhibitor_id].name, exhibitors[m.exhibitor_id].stand) for m in own)
            text = msg("planning.told_attendee", count=len(own), lines=Joined(lines, "\n"))
            entries = tuple(
                CalendarEntry(m, exhibitors[m.exhibitor_id].name, exhibitors[m.exhibitor_id].stand or "—") for m in own
            )
            notices.append(Notice(person, text, calendar=PlanFile(entries), outbox=audience, bulk=True))
        for exhibitor_id, own in sorted(by_stand.items()):
            busiest = max(sum(1 for m in own if m.slot_start == o.slot_start) for o in own)
            for rep in await repos.participants.representatives(exhibitor_id):
                text = msg(
                    "planning.told_stand", count=len(own), exhibitor=exhibitors[exhibitor_id].name, busiest=busiest
                )
                notices.append(Notice(rep, text, outbox=audience, bulk=True))
        return notices

    def _line(self, meeting: Meeting, name: str, stand: str) -> Msg:
        why = (
            msg("planning.why.mutual", rank=meeting.plan_rank)
            if meeting.plan_reason == "mutual"
            else msg("planning.why.wish", rank=meeting.plan_rank)
            if meeting.plan_reason == "wish"
            else msg("planning.why.stand")
        )
        return msg(
            "planning.line",
            time=Clock((meeting.slot_start,)),
            exhibitor=name,
            stand=stand or "—",
            table=meeting.table_no,
            why=why,
        )
