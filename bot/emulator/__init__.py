"""The project's Telegram Bot API emulator (see server.py)."""

from bot.emulator.phone import ChatMessage, Phone
from bot.emulator.server import TELEGRAM_LIMITS, ApiCall, FloodLimits, TelegramEmulator

__all__ = ["TELEGRAM_LIMITS", "ApiCall", "ChatMessage", "FloodLimits", "Phone", "TelegramEmulator"]
