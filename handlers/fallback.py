"""What the bot says to anything no feature handled."""

from __future__ import annotations

from telegram import Update

from bot.runtime import Context
from handlers.common import reply, user_language

MAX_ECHOED_COMMAND = 40


async def unknown_command(update: Update, context: Context) -> None:
    message = update.effective_message
    assert message is not None and message.text is not None
    command = message.text.split(maxsplit=1)[0]
    if len(command) > MAX_ECHOED_COMMAND:
        command = command[: MAX_ECHOED_COMMAND - 1] + "…"
    language = await user_language(update, context)
    await reply(update, context, context.services.tr(language, "fallback.unknown_command", command=command))


async def stray_message(update: Update, context: Context) -> None:
    language = await user_language(update, context)
    await reply(update, context, context.services.tr(language, "fallback.text"))


async def stale_button(update: Update, context: Context) -> None:
    """A button from an old message, or callback data no handler knows (possibly forged)."""
    query = update.callback_query
    assert query is not None
    language = await user_language(update, context)
    await query.answer(context.services.tr(language, "fallback.stale_button"), show_alert=True)
