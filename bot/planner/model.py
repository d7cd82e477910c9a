"""What the speed-meeting planner reads and what it returns: plain data, no database, no Telegram.

Slots are indices into the event's grid; attendees and exhibitors are their database ids.
"""

from __future__ import annotations

import itertools
from collections import defaultdict
from dataclasses import dataclass, field
from functools import cached_property

Pair = tuple[int, int]  # (attendee id, exhibitor id)


@dataclass(frozen=True)
class Instance:
    slot_days: tuple[int, ...]  # the day of each slot (idle gaps are counted within a day)
    cap: int  # at most this many meetings per attendee, those already booked included
    rank_limit: int  # wishes are ranked 1..rank_limit
    attendee_free: dict[int, frozenset[int]]  # slots where the attendee may meet: not booked, no session followed
    booked: dict[int, frozenset[int]]  # slots an attendee already has a meeting in (they count toward the cap)
    free_tables: dict[int, tuple[int, ...]]  # per exhibitor, per slot: tables left (0: blocked, on stage, full)
    wishes: dict[Pair, int]  # an attendee's wish for an exhibitor, with its rank (1 = first)
    stand_wishes: frozenset[Pair] = frozenset()  # a stand's wish to meet an attendee
    already_met: dict[int, int] = field(default_factory=dict)  # wishes met by meetings already booked
    settled: frozenset[Pair] = frozenset()  # pairs that already have a meeting (booked or requested)

    @property
    def slots(self) -> int:
        return len(self.slot_days)

    @cached_property
    def candidates(self) -> tuple[Pair, ...]:
        """Pairs someone wished for, not settled yet, with at least one slot where both are free."""
        pairs = sorted((set(self.wishes) | set(self.stand_wishes)) - self.settled)
        return tuple(p for p in pairs if p[0] in self.attendee_free and p[1] in self.free_tables and self.common(p))

    def common(self, pair: Pair) -> tuple[int, ...]:
        attendee, exhibitor = pair
        tables = self.free_tables.get(exhibitor, ())
        return tuple(s for s in sorted(self.attendee_free.get(attendee, ())) if tables[s] > 0)

    def room(self, attendee: int) -> int:
        """How many more meetings the attendee may get."""
        return max(0, min(self.cap - len(self.booked.get(attendee, ())), len(self.attendee_free.get(attendee, ()))))

    def weight(self, pair: Pair) -> int:
        """What meeting this pair is worth: a first wish most, a mutual wish twice, a stand's wish half a top one."""
        rank = self.wishes.get(pair)
        own = self.rank_limit + 1 - rank if rank is not None else 0
        if pair in self.stand_wishes:
            return 2 * own if own else max(1, (self.rank_limit + 1) // 2)
        return own

    def mutual(self, pair: Pair) -> bool:
        return pair in self.wishes and pair in self.stand_wishes

    @cached_property
    def attendees(self) -> tuple[int, ...]:
        return tuple(sorted({a for a, _ in self.wishes} | {a for a, _ in self.stand_wishes}))


@dataclass(frozen=True)
class Stage:
    """One level of the lexicographic objective: what the plan reaches, and the best any plan could."""

    name: str  # "at_least_1", "at_least_2"..., "weight", "idle_gaps" (minimised)
    value: int
    bound: int

    @property
    def gap(self) -> float:
        if self.value == self.bound:
            return 0.0
        return abs(self.bound - self.value) / max(abs(self.bound), 1)


@dataclass(frozen=True)
class Plan:
    meetings: tuple[tuple[int, int, int], ...]  # (attendee, exhibitor, slot)
    stages: tuple[Stage, ...]
    seconds: float
    settled_seconds: float  # when fairness and weight were settled (the rest went to idle gaps)
    method: str  # how the slots were found: "relaxation" (bound reached, proven) or "repair"

    @property
    def proven(self) -> bool:
        """Optimal on fairness and on the weight of wishes met (the idle-gap stage is reported apart)."""
        return all(s.gap == 0 for s in self.stages if s.name != "idle_gaps")

    @property
    def gap(self) -> float:
        """The gap at the first stage short of its bound (0 when every stage before idle gaps is proven)."""
        return next((s.gap for s in self.stages if s.name != "idle_gaps" and s.gap), 0.0)


@dataclass(frozen=True)
class Figures:
    """What a schedule gives the people: the benchmark's and the preview's numbers."""

    attendees: int  # attendees with at least one wish
    wishes: int
    wishes_met: int
    mutual: int
    mutual_met: int
    at_least: tuple[int, ...]  # at_least[k-1]: attendees with at least k of their wishes met
    no_meeting: int  # attendees with a wish and no meeting at all
    meetings: int  # meetings planned (on top of those already booked)
    table_use: tuple[float, ...]  # per slot: share of the free tables the plan fills
    idle_gaps: int


def idle_gaps(slot_days: tuple[int, ...], busy: dict[int, set[int]]) -> int:
    """Idle stretches between two meetings of the same person on the same day, summed."""
    total = 0
    for slots in busy.values():
        by_day: dict[int, list[int]] = defaultdict(list)
        for s in sorted(slots):
            by_day[slot_days[s]].append(s)
        total += sum(1 for day in by_day.values() for a, b in itertools.pairwise(day) if b > a + 1)
    return total


def figures(instance: Instance, meetings: tuple[tuple[int, int, int], ...] | list[tuple[int, int, int]]) -> Figures:
    planned = {(a, e) for a, e, _ in meetings}
    met_count: dict[int, int] = defaultdict(int)
    for pair in planned:
        if pair in instance.wishes:
            met_count[pair[0]] += 1
    wishers = {a for a, _ in instance.wishes}
    for a in wishers:
        met_count[a] += instance.already_met.get(a, 0)
    deepest = max([*met_count.values(), 1])
    has_meeting = {a for a, _ in planned} | {a for a, slots in instance.booked.items() if slots}
    mutual = [p for p in set(instance.wishes) & instance.stand_wishes]
    use: list[float] = []
    per_slot: dict[tuple[int, int], int] = defaultdict(int)
    for _, e, s in meetings:
        per_slot[e, s] += 1
    for s in range(instance.slots):
        free = sum(t[s] for t in instance.free_tables.values())
        used = sum(n for (_, slot), n in per_slot.items() if slot == s)
        use.append(round(used / free, 3) if free else 0.0)
    busy: dict[int, set[int]] = defaultdict(set)
    for a, slots in instance.booked.items():
        busy[a] |= set(slots)
    for a, _, s in meetings:
        busy[a].add(s)
    return Figures(
        attendees=len(wishers),
        wishes=len(instance.wishes),
        wishes_met=sum(1 for p in planned if p in instance.wishes)
        + sum(instance.already_met.get(a, 0) for a in wishers),
        mutual=len(mutual),
        mutual_met=sum(1 for p in mutual if p in planned),
        at_least=tuple(sum(1 for a in wishers if met_count[a] >= k) for k in range(1, deepest + 1)),
        no_meeting=sum(1 for a in wishers if a not in has_meeting),
        meetings=len(meetings),
        table_use=tuple(use),
        idle_gaps=idle_gaps(instance.slot_days, busy),
    )
