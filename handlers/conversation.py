"""Showing the current question, the profile and the main menu: shared by several features."""

from __future__ import annotations

import contextlib

from telegram import InlineKeyboardMarkup, Message
from telegram.error import BadRequest

from bot.i18n import Html
from bot.runtime import Context, Services
from bot.services.registration import STEPS, Conversation, Participant
from handlers import buttons
from handlers.views import edit_buttons, main_menu, profile_lines, step_prompt


async def exhibitor_name(services: Services, exhibitor_id: int | None) -> str | None:
    if exhibitor_id is None:
        return None
    exhibitor = await services.directory.exhibitor(exhibitor_id)
    return exhibitor.name if exhibitor else None


async def send_prompt(
    context: Context, conversation: Conversation, lead: Html | None = None, *, clear_previous: bool = True
) -> Message:
    """Ask the current step's question; the previous prompt loses its buttons."""
    services = context.services
    name = await exhibitor_name(services, conversation.draft.exhibitor_id)
    text, markup = step_prompt(services.tr, services.event, conversation, name)
    if lead:
        text = Html(f"{lead}\n\n{text}")
    chat_id = conversation.telegram_id
    previous = conversation.draft.prompt_message_id
    if previous is not None and clear_previous:
        await remove_buttons(context, chat_id, previous)
    message = await context.bot.send_message(chat_id, text, reply_markup=markup)
    await services.registration.remember_prompt(conversation, message.message_id)
    return message


async def remove_buttons(context: Context, chat_id: int, message_id: int) -> None:
    with contextlib.suppress(BadRequest):  # already without buttons, or deleted
        await context.bot.edit_message_reply_markup(chat_id, message_id, reply_markup=None)


async def show_menu(context: Context, participant: Participant, lead: Html) -> None:
    services = context.services
    organiser = services.registration.is_organiser(participant.telegram_id, participant)
    text = Html(f"{lead}\n\n{services.tr(participant.language, 'menu.text')}")
    await context.bot.send_message(
        participant.telegram_id,
        text,
        reply_markup=main_menu(services.tr, participant.language, organiser),
    )


async def show_profile(context: Context, telegram_id: int, lead: Html | None = None) -> None:
    """The profile with an edit button per field."""
    services = context.services
    participant = await services.registration.participant(telegram_id)
    if participant is None:
        return
    language = participant.language
    lines = profile_lines(
        services.tr, services.event, language, participant, await exhibitor_name(services, participant.exhibitor_id)
    )
    text = services.tr(language, "me.text", profile=lines)
    if lead:
        text = Html(f"{lead}\n\n{text}")
    markup = InlineKeyboardMarkup(
        edit_buttons(services.tr, language, STEPS[participant.role], buttons.EDIT_PROFILE.data)
    )
    await context.bot.send_message(telegram_id, text, reply_markup=markup)
