"""Conversations in progress, so that a restart resumes them where they were."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from pydantic import BaseModel

from storage.db import Database, Transaction, utcnow
from storage.inbox import stamp


class StoredConversation(BaseModel):
    telegram_id: int
    flow: str
    step: str
    data: dict[str, Any]
    prompt_pending: bool
    updated_at: datetime | None = None  # when it was last saved (set when read)


# None of the person's updates is claimed by a process whose lease still runs (storage/inbox.py): the
# process handling their last answer is alive, and asks the next question itself, however long
# Telegram's budget makes it wait
_NOBODY_AT_WORK = (
    "NOT EXISTS (SELECT 1 FROM inbox WHERE inbox.user_key = conversations.telegram_id AND inbox.claimed_until >= ?)"
)


class ConversationRepository:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def get(self, telegram_id: int) -> StoredConversation | None:
        row = await self._db.fetch_one(
            "SELECT telegram_id, flow, step, data, prompt_pending, updated_at FROM conversations WHERE telegram_id = ?",
            (telegram_id,),
        )
        if row is None:
            return None
        return StoredConversation(
            telegram_id=row["telegram_id"],
            flow=row["flow"],
            step=row["step"],
            data=json.loads(row["data"]),
            prompt_pending=bool(row["prompt_pending"]),
            updated_at=datetime.fromisoformat(row["updated_at"]),
        )

    async def save(self, conversation: StoredConversation) -> None:
        async with self._db.transaction() as tx:
            await self.save_in(tx, conversation)

    async def save_in(self, tx: Transaction, conversation: StoredConversation) -> None:
        await tx.execute(
            """
            INSERT INTO conversations (telegram_id, flow, step, data, prompt_pending, updated_at)
            VALUES (?, ?, ?, ?, ?, ?)
            ON CONFLICT (telegram_id) DO UPDATE SET flow = excluded.flow, step = excluded.step,
                data = excluded.data, prompt_pending = excluded.prompt_pending, updated_at = excluded.updated_at
            """,
            (
                conversation.telegram_id,
                conversation.flow,
                conversation.step,
                json.dumps(conversation.data, ensure_ascii=False),
                int(conversation.prompt_pending),
                utcnow().isoformat(),
            ),
        )

    async def claim_prompt(self, telegram_id: int, step: str, saved_before: str) -> bool:
        """Take the job of asking this step again, for one process only; False when another took it,
        the conversation moved on, or a live process is at work on one of this person's updates."""
        async with self._db.transaction() as tx:
            changed = await tx.execute(
                "UPDATE conversations SET prompt_pending = 0"
                " WHERE telegram_id = ? AND step = ? AND prompt_pending = 1 AND updated_at < ?"
                f" AND {_NOBODY_AT_WORK}",
                (telegram_id, step, saved_before, stamp(utcnow())),
            )
        return changed == 1

    async def mark_prompted(self, telegram_id: int, step: str) -> None:
        async with self._db.transaction() as tx:
            await tx.execute(
                "UPDATE conversations SET prompt_pending = 0 WHERE telegram_id = ? AND step = ?", (telegram_id, step)
            )

    async def pending_prompts(self, saved_before: str | None = None) -> list[StoredConversation]:
        """Conversations whose prompt may not have gone out. ``saved_before`` (beside other workers):
        only those saved before then, and with none of the person's updates in a live process's hands:
        that process asks the question itself, once Telegram's budget lets it."""
        if saved_before is None:  # at start, after a crash: every one
            rows = await self._db.fetch_all("SELECT telegram_id FROM conversations WHERE prompt_pending = 1")
        else:
            rows = await self._db.fetch_all(
                "SELECT telegram_id FROM conversations WHERE prompt_pending = 1 AND updated_at < ?"
                f" AND {_NOBODY_AT_WORK}",
                (saved_before, stamp(utcnow())),
            )
        found = [await self.get(r["telegram_id"]) for r in rows]
        return [c for c in found if c is not None]

    async def delete(self, telegram_id: int) -> None:
        async with self._db.transaction() as tx:
            await self.delete_in(tx, telegram_id)

    async def delete_in(self, tx: Transaction, telegram_id: int) -> None:
        await tx.execute("DELETE FROM conversations WHERE telegram_id = ?", (telegram_id,))
