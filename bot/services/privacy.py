"""What Maillage keeps about a person: exported on request, deleted on request."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from bot.event import Event
from bot.services.registration import RegistrationService
from storage.aftermath import ContactCard
from storage.db import utcnow
from storage.meetings import Status
from storage.purge import PurgeFigures
from storage.repositories import Repositories

MEETING_FIELDS = {
    "slot_start",
    "status",
    "table_no",
    "note",
    "decline_reason",
    "cancelled_by",
    "cancel_reason",
    "attendance_attendee",
    "attendance_exhibitor",
}


class PrivacyService:
    def __init__(
        self,
        repos: Repositories,
        registration: RegistrationService,
        event: Event,
        clock: Callable[[], datetime] | None = None,
    ) -> None:
        self._registration = registration
        self._event = event
        self._meetings = repos.meetings
        self._conversations = repos.conversations
        self._reminders = repos.reminders
        self._outbox = repos.outbox
        self._programme = repos.programme
        self._purges = repos.purges
        self._exhibitors = repos.exhibitors
        self._wishes = repos.wishes
        self._aftermath = repos.aftermath
        self._clock = clock or utcnow

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
                exhibitor = await self._exhibitors.by_id(participant.exhibitor_id)
                profile["exhibitor"] = {"slug": exhibitor.slug, "name": exhibitor.name} if exhibitor else None
            data["profile"] = profile
        if participant is not None:
            data.update(await self._activity(participant.id))
        stored = await self._conversations.get(telegram_id)
        if conversation is not None:
            draft = conversation.draft.model_dump(mode="json", exclude={"prompt_message_id", "back_to_summary"})
            data["conversation_in_progress"] = {
                "flow": conversation.flow.value,
                "step": conversation.step,
                "answers": draft,
            }
        elif stored is not None:  # a meeting request, a broadcast, a session change being written
            data["conversation_in_progress"] = {"flow": stored.flow, "step": stored.step, "answers": stored.data}
        return data

    async def _activity(self, participant_id: int) -> dict[str, Any]:
        """Meetings, answers, followed sessions, reminders and messages: everything tied to the person."""
        names = {e.id: e.name for e in await self._exhibitors.all()}
        sessions = await self._programme.followed_by(participant_id)
        own = [m.id for m in await self._meetings.for_attendee(participant_id, tuple(Status))]
        return {
            "meetings": [
                {"exhibitor": names.get(m.exhibitor_id), **m.model_dump(mode="json", include=MEETING_FIELDS)}
                for m in await self._meetings.for_attendee(participant_id, tuple(Status))
            ],
            "meetings_answered_as_representative": [
                {"exhibitor": names.get(m.exhibitor_id), **m.model_dump(mode="json", include=MEETING_FIELDS)}
                for m in await self._meetings.answered_by_person(participant_id)
            ],
            "followed_sessions": [
                {"id": s.id, "title": s.title.fr, "start": s.start.isoformat()}
                for s in self._event.programme
                if s.id in sessions
            ],
            "reminders": [
                r.model_dump(mode="json", include={"kind", "meeting_id", "session_id", "due_at", "state"})
                for r in await self._reminders.for_participant(participant_id)
            ],
            "messages_sent_to_you": await self._outbox.delivered_to(participant_id),
            "meeting_wishes": [
                {"exhibitor": names.get(w.exhibitor_id), "rank": w.rank}
                for w in await self._wishes.of_attendee(participant_id)
            ],
            "contact_details": self._card(await self._aftermath.card(participant_id)),
            "contacts_you_shared": [
                {"meeting_id": s.meeting_id, "shared_at": s.shared_at.isoformat(), **self._card(s.card)}
                for s in await self._aftermath.shares_by(participant_id)
            ],
            "stands_notes_about_your_meetings": [
                {"meeting_id": lead.meeting_id, "note": lead.note, "follow_up": lead.state}
                for lead in (await self._aftermath.leads(own)).values()
            ],
            "stands_ratings_of_your_meetings": [
                {"meeting_id": r.meeting_id, "stars": r.stars, "comment": r.comment}
                for r in [await self._aftermath.rating(meeting_id, "exhibitor") for meeting_id in own]
                if r is not None
            ],
            "messages_to_others_naming_you": await self._outbox.count_naming(participant_id),
            "ratings_you_gave": [
                {"meeting_id": r.meeting_id, "stars": r.stars, "comment": r.comment}
                for r in await self._aftermath.ratings_by(participant_id)
            ],
            "stands_that_wish_to_meet_you": [
                names.get(exhibitor_id) for exhibitor_id in await self._wishes.stands_wishing(participant_id)
            ],
        }

    @staticmethod
    def _card(card: ContactCard) -> dict[str, str | None]:
        return {"email": card.email, "phone": card.phone, "website": card.website}

    async def forget(self, telegram_id: int) -> None:
        """Delete the person's data; what referred to them goes with it."""
        await self._registration.forget(telegram_id)

    # ------------------------------------------------------------------ the purge after the event

    def purge_due(self) -> datetime:
        return self._event.purge_due()

    async def purge_preview(self) -> PurgeFigures:
        return await self._purges.figures()

    async def purge_if_due(self) -> PurgeFigures | None:
        """Delete all personal data once ``purge_after_days`` have passed since the event; None before."""
        if self._clock() < self.purge_due():
            return None
        figures = await self._purges.figures()
        if figures.participants == 0 and figures.conversations == 0 and figures.deliveries == 0:
            return None
        return await self._purges.purge(self._clock())
