"""``python -m bot sandbox``: the real bot, offline, with phones side by side in a browser."""

from bot.sandbox.server import Persona, Sandbox, rehearsal_event

__all__ = ["Persona", "Sandbox", "rehearsal_event"]
