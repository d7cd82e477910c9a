"""The outbox: broadcasts and notices, one delivery row per recipient."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from pydantic import BaseModel, ConfigDict

from storage.db import Database, Row, utcnow
from storage.postgres import skip_locked


class Broadcast(BaseModel):
    model_config = ConfigDict(frozen=True)

    id: int
    author_id: int | None
    kind: str
    audience: str
    send_at: datetime
    created_at: datetime
    progress_chat_id: int | None
    progress_message_id: int | None
    finished_at: datetime | None


class Delivery(BaseModel):
    model_config = ConfigDict(frozen=True)

    id: int
    broadcast_id: int
    participant_id: int | None
    chat_id: int
    text: str
    state: str
    attempts: int
    priority: int
    buttons: str | None
    document: str | None
    document_name: str | None
    copy_of: int | None
    rewrites_copies_of: int | None

    @property
    def announcement(self) -> bool:
        return self.priority == ANNOUNCEMENT


NOTICE, ANNOUNCEMENT = 0, 1  # delivery priorities: notices go first, and in order within each chat


@dataclass(frozen=True)
class Outgoing:
    """One message for the outbox, rendered in its recipient's language."""

    participant_id: int | None
    chat_id: int
    text: str
    # each person the text (or its file) names, with each phrase of theirs as it stands in the text:
    # /forget takes the phrases out and drops the file
    about: tuple[tuple[int, str], ...] = ()
    buttons: str | None = None  # the inline keyboard, as Telegram's JSON
    document: str | None = None  # a calendar file, sent with ``text`` as its caption
    document_name: str | None = None
    copy_of: int | None = None  # a request copy to a representative: its message id is kept once sent
    rewrites_copies_of: int | None = None  # the text replaces the recipient's copies of this request


class Progress(BaseModel):
    total: int
    sent: int
    unreachable: int
    failed: int

    @property
    def done(self) -> bool:
        return self.sent + self.unreachable + self.failed >= self.total


_BROADCAST = "id, author_id, kind, audience, send_at, created_at, progress_chat_id, progress_message_id, finished_at"
_DELIVERY = (
    "id, broadcast_id, participant_id, chat_id, text, state, attempts, priority, buttons, document, document_name,"
    " copy_of, rewrites_copies_of"
)


_INSERT_DELIVERY = (
    "INSERT INTO deliveries (broadcast_id, participant_id, chat_id, text, not_before, priority, buttons, document,"
    " document_name, copy_of, rewrites_copies_of) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
)


def _broadcast(row: Row) -> Broadcast:
    return Broadcast.model_validate(dict(row))


def _delivery(row: Row) -> Delivery:
    return Delivery.model_validate(dict(row))


