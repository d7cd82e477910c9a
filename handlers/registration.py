"""Registration: /start, language, consent, one question a step, summary; /cancel; invite links."""

from __future__ import annotations

import logging
from typing import cast

from telegram import InlineKeyboardMarkup, Update

from bot.event import Language
from bot.i18n import Html
from bot.runtime import Context
from bot.services.profile import Field, InvalidAnswer
from bot.services.registration import Conversation, Flow, Invitation, InvitationInvalid, Participant, Role, StaleAction
from handlers import buttons
from handlers.cards import send_card, show_card_by_id
from handlers.common import keep_choice, reply, user_language
from handlers.conversation import exhibitor_name, remove_buttons, send_prompt, show_menu, show_profile
from handlers.views import language_buttons, step_prompt

log = logging.getLogger(__name__)

FLOWS = (Flow.REGISTER, Flow.PROFILE)


def _invitation_from_payload(payload: str) -> Invitation | None:
    if payload[:2] in ("x-", "o-") and len(payload) > 2:
        return Invitation(payload[0], payload[2:])
    return None


# ---------------------------------------------------------------------- prompts


def _welcome_key(role: Role) -> str:
    return {
        Role.ATTENDEE: "registration.welcome",
        Role.EXHIBITOR: "registration.welcome_representative",
        Role.ORGANISER: "registration.welcome_organiser",
    }[role]


def language_prompt(
    context: Context, user_id: int, language: Language, ctx: str, exhibitor: str | None
) -> tuple[Html, InlineKeyboardMarkup]:
    """The first screen of a registration: welcome, and the language (prefilled)."""
    services = context.services
    role = services.registration.role_for(user_id, Invitation.from_code(ctx))
    text = services.tr(
        language,
        _welcome_key(role),
        event=services.event.name(language),
        minutes=services.event.slot_minutes,
        exhibitor=exhibitor or "",
    )
    return text, InlineKeyboardMarkup(
        [language_buttons(services.tr, lambda lang: buttons.REGISTRATION_LANGUAGE.data(lang, ctx), language)]
    )


def consent_prompt(context: Context, language: Language, ctx: str) -> tuple[Html, InlineKeyboardMarkup]:
    tr = context.services.tr
    event = context.services.event
    text = tr(language, "registration.consent", event=event.name(language), days=event.privacy.purge_after_days)
    markup = InlineKeyboardMarkup(
        [
            [buttons.CONSENT.button(tr(language, "button.accept"), "yes", language, ctx)],
            [buttons.CONSENT.button(tr(language, "button.decline"), "no", language, ctx)],
            [buttons.CONSENT.button(tr(language, "button.back"), "back", language, ctx)],
        ]
    )
    return text, markup


# ---------------------------------------------------------------------- /start


async def start(update: Update, context: Context) -> None:
    services = context.services
    registration = services.registration
    user = update.effective_user
    assert user is not None
    payload = context.args[0] if context.args else ""
    invitation = _invitation_from_payload(payload)
    language = await user_language(update, context)
    stand = await services.directory.by_slug(payload[2:]) if payload.startswith("e-") else None
    if payload.startswith("e-") and stand is None:
        await reply(update, context, services.tr(language, "directory.unknown_stand"))
    exhibitor = None
    if invitation is not None:
        try:
            exhibitor = await registration.check_invitation(invitation)
        except InvitationInvalid:
            await reply(update, context, services.tr(language, "invite.invalid"))
            return
    participant = await registration.participant(user.id)
    if participant is not None:
        if invitation is not None:
            await _offer_to_join(update, context, participant, invitation, exhibitor.name if exhibitor else None)
        elif stand is not None:
            await send_card(update, context, stand, None)
        else:
            await show_menu(
                context, participant, services.tr(language, "start.welcome_back", name=participant.full_name)
            )
        return
    conversation = await registration.conversation(user.id)
    if conversation is not None:
        await send_prompt(context, conversation, services.tr(conversation.draft.language, "conversation.resume"))
        return
    ctx = invitation.code if invitation else (f"e{stand.id}" if stand else "a")
    text, markup = language_prompt(context, user.id, language, ctx, exhibitor.name if exhibitor else None)
    await reply(update, context, text, markup)


