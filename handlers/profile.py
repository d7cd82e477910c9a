"""/me, /mydata, /forget: one's own data, seen, edited, exported, deleted."""

from __future__ import annotations

import json

from telegram import InlineKeyboardMarkup, InputFile, Update

from bot.runtime import Context
from bot.services.profile import Field
from bot.services.registration import StaleAction
from handlers import buttons
from handlers.common import reply, user_language
from handlers.conversation import send_prompt, show_profile
from handlers.notify import tell


async def me(update: Update, context: Context) -> None:
    user = update.effective_user
    assert user is not None
    if await context.services.registration.participant(user.id) is None:
        language = await user_language(update, context)
        await reply(update, context, context.services.tr(language, "me.not_registered"))
        return
    await show_profile(context, user.id)


async def edit_field(update: Update, context: Context) -> None:
    query = update.callback_query
    assert query is not None and context.match is not None
    await query.answer()
    services = context.services
    language = await user_language(update, context)
    try:
        conversation = await services.registration.edit_profile(query.from_user.id, Field(context.match.group(1)))
    except StaleAction:
        await reply(update, context, services.tr(language, "conversation.stale"))
        return
    await send_prompt(context, conversation)


async def my_data(update: Update, context: Context) -> None:
    services = context.services
    user = update.effective_user
    assert user is not None
    language = await user_language(update, context)
    data = await services.privacy.export(user.id)
    if data is None:
        await reply(update, context, services.tr(language, "mydata.nothing"))
        return
    content = json.dumps(data, ensure_ascii=False, indent=2).encode("utf-8")
    await context.bot.send_document(
        user.id,
        InputFile(content, filename="maillage-my-data.json", attach=False),
        caption=services.tr(language, "mydata.caption"),
    )


async def forget(update: Update, context: Context) -> None:
    services = context.services
    user = update.effective_user
    assert user is not None
    language = await user_language(update, context)
    if await services.privacy.export(user.id) is None:
        await reply(update, context, services.tr(language, "forget.nothing"))
        return
    markup = InlineKeyboardMarkup(
        [
            [buttons.FORGET.button(services.tr(language, "forget.yes"), "yes")],
            [buttons.FORGET.button(services.tr(language, "forget.no"), "no")],
        ]
    )
    await reply(update, context, services.tr(language, "forget.confirm"), markup)


async def forget_answer(update: Update, context: Context) -> None:
    query = update.callback_query
    assert query is not None and context.match is not None
    await query.answer()
    services = context.services
    language = await user_language(update, context)
    if context.match.group(1) == "no":
        await query.edit_message_text(services.tr(language, "forget.kept"))
        return
    participant = await services.registration.participant(query.from_user.id)
    if participant is not None:
        await tell(context, await services.meeting_actions.forget(participant))  # the stands are told first
    await services.privacy.forget(query.from_user.id)
    await query.edit_message_text(services.tr(language, "forget.done"))
