"""Participants: the people registered with the bot, and their themes."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from enum import StrEnum
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict

from storage.cache import CachedMap
from storage.db import Database, Row, Transaction, utcnow

Language = Literal["fr", "en"]


class Role(StrEnum):
    ATTENDEE = "attendee"
    EXHIBITOR = "exhibitor"  # an exhibitor's representative
    ORGANISER = "organiser"


class OrgType(StrEnum):
    LOCAL_AUTHORITY = "local_authority"
    SOCIAL_LANDLORD = "social_landlord"
    COMPANY = "company"
    SSE = "sse"  # social and solidarity economy
    RESEARCH = "research"
    OTHER = "other"


class NewParticipant(BaseModel):
    telegram_id: int
    role: Role
    exhibitor_id: int | None = None
    language: Language
    full_name: str
    organisation: str | None = None
    org_type: OrgType | None = None
    job_title: str | None = None
    looking_for: str | None = None
    themes: list[str] = []
    consent_at: datetime


class Participant(BaseModel):
    model_config = ConfigDict(frozen=True)

    id: int
    telegram_id: int
    role: Role
    exhibitor_id: int | None
    language: Language
    full_name: str
    organisation: str | None
    org_type: OrgType | None
    job_title: str | None
    looking_for: str | None
    themes: tuple[str, ...]
    consent_at: datetime
    reachable: bool
    created_at: datetime
    updated_at: datetime


EDITABLE_COLUMNS = frozenset({"language", "full_name", "organisation", "org_type", "job_title", "looking_for"})
_COLUMNS = (
    "id, telegram_id, role, exhibitor_id, language, full_name, organisation, org_type, job_title, "
    "looking_for, consent_at, reachable, created_at, updated_at"
)
_THEMES = "(SELECT group_concat(theme_id, ',') FROM participant_themes t WHERE t.participant_id = participants.id)"


REDACTED_NAME = "…"


async def erase_traces(tx: Transaction, participant_ids: list[int]) -> None:
    """What these people left in rows that outlive them: their notes on meetings, what was said and kept
    about their meetings (by either side), the chat where they watched an announcement go out, and
    every phrase of theirs in messages to others."""
    for start in range(0, len(participant_ids), 500):
        chunk = participant_ids[start : start + 500]
        marks = ",".join("?" * len(chunk))
        theirs = f"SELECT id FROM meetings WHERE attendee_id IN ({marks})"
        await tx.execute(f"UPDATE meetings SET note = NULL WHERE attendee_id IN ({marks})", chunk)
        # after their meetings: the stands' notes about them, the details either side shared, the comments
        await tx.execute(f"DELETE FROM leads WHERE meeting_id IN ({theirs})", chunk)
        await tx.execute(f"DELETE FROM contact_shares WHERE meeting_id IN ({theirs})", chunk)
        await tx.execute(
            f"UPDATE ratings SET comment = NULL WHERE participant_id IN ({marks}) OR meeting_id IN ({theirs})",
            [*chunk, *chunk],
        )
        await tx.execute(
            "UPDATE broadcasts SET progress_chat_id = NULL, progress_message_id = NULL WHERE progress_chat_id IN"
            f" (SELECT telegram_id FROM participants WHERE id IN ({marks}))",
            chunk,
        )
        await _redact_mentions(tx, chunk, marks)


async def _redact_mentions(tx: Transaction, chunk: list[int], marks: str) -> None:
    """Messages to others that name these people: a request copy (their whole profile and note) goes;
    any other keeps its text without their phrases, and loses its file (a calendar or contact cards
    holding them; one still waiting is not sent)."""
    rows = await tx.fetch_all(
        "SELECT m.delivery_id, m.phrase, d.text, d.document_name,"
        # a copy of a request this person made (not one a representative answered): their profile is in it
        " (SELECT a.attendee_id FROM meetings a WHERE a.id = COALESCE(d.copy_of, d.rewrites_copies_of))"
        " = m.participant_id AS their_request"
        f" FROM delivery_mentions m JOIN deliveries d ON d.id = m.delivery_id WHERE m.participant_id IN ({marks})",
        chunk,
    )
    phrases: dict[int, set[str]] = {}
    deliveries = {}
    for row in rows:
        phrases.setdefault(row["delivery_id"], set()).add(row["phrase"])
        if row["delivery_id"] not in deliveries or row["their_request"]:
            deliveries[row["delivery_id"]] = row
    for delivery_id, theirs in phrases.items():
        row = deliveries[delivery_id]
        named = [p for p in sorted(theirs, key=len, reverse=True) if p]  # "Ana" after "ana@x.fr"
        if row["their_request"] and any(p in row["text"] for p in named):
            await tx.execute("DELETE FROM deliveries WHERE id = ?", (delivery_id,))
            continue
        text, name = row["text"], row["document_name"]
        for phrase in named:
            text = text.replace(phrase, REDACTED_NAME)
            name = name.replace(phrase, REDACTED_NAME) if name is not None else None
        await tx.execute(
            "UPDATE deliveries SET text = ?, document_name = ?, document = NULL WHERE id = ?", (text, name, delivery_id)
        )
    await tx.execute(f"DELETE FROM delivery_mentions WHERE participant_id IN ({marks})", chunk)


def _participant(row: Row) -> Participant:
    data = dict(row)
    data["themes"] = tuple(sorted(data.pop("themes").split(","))) if data.get("themes") else ()
    return Participant.model_validate(data)


async def _replace_themes(tx: Transaction, participant_id: int, themes: Iterable[str]) -> None:
    await tx.execute("DELETE FROM participant_themes WHERE participant_id = ?", (participant_id,))
    await tx.executemany(
        "INSERT INTO participant_themes (participant_id, theme_id) VALUES (?, ?)",
        [(participant_id, theme) for theme in sorted(set(themes))],
    )


class ParticipantRepository:
    """Looking a person up by Telegram id, which every update does, reads an in-memory copy (storage/cache.py)."""

    def __init__(self, db: Database) -> None:
        self._db = db
        self._by_telegram_id = CachedMap(db, "participants", self._load_by_telegram_id)
        self._by_id = CachedMap(db, "participants", self._load_by_id)

    async def by_telegram_id(self, telegram_id: int) -> Participant | None:
        return await self._by_telegram_id.get(telegram_id)

    async def _load_by_telegram_id(self, telegram_id: int) -> Participant | None:
        row = await self._db.fetch_one(
            f"SELECT {_COLUMNS}, {_THEMES} AS themes FROM participants WHERE telegram_id = ?", (telegram_id,)
        )
        return _participant(row) if row else None

    async def by_id(self, participant_id: int) -> Participant | None:
        return await self._by_id.get(participant_id)

    async def _load_by_id(self, participant_id: int) -> Participant | None:
        row = await self._db.fetch_one(
            f"SELECT {_COLUMNS}, {_THEMES} AS themes FROM participants WHERE id = ?", (participant_id,)
        )
        return _participant(row) if row else None

    async def all(self) -> list[Participant]:
        rows = await self._db.fetch_all(f"SELECT {_COLUMNS}, {_THEMES} AS themes FROM participants ORDER BY id")
        return [_participant(r) for r in rows]

    async def representatives(self, exhibitor_id: int | None = None) -> list[Participant]:
        """Representatives of one exhibitor, or of all exhibitors, by name."""
        where = "role = 'exhibitor'" + (" AND exhibitor_id = ?" if exhibitor_id is not None else "")
        params = (exhibitor_id,) if exhibitor_id is not None else ()
        rows = await self._db.fetch_all(
            f"SELECT {_COLUMNS}, {_THEMES} AS themes FROM participants WHERE {where} ORDER BY full_name, id", params
        )
        return [_participant(r) for r in rows]

    async def create(self, new: NewParticipant, tx: Transaction) -> int:
        """Insert within the caller's transaction (registration also claims invites in it)."""
        now = utcnow().isoformat()
        row = await tx.fetch_one(
            """
            INSERT INTO participants (telegram_id, role, exhibitor_id, language, full_name, organisation, org_type,
                                      job_title, looking_for, consent_at, reachable, created_at, updated_at)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1, ?, ?)
            RETURNING id
            """,
            (
                new.telegram_id,
                new.role.value,
                new.exhibitor_id,
                new.language,
                new.full_name,
                new.organisation,
                new.org_type.value if new.org_type else None,
                new.job_title,
                new.looking_for,
                new.consent_at.isoformat(),
                now,
                now,
            ),
        )
        assert row is not None
        await _replace_themes(tx, row[0], new.themes)
        return int(row[0])

    async def update_fields(self, telegram_id: int, **fields: Any) -> None:
        unknown = set(fields) - EDITABLE_COLUMNS
        if unknown:
            raise ValueError(f"not editable: {sorted(unknown)}")
        assignments = ", ".join(f"{name} = ?" for name in fields)
        values = [v.value if isinstance(v, StrEnum) else v for v in fields.values()]
        async with self._db.transaction() as tx:
            await tx.execute(
                f"UPDATE participants SET {assignments}, updated_at = ? WHERE telegram_id = ?",
                (*values, utcnow().isoformat(), telegram_id),
            )

    async def set_themes(self, telegram_id: int, themes: Iterable[str]) -> None:
        async with self._db.transaction() as tx:
            row = await tx.fetch_one("SELECT id FROM participants WHERE telegram_id = ?", (telegram_id,))
            if row is None:
                return
            await _replace_themes(tx, row[0], themes)
            await tx.execute("UPDATE participants SET updated_at = ? WHERE id = ?", (utcnow().isoformat(), row[0]))

    async def set_reachable(self, telegram_id: int, reachable: bool) -> bool:
        """Returns whether a participant with this id exists."""
        async with self._db.transaction() as tx:
            changed = await tx.execute(
                "UPDATE participants SET reachable = ?, updated_at = ? WHERE telegram_id = ?",
                (int(reachable), utcnow().isoformat(), telegram_id),
            )
        return changed > 0

    async def make_representative(self, telegram_id: int, exhibitor_id: int) -> None:
        async with self._db.transaction() as tx:
            await tx.execute(
                "UPDATE participants SET role = 'exhibitor', exhibitor_id = ?, updated_at = ? WHERE telegram_id = ?",
                (exhibitor_id, utcnow().isoformat(), telegram_id),
            )

    async def make_organiser(self, participant_id: int, tx: Transaction) -> None:
        await tx.execute(
            "UPDATE participants SET role = 'organiser', exhibitor_id = NULL, updated_at = ? WHERE id = ?",
            (utcnow().isoformat(), participant_id),
        )

    async def revoke_representative(self, participant_id: int, tx: Transaction) -> int | None:
        """Back to attendee, keeping the exhibitor's name as organisation; the stand they left, or None."""
        row = await tx.fetch_one(
            "SELECT exhibitor_id FROM participants WHERE id = ? AND role = 'exhibitor'", (participant_id,)
        )
        if row is None:
            return None
        await tx.execute(
            """
            UPDATE participants
            SET role = 'attendee',
                organisation = COALESCE(organisation, (SELECT substr(name, 1, 120) FROM exhibitors e
                                                       WHERE e.id = participants.exhibitor_id)),
                exhibitor_id = NULL,
                updated_at = ?
            WHERE id = ?
            """,
            (utcnow().isoformat(), participant_id),
        )
        return int(row[0])

    async def organisers(self) -> list[Participant]:
        rows = await self._db.fetch_all(
            f"SELECT {_COLUMNS}, {_THEMES} AS themes FROM participants WHERE role = 'organiser' ORDER BY full_name, id"
        )
        return [_participant(r) for r in rows]

    async def revoke_organiser(self, participant_id: int) -> bool:
        async with self._db.transaction() as tx:
            changed = await tx.execute(
                "UPDATE participants SET role = 'attendee', updated_at = ? WHERE id = ? AND role = 'organiser'",
                (utcnow().isoformat(), participant_id),
            )
        return changed == 1

    async def delete(self, telegram_id: int) -> None:
        """Everything about this person goes: profile, themes, reminders, messages to them (cascades),
        conversation, the notes they wrote, and their name in messages to others."""
        async with self._db.transaction() as tx:
            await tx.execute("DELETE FROM conversations WHERE telegram_id = ?", (telegram_id,))
            row = await tx.fetch_one("SELECT id FROM participants WHERE telegram_id = ?", (telegram_id,))
            if row is not None:
                await erase_traces(tx, [int(row[0])])
            await tx.execute("DELETE FROM participants WHERE telegram_id = ?", (telegram_id,))

    async def purge_all(self, tx: Transaction) -> int:
        """The purge after the event: every participant and all they left; returns how many there were."""
        ids = [int(r[0]) for r in await tx.fetch_all("SELECT id FROM participants")]
        # every stored message goes (chat ids are personal data; the texts are sent): first, so that
        # there is nothing left to redact message by message
        await tx.execute("DELETE FROM deliveries")
        await erase_traces(tx, ids)
        # and what outlived people forgotten earlier: nothing personal stays, whatever the order of events
        await tx.execute("DELETE FROM leads")
        await tx.execute("DELETE FROM contact_shares")
        await tx.execute("UPDATE ratings SET comment = NULL")
        await tx.execute("UPDATE meetings SET note = NULL WHERE note IS NOT NULL")
        await tx.execute("UPDATE broadcasts SET progress_chat_id = NULL, progress_message_id = NULL")
        await tx.execute("DELETE FROM conversations")
        await tx.execute("DELETE FROM organiser_invites")
        await tx.execute("DELETE FROM participants")
        return len(ids)

    async def count(self) -> int:
        row = await self._db.fetch_one("SELECT COUNT(*) FROM participants")
        return int(row[0]) if row else 0
