"""Exhibitors: the structures presenting at stands."""

from __future__ import annotations

import secrets
from datetime import datetime

import aiosqlite
from pydantic import BaseModel, ConfigDict

from storage.db import Database, utcnow


class NewExhibitor(BaseModel):
    slug: str
    name: str
    description: str = ""
    stand: str = ""
    tables: int = 1
    website: str | None = None
    contact_email: str | None = None
    themes: list[str] = []


class Exhibitor(BaseModel):
    model_config = ConfigDict(frozen=True)

    id: int
    slug: str
    name: str
    description: str
    stand: str
    tables: int
    website: str | None
    contact_email: str | None
    invite_token: str
    themes: tuple[str, ...]
    created_at: datetime
    updated_at: datetime


_COLUMNS = "id, slug, name, description, stand, tables, website, contact_email, invite_token, created_at, updated_at"
_THEMES = "(SELECT group_concat(theme_id, ',') FROM exhibitor_themes t WHERE t.exhibitor_id = exhibitors.id)"


def new_invite_token() -> str:
    """Unguessable (128 bits), and short enough for a deep link's 64-character payload."""
    return secrets.token_urlsafe(16)


def _exhibitor(row: aiosqlite.Row) -> Exhibitor:
    data = dict(row)
    data["themes"] = tuple(sorted(data.pop("themes").split(","))) if data.get("themes") else ()
    return Exhibitor.model_validate(data)


class ExhibitorRepository:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def create(self, new: NewExhibitor) -> Exhibitor:
        now = utcnow().isoformat()
        async with self._db.transaction() as tx:
            row = await tx.fetch_one(
                """
                INSERT INTO exhibitors (slug, name, description, stand, tables, website, contact_email,
                                        invite_token, created_at, updated_at)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id
                """,
                (
                    new.slug,
                    new.name,
                    new.description,
                    new.stand,
                    new.tables,
                    new.website,
                    new.contact_email,
                    new_invite_token(),
                    now,
                    now,
                ),
            )
            assert row is not None
            await tx.executemany(
                "INSERT INTO exhibitor_themes (exhibitor_id, theme_id) VALUES (?, ?)",
                [(row[0], theme) for theme in sorted(set(new.themes))],
            )
        created = await self.by_id(int(row[0]))
        assert created is not None
        return created

    async def by_id(self, exhibitor_id: int) -> Exhibitor | None:
        row = await self._db.fetch_one(
            f"SELECT {_COLUMNS}, {_THEMES} AS themes FROM exhibitors WHERE id = ?", (exhibitor_id,)
        )
        return _exhibitor(row) if row else None

    async def by_slug(self, slug: str) -> Exhibitor | None:
        row = await self._db.fetch_one(
            f"SELECT {_COLUMNS}, {_THEMES} AS themes FROM exhibitors WHERE slug = ?", (slug,)
        )
        return _exhibitor(row) if row else None

    async def by_invite_token(self, token: str) -> Exhibitor | None:
        row = await self._db.fetch_one(
            f"SELECT {_COLUMNS}, {_THEMES} AS themes FROM exhibitors WHERE invite_token = ?", (token,)
        )
        return _exhibitor(row) if row else None

    async def all(self) -> list[Exhibitor]:
        rows = await self._db.fetch_all(f"SELECT {_COLUMNS}, {_THEMES} AS themes FROM exhibitors ORDER BY name, id")
        return [_exhibitor(r) for r in rows]

    async def rotate_invite(self, exhibitor_id: int) -> str:
        """A new invite token: the old link stops working at once."""
        token = new_invite_token()
        async with self._db.transaction() as tx:
            await tx.execute(
                "UPDATE exhibitors SET invite_token = ?, updated_at = ? WHERE id = ?",
                (token, utcnow().isoformat(), exhibitor_id),
            )
        return token
