"""The purge after the event: personal data goes, anonymous counts stay for the statistics."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from storage.db import Database, Transaction
from storage.participants import ParticipantRepository

# what the statistics count per person, kept as numbers once the people are gone
_COUNTS = {
    "role": "SELECT role, COUNT(*) FROM participants GROUP BY role",
    "org_type": "SELECT COALESCE(org_type, 'unknown'), COUNT(*) FROM participants WHERE role = 'attendee' GROUP BY 1",
    "theme": "SELECT theme_id, COUNT(*) FROM participant_themes GROUP BY theme_id",
}


@dataclass(frozen=True)
class PurgeFigures:
    participants: int
    conversations: int
    deliveries: int
    meeting_notes: int
    reminders: int


class PurgeRepository:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def figures(self) -> PurgeFigures:
        """What a purge would delete now."""
        row = await self._db.fetch_one(
            """
            SELECT (SELECT COUNT(*) FROM participants), (SELECT COUNT(*) FROM conversations),
                   (SELECT COUNT(*) FROM deliveries), (SELECT COUNT(*) FROM meetings WHERE note IS NOT NULL),
                   (SELECT COUNT(*) FROM reminders)
            """
        )
        assert row is not None
        return PurgeFigures(*(int(v) for v in row))

    async def last(self) -> datetime | None:
        row = await self._db.fetch_one("SELECT MAX(purged_at) FROM purges")
        return datetime.fromisoformat(row[0]) if row and row[0] else None

    async def purge(self, now: datetime) -> PurgeFigures:
        """Delete every person and what they left, in one transaction, after adding them to the counts."""
        figures = await self.figures()
        async with self._db.transaction() as tx:
            await self._archive_counts(tx)
            await ParticipantRepository(self._db).purge_all(tx)
            await tx.execute("DELETE FROM reminders")
            await tx.execute(
                "INSERT INTO purges (purged_at, participants) VALUES (?, ?)", (now.isoformat(), figures.participants)
            )
        return figures

    async def _archive_counts(self, tx: Transaction) -> None:
        for metric, sql in _COUNTS.items():
            for key, count in await tx.fetch_all(sql):
                await tx.execute(
                    "INSERT INTO archived_counts (metric, key, count) VALUES (?, ?, ?)"
                    " ON CONFLICT (metric, key) DO UPDATE SET count = archived_counts.count + excluded.count",
                    (metric, str(key), int(count)),
                )