class OutboxRepository:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def create(
        self,
        kind: str,
        audience: str,
        send_at: datetime,
        author_id: int | None,
        recipients: list[Outgoing],
        *,
        bulk: bool = False,
        claim: tuple[str, Sequence[Any]] | None = None,
    ) -> Broadcast | None:
        """The broadcast and every delivery, in one transaction: all or nothing. Notices go before
        announcements, and in order within each chat."""
        now = utcnow().isoformat()
        # notices to many people at once (a published plan) wait behind one-off notices, as announcements do
        priority = NOTICE if kind == "notice" and not bulk else ANNOUNCEMENT
        async with self._db.transaction() as tx:
            # a claim (a statement that changes one row, or none when someone got there first) makes the
            # whole broadcast happen once, whichever process files it
            if claim is not None and not await tx.execute(*claim):
                return None
            row = await tx.fetch_one(
                f"INSERT INTO broadcasts (author_id, kind, audience, send_at, created_at) VALUES (?, ?, ?, ?, ?)"
                f" RETURNING {_BROADCAST}",
                (author_id, kind, audience, send_at.isoformat(), now),
            )
            assert row is not None
            values = [
                (
                    row["id"],
                    out.participant_id,
                    out.chat_id,
                    out.text,
                    send_at.isoformat(),
                    priority,
                    out.buttons,
                    out.document,
                    out.document_name,
                    out.copy_of,
                    out.rewrites_copies_of,
                )
                for out in recipients
            ]
            if not any(out.about for out in recipients):  # an announcement to everyone: one statement
                await tx.executemany(_INSERT_DELIVERY, values)
            else:  # in order, each with whom it names
                for out, delivery in zip(recipients, values, strict=True):
                    inserted = await tx.fetch_one(_INSERT_DELIVERY + " RETURNING id", delivery)
                    assert inserted is not None
                    await tx.executemany(
                        "INSERT INTO delivery_mentions (delivery_id, participant_id, phrase) VALUES (?, ?, ?)"
                        " ON CONFLICT DO NOTHING",
                        [(inserted["id"], who, phrase) for who, phrase in dict.fromkeys(out.about)],
                    )
        return _broadcast(row)

    async def set_progress_message(self, broadcast_id: int, chat_id: int, message_id: int) -> None:
        async with self._db.transaction() as tx:
            await tx.execute(
                "UPDATE broadcasts SET progress_chat_id = ?, progress_message_id = ? WHERE id = ?",
                (chat_id, message_id, broadcast_id),
            )

    async def get(self, broadcast_id: int) -> Broadcast | None:
        row = await self._db.fetch_one(f"SELECT {_BROADCAST} FROM broadcasts WHERE id = ?", (broadcast_id,))
        return _broadcast(row) if row else None

    async def recent(self, limit: int = 10, offset: int = 0) -> list[Broadcast]:
        rows = await self._db.fetch_all(
            f"SELECT {_BROADCAST} FROM broadcasts WHERE kind = 'announcement' ORDER BY id DESC LIMIT ? OFFSET ?",
            (limit, offset),
        )
        return [_broadcast(r) for r in rows]

    async def delivered_to(self, participant_id: int) -> list[dict[str, str | None]]:
        """The announcements and notices for this person: their text, state and when they went out."""
        rows = await self._db.fetch_all(
            "SELECT text, state, sent_at FROM deliveries WHERE participant_id = ? ORDER BY id", (participant_id,)
        )
        return [{"text": r["text"], "state": r["state"], "sent_at": r["sent_at"]} for r in rows]

    async def count_naming(self, participant_id: int) -> int:
        """Messages to others that name this person (/forget takes them out of each)."""
        row = await self._db.fetch_one(
            "SELECT COUNT(DISTINCT delivery_id) FROM delivery_mentions WHERE participant_id = ?", (participant_id,)
        )
        return int(row[0]) if row else 0

    async def count_announcements(self) -> int:
        row = await self._db.fetch_one("SELECT COUNT(*) FROM broadcasts WHERE kind = 'announcement'")
        return int(row[0]) if row else 0

    async def unfinished(self) -> list[Broadcast]:
        """Announcements still going out (a notice has nobody watching its progress)."""
        rows = await self._db.fetch_all(
            f"SELECT {_BROADCAST} FROM broadcasts WHERE finished_at IS NULL AND kind = 'announcement' ORDER BY id"
        )
        return [_broadcast(r) for r in rows]

    async def finish(self, broadcast_id: int) -> None:
        async with self._db.transaction() as tx:
            await tx.execute(
                "UPDATE broadcasts SET finished_at = ? WHERE id = ? AND finished_at IS NULL",
                (utcnow().isoformat(), broadcast_id),
            )

    async def progress(self, broadcast_id: int) -> Progress:
        rows = await self._db.fetch_all(
            "SELECT state, COUNT(*) FROM deliveries WHERE broadcast_id = ? GROUP BY state", (broadcast_id,)
        )
        counts = {r[0]: int(r[1]) for r in rows}
        return Progress(
            total=sum(counts.values()),
            sent=counts.get("sent", 0),
            unreachable=counts.get("unreachable", 0),
            failed=counts.get("failed", 0),
        )

    async def claim_due(self, now: datetime, owner: str, lease: timedelta, limit: int) -> list[Delivery]:
        """Due deliveries (and those whose claim outlived its lease), claimed for this sender: notices
        first, and a notice only once every earlier notice to its chat has gone (a request copy before
        its rewrite), so that each chat reads them in the order they were written.

        Beside other senders' claims, without the cluster's write lock: whether a delivery is due is
        checked again on the row itself once another claim of it has committed (PostgreSQL re-reads a
        row that changed under an UPDATE), so no two senders hold one delivery."""
        async with self._db.transaction(exclusive=False) as tx:
            rows = await tx.fetch_all(
                f"""
                WITH picked AS MATERIALIZED (
                    SELECT d.id FROM deliveries d
                    WHERE ((d.state = 'pending' AND d.not_before <= ?) OR (d.state = 'claimed' AND d.claimed_at <= ?))
                      AND (d.priority = {ANNOUNCEMENT} OR NOT EXISTS (
                          SELECT 1 FROM deliveries e
                          WHERE e.chat_id = d.chat_id AND e.id < d.id AND e.priority = {NOTICE}
                            AND e.state IN ('pending', 'claimed')))
                    ORDER BY d.priority, d.not_before, d.id LIMIT ?{skip_locked(self._db, "d")})
                UPDATE deliveries SET state = 'claimed', claimed_at = ?, claimed_by = ?, attempts = attempts + 1
                WHERE id IN (SELECT id FROM picked)
                  AND ((state = 'pending' AND not_before <= ?) OR (state = 'claimed' AND claimed_at <= ?))
                RETURNING {_DELIVERY}
                """,
                (
                    now.isoformat(),
                    (now - lease).isoformat(),
                    limit,
                    now.isoformat(),
                    owner,
                    now.isoformat(),
                    (now - lease).isoformat(),
                ),
            )
        return sorted((_delivery(r) for r in rows), key=lambda d: (d.priority, d.id))

    async def next_due(self) -> datetime | None:
        row = await self._db.fetch_one(
            "SELECT MIN(CASE WHEN state = 'pending' THEN not_before ELSE claimed_at END) FROM deliveries"
            " WHERE state IN ('pending', 'claimed')"
        )
        return datetime.fromisoformat(row[0]) if row and row[0] else None

    async def release(self, owner: str, now: datetime) -> int:
        """Every delivery ``owner`` still holds, due again at ``now`` (the attempt counts: it may have gone)."""
        async with self._db.transaction() as tx:
            return await tx.execute(
                "UPDATE deliveries SET state = 'pending', not_before = ?, claimed_at = NULL"
                " WHERE state = 'claimed' AND claimed_by = ?",
                (now.isoformat(), owner),
            )

    async def sent_request_copy(self, delivery: Delivery, message_id: int) -> None:
        """Sent, and the message remembered: answering the request rewrites it."""
        assert delivery.copy_of is not None and delivery.participant_id is not None
        async with self._db.transaction() as tx:
            await tx.execute(
                "UPDATE deliveries SET state = 'sent', sent_at = ? WHERE id = ? AND state = 'claimed'",
                (utcnow().isoformat(), delivery.id),
            )
            await tx.execute(  # unless the meeting or the representative went in the meantime
                "INSERT INTO meeting_messages (meeting_id, participant_id, message_id) SELECT ?, ?, ?"
                " WHERE EXISTS (SELECT 1 FROM meetings WHERE id = ?)"
                " AND EXISTS (SELECT 1 FROM participants WHERE id = ?)"
                " ON CONFLICT (meeting_id, participant_id) DO UPDATE SET message_id = excluded.message_id",
                (delivery.copy_of, delivery.participant_id, message_id, delivery.copy_of, delivery.participant_id),
            )

    async def mark(self, delivery_id: int, state: str, error: str | None = None) -> None:
        """One row, only while it is still claimed: no need for the cluster's write lock."""
        async with self._db.transaction(exclusive=False) as tx:
            await tx.execute(
                "UPDATE deliveries SET state = ?, sent_at = ?, last_error = ? WHERE id = ? AND state = 'claimed'",
                (state, utcnow().isoformat() if state == "sent" else None, error, delivery_id),
            )

    async def retry_later(self, delivery_id: int, not_before: datetime, error: str, *, tried: bool = True) -> None:
        """Back to pending until ``not_before``; ``tried=False``: nothing was sent, the attempt does not count."""
        async with self._db.transaction() as tx:
            await tx.execute(
                "UPDATE deliveries SET state = 'pending', not_before = ?, claimed_at = NULL, last_error = ?,"
                " attempts = attempts - ? WHERE id = ? AND state = 'claimed'",
                (not_before.isoformat(), error, 0 if tried else 1, delivery_id),
            )
