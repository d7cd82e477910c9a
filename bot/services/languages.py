"""Which language to speak to someone."""

from __future__ import annotations

from bot.event import LANGUAGES, Language
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
    def __init__(self, participants: ParticipantRepository, default: Language) -> None:
        self._participants = participants
        self.default = default

    async def language_for(self, telegram_id: int, language_code: str | None) -> Language:
        """The language chosen with /language, else the phone's, else the event default."""
        participant = await self._participants.by_telegram_id(telegram_id)
        if participant is not None:
            return participant.language
        return language_from_telegram(language_code, self.default)

    async def choose(self, telegram_id: int, language: Language) -> None:
        await self._participants.set_language(telegram_id, language)
