"""/start and /help."""

from __future__ import annotations

from telegram import Update

from bot.runtime import Context
from handlers.common import reply, user_language


async def start(update: Update, context: Context) -> None:
    services = context.services
    language = await user_language(update, context)
    user = update.effective_user
    event = services.event
    text = services.tr(
        language,
        "start.greeting",
        name=user.first_name if user else "",
        event=event.name(language),
        venue=event.venue,
        minutes=event.slot_minutes,
    )
    await reply(update, context, text)


async def help_command(update: Update, context: Context) -> None:
    services = context.services
    language = await user_language(update, context)
    event = services.event
    days = services.tr.format_dates(language, [day.date for day in event.days])
    await reply(
        update, context, services.tr(language, "help.text", event=event.name(language), days=days, venue=event.venue)
    )