async def _offer_to_join(
    update: Update, context: Context, participant: Participant, invitation: Invitation, exhibitor: str | None
) -> None:
    tr = context.services.tr
    language = participant.language
    if invitation.kind == "o":
        if participant.role == Role.ORGANISER:
            await reply(update, context, tr(language, "invite.organiser_already"))
            return
        text = tr(language, "invite.join_organisers")
    else:
        if participant.role == Role.ORGANISER:
            await reply(update, context, tr(language, "invite.organiser_cannot_represent"))
            return
        if participant.role == Role.EXHIBITOR:
            current = await context.services.directory.exhibitor(participant.exhibitor_id or 0)
            if current is not None and current.name == exhibitor:
                await reply(update, context, tr(language, "invite.already", exhibitor=exhibitor))
                return
        text = tr(language, "invite.join_exhibitor", exhibitor=exhibitor or "")
    markup = InlineKeyboardMarkup(
        [
            [
                buttons.JOIN.button(tr(language, "button.yes"), "yes", invitation.code),
                buttons.JOIN.button(tr(language, "button.no"), "no", invitation.code),
            ]
        ]
    )
    await reply(update, context, text, markup)


async def join(update: Update, context: Context) -> None:
    """A registered participant accepts (or not) an exhibitor's or the organisers' invitation."""
    query = update.callback_query
    assert query is not None and context.match is not None
    await query.answer()
    services = context.services
    participant = await services.registration.participant(query.from_user.id)
    language = await user_language(update, context)
    if participant is None:
        await query.edit_message_text(services.tr(language, "conversation.stale"))
        return
    if context.match.group(1) == "no":
        await query.edit_message_text(services.tr(language, "invite.declined"))
        return
    invitation = Invitation.from_code(context.match.group(2))
    assert invitation is not None
    try:
        if invitation.kind == "x":
            if participant.role == Role.ORGANISER:
                raise InvitationInvalid
            exhibitor = await services.registration.join_exhibitor(participant.telegram_id, invitation.token)
            text = services.tr(language, "invite.joined", exhibitor=exhibitor.name)
        else:
            await services.registration.join_organisers(participant.telegram_id, invitation.token)
            text = services.tr(language, "invite.joined_organisers")
    except InvitationInvalid:
        await query.edit_message_text(services.tr(language, "invite.invalid"))
        return
    await query.edit_message_text(text)


# ---------------------------------------------------------------------- before consent


async def choose_language(update: Update, context: Context) -> None:
    query = update.callback_query
    assert query is not None and context.match is not None
    await query.answer()
    language, ctx = cast(Language, context.match.group(1)), context.match.group(2)
    participant = await context.services.registration.participant(query.from_user.id)
    if participant is not None:
        stale = context.services.tr(participant.language, "conversation.stale")
        await query.edit_message_text(stale)
        return
    text, markup = consent_prompt(context, language, ctx)
    await query.edit_message_text(text, reply_markup=markup)


async def consent(update: Update, context: Context) -> None:
    query = update.callback_query
    assert query is not None and context.match is not None
    await query.answer()
    services = context.services
    registration = services.registration
    answer, language, ctx = context.match.group(1), cast(Language, context.match.group(2)), context.match.group(3)
    user = query.from_user
    if await registration.participant(user.id) is not None or await registration.conversation(user.id) is not None:
        stale = services.tr(await user_language(update, context), "conversation.stale")
        await query.edit_message_text(stale)
        return
    invitation = Invitation.from_code(ctx)
    if answer == "back":
        exhibitor = await registration.invited_exhibitor(invitation)
        text, markup = language_prompt(context, user.id, language, ctx, exhibitor.name if exhibitor else None)
        await query.edit_message_text(text, reply_markup=markup)
        return
    if answer == "no":
        await query.edit_message_text(services.tr(language, "registration.declined"))
        return
    telegram_name = " ".join(part for part in (user.first_name, user.last_name) if part)
    landing = int(ctx[1:]) if ctx.startswith("e") else None
    try:
        conversation = await registration.begin(user.id, language, invitation, telegram_name, landing)
    except InvitationInvalid:
        await query.edit_message_text(services.tr(language, "invite.invalid"))
        return
    await query.edit_message_reply_markup(reply_markup=None)
    await send_prompt(context, conversation, services.tr(language, "registration.consent_given"))


# ---------------------------------------------------------------------- one step at a time


