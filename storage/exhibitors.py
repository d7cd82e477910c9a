"""Exhibitors: the structures presenting at stands."""

from __future__ import annotations

import secrets
from datetime import datetime

from pydantic import BaseModel, ConfigDict

from storage.cache import Cached
from storage.db import Database, Row, Transaction, utcnow


class TablesInUseError(Exception):
    def __init__(self, slug: str, in_use: int) -> None:
        super().__init__(slug)
        self.slug = slug
        self.in_use = in_use


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


_TABLES_IN_USE = "SELECT COALESCE(MAX(table_no), 0) FROM meetings WHERE exhibitor_id = ? AND status = 'accepted'"


def new_invite_token() -> str:
    """Unguessable (128 bits), and short enough for a deep link's 64-character payload."""
    return secrets.token_urlsafe(16)


def _exhibitor(row: Row) -> Exhibitor:
    data = dict(row)
    data["themes"] = tuple(sorted(data.pop("themes").split(","))) if data.get("themes") else ()
    return Exhibitor.model_validate(data)


_ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")


def _nocase(exhibitor: Exhibitor) -> tuple[str, int]:
    """SQLite's ``ORDER BY name COLLATE NOCASE, id``: only ASCII letters fold."""
    return exhibitor.name.translate(_ASCII_LOWER), exhibitor.id


class _Listing:
    """Every exhibitor, in both orders the bot lists them, with lookups and counts."""

    def __init__(self, exhibitors: list[Exhibitor]) -> None:
        self.by_name = exhibitors  # ORDER BY name, id
        self.by_name_nocase = sorted(exhibitors, key=_nocase)
        self.by_id = {e.id: e for e in exhibitors}
        self.by_slug = {e.slug: e for e in exhibitors}
        self.by_theme: dict[str, list[Exhibitor]] = {}
        for exhibitor in self.by_name_nocase:
            for theme in exhibitor.themes:
                self.by_theme.setdefault(theme, []).append(exhibitor)


class ExhibitorRepository:
    """Reads come from an in-memory copy of every exhibitor (storage/cache.py), reloaded on any change."""

    def __init__(self, db: Database) -> None:
        self._db = db
        self._listing = Cached(db, "exhibitors", self._load)

    async def _load(self) -> _Listing:
        rows = await self._db.fetch_all(f"SELECT {_COLUMNS}, {_THEMES} AS themes FROM exhibitors ORDER BY name, id")
        return _Listing([_exhibitor(r) for r in rows])

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
        return (await self._listing.get()).by_id.get(exhibitor_id)

    async def by_slug(self, slug: str) -> Exhibitor | None:
        return (await self._listing.get()).by_slug.get(slug)

    async def by_invite_token(self, token: str) -> Exhibitor | None:
        row = await self._db.fetch_one(
            f"SELECT {_COLUMNS}, {_THEMES} AS themes FROM exhibitors WHERE invite_token = ?", (token,)
        )
        return _exhibitor(row) if row else None

    async def all(self) -> list[Exhibitor]:
        return list((await self._listing.get()).by_name)

    async def by_ids(self, ids: list[int]) -> list[Exhibitor]:
        found = (await self._listing.get()).by_id
        return [found[i] for i in ids if i in found]

    async def with_theme(self, theme_id: str, offset: int, limit: int) -> list[Exhibitor]:
        return (await self._listing.get()).by_theme.get(theme_id, [])[offset : offset + limit]

    async def page(self, offset: int, limit: int) -> list[Exhibitor]:
        return (await self._listing.get()).by_name_nocase[offset : offset + limit]

    async def count(self) -> int:
        return len((await self._listing.get()).by_name)

    async def count_by_theme(self) -> dict[str, int]:
        return {theme: len(found) for theme, found in (await self._listing.get()).by_theme.items()}

    async def tables_in_use(self, exhibitor_id: int) -> int:
        """The highest table number an accepted meeting of this exhibitor uses (0 if none)."""
        row = await self._db.fetch_one(_TABLES_IN_USE, (exhibitor_id,))
        return int(row[0]) if row else 0

    async def accepted_per_slot(self, exhibitor_id: int) -> dict[str, int]:
        """Slot start (UTC ISO) -> number of accepted meetings of this exhibitor then."""
        rows = await self._db.fetch_all(
            "SELECT slot_start, COUNT(*) AS n FROM meetings WHERE exhibitor_id = ? AND status = 'accepted'"
            " GROUP BY slot_start",
            (exhibitor_id,),
        )
        return {r["slot_start"]: int(r["n"]) for r in rows}

    async def requested_by(self, attendee_id: int) -> set[int]:
        """Exhibitors this attendee has a pending or accepted meeting with."""
        rows = await self._db.fetch_all(
            "SELECT DISTINCT exhibitor_id FROM meetings WHERE attendee_id = ? AND status IN ('pending', 'accepted')",
            (attendee_id,),
        )
        return {int(r[0]) for r in rows}

    async def upsert_all(self, exhibitors: list[NewExhibitor]) -> tuple[list[Exhibitor], list[Exhibitor]]:
        """Create or update by slug, all in one transaction; returns (created, updated).

        Raises TablesInUseError (and changes nothing) when a row would take away a table
        that an accepted meeting uses.
        """
        now = utcnow().isoformat()
        created_ids: list[int] = []
        updated_ids: list[int] = []
        async with self._db.transaction() as tx:
            for new in exhibitors:
                existing = await tx.fetch_one("SELECT id FROM exhibitors WHERE slug = ?", (new.slug,))
                values = (new.name, new.description, new.stand, new.tables, new.website, new.contact_email, now)
                if existing is None:
                    row = await tx.fetch_one(
                        """
                        INSERT INTO exhibitors (name, description, stand, tables, website, contact_email, updated_at,
                                                slug, invite_token, created_at)
                        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id
                        """,
                        (*values, new.slug, new_invite_token(), now),
                    )
                    assert row is not None
                    exhibitor_id = int(row[0])
                    created_ids.append(exhibitor_id)
                else:
                    exhibitor_id = int(existing[0])
                    in_use = await tx.fetch_one(_TABLES_IN_USE, (exhibitor_id,))
                    if in_use is not None and new.tables < int(in_use[0]):
                        raise TablesInUseError(new.slug, int(in_use[0]))
                    await tx.execute(
                        """
                        UPDATE exhibitors SET name = ?, description = ?, stand = ?, tables = ?, website = ?,
                                              contact_email = ?, updated_at = ?
                        WHERE id = ?
                        """,
                        (*values, exhibitor_id),
                    )
                    updated_ids.append(exhibitor_id)
                await tx.execute("DELETE FROM exhibitor_themes WHERE exhibitor_id = ?", (exhibitor_id,))
                await tx.executemany(
                    "INSERT INTO exhibitor_themes (exhibitor_id, theme_id) VALUES (?, ?)",
                    [(exhibitor_id, theme) for theme in sorted(set(new.themes))],
                )
        return await self.by_ids(created_ids), await self.by_ids(updated_ids)

    async def rotate_invite(self, exhibitor_id: int, tx: Transaction | None = None) -> str:
        """A new invite token: the old link stops working at once."""
        if tx is None:
            async with self._db.transaction() as own:
                return await self.rotate_invite(exhibitor_id, own)
        token = new_invite_token()
        await tx.execute(
            "UPDATE exhibitors SET invite_token = ?, updated_at = ? WHERE id = ?",
            (token, utcnow().isoformat(), exhibitor_id),
        )
        return token
