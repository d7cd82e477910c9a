"""What Maillage keeps about a person: exported on request, deleted on request."""

from __future__ import annotations

from typing import Any

from bot.event import Event
from bot.services.registration import RegistrationService
from storage.db import Database, utcnow
from storage.meetings import MeetingRepository, Status


class PrivacyService:
    def __init__(self, db: Database, registration: RegistrationService, event: Event) -> None:
        self._registration = registration
        self._event = event
        self._meetings = MeetingRepository(db)

    async def export(self, telegram_id: int) -> dict[str, Any] | None:
        """Everything stored about this person, or None when nothing is."""
        participant = await self._registration.participant(telegram_id)
        conversation = await self._registration.conversation(telegram_id)
        if participant is None and conversation is None:
            return None
        data: dict[str, Any] = {"exported_at": utcnow().isoformat(), "telegram_id": telegram_id}
        if participant is not None:
            profile = participant.model_dump(mode="json", exclude={"id", "telegram_id"})
            profile["themes"] = [
                {"id": t.id, "fr": t.fr, "en": t.en} for t in self._event.themes if t.id in participant.themes
            ]
            if participant.exhibitor_id is not None:
                exhibitor = await self._registration.exhibitors.by_id(participant.exhibitor_id)
                profile["exhibitor"] = {"slug": exhibitor.slug, "name": exhibitor.name} if exhibitor else None
            data["profile"] = profile
        if participant is not None:
            data["meetings"] = [
                {
                    "exhibitor": (await self._registration.exhibitors.by_id(m.exhibitor_id)).name,  # type: ignore[union-attr]
                    **m.model_dump(
                        mode="json", include={"slot_start", "status", "table_no", "note", "attendance_attendee"}
                    ),
                }
                for m in await self._meetings.for_attendee(participant.id, tuple(Status))
            ]
        if conversation is not None:
            draft = conversation.draft.model_dump(mode="json", exclude={"prompt_message_id", "back_to_summary"})
            data["conversation_in_progress"] = {
                "flow": conversation.flow.value,
                "step": conversation.step,
                "answers": draft,
            }
        return data

    async def forget(self, telegram_id: int) -> None:
        """Delete the person's data; what referred to them goes with it."""
        await self._registration.forget(telegram_id)
