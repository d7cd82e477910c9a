"""Wishes: an attendee's ranked wishes to meet exhibitors, and the stands' wishes to meet attendees."""

from __future__ import annotations

from dataclasses import dataclass

from storage.db import Database, Transaction, utcnow


@dataclass(frozen=True)
class Wish:
    attendee_id: int
    exhibitor_id: int
    rank: int


class WishListFull(Exception):
    """The attendee already has as many wishes as the event allows."""


class WishRepository:
    def __init__(self, db: Database) -> None:
        self._db = db

    # ------------------------------------------------------------------ an attendee's wishes

    async def of_attendee(self, attendee_id: int) -> list[Wish]:
        rows = await self._db.fetch_all(
            "SELECT attendee_id, exhibitor_id, rank FROM wishes WHERE attendee_id = ? ORDER BY rank, exhibitor_id",
            (attendee_id,),
        )
        return [Wish(int(r[0]), int(r[1]), int(r[2])) for r in rows]

    async def add(self, attendee_id: int, exhibitor_id: int, most: int) -> int:
        """The wish at the end of the list (its rank); the rank it has if it was there already."""
        async with self._db.transaction() as tx:
            row = await tx.fetch_one(
                "SELECT rank FROM wishes WHERE attendee_id = ? AND exhibitor_id = ?", (attendee_id, exhibitor_id)
            )
            if row is not None:
                return int(row[0])
            count = await tx.fetch_one("SELECT COUNT(*) FROM wishes WHERE attendee_id = ?", (attendee_id,))
            rank = int(count[0]) + 1 if count else 1
            if rank > most:
                raise WishListFull
            await tx.execute(
                "INSERT INTO wishes (attendee_id, exhibitor_id, rank, created_at) VALUES (?, ?, ?, ?)",
                (attendee_id, exhibitor_id, rank, utcnow().isoformat()),
            )
            return rank

    async def remove(self, attendee_id: int, exhibitor_id: int) -> bool:
        async with self._db.transaction() as tx:
            gone = await tx.execute(
                "DELETE FROM wishes WHERE attendee_id = ? AND exhibitor_id = ?", (attendee_id, exhibitor_id)
            )
            await self._renumber(tx, attendee_id)
        return bool(gone)

    async def move(self, attendee_id: int, exhibitor_id: int, by: int) -> bool:
        """Up (by -1) or down (by +1) one place; False when it is not there or already at that end."""
        async with self._db.transaction() as tx:
            order = await self._order(tx, attendee_id)
            if exhibitor_id not in order:
                return False
            here = order.index(exhibitor_id)
            there = here + by
            if not 0 <= there < len(order):
                return False
            order[here], order[there] = order[there], order[here]
            await self._write_order(tx, attendee_id, order)
        return True

    async def replace_all(self, wishes: dict[int, list[int]]) -> None:
        """Each listed attendee's wishes become the given exhibitors, in that order (an import)."""
        async with self._db.transaction() as tx:
            for attendee_id, exhibitors in wishes.items():
                await tx.execute("DELETE FROM wishes WHERE attendee_id = ?", (attendee_id,))
                await self._insert(tx, attendee_id, exhibitors)

    @staticmethod
    async def _order(tx: Transaction, attendee_id: int) -> list[int]:
        rows = await tx.fetch_all(
            "SELECT exhibitor_id FROM wishes WHERE attendee_id = ? ORDER BY rank, exhibitor_id", (attendee_id,)
        )
        return [int(r[0]) for r in rows]

    async def _renumber(self, tx: Transaction, attendee_id: int) -> None:
        await self._write_order(tx, attendee_id, await self._order(tx, attendee_id))

    async def _write_order(self, tx: Transaction, attendee_id: int, order: list[int]) -> None:
        await tx.execute("DELETE FROM wishes WHERE attendee_id = ?", (attendee_id,))
        await self._insert(tx, attendee_id, order)

    @staticmethod
    async def _insert(tx: Transaction, attendee_id: int, exhibitors: list[int]) -> None:
        now = utcnow().isoformat()
        await tx.executemany(
            "INSERT INTO wishes (attendee_id, exhibitor_id, rank, created_at) VALUES (?, ?, ?, ?)",
            [(attendee_id, e, rank, now) for rank, e in enumerate(exhibitors, start=1)],
        )

    # ------------------------------------------------------------------ a stand's wishes

    async def of_stand(self, exhibitor_id: int) -> list[int]:
        rows = await self._db.fetch_all(
            "SELECT attendee_id FROM stand_wishes WHERE exhibitor_id = ? ORDER BY created_at, attendee_id",
            (exhibitor_id,),
        )
        return [int(r[0]) for r in rows]

    async def stands_wishing(self, attendee_id: int) -> list[int]:
        rows = await self._db.fetch_all(
            "SELECT exhibitor_id FROM stand_wishes WHERE attendee_id = ? ORDER BY exhibitor_id", (attendee_id,)
        )
        return [int(r[0]) for r in rows]

    async def set_stand_wish(self, exhibitor_id: int, attendee_id: int, wished_by: int | None, wish: bool) -> None:
        async with self._db.transaction() as tx:
            if wish:
                await tx.execute(
                    "INSERT INTO stand_wishes (exhibitor_id, attendee_id, wished_by, created_at) VALUES (?, ?, ?, ?)"
                    " ON CONFLICT DO NOTHING",
                    (exhibitor_id, attendee_id, wished_by, utcnow().isoformat()),
                )
            else:
                await tx.execute(
                    "DELETE FROM stand_wishes WHERE exhibitor_id = ? AND attendee_id = ?", (exhibitor_id, attendee_id)
                )

    # ------------------------------------------------------------------ for the planner

    async def everyone(self) -> tuple[list[Wish], list[tuple[int, int]]]:
        """Every attendee wish, and every stand wish as (attendee, exhibitor)."""
        rows = await self._db.fetch_all("SELECT attendee_id, exhibitor_id, rank FROM wishes")
        stand = await self._db.fetch_all("SELECT attendee_id, exhibitor_id FROM stand_wishes")
        return [Wish(int(r[0]), int(r[1]), int(r[2])) for r in rows], [(int(r[0]), int(r[1])) for r in stand]
