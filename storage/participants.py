"""Participants: the people the bot knows."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

import aiosqlite
from pydantic import BaseModel, ConfigDict

from storage.db import Database, utcnow

Language = Literal["fr", "en"]


class Participant(BaseModel):
    model_config = ConfigDict(frozen=True)

    id: int
    telegram_id: int
    language: Language
    reachable: bool
    created_at: datetime
    updated_at: datetime


_COLUMNS = "id, telegram_id, language, reachable, created_at, updated_at"


def _participant(row: aiosqlite.Row) -> Participant:
    return Participant.model_validate(dict(row))


class ParticipantRepository:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def by_telegram_id(self, telegram_id: int) -> Participant | None:
        row = await self._db.fetch_one(f"SELECT {_COLUMNS} FROM participants WHERE telegram_id = ?", (telegram_id,))
        return _participant(row) if row else None

    async def set_language(self, telegram_id: int, language: Language) -> Participant:
        now = utcnow().isoformat()
        async with self._db.transaction() as tx:
            row = await tx.fetch_one(
                f"""
                INSERT INTO participants (telegram_id, language, created_at, updated_at)
                VALUES (?, ?, ?, ?)
                ON CONFLICT (telegram_id) DO UPDATE SET language = excluded.language, updated_at = excluded.updated_at
                RETURNING {_COLUMNS}
                """,
                (telegram_id, language, now, now),
            )
        assert row is not None
        return _participant(row)

    async def count(self) -> int:
        row = await self._db.fetch_one("SELECT COUNT(*) FROM participants")
        return int(row[0]) if row else 0
