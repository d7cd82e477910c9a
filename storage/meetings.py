"""Meetings: requests, answers, tables, cancellations, attendance."""

from __future__ import annotations

from collections.abc import Collection
from datetime import UTC, datetime
from enum import StrEnum

from pydantic import BaseModel, ConfigDict

from storage.db import ConstraintViolated, Database, Row, Transaction, utcnow


class Status(StrEnum):
    PENDING = "pending"
    ACCEPTED = "accepted"
    DECLINED = "declined"
    CANCELLED = "cancelled"
    EXPIRED = "expired"


OPEN = (Status.PENDING, Status.ACCEPTED)


class Meeting(BaseModel):
    model_config = ConfigDict(frozen=True)

    id: int
    attendee_id: int | None
    exhibitor_id: int
    slot_start: datetime  # UTC
    status: Status
    table_no: int | None
    note: str | None
    awaiting: str
    answered_by: int | None
    proposed_slot: datetime | None
    decline_reason: str | None
    cancelled_by: str | None
    cancel_reason: str | None
    sequence: int
    attendance_asked: bool
    attendance_attendee: str | None
    attendance_exhibitor: str | None
    created_at: datetime
    updated_at: datetime
    plan_reason: str | None = None  # a meeting the planner made: 'wish', 'mutual' or 'stand'
    plan_rank: int | None = None  # the rank of the attendee's wish it meets


class Conflict(Exception):
    """A database invariant refused the change (slot taken, pair already open...)."""


_COLUMNS = (
    "id, attendee_id, exhibitor_id, slot_start, status, table_no, note, awaiting, answered_by, proposed_slot, "
    "decline_reason, cancelled_by, cancel_reason, sequence, attendance_asked, attendance_attendee, "
    "attendance_exhibitor, created_at, updated_at, plan_reason, plan_rank"
)


def _meeting(row: Row) -> Meeting:
    return Meeting.model_validate(dict(row))


def iso(moment: datetime) -> str:
    return moment.isoformat()


