"""Wishes: whom each attendee wants to meet (ranked), whom each stand wants to meet, and the import
of wishes collected before the event."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from bot.event import Event
from bot.services.exhibitor_import import RowError, decode, open_csv
from bot.services.text import normalise, whole_number
from storage.exhibitors import Exhibitor
from storage.meetings import OPEN, Meeting, Status
from storage.participants import OrgType, Participant, Role
from storage.repositories import Repositories
from storage.wishes import WishListFull

MAX_IMPORT_ROWS = 50_000
ALL_STATUSES = tuple(Status)
HEADERS = {
    "participant": {"participant", "participant id", "id participant", "participant_id", "numero participant", "id"},
    "exhibitor": {"exhibitor", "exposant", "slug", "structure", "exhibitor slug", "identifiant exposant"},
    "rank": {"rank", "rang", "priorite", "ordre", "choix"},
}


class WishError(Exception):
    """What the person is told instead: ``key`` and ``params`` make the message."""

    def __init__(self, key: str, **params: object) -> None:
        super().__init__(key)
        self.key = key
        self.params = params


@dataclass(frozen=True)
class WishLine:
    """One of an attendee's wishes as /wishes shows it: the stand, its rank, and what became of it."""

    exhibitor: Exhibitor
    rank: int
    meeting: Meeting | None  # an open meeting with that stand (planned, requested or accepted)
    unmet: str | None  # why the newest published plan could not meet it (bot/planner/explain.py)


@dataclass
class WishImport:
    wishes: dict[int, list[int]] = field(default_factory=dict)  # participant id -> exhibitor ids by rank
    errors: list[RowError] = field(default_factory=list)
    rows: int = 0

    @property
    def ok(self) -> bool:
        return not self.errors


