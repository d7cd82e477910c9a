"""Which language to speak to someone."""

from __future__ import annotations

from bot.event import LANGUAGES, Language
from storage.conversations import ConversationRepository
from storage.participants import ParticipantRepository


def language_from_telegram(language_code: str | None, default: Language) -> Language:
    """Telegram's ``language_code`` is an IETF tag such as ``fr``, ``en-GB`` or ``pt-br``."""
    if language_code:
        primary = language_code.split("-", 1)[0].lower()
        for language in LANGUAGES:
            if primary == language:
                return language
    return default


class LanguageService:
    def __init__(
        self, participants: ParticipantRepository, conversations: ConversationRepository, default: Language
    ) -> None:
        self._participants = participants
        self._conversations = conversations
        self.default = default

    async def language_for(self, telegram_id: int, language_code: str | None) -> Language:
        """The participant's chosen language, else the one of their registration, else the phone's."""
        participant = await self._participants.by_telegram_id(telegram_id)
        if participant is not None:
            return participant.language
        conversation = await self._conversations.get(telegram_id)
        if conversation is not None and conversation.data.get("language") in LANGUAGES:
            language: Language = conversation.data["language"]
            return language
        return language_from_telegram(language_code, self.default)

    async def choose(self, telegram_id: int, language: Language) -> bool:
        """Remember the choice; False when there is nobody to remember it for (nothing is stored then)."""
        if await self._participants.by_telegram_id(telegram_id) is not None:
            await self._participants.update_fields(telegram_id, language=language)
            return True
        conversation = await self._conversations.get(telegram_id)
        if conversation is not None:
            conversation.data["language"] = language
            conversation.prompt_pending = True
            await self._conversations.save(conversation)
            return True
        return False
