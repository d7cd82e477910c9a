"""Followers of the programme's sessions, and the organisers' changes to it."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict

from storage.cache import Cached, CachedMap
from storage.db import Database, utcnow


class SessionChange(BaseModel):
    model_config = ConfigDict(frozen=True)

    session_id: str
    start: datetime | None
    end_at: datetime | None
    room: str | None
    cancelled: bool
    sequence: int


class ProgrammeRepository:
    """The organisers' changes and who follows what are read from in-memory copies (storage/cache.py)."""

    def __init__(self, db: Database) -> None:
        self._db = db
        self._changes = Cached(db, "programme", self._load_changes)
        self._followed = CachedMap(db, "followers", self._load_followed)

    async def follow(self, participant_id: int, session_id: str, want: bool | None = None) -> bool:
        """Follow (``want`` True) or not (False), or toggle (None); True when the participant now follows."""
        async with self._db.transaction() as tx:
            if want is not True:
                removed = await tx.execute(
                    "DELETE FROM session_followers WHERE participant_id = ? AND session_id = ?",
                    (participant_id, session_id),
                )
                if removed or want is False:
                    return False
            await tx.execute(
                "INSERT INTO session_followers (participant_id, session_id, created_at) VALUES (?, ?, ?)"
                " ON CONFLICT DO NOTHING",
                (participant_id, session_id, utcnow().isoformat()),
            )
        return True

    async def followed_by(self, participant_id: int) -> set[str]:
        return set(await self._followed.get(participant_id))

    async def _load_followed(self, participant_id: int) -> frozenset[str]:
        rows = await self._db.fetch_all(
            "SELECT session_id FROM session_followers WHERE participant_id = ?", (participant_id,)
        )
        return frozenset(str(r[0]) for r in rows)

    async def followers(self, session_id: str) -> list[int]:
        rows = await self._db.fetch_all(
            "SELECT participant_id FROM session_followers WHERE session_id = ? ORDER BY participant_id", (session_id,)
        )
        return [int(r[0]) for r in rows]

    async def changes(self) -> dict[str, SessionChange]:
        return dict(await self._changes.get())

    async def _load_changes(self) -> dict[str, SessionChange]:
        rows = await self._db.fetch_all(
            "SELECT session_id, start, end_at, room, cancelled, sequence FROM session_changes"
        )
        return {r["session_id"]: SessionChange.model_validate(dict(r)) for r in rows}

    async def change(
        self, session_id: str, *, start: datetime | None, end: datetime | None, room: str | None, cancelled: bool
    ) -> None:
        async with self._db.transaction() as tx:
            await tx.execute(
                """
                INSERT INTO session_changes (session_id, start, end_at, room, cancelled, sequence, updated_at)
                VALUES (?, ?, ?, ?, ?, 1, ?)
                ON CONFLICT (session_id) DO UPDATE SET
                    start = COALESCE(excluded.start, session_changes.start),
                    end_at = COALESCE(excluded.end_at, session_changes.end_at),
                    room = COALESCE(excluded.room, session_changes.room), cancelled = excluded.cancelled,
                    sequence = session_changes.sequence + 1, updated_at = excluded.updated_at
                """,
                (
                    session_id,
                    start.isoformat() if start else None,
                    end.isoformat() if end else None,
                    room,
                    int(cancelled),
                    utcnow().isoformat(),
                ),
            )