class MeetingRepository:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def get(self, meeting_id: int) -> Meeting | None:
        row = await self._db.fetch_one(f"SELECT {_COLUMNS} FROM meetings WHERE id = ?", (meeting_id,))
        return _meeting(row) if row else None

    async def for_attendee(self, attendee_id: int, statuses: tuple[Status, ...] = OPEN) -> list[Meeting]:
        marks = ",".join("?" * len(statuses))
        rows = await self._db.fetch_all(
            f"SELECT {_COLUMNS} FROM meetings WHERE attendee_id = ? AND status IN ({marks}) ORDER BY slot_start, id",
            (attendee_id, *statuses),
        )
        return [_meeting(r) for r in rows]

    async def in_statuses(self, statuses: tuple[Status, ...]) -> list[Meeting]:
        """Every meeting in these states (the planner reads them all once)."""
        marks = ",".join("?" * len(statuses))
        rows = await self._db.fetch_all(f"SELECT {_COLUMNS} FROM meetings WHERE status IN ({marks})", statuses)
        return [_meeting(r) for r in rows]

    async def mark_late(self, meeting_id: int, side: str, now: datetime) -> bool:
        """Record that one side said they will be late; False if that side said so already."""
        column = {"attendee": "late_attendee_at", "exhibitor": "late_exhibitor_at"}[side]
        async with self._db.transaction() as tx:
            changed = await tx.execute(
                f"UPDATE meetings SET {column} = ? WHERE id = ? AND status = 'accepted' AND {column} IS NULL",
                (now.isoformat(), meeting_id),
            )
        return changed == 1

    async def answered_by_person(self, participant_id: int) -> list[Meeting]:
        """Requests this representative answered (accepted, declined, proposed another time)."""
        rows = await self._db.fetch_all(
            f"SELECT {_COLUMNS} FROM meetings WHERE answered_by = ? ORDER BY slot_start, id", (participant_id,)
        )
        return [_meeting(r) for r in rows]

    async def for_exhibitor(self, exhibitor_id: int, statuses: tuple[Status, ...] = OPEN) -> list[Meeting]:
        marks = ",".join("?" * len(statuses))
        rows = await self._db.fetch_all(
            f"SELECT {_COLUMNS} FROM meetings WHERE exhibitor_id = ? AND status IN ({marks})"
            " ORDER BY slot_start, table_no, id",
            (exhibitor_id, *statuses),
        )
        return [_meeting(r) for r in rows]

    async def accepted_after(self, moment: datetime, after_id: int = 0, limit: int | None = None) -> list[Meeting]:
        """Accepted meetings from ``moment`` on, by id, from ``after_id`` (for pages of ``limit``)."""
        sql = f"SELECT {_COLUMNS} FROM meetings WHERE status = 'accepted' AND slot_start > ? AND id > ? ORDER BY id"
        params: tuple[object, ...] = (iso(moment), after_id)
        if limit is not None:
            sql, params = f"{sql} LIMIT ?", (*params, limit)
        rows = await self._db.fetch_all(sql, params)
        return [_meeting(r) for r in rows]

    async def accepted_in(self, slot_starts: Collection[datetime]) -> list[Meeting]:
        marks = ",".join("?" * len(slot_starts)) or "NULL"
        rows = await self._db.fetch_all(
            f"SELECT {_COLUMNS} FROM meetings WHERE status = 'accepted' AND slot_start IN ({marks}) ORDER BY id",
            [iso(s.astimezone(UTC)) for s in slot_starts],
        )
        return [_meeting(r) for r in rows]

    async def open_at(self, slot_start: datetime, exhibitor_id: int | None = None) -> list[Meeting]:
        """Open meetings in this slot (at one exhibitor's stand, or anywhere)."""
        rows = await self._db.fetch_all(
            f"SELECT {_COLUMNS} FROM meetings WHERE status IN ('pending', 'accepted') AND slot_start = ?"
            " AND (CAST(? AS BIGINT) IS NULL OR exhibitor_id = ?) ORDER BY id",
            (iso(slot_start.astimezone(UTC)), exhibitor_id, exhibitor_id),
        )
        return [_meeting(r) for r in rows]

    async def open_outside(self, slot_starts: Collection[datetime]) -> list[Meeting]:
        """Open meetings in none of these slots."""
        marks = ",".join("?" * len(slot_starts)) or "NULL"
        rows = await self._db.fetch_all(
            f"SELECT {_COLUMNS} FROM meetings WHERE status IN ('pending', 'accepted')"
            f" AND slot_start NOT IN ({marks}) ORDER BY slot_start, id",
            [iso(s.astimezone(UTC)) for s in slot_starts],
        )
        return [_meeting(r) for r in rows]

    async def cancel_ids(self, ids: list[int], by: str, reason: str) -> list[Meeting]:
        """Cancel these open meetings (an organiser's decision): returns those that were still open."""
        if not ids:
            return []
        marks = ",".join("?" * len(ids))
        async with self._db.transaction() as tx:
            rows = await tx.fetch_all(
                f"""
                UPDATE meetings SET status = 'cancelled', table_no = NULL, cancelled_by = ?, cancel_reason = ?,
                    sequence = sequence + 1, updated_at = ?
                WHERE id IN ({marks}) AND status IN ('pending', 'accepted') RETURNING {_COLUMNS}
                """,
                (by, reason, iso(utcnow()), *ids),
            )
        return [_meeting(r) for r in rows]

    async def propose_move(self, meeting_id: int, slot_start: datetime, answered_by: int) -> Meeting | None:
        async with self._db.transaction() as tx:
            return await self._transition(
                tx,
                meeting_id,
                "status = 'accepted'",
                "proposed_slot = ?, answered_by = ?",
                (iso(slot_start), answered_by),
            )

    async def drop_move(self, meeting_id: int) -> Meeting | None:
        async with self._db.transaction() as tx:
            return await self._transition(
                tx, meeting_id, "status = 'accepted' AND proposed_slot IS NOT NULL", "proposed_slot = NULL", ()
            )

    async def move(self, meeting_id: int, tables: int) -> Meeting | None:
        """Move an accepted meeting to its proposed slot, at a free table there; None when none is free."""
        try:
            async with self._db.transaction() as tx:
                meeting = await tx.fetch_one(
                    "SELECT exhibitor_id, proposed_slot FROM meetings"
                    " WHERE id = ? AND status = 'accepted' AND proposed_slot IS NOT NULL",
                    (meeting_id,),
                )
                if meeting is None:
                    raise Conflict("no move proposed")
                taken = {
                    r[0]
                    for r in await tx.fetch_all(
                        "SELECT table_no FROM meetings"
                        " WHERE exhibitor_id = ? AND slot_start = ? AND status = 'accepted' AND id != ?",
                        (meeting[0], meeting[1], meeting_id),
                    )
                }
                free = next((t for t in range(1, tables + 1) if t not in taken), None)
                if free is None:
                    return None
                return await self._transition(
                    tx,
                    meeting_id,
                    "status = 'accepted'",
                    "slot_start = proposed_slot, proposed_slot = NULL, table_no = ?, sequence = sequence + 1",
                    (free,),
                )
        except ConstraintViolated as err:
            raise Conflict(str(err)) from err

    async def busy_slots_of_attendee(self, attendee_id: int, except_meeting: int | None = None) -> set[str]:
        rows = await self._db.fetch_all(
            "SELECT slot_start FROM meetings WHERE attendee_id = ? AND status IN ('pending', 'accepted') AND id != ?",
            (attendee_id, except_meeting or 0),
        )
        return {r[0] for r in rows}

    async def create_request(
        self, attendee_id: int, exhibitor_id: int, slot_start: datetime, note: str | None
    ) -> Meeting:
        now = iso(utcnow())
        try:
            async with self._db.transaction() as tx:
                row = await tx.fetch_one(
                    f"""
                    INSERT INTO meetings (attendee_id, exhibitor_id, slot_start, status, note, created_at, updated_at)
                    VALUES (?, ?, ?, 'pending', ?, ?, ?) RETURNING {_COLUMNS}
                    """,
                    (attendee_id, exhibitor_id, iso(slot_start), note, now, now),
                )
        except ConstraintViolated as err:
            raise Conflict(str(err)) from err
        assert row is not None
        return _meeting(row)

    async def assign_table(self, meeting_id: int, tables: int, answered_by: int | None) -> Meeting | None:
        """Accept a pending meeting at the lowest free table, atomically; None when no table is free."""
        try:
            async with self._db.transaction() as tx:
                meeting = await tx.fetch_one(
                    "SELECT exhibitor_id, slot_start FROM meetings WHERE id = ? AND status = 'pending'", (meeting_id,)
                )
                if meeting is None:
                    raise Conflict("not pending")
                taken = {
                    r[0]
                    for r in await tx.fetch_all(
                        "SELECT table_no FROM meetings"
                        " WHERE exhibitor_id = ? AND slot_start = ? AND status = 'accepted'",
                        (meeting[0], meeting[1]),
                    )
                }
                free = next((t for t in range(1, tables + 1) if t not in taken), None)
                if free is None:
                    return None
                row = await tx.fetch_one(
                    f"""
                    UPDATE meetings SET status = 'accepted', table_no = ?, answered_by = ?, updated_at = ?
                    WHERE id = ? AND status = 'pending' RETURNING {_COLUMNS}
                    """,
                    (free, answered_by, iso(utcnow()), meeting_id),
                )
        except ConstraintViolated as err:
            raise Conflict(str(err)) from err
        return _meeting(row) if row else None

    async def _transition(
        self, tx: Transaction, meeting_id: int, where: str, sets: str, params: tuple[object, ...]
    ) -> Meeting | None:
        row = await tx.fetch_one(
            f"UPDATE meetings SET {sets}, updated_at = ? WHERE id = ? AND {where} RETURNING {_COLUMNS}",
            (*params, iso(utcnow()), meeting_id),
        )
        return _meeting(row) if row else None

    async def decline(self, meeting_id: int, reason: str, answered_by: int | None) -> Meeting | None:
        async with self._db.transaction() as tx:
            return await self._transition(
                tx,
                meeting_id,
                "status = 'pending'",
                "status = 'declined', decline_reason = ?, answered_by = ?",
                (reason, answered_by),
            )

    async def propose(self, meeting_id: int, slot_start: datetime, answered_by: int) -> Meeting | None:
        try:
            async with self._db.transaction() as tx:
                return await self._transition(
                    tx,
                    meeting_id,
                    "status = 'pending' AND awaiting = 'exhibitor'",
                    "slot_start = ?, awaiting = 'attendee', answered_by = ?",
                    (iso(slot_start), answered_by),
                )
        except ConstraintViolated as err:
            raise Conflict(str(err)) from err

    async def cancel(self, meeting_id: int, by: str, reason: str, statuses: tuple[Status, ...]) -> Meeting | None:
        marks = ",".join(f"'{s.value}'" for s in statuses)
        async with self._db.transaction() as tx:
            return await self._transition(
                tx,
                meeting_id,
                f"status IN ({marks})",
                "status = 'cancelled', table_no = NULL, cancelled_by = ?, cancel_reason = ?, sequence = sequence + 1",
                (by, reason),
            )

    async def expire_due(self, now: datetime) -> list[Meeting]:
        """Pending requests whose slot has begun: expired, claimed in one statement."""
        async with self._db.transaction() as tx:
            rows = await tx.fetch_all(
                f"UPDATE meetings SET status = 'expired', updated_at = ? WHERE status = 'pending' AND slot_start <= ?"
                f" RETURNING {_COLUMNS}",
                (iso(utcnow()), iso(now)),
            )
        return [_meeting(r) for r in rows]

    async def claim_attendance_questions(self, ended_before: datetime) -> list[Meeting]:
        """Accepted meetings whose slot is over and nobody was asked about yet (claimed)."""
        async with self._db.transaction() as tx:
            rows = await tx.fetch_all(
                f"UPDATE meetings SET attendance_asked = 1, updated_at = ? WHERE status = 'accepted'"
                f" AND attendance_asked = 0 AND slot_start <= ? RETURNING {_COLUMNS}",
                (iso(utcnow()), iso(ended_before)),
            )
        return [_meeting(r) for r in rows]

    async def record_attendance(self, meeting_id: int, side: str, answer: str) -> Meeting | None:
        column = "attendance_attendee" if side == "attendee" else "attendance_exhibitor"
        async with self._db.transaction() as tx:
            return await self._transition(
                tx, meeting_id, "status = 'accepted' AND attendance_asked = 1", f"{column} = ?", (answer,)
            )

    async def cancel_all_of_attendee(self, attendee_id: int) -> list[Meeting]:
        """For /forget: every open meeting of this attendee is cancelled."""
        async with self._db.transaction() as tx:
            rows = await tx.fetch_all(
                f"""
                UPDATE meetings SET status = 'cancelled', table_no = NULL, cancelled_by = 'attendee',
                    cancel_reason = 'forgotten', note = NULL, sequence = sequence + 1, updated_at = ?
                WHERE attendee_id = ? AND status IN ('pending', 'accepted') RETURNING {_COLUMNS}
                """,
                (iso(utcnow()), attendee_id),
            )
            await tx.execute("UPDATE meetings SET note = NULL WHERE attendee_id = ?", (attendee_id,))
        return [_meeting(r) for r in rows]

    # ---------------------------------------------------------------- messages to representatives

    async def remember_message(self, meeting_id: int, participant_id: int, message_id: int) -> None:
        async with self._db.transaction() as tx:
            await tx.execute(
                "INSERT INTO meeting_messages (meeting_id, participant_id, message_id) VALUES (?, ?, ?)"
                " ON CONFLICT (meeting_id, participant_id) DO UPDATE SET message_id = excluded.message_id",
                (meeting_id, participant_id, message_id),
            )

    async def messages(self, meeting_id: int) -> list[tuple[int, int]]:
        """(participant id, message id) of the request as each representative got it."""
        rows = await self._db.fetch_all(
            "SELECT participant_id, message_id FROM meeting_messages WHERE meeting_id = ?", (meeting_id,)
        )
        return [(int(r[0]), int(r[1])) for r in rows]

    # ---------------------------------------------------------------- nudges

    async def exhibitors_with_pending(self) -> dict[int, int]:
        rows = await self._db.fetch_all(
            "SELECT exhibitor_id, COUNT(*) FROM meetings WHERE status = 'pending' AND awaiting = 'exhibitor'"
            " GROUP BY exhibitor_id"
        )
        return {int(r[0]): int(r[1]) for r in rows}

    async def claim_nudge(self, participant_id: int, now: datetime, interval_minutes: int) -> bool:
        """True (and recorded) when this representative's last nudge is older than the interval."""
        async with self._db.transaction() as tx:
            row = await tx.fetch_one("SELECT last_sent_at FROM nudges WHERE participant_id = ?", (participant_id,))
            if row is not None and (now - datetime.fromisoformat(row[0])).total_seconds() < interval_minutes * 60:
                return False
            await tx.execute(
                "INSERT INTO nudges (participant_id, last_sent_at) VALUES (?, ?)"
                " ON CONFLICT (participant_id) DO UPDATE SET last_sent_at = excluded.last_sent_at",
                (participant_id, iso(now)),
            )
        return True
