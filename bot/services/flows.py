"""Conversations in progress: what each user is answering, kept in the database so that a restart
resumes it. Each flow's service defines its draft (a ``FlowDraft`` naming its flow); this service
stores and loads them, typed, for any flow. Registration and profile edits keep their own richer
``Conversation`` (bot/services/registration.py) in the same table."""

from __future__ import annotations

from datetime import datetime
from typing import Any, ClassVar, Generic, TypeVar

from pydantic import BaseModel

from bot.event import Language
from storage.conversations import StoredConversation
from storage.repositories import Repositories


class FlowDraft(BaseModel):
    """The answers of one conversation so far; subclasses set FLOW, the name stored with them."""

    FLOW: ClassVar[str]
    language: Language


DraftT = TypeVar("DraftT", bound=FlowDraft)


class Ongoing(BaseModel, Generic[DraftT]):
    """A conversation in progress: the step it is at and its typed draft."""

    telegram_id: int
    step: str
    draft: DraftT


class FlowService:
    def __init__(self, repos: Repositories) -> None:
        self._conversations = repos.conversations

    async def kind(self, telegram_id: int) -> str | None:
        """The flow the user is in (a FlowDraft's FLOW, or registration's), None when in none."""
        stored = await self._conversations.get(telegram_id)
        return stored.flow if stored is not None else None

    async def moved_on_since(self, telegram_id: int, moment: datetime) -> bool:
        """Whether the user's conversation was saved after ``moment``, or is over: a message received
        then, handled again after a crash, was already taken into account."""
        stored = await self._conversations.get(telegram_id)
        return stored is None or (stored.updated_at is not None and stored.updated_at >= moment)

    async def load(self, telegram_id: int, draft_type: type[DraftT]) -> Ongoing[DraftT] | None:
        """The user's conversation if it is of that flow."""
        stored = await self._conversations.get(telegram_id)
        if stored is None or stored.flow != draft_type.FLOW:
            return None
        return Ongoing(telegram_id=telegram_id, step=stored.step, draft=draft_type.model_validate(stored.data))

    async def begin(self, telegram_id: int, step: str, draft: DraftT) -> Ongoing[DraftT]:
        """Start a conversation (any other one the user was in is left)."""
        ongoing = Ongoing(telegram_id=telegram_id, step=step, draft=draft)
        await self.save(ongoing)
        return ongoing

    async def save(self, ongoing: Ongoing[Any]) -> None:
        await self._conversations.save(
            StoredConversation(
                telegram_id=ongoing.telegram_id,
                flow=ongoing.draft.FLOW,
                step=ongoing.step,
                data=ongoing.draft.model_dump(mode="json"),
                prompt_pending=False,
            )
        )

    async def drop(self, telegram_id: int) -> None:
        await self._conversations.delete(telegram_id)
