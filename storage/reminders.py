"""Reminder rows: claimed before sending, marked after, so none is lost and two instances never both send."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from enum import StrEnum

from pydantic import BaseModel, ConfigDict

from storage.db import Database, Row, Transaction, utcnow


class ReminderState(StrEnum):
    PENDING = "pending"
    CLAIMED = "claimed"
    SENT = "sent"
    SKIPPED = "skipped"
    CANCELLED = "cancelled"


class Reminder(BaseModel):
    model_config = ConfigDict(frozen=True)

    id: int
    kind: str  # "meeting" or "digest"
    meeting_id: int | None
    session_id: str | None = None
    participant_id: int
    lead_seconds: int
    due_at: datetime
    state: ReminderState
    claimed_at: datetime | None
    attempts: int


_COLUMNS = "id, kind, meeting_id, session_id, participant_id, lead_seconds, due_at, state, claimed_at, attempts"


def _reminder(row: Row) -> Reminder:
    return Reminder.model_validate(dict(row))


class MeetingReminders(BaseModel):
    """Who is reminded of an accepted meeting, and when its day's digest is due."""

    meeting_id: int
    slot_start: datetime
    people: list[int]
    digest_due: datetime | None


class ReminderRepository:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def schedule(
        self,
        meeting_id: int,
        slot_start: datetime,
        participant_ids: Iterable[int],
        leads: list[timedelta],
        digest_due: datetime | None,
        digest_lead: timedelta,
    ) -> list[Reminder]:
        """Create the reminders of an accepted meeting (idempotent); return its open ones and their digests."""
        plan = MeetingReminders(
            meeting_id=meeting_id, slot_start=slot_start, people=sorted(set(participant_ids)), digest_due=digest_due
        )
        async with self._db.transaction() as tx:
            await self._insert(tx, [plan], leads, digest_lead)
            return await self._open_for(tx, meeting_id, plan.people, digest_due)

    async def schedule_all(self, plans: list[MeetingReminders], leads: list[timedelta], digest_lead: timedelta) -> None:
        """``schedule`` for many meetings at once, in one transaction (start-up: one commit, not thousands)."""
        async with self._db.transaction() as tx:
            await self._insert(tx, plans, leads, digest_lead)

    async def schedule_many(
        self, plans: list[MeetingReminders], leads: list[timedelta], digest_lead: timedelta
    ) -> list[Reminder]:
        """``schedule_all``, returning the open reminders of those meetings and their people's digests."""
        found: list[Reminder] = []
        async with self._db.transaction() as tx:
            await self._insert(tx, plans, leads, digest_lead)
            ids = [plan.meeting_id for plan in plans]
            people = sorted({person for plan in plans for person in plan.people})
            for column, values, kind in (("meeting_id", ids, "meeting"), ("participant_id", people, "digest")):
                for start in range(0, len(values), 500):
                    chunk = values[start : start + 500]
                    rows = await tx.fetch_all(
                        f"SELECT {_COLUMNS} FROM reminders WHERE state IN ('pending', 'claimed') AND kind = ?"
                        f" AND {column} IN ({','.join('?' * len(chunk))})",
                        (kind, *chunk),
                    )
                    found += [_reminder(r) for r in rows]
        return found

    @staticmethod
    async def _insert(
        tx: Transaction, plans: list[MeetingReminders], leads: list[timedelta], digest_lead: timedelta
    ) -> None:
        await tx.executemany(
            "INSERT INTO reminders (kind, meeting_id, participant_id, lead_seconds, due_at)"
            " VALUES ('meeting', ?, ?, ?, ?) ON CONFLICT DO NOTHING",
            [
                (plan.meeting_id, person, int(lead.total_seconds()), (plan.slot_start - lead).isoformat())
                for plan in plans
                for person in plan.people
                for lead in leads
            ],
        )
        await tx.executemany(
            "INSERT INTO reminders (kind, meeting_id, participant_id, lead_seconds, due_at)"
            " VALUES ('digest', NULL, ?, ?, ?) ON CONFLICT DO NOTHING",
            [
                (person, int(digest_lead.total_seconds()), plan.digest_due.isoformat())
                for plan in plans
                if plan.digest_due is not None
                for person in plan.people
            ],
        )

    async def _open_for(
        self, tx: Transaction, meeting_id: int, people: list[int], digest_due: datetime | None
    ) -> list[Reminder]:
        marks = ",".join("?" * len(people)) or "NULL"
        rows = await tx.fetch_all(
            f"""
            SELECT {_COLUMNS} FROM reminders WHERE state IN ('pending', 'claimed') AND (
                meeting_id = ? OR (kind = 'digest' AND due_at = ? AND participant_id IN ({marks})))
            """,
            (meeting_id, digest_due.isoformat() if digest_due else "", *people),
        )
        return [_reminder(r) for r in rows]

    async def cancel_for_meeting(self, meeting_id: int) -> list[int]:
        """The meeting is off (or moved): its reminders that have not gone out never will."""
        async with self._db.transaction() as tx:
            rows = await tx.fetch_all(
                "UPDATE reminders SET state = 'cancelled' WHERE meeting_id = ? AND state IN ('pending', 'claimed')"
                " RETURNING id",
                (meeting_id,),
            )
        return [int(r[0]) for r in rows]

    async def cancel_for_stand(self, participant_id: int, exhibitor_id: int, tx: Transaction) -> list[int]:
        """Someone no longer at the stand: their reminders of its meetings that have not gone out never will."""
        rows = await tx.fetch_all(
            "UPDATE reminders SET state = 'cancelled' WHERE participant_id = ? AND state IN ('pending', 'claimed')"
            " AND meeting_id IN (SELECT id FROM meetings WHERE exhibitor_id = ?) RETURNING id",
            (participant_id, exhibitor_id),
        )
        return [int(r[0]) for r in rows]

    async def schedule_session(
        self, session_id: str, participant_ids: list[int], dues: list[tuple[int, datetime]]
    ) -> list[Reminder]:
        """Reminders before a session for its followers (idempotent); returns the open ones."""
        async with self._db.transaction() as tx:
            for participant_id in participant_ids:
                for lead_seconds, due in dues:
                    await tx.execute(
                        "INSERT INTO reminders (kind, session_id, participant_id, lead_seconds, due_at)"
                        " VALUES ('session', ?, ?, ?, ?) ON CONFLICT DO NOTHING",
                        (session_id, participant_id, lead_seconds, due.isoformat()),
                    )
            rows = await tx.fetch_all(
                f"SELECT {_COLUMNS} FROM reminders WHERE session_id = ? AND state IN ('pending', 'claimed')",
                (session_id,),
            )
        return [_reminder(r) for r in rows if r["participant_id"] in participant_ids]

    async def schedule_digest(self, participant_id: int, due: datetime, lead: timedelta) -> list[Reminder]:
        async with self._db.transaction() as tx:
            await tx.execute(
                "INSERT INTO reminders (kind, participant_id, lead_seconds, due_at)"
                " VALUES ('digest', ?, ?, ?) ON CONFLICT DO NOTHING",
                (participant_id, int(lead.total_seconds()), due.isoformat()),
            )
            rows = await tx.fetch_all(
                f"SELECT {_COLUMNS} FROM reminders WHERE kind = 'digest' AND participant_id = ? AND due_at = ?"
                " AND state IN ('pending', 'claimed')",
                (participant_id, due.isoformat()),
            )
        return [_reminder(r) for r in rows]

    async def clear_for_session(self, session_id: str, participant_id: int | None) -> list[int]:
        """A session moved or was dropped (for one follower, or all): its reminders go."""
        sql = "DELETE FROM reminders WHERE session_id = ?" + (" AND participant_id = ?" if participant_id else "")
        params: tuple[object, ...] = (session_id, participant_id) if participant_id else (session_id,)
        async with self._db.transaction() as tx:
            rows = await tx.fetch_all(sql + " RETURNING id", params)
        return [int(r[0]) for r in rows]

    async def clear_for_meeting(self, meeting_id: int) -> list[int]:
        """The meeting moved: its reminders for the old time go, whatever their state."""
        async with self._db.transaction() as tx:
            rows = await tx.fetch_all("DELETE FROM reminders WHERE meeting_id = ? RETURNING id", (meeting_id,))
        return [int(r[0]) for r in rows]

    async def open_due_before(self, moment: datetime) -> list[Reminder]:
        """Pending reminders due before ``moment``, and every claimed one (its lease may run out)."""
        rows = await self._db.fetch_all(
            f"SELECT {_COLUMNS} FROM reminders"
            " WHERE state = 'claimed' OR (state = 'pending' AND due_at < ?) ORDER BY due_at",
            (moment.astimezone(UTC).isoformat(),),
        )
        return [_reminder(r) for r in rows]

    async def open_reminders(self) -> list[Reminder]:
        rows = await self._db.fetch_all(
            f"SELECT {_COLUMNS} FROM reminders WHERE state IN ('pending', 'claimed') ORDER BY due_at"
        )
        return [_reminder(r) for r in rows]

    async def get(self, reminder_id: int) -> Reminder | None:
        row = await self._db.fetch_one(f"SELECT {_COLUMNS} FROM reminders WHERE id = ?", (reminder_id,))
        return _reminder(row) if row else None

    async def claim(self, reminder_id: int, owner: str, now: datetime, lease: timedelta) -> Reminder | None:
        """Take the reminder for sending, unless another sender holds a live claim on it."""
        async with self._db.transaction() as tx:
            row = await tx.fetch_one(
                f"""
                UPDATE reminders SET state = 'claimed', claimed_at = ?, claimed_by = ?, attempts = attempts + 1
                WHERE id = ? AND (state = 'pending' OR (state = 'claimed' AND claimed_at <= ?))
                RETURNING {_COLUMNS}
                """,
                (now.isoformat(), owner, reminder_id, (now - lease).isoformat()),
            )
        return _reminder(row) if row else None

    async def finish(self, reminder_id: int, state: ReminderState) -> None:
        async with self._db.transaction() as tx:
            await tx.execute(
                "UPDATE reminders SET state = ?, sent_at = ? WHERE id = ? AND state = 'claimed'",
                (state.value, utcnow().isoformat() if state == ReminderState.SENT else None, reminder_id),
            )

    async def release(self, reminder_id: int) -> None:
        """Give the claim back (Telegram asked to wait, or the network failed): it will be tried again."""
        async with self._db.transaction() as tx:
            await tx.execute(
                "UPDATE reminders SET state = 'pending', claimed_at = NULL, claimed_by = NULL"
                " WHERE id = ? AND state = 'claimed'",
                (reminder_id,),
            )

    async def for_participant(self, participant_id: int) -> list[Reminder]:
        rows = await self._db.fetch_all(
            f"SELECT {_COLUMNS} FROM reminders WHERE participant_id = ? ORDER BY due_at, id", (participant_id,)
        )
        return [_reminder(r) for r in rows]

    async def count_by_state(self) -> dict[str, int]:
        rows = await self._db.fetch_all("SELECT state, COUNT(*) FROM reminders GROUP BY state")
        return {r[0]: int(r[1]) for r in rows}
