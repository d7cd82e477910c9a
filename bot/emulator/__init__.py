"""The project's Telegram Bot API emulator (see server.py)."""

from bot.emulator.phone import ChatMessage, Phone
from bot.emulator.server import TELEGRAM_LIMITS, TELEGRAM_LIMITS_STRICT, ApiCall, FloodLimits, TelegramEmulator

__all__ = [
    "TELEGRAM_LIMITS",
    "TELEGRAM_LIMITS_STRICT",
    "ApiCall",
    "ChatMessage",
    "FloodLimits",
    "Phone",
    "TelegramEmulator",
]
