"""The processes that send messages, each saying it is alive, to share Telegram's budget."""

from __future__ import annotations

from datetime import timedelta

from storage.db import Database, utcnow


class SenderRepository:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def alive(self, name: str, started_at: str, within: timedelta) -> int:
        """Say ``name`` is alive; returns how many senders said so within ``within``, itself included.
        Those silent ten times as long are forgotten. Each process writes only its own row: no need
        for the cluster's write lock."""
        now = utcnow()
        async with self._db.transaction(durable=False, exclusive=False) as tx:
            await tx.execute(
                "INSERT INTO senders (name, started_at, seen_at) VALUES (?, ?, ?)"
                " ON CONFLICT (name) DO UPDATE SET seen_at = excluded.seen_at",
                (name, started_at, now.isoformat()),
            )
            await tx.execute("DELETE FROM senders WHERE seen_at < ?", ((now - within * 10).isoformat(),))
            row = await tx.fetch_one("SELECT COUNT(*) FROM senders WHERE seen_at >= ?", ((now - within).isoformat(),))
        return int(row[0]) if row else 1

    async def leave(self, name: str) -> None:
        async with self._db.transaction(durable=False, exclusive=False) as tx:
            await tx.execute("DELETE FROM senders WHERE name = ?", (name,))
