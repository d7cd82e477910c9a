"""/help."""

from __future__ import annotations

from telegram import Update

from bot.runtime import Context
from handlers.common import reply, user_language


async def help_command(update: Update, context: Context) -> None:
    services = context.services
    language = await user_language(update, context)
    user = update.effective_user
    event = services.event
    days = services.tr.format_dates(language, [day.date for day in event.days])
    text = services.tr(language, "help.text", event=event.name(language), days=days, venue=event.venue)
    if user is not None:
        registration = services.registration
        if registration.is_organiser(user.id, await registration.participant(user.id)):
            text = services.tr(language, "help.organiser", help=text)
    await reply(update, context, text)
