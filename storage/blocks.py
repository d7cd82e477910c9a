"""Slots closed to meetings, for everyone or for one exhibitor."""

from __future__ import annotations

from datetime import datetime

from storage.cache import Cached
from storage.db import ConstraintViolated, Database, utcnow


class BlockRepository:
    def __init__(self, db: Database) -> None:
        self._db = db
        self._blocked = Cached(db, "blocked_slots", self._load)

    async def _load(self) -> list[tuple[str, int | None]]:
        rows = await self._db.fetch_all("SELECT slot_start, exhibitor_id FROM blocked_slots")
        return [(str(r[0]), r[1]) for r in rows]

    async def block(self, slot_start: datetime, exhibitor_id: int | None) -> bool:
        """False when that slot was already blocked for them."""
        try:
            async with self._db.transaction() as tx:
                await tx.execute(
                    "INSERT INTO blocked_slots (slot_start, exhibitor_id, created_at) VALUES (?, ?, ?)",
                    (slot_start.isoformat(), exhibitor_id, utcnow().isoformat()),
                )
        except ConstraintViolated:
            return False
        return True

    async def blocked_for(self, exhibitor_id: int) -> set[str]:
        """Slot starts (UTC ISO) closed to this exhibitor, by a block for everyone or for them."""
        return {slot for slot, only in await self._blocked.get() if only is None or only == exhibitor_id}
