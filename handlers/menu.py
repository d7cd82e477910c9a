"""The main menu's buttons."""

from __future__ import annotations

from telegram import Update

from bot.runtime import Context
from handlers import directory, language, organiser, programme, start
from handlers.common import reply, user_language
from handlers.conversation import show_profile
from handlers.meetings import agenda


async def open_entry(update: Update, context: Context) -> None:
    query = update.callback_query
    assert query is not None and context.match is not None
    await query.answer()
    entry = context.match.group(1)
    participant = await context.services.registration.participant(query.from_user.id)
    if participant is None:
        lang = await user_language(update, context)
        await reply(update, context, context.services.tr(lang, "me.not_registered"))
        return
    if entry == "exhibitors":
        await directory.themes(update, context)
    elif entry == "suggestions":
        await directory.suggestions(update, context)
    elif entry == "agenda":
        await agenda.agenda(update, context)
    elif entry == "programme":
        await programme.home(update, context)
    elif entry == "search":
        await directory.ask_search(update, context)
    elif entry == "profile":
        await show_profile(context, query.from_user.id)
    elif entry == "language":
        await language.ask_language(update, context)
    elif entry == "help":
        await start.help_command(update, context)
    elif context.services.registration.is_organiser(query.from_user.id, participant):
        await organiser.representatives(update, context)
    else:
        await reply(update, context, context.services.tr(participant.language, "organiser.only"))