class WishService:
    def __init__(self, repos: Repositories, event: Event) -> None:
        self.event = event
        self._wishes = repos.wishes
        self._exhibitors = repos.exhibitors
        self._participants = repos.participants
        self._meetings = repos.meetings
        self._plans = repos.plans

    @property
    def most(self) -> int:
        return self.event.limits.wishes_per_attendee

    # ------------------------------------------------------------------ an attendee's wishes

    async def rank_of(self, attendee: Participant, exhibitor_id: int) -> int | None:
        return next(
            (w.rank for w in await self._wishes.of_attendee(attendee.id) if w.exhibitor_id == exhibitor_id), None
        )

    async def toggle(self, attendee: Participant, exhibitor_id: int) -> int | None:
        """Wished (its rank) or not any more (None)."""
        if attendee.role != Role.ATTENDEE:
            raise WishError("wishes.attendees_only")
        if await self._exhibitors.by_id(exhibitor_id) is None:
            raise WishError("directory.gone")
        if await self._wishes.remove(attendee.id, exhibitor_id):
            return None
        try:
            return await self._wishes.add(attendee.id, exhibitor_id, self.most)
        except WishListFull:
            raise WishError("wishes.full", limit=self.most) from None

    async def remove(self, attendee: Participant, exhibitor_id: int) -> None:
        await self._wishes.remove(attendee.id, exhibitor_id)

    async def move(self, attendee: Participant, exhibitor_id: int, by: int) -> None:
        await self._wishes.move(attendee.id, exhibitor_id, by)

    async def lines(self, attendee: Participant) -> list[WishLine]:
        wishes = await self._wishes.of_attendee(attendee.id)
        exhibitors = {e.id: e for e in await self._exhibitors.by_ids([w.exhibitor_id for w in wishes])}
        meetings = {m.exhibitor_id: m for m in await self._meetings.for_attendee(attendee.id, OPEN)}
        unmet = await self._plans.unmet_of(attendee.id)
        return [
            WishLine(exhibitors[w.exhibitor_id], w.rank, meetings.get(w.exhibitor_id), unmet.get(w.exhibitor_id))
            for w in wishes
            if w.exhibitor_id in exhibitors
        ]

    # ------------------------------------------------------------------ a stand's wishes

    def _stand_of(self, rep: Participant) -> int:
        if rep.role != Role.EXHIBITOR or rep.exhibitor_id is None:
            raise WishError("wishes.representatives_only")
        return rep.exhibitor_id

    async def stand_wishes(self, rep: Participant) -> list[Participant]:
        ids = await self._wishes.of_stand(self._stand_of(rep))
        people = [await self._participants.by_id(i) for i in ids]
        return [p for p in people if p is not None]

    async def set_stand_wish(self, rep: Participant, attendee_id: int, wish: bool) -> Participant:
        exhibitor_id = self._stand_of(rep)
        attendee = await self._participants.by_id(attendee_id)
        if attendee is None or attendee.role != Role.ATTENDEE:
            raise WishError("wishes.attendee_gone")
        await self._wishes.set_stand_wish(exhibitor_id, attendee_id, rep.id, wish)
        return attendee

    async def attendees_for_stand(self, rep: Participant, theme: str | None, org_type: str | None) -> list[Participant]:
        """Registered attendees a stand may mark, filtered by theme and organisation type, by name."""
        self._stand_of(rep)
        people = [p for p in await self._participants.all() if p.role == Role.ATTENDEE]
        if theme:
            people = [p for p in people if theme in p.themes]
        if org_type:
            people = [p for p in people if p.org_type == org_type]
        return sorted(people, key=lambda p: (normalise(p.full_name), p.id))

    async def requesters(self, rep: Participant) -> list[Participant]:
        """Attendees who asked the stand for a meeting (whatever became of it), by name."""
        exhibitor_id = self._stand_of(rep)
        ids = {m.attendee_id for m in await self._meetings.for_exhibitor(exhibitor_id, ALL_STATUSES) if m.attendee_id}
        people = [p for p in [await self._participants.by_id(i) for i in sorted(ids)] if p and p.role == Role.ATTENDEE]
        return sorted(people, key=lambda p: (normalise(p.full_name), p.id))

    async def wished_by_stand(self, rep: Participant) -> set[int]:
        return set(await self._wishes.of_stand(self._stand_of(rep)))

    # ------------------------------------------------------------------ the organisers' import

    async def import_csv(self, raw: bytes) -> WishImport:
        """participant, exhibitor slug, rank; French Excel accepted. All or nothing: if any row is
        wrong, nothing is imported and every bad row is reported with its line number."""
        result = await self.parse(raw)
        if result.ok:
            await self._wishes.replace_all(result.wishes)
        return result

    def is_wish_file(self, raw: bytes) -> bool:
        """A CSV whose header names a participant, an exhibitor and a rank (else: the exhibitors' file)."""
        first = decode(raw[:4096]).replace("\r", "\n").split("\n", 1)[0]
        delimiter = ";" if first.count(";") >= first.count(",") else ","
        return all(key in _columns(first.split(delimiter)) for key in ("participant", "rank"))

    async def parse(self, raw: bytes) -> WishImport:
        result = WishImport()
        opened = open_csv(raw, result.errors)
        if opened is None:
            return result
        header, rows = opened
        columns = _columns(header)
        missing = [key for key in HEADERS if key not in columns]
        if missing:
            result.errors.append(RowError(1, "wishes.import.missing_columns", {"columns": ", ".join(missing)}))
            return result
        attendees = {p.id: p for p in await self._participants.all() if p.role == Role.ATTENDEE}
        slugs = {e.slug: e.id for e in await self._exhibitors.all()}
        ranked: dict[int, dict[int, tuple[int, int]]] = {}  # participant -> rank -> (exhibitor, line)
        pairs: dict[tuple[int, int], int] = {}
        for line, row in rows:
            result.rows += 1
            if result.rows > MAX_IMPORT_ROWS:
                result.errors.append(RowError(line, "import.error.too_many_rows", {"maximum": MAX_IMPORT_ROWS}))
                break

            def cell(key: str, row: list[str] = row) -> str:
                index = columns[key]
                return row[index].strip() if index < len(row) else ""

            before = len(result.errors)
            who, slug, rank_text = cell("participant"), cell("exhibitor").lower(), cell("rank")
            participant = number if (number := whole_number(who)) in attendees else None
            if participant is None:
                result.errors.append(RowError(line, "wishes.import.unknown_participant", {"value": who}))
            exhibitor = slugs.get(slug)
            if exhibitor is None:
                result.errors.append(RowError(line, "wishes.import.unknown_exhibitor", {"value": slug}))
            rank = whole_number(rank_text)
            if rank is None or not 1 <= rank <= self.most:
                result.errors.append(RowError(line, "wishes.import.bad_rank", {"value": rank_text, "most": self.most}))
            if len(result.errors) > before or participant is None or exhibitor is None or rank is None:
                continue
            if (participant, exhibitor) in pairs:
                result.errors.append(
                    RowError(line, "wishes.import.duplicate_pair", {"first": pairs[participant, exhibitor]})
                )
                continue
            own = ranked.setdefault(participant, {})
            if rank in own:
                result.errors.append(
                    RowError(line, "wishes.import.duplicate_rank", {"rank": rank, "first": own[rank][1]})
                )
                continue
            pairs[participant, exhibitor] = line
            own[rank] = (exhibitor, line)
        if not result.errors:
            result.wishes = {p: [own[r][0] for r in sorted(own)] for p, own in ranked.items()}
        return result


def _columns(header: list[str]) -> dict[str, int]:
    found: dict[str, int] = {}
    for index, title in enumerate(header):
        cleaned = re.sub(r"[\s_]+", " ", normalise(title)).strip()
        for key, aliases in HEADERS.items():
            if (cleaned in aliases or cleaned.replace(" ", "_") in aliases) and key not in found:
                found[key] = index
    return found


ORG_TYPES = tuple(t.value for t in OrgType)
