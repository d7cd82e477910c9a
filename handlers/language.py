"""/language: French or English, remembered."""

from __future__ import annotations

from typing import cast

from telegram import InlineKeyboardMarkup, Update

from bot.event import Language
from bot.runtime import Context
from handlers import buttons
from handlers.common import reply, user_language
from handlers.conversation import send_prompt
from handlers.registration import consent_prompt
from handlers.views import language_buttons


async def ask_language(update: Update, context: Context) -> None:
    language = await user_language(update, context)
    tr = context.services.tr
    markup = InlineKeyboardMarkup([language_buttons(tr, buttons.CHOOSE_LANGUAGE.data, language)])
    await reply(update, context, tr(language, "language.prompt"), markup)


async def choose_language(update: Update, context: Context) -> None:
    query = update.callback_query
    assert query is not None and context.match is not None
    await query.answer()
    services = context.services
    language = cast(Language, context.match.group(1))
    user_id = query.from_user.id
    if await services.languages.choose(user_id, language):
        await query.edit_message_text(services.tr(language, "language.changed"))
        conversation = await services.registration.conversation(user_id)
        if conversation is not None:
            await send_prompt(context, conversation)
        return
    # Not registered: nothing is stored; the registration starts in that language.
    text, markup = consent_prompt(context, language, "a")
    await query.edit_message_text(text, reply_markup=markup)
