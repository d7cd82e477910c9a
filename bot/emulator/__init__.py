"""The project's Telegram Bot API emulator (see server.py)."""

from bot.emulator.phone import ChatMessage, Phone
from bot.emulator.server import ApiCall, FloodLimits, TelegramEmulator

__all__ = ["ApiCall", "ChatMessage", "FloodLimits", "Phone", "TelegramEmulator"]
