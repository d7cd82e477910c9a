"""Conversations in progress (registration, profile edits, meeting requests, broadcasts, programme
changes): what each user is answering, kept in the database so that a restart resumes it."""

from __future__ import annotations

from storage.conversations import StoredConversation
from storage.repositories import Repositories

__all__ = ["FlowService", "StoredConversation"]


class FlowService:
    def __init__(self, repos: Repositories) -> None:
        self._conversations = repos.conversations

    async def current(self, telegram_id: int) -> StoredConversation | None:
        return await self._conversations.get(telegram_id)

    async def save(self, conversation: StoredConversation) -> None:
        await self._conversations.save(conversation)

    async def drop(self, telegram_id: int) -> None:
        await self._conversations.delete(telegram_id)
