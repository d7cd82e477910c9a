"""/language: French or English, remembered."""

from __future__ import annotations

from typing import cast

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.constants import ParseMode

from bot.event import LANGUAGES, Language
from bot.runtime import Context
from handlers.common import reply, user_language

CHOOSE_PATTERN = r"^lang:(fr|en)$"


def language_keyboard(context: Context) -> InlineKeyboardMarkup:
    tr = context.services.tr
    return InlineKeyboardMarkup(
        [[InlineKeyboardButton(tr(lang, f"language.name.{lang}"), callback_data=f"lang:{lang}") for lang in LANGUAGES]]
    )


async def ask_language(update: Update, context: Context) -> None:
    language = await user_language(update, context)
    await reply(update, context, context.services.tr(language, "language.prompt"), language_keyboard(context))


async def choose_language(update: Update, context: Context) -> None:
    query = update.callback_query
    assert query is not None and query.data is not None and context.match is not None
    await query.answer()
    language = cast(Language, context.match.group(1))
    await context.services.languages.choose(query.from_user.id, language)
    await query.edit_message_text(context.services.tr(language, "language.changed"), parse_mode=ParseMode.HTML)
