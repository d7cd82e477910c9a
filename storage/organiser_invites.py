"""Single-use invitations that make their holder an organiser."""

from __future__ import annotations

import secrets
from datetime import datetime

from storage.db import Database, Transaction, utcnow


class OrganiserInviteRepository:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def create(self) -> str:
        token = secrets.token_urlsafe(16)
        async with self._db.transaction() as tx:
            await tx.execute(
                "INSERT INTO organiser_invites (token, created_at) VALUES (?, ?)", (token, utcnow().isoformat())
            )
        return token

    async def is_open(self, token: str, created_after: datetime) -> bool:
        """Not used yet, and made after ``created_after`` (older links have expired)."""
        row = await self._db.fetch_one(
            "SELECT 1 FROM organiser_invites WHERE token = ? AND claimed_at IS NULL AND created_at > ?",
            (token, created_after.isoformat()),
        )
        return row is not None

    async def claim(self, token: str, participant_id: int, created_after: datetime, tx: Transaction) -> bool:
        """Use the invitation up, within the registration's transaction; False if used or expired."""
        changed = await tx.execute(
            "UPDATE organiser_invites SET claimed_by = ?, claimed_at = ?"
            " WHERE token = ? AND claimed_at IS NULL AND created_at > ?",
            (participant_id, utcnow().isoformat(), token, created_after.isoformat()),
        )
        return changed == 1
