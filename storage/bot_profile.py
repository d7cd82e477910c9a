"""What the bot learnt about itself at its last start (its username), for the commands that run offline."""

from __future__ import annotations

from storage.db import Database, utcnow


class BotProfileRepository:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def username(self) -> str | None:
        row = await self._db.fetch_one("SELECT value FROM bot_profile WHERE key = 'username'")
        return str(row[0]) if row else None

    async def remember_username(self, username: str) -> None:
        async with self._db.transaction() as tx:
            await tx.execute(
                "INSERT INTO bot_profile (key, value, updated_at) VALUES ('username', ?, ?)"
                " ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at",
                (username, utcnow().isoformat()),
            )
