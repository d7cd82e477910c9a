"""Plans: what the speed-meeting planner proposed, why, and the meetings a published plan made."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from storage.db import Database, Row, utcnow
from storage.meetings import _COLUMNS, Meeting, _meeting, iso


@dataclass(frozen=True)
class PlannedMeeting:
    attendee_id: int
    exhibitor_id: int
    slot_start: datetime  # UTC
    reason: str  # 'wish', 'mutual' or 'stand'
    rank: int | None  # the attendee's rank of the wish, if they wished it


@dataclass(frozen=True)
class Unmet:
    attendee_id: int
    exhibitor_id: int
    reason: str


@dataclass(frozen=True)
class StoredPlan:
    id: int
    created_at: datetime
    created_by: int | None
    day: str | None
    state: str  # 'preview', 'published', 'discarded'
    summary: dict[str, Any]
    published_at: datetime | None


def _plan(row: Row) -> StoredPlan:
    return StoredPlan(
        id=int(row["id"]),
        created_at=datetime.fromisoformat(row["created_at"]),
        created_by=row["created_by"],
        day=row["day"],
        state=row["state"],
        summary=json.loads(row["summary"]),
        published_at=datetime.fromisoformat(row["published_at"]) if row["published_at"] else None,
    )


_PLAN = "id, created_at, created_by, day, state, summary, published_at"


class PlanRepository:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def save(
        self,
        created_by: int | None,
        day: str | None,
        summary: dict[str, Any],
        meetings: list[PlannedMeeting],
        unmet: list[Unmet],
    ) -> StoredPlan:
        """A new preview; earlier previews are set aside (only the newest can be published)."""
        now = utcnow().isoformat()
        async with self._db.transaction() as tx:
            await tx.execute("UPDATE plans SET state = 'discarded' WHERE state = 'preview'")
            row = await tx.fetch_one(
                f"INSERT INTO plans (created_at, created_by, day, summary) VALUES (?, ?, ?, ?) RETURNING {_PLAN}",
                (now, created_by, day, json.dumps(summary)),
            )
            assert row is not None
            plan = _plan(row)
            await tx.executemany(
                "INSERT INTO plan_meetings (plan_id, attendee_id, exhibitor_id, slot_start, reason, rank)"
                " VALUES (?, ?, ?, ?, ?, ?)",
                [(plan.id, m.attendee_id, m.exhibitor_id, iso(m.slot_start), m.reason, m.rank) for m in meetings],
            )
            await tx.executemany(
                "INSERT INTO plan_unmet (plan_id, attendee_id, exhibitor_id, reason) VALUES (?, ?, ?, ?)",
                [(plan.id, u.attendee_id, u.exhibitor_id, u.reason) for u in unmet],
            )
        return plan

    async def get(self, plan_id: int) -> StoredPlan | None:
        row = await self._db.fetch_one(f"SELECT {_PLAN} FROM plans WHERE id = ?", (plan_id,))
        return _plan(row) if row else None

    async def planned(self, plan_id: int) -> list[PlannedMeeting]:
        rows = await self._db.fetch_all(
            "SELECT attendee_id, exhibitor_id, slot_start, reason, rank FROM plan_meetings WHERE plan_id = ?"
            " ORDER BY slot_start, exhibitor_id, attendee_id",
            (plan_id,),
        )
        return [
            PlannedMeeting(int(r[0]), int(r[1]), datetime.fromisoformat(r[2]).astimezone(UTC), r[3], r[4]) for r in rows
        ]

    async def discard(self, plan_id: int) -> bool:
        async with self._db.transaction() as tx:
            return bool(
                await tx.execute("UPDATE plans SET state = 'discarded' WHERE id = ? AND state = 'preview'", (plan_id,))
            )

    async def publish(self, plan_id: int, tables: dict[int, int]) -> list[Meeting] | None:
        """The plan's meetings, accepted at the lowest free table, in one transaction; None when the plan
        is no longer a preview. A meeting whose place was taken since the preview is left out."""
        now = utcnow().isoformat()
        async with self._db.transaction() as tx:
            row = await tx.fetch_one(
                "UPDATE plans SET state = 'published', published_at = ? WHERE id = ? AND state = 'preview'"
                " RETURNING id",
                (now, plan_id),
            )
            if row is None:
                return None
            planned = await tx.fetch_all(
                "SELECT attendee_id, exhibitor_id, slot_start, reason, rank FROM plan_meetings WHERE plan_id = ?"
                " ORDER BY slot_start, exhibitor_id, attendee_id",
                (plan_id,),
            )
            taken: dict[tuple[int, str], set[int]] = {}
            for r in await tx.fetch_all(
                "SELECT exhibitor_id, slot_start, table_no FROM meetings WHERE status = 'accepted'"
            ):
                taken.setdefault((int(r[0]), r[1]), set()).add(int(r[2]))
            made: list[Meeting] = []
            for attendee_id, exhibitor_id, slot_start, reason, rank in planned:
                used = taken.setdefault((int(exhibitor_id), slot_start), set())
                table = next((t for t in range(1, tables.get(int(exhibitor_id), 0) + 1) if t not in used), None)
                if table is None:
                    continue
                inserted = await tx.fetch_one(
                    f"""
                    INSERT INTO meetings (attendee_id, exhibitor_id, slot_start, status, table_no, created_at,
                                          updated_at, plan_id, plan_reason, plan_rank)
                    VALUES (?, ?, ?, 'accepted', ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING RETURNING {_COLUMNS}
                    """,
                    (attendee_id, exhibitor_id, slot_start, table, now, now, plan_id, reason, rank),
                )
                if inserted is not None:
                    used.add(table)
                    made.append(_meeting(inserted))
        return made

    async def made_by(self, plan_id: int) -> list[Meeting]:
        """The meetings a published plan made that are still on."""
        rows = await self._db.fetch_all(
            f"SELECT {_COLUMNS} FROM meetings WHERE plan_id = ? AND status = 'accepted' ORDER BY slot_start, id",
            (plan_id,),
        )
        return [_meeting(r) for r in rows]

    async def latest_published(self) -> StoredPlan | None:
        row = await self._db.fetch_one(f"SELECT {_PLAN} FROM plans WHERE state = 'published' ORDER BY id DESC LIMIT 1")
        return _plan(row) if row else None

    async def latest(self) -> StoredPlan | None:
        row = await self._db.fetch_one(f"SELECT {_PLAN} FROM plans ORDER BY id DESC LIMIT 1")
        return _plan(row) if row else None

    async def unmet_of(self, attendee_id: int) -> dict[int, str]:
        """Why each of the attendee's wishes was not met by the newest published plan."""
        rows = await self._db.fetch_all(
            "SELECT exhibitor_id, reason FROM plan_unmet WHERE attendee_id = ? AND plan_id ="
            " (SELECT MAX(id) FROM plans WHERE state = 'published')",
            (attendee_id,),
        )
        return {int(r[0]): r[1] for r in rows}

    async def unmet_attendees(self, plan_id: int) -> set[int]:
        rows = await self._db.fetch_all("SELECT DISTINCT attendee_id FROM plan_unmet WHERE plan_id = ?", (plan_id,))
        return {int(r[0]) for r in rows}

    async def announced(self, plan_id: int) -> bool:
        """Whether the plan's messages are in the outbox (filed under the audience ``plan:<id>``)."""
        row = await self._db.fetch_one("SELECT 1 FROM broadcasts WHERE audience = ?", (f"plan:{plan_id}",))
        return row is not None

    async def published_unannounced(self) -> list[StoredPlan]:
        rows = await self._db.fetch_all(
            f"SELECT {_PLAN} FROM plans p WHERE state = 'published' AND NOT EXISTS"
            " (SELECT 1 FROM broadcasts b WHERE b.audience = 'plan:' || p.id) ORDER BY id"
        )
        return [_plan(r) for r in rows]