async def step_button(update: Update, context: Context) -> None:
    query = update.callback_query
    assert query is not None and context.match is not None
    await query.answer()
    services = context.services
    registration = services.registration
    tid = query.from_user.id
    step, action = context.match.group(1), context.match.group(2)
    language = await user_language(update, context)
    try:
        if action == "keep":
            after = await registration.keep_telegram_name(tid)
            await keep_choice(query)
        elif action == "skip":
            after = await registration.skip(tid, step)
            await keep_choice(query)
        elif action == "back":
            after = await registration.back(tid, step)
            if after is None:
                await _left_conversation(update, context, language)
                return
        elif action == "done":
            after = await registration.finish_themes(tid)
        elif action.startswith("t:"):
            theme_id, _, want = action[2:].partition(":")  # an older button has no ":1"/":0": it toggles
            conversation = await registration.tick_theme(tid, theme_id, want == "1" if want else None)
            _, markup = step_prompt(services.tr, services.event, conversation, None)
            await query.edit_message_reply_markup(reply_markup=markup)
            return
        elif action.startswith("o:"):
            after = await registration.choose_org_type(tid, action[2:])
            await keep_choice(query)
        elif action.startswith("e:"):
            after = await registration.edit_from_summary(tid, Field(action[2:]))
        elif action == "confirm":
            await _confirm(update, context)
            return
        else:
            raise StaleAction
    except ValueError:  # Field(...) of an unknown field: forged data
        await reply(update, context, services.tr(language, "conversation.stale"))
        return
    except StaleAction:
        await reply(update, context, services.tr(language, "conversation.stale"))
        return
    except InvalidAnswer as invalid:
        await context.bot.send_message(tid, services.tr(language, invalid.key, **invalid.params))
        return
    await _after_step(context, tid, after, language, answered=action in ("keep", "skip") or action.startswith("o:"))


async def _after_step(
    context: Context, telegram_id: int, after: Conversation | None, language: Language, *, answered: bool = False
) -> None:
    """``answered``: the question was answered with one of its buttons, which are gone already."""
    services = context.services
    if after is None:  # a profile field was saved
        await show_profile(context, telegram_id, services.tr(language, "me.updated"))
        return
    await send_prompt(context, after, clear_previous=not answered)


async def _left_conversation(update: Update, context: Context, language: Language) -> None:
    """Back past the first step: for a registration, the consent question again; for an edit, the profile."""
    services = context.services
    user = update.effective_user
    assert user is not None
    if await services.registration.participant(user.id) is not None:
        await show_profile(context, user.id, services.tr(language, "conversation.cancelled"))
        return
    text, markup = consent_prompt(context, language, "a")
    await reply(update, context, text, markup)


async def _confirm(update: Update, context: Context) -> None:
    services = context.services
    user = update.effective_user
    assert user is not None
    conversation = await services.registration.conversation(user.id)
    language = conversation.draft.language if conversation else await user_language(update, context)
    name = await exhibitor_name(services, conversation.draft.exhibitor_id) if conversation else None
    try:
        participant = await services.registration.confirm(user.id)
    except InvitationInvalid:
        await services.registration.drop_invalid_registration(user.id)
        await reply(update, context, services.tr(language, "invite.invalid"))
        return
    query = update.callback_query
    if query is not None:
        await query.edit_message_reply_markup(reply_markup=None)
    key = {
        Role.ATTENDEE: "registration.done",
        Role.EXHIBITOR: "registration.done_representative",
        Role.ORGANISER: "registration.done_organiser",
    }[participant.role]
    await show_menu(context, participant, services.tr(language, key, name=participant.full_name, exhibitor=name or ""))
    if conversation is not None and conversation.draft.landing_exhibitor_id is not None:
        await show_card_by_id(update, context, conversation.draft.landing_exhibitor_id)


async def on_text(update: Update, context: Context) -> None:
    """A message during a registration or a profile edit: the answer to the current step."""
    services = context.services
    message = update.effective_message
    user = update.effective_user
    assert message is not None and user is not None
    conversation = await services.registration.conversation(user.id)
    if conversation is None:
        return  # finished or cancelled a moment ago
    language = conversation.draft.language
    if message.text is None:
        await send_prompt(context, conversation, services.tr(language, "conversation.text_expected"))
        return
    try:
        after = await services.registration.answer_text(user.id, message.text)
    except InvalidAnswer as invalid:
        await send_prompt(context, conversation, services.tr(language, invalid.key, **invalid.params))
        return
    await _after_step(context, user.id, after, language)


async def cancel(update: Update, context: Context) -> None:
    """/cancel during a registration (its answers are dropped) or a profile edit."""
    services = context.services
    user = update.effective_user
    assert user is not None
    language = await user_language(update, context)
    left = await services.registration.cancel(user.id)
    if left is None:
        await reply(update, context, services.tr(language, "conversation.nothing_to_cancel"))
        return
    if left.draft.prompt_message_id is not None:
        await remove_buttons(context, user.id, left.draft.prompt_message_id)
    key = "registration.cancelled" if left.flow == Flow.REGISTER else "conversation.cancelled"
    await reply(update, context, services.tr(left.draft.language, key))
