"""Organisers' announcements: write, choose the audience and the time, preview, send through the outbox."""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from datetime import UTC, datetime, time, timedelta

from telegram import InlineKeyboardMarkup, Update

from bot.event import LANGUAGES, Language
from bot.i18n import Html
from bot.runtime import Context, Services
from bot.services.broadcasts import BroadcastDraft, BroadcastError
from bot.services.flows import Ongoing
from handlers import buttons
from handlers.common import edit_or_send, is_organiser, keep_choice, organiser_only, reply, user_language
from handlers.paging import navigation, paged

log = logging.getLogger(__name__)


# ---------------------------------------------------------------------- the conversation


HISTORY_PAGE = 10


@organiser_only
async def start(update: Update, context: Context) -> None:
    services = context.services
    user = update.effective_user
    assert user is not None
    language = await user_language(update, context)
    await services.flows.begin(user.id, "text", BroadcastDraft(language=language))
    await reply(update, context, services.tr(language, "broadcast.ask_text"))


async def on_text(update: Update, context: Context) -> None:
    services = context.services
    message = update.effective_message
    assert message is not None and update.effective_user is not None
    draft = await services.flows.load(update.effective_user.id, BroadcastDraft)
    if draft is None:
        return  # sent or cancelled a moment ago
    language = draft.draft.language
    if draft.step == "when" and message.text:
        await _typed_time(update, context, draft, message.text)
        return
    if draft.step != "text" or message.text is None:
        await reply(update, context, services.tr(language, "conversation.use_buttons"))
        return
    text = message.text_html if message.entities else message.text  # formatting typed in the app is kept
    try:
        services.broadcasts.check(text, signatures(services))
    except BroadcastError as err:
        await reply(update, context, services.tr(language, err.key, **err.params))
        return
    draft.draft.text = text
    draft.step = "audience"
    await services.flows.save(draft)
    await _ask_audience(update, context, language)


async def _ask_audience(update: Update, context: Context, language: Language) -> None:
    services = context.services
    tr = services.tr
    counts = {code: len(await services.broadcasts.audience(code)) for code in ("all", "attendees", "reps")}
    markup = InlineKeyboardMarkup(
        [
            [buttons.BROADCAST.button(tr(language, "broadcast.to_all", count=counts["all"]), "aud:all")],
            [
                buttons.BROADCAST.button(
                    tr(language, "broadcast.to_attendees", count=counts["attendees"]), "aud:attendees"
                )
            ],
            [buttons.BROADCAST.button(tr(language, "broadcast.to_reps", count=counts["reps"]), "aud:reps")],
            [buttons.BROADCAST.button(tr(language, "broadcast.to_theme"), "themes")],
            [buttons.BROADCAST.button(tr(language, "broadcast.to_slots"), "slots")],
            [buttons.BROADCAST.button(tr(language, "button.cancel"), "cancel")],
        ]
    )
    await reply(update, context, tr(language, "broadcast.ask_audience"), markup)


@organiser_only
async def button(update: Update, context: Context) -> None:
    query = update.callback_query
    assert query is not None and context.match is not None
    await query.answer()
    services = context.services
    action = context.match.group(1)
    draft = await services.flows.load(query.from_user.id, BroadcastDraft)
    language = await user_language(update, context)
    if draft is None:
        await reply(update, context, services.tr(language, "conversation.stale"))
        return
    if action == "cancel":
        await services.flows.drop(draft.telegram_id)
        await keep_choice(query)
        await reply(update, context, services.tr(language, "broadcast.cancelled"))
    elif action == "themes" and draft.step == "audience":
        rows = [[buttons.BROADCAST.button(t.label(language), f"aud:theme:{t.id}")] for t in services.event.themes]
        await query.edit_message_reply_markup(reply_markup=InlineKeyboardMarkup(rows))
    elif action == "slots" and draft.step == "audience":
        await query.edit_message_text(
            services.tr(language, "broadcast.ask_from"),
            reply_markup=_slot_rows(services, language, lambda i: f"from:{i}", 0),
        )
    elif action.startswith("from:") and draft.step == "audience":
        first = int(action[5:])
        await query.edit_message_text(
            services.tr(language, "broadcast.ask_to"),
            reply_markup=_slot_rows(services, language, lambda i: f"aud:slots:{first}-{i}", first),
        )
    elif action.startswith("aud:") and draft.step == "audience":
        code = action[4:]
        try:
            count = len(await services.broadcasts.audience(code))
        except BroadcastError as err:
            await reply(update, context, services.tr(language, err.key, **err.params))
            return
        if count == 0:
            await reply(update, context, services.tr(language, "broadcast.nobody"))
            return
        draft.draft.audience, draft.draft.count = code, count
        draft.step = "when"
        await services.flows.save(draft)
        await keep_choice(query)
        markup = InlineKeyboardMarkup(
            [
                [buttons.BROADCAST.button(services.tr(language, "broadcast.now"), "when:now")],
                [
                    buttons.BROADCAST.button(services.tr(language, "broadcast.in_15"), "when:15"),
                    buttons.BROADCAST.button(services.tr(language, "broadcast.in_60"), "when:60"),
                ],
                [buttons.BROADCAST.button(services.tr(language, "button.cancel"), "cancel")],
            ]
        )
        await reply(update, context, services.tr(language, "broadcast.ask_when"), markup)
    elif action.startswith("when:") and draft.step == "when":
        minutes = 0 if action == "when:now" else int(action[5:])
        await keep_choice(query)
        await _preview(update, context, draft, services.broadcasts.clock() + timedelta(minutes=minutes), minutes == 0)
    elif action == "send" and draft.step == "preview":
        await keep_choice(query)
        await _send(update, context, draft)
    else:
        await reply(update, context, services.tr(language, "conversation.stale"))


def _slot_rows(
    services: Services, language: Language, action: Callable[[int], str], first: int
) -> InlineKeyboardMarkup:
    """The slots' times from ``first`` on; ``action(index)`` is what each one does (bc:<action>)."""
    choices = [
        buttons.BROADCAST.button(services.tr.format_time(language, slot.start.astimezone(services.event.tz)), action(i))
        for i, slot in enumerate(services.event.slots)
        if i >= first
    ][:60]
    rows = [choices[i : i + 4] for i in range(0, len(choices), 4)]
    rows.append([buttons.BROADCAST.button(services.tr(language, "button.cancel"), "cancel")])
    return InlineKeyboardMarkup(rows)


async def _typed_time(update: Update, context: Context, draft: Ongoing[BroadcastDraft], text: str) -> None:
    services = context.services
    language = draft.draft.language
    match = re.fullmatch(r"\s*(\d{1,2})[:hH.](\d{2})\s*", text)
    now = services.broadcasts.clock()
    if match is None or int(match.group(1)) > 23 or int(match.group(2)) > 59:
        await reply(update, context, services.tr(language, "broadcast.bad_time"))
        return
    local_now = now.astimezone(services.event.tz)
    when = datetime.combine(local_now.date(), time(int(match.group(1)), int(match.group(2))), tzinfo=services.event.tz)
    if when <= local_now:
        await reply(update, context, services.tr(language, "broadcast.past_time"))
        return
    await _preview(update, context, draft, when.astimezone(UTC), False)


async def _preview(update: Update, context: Context, draft: Ongoing[BroadcastDraft], when: datetime, now: bool) -> None:
    services = context.services
    language = draft.draft.language
    draft.draft.send_at = when.astimezone(UTC)
    draft.step = "preview"
    await services.flows.save(draft)
    chat = update.effective_chat
    assert chat is not None
    signed = f"{draft.draft.text}\n\n{signatures(services)[language]}"
    await context.bot.send_message(chat.id, signed)  # exactly as they will see it
    moment = (
        services.tr(language, "broadcast.now")
        if now
        else services.tr.format_slot(language, when.astimezone(services.event.tz))
    )
    markup = InlineKeyboardMarkup(
        [
            [buttons.BROADCAST.button(services.tr(language, "broadcast.send"), "send")],
            [buttons.BROADCAST.button(services.tr(language, "button.cancel"), "cancel")],
        ]
    )
    await reply(
        update, context, services.tr(language, "broadcast.preview", count=draft.draft.count, when=moment), markup
    )


def signatures(services: Services) -> dict[str, str]:
    """Who an announcement is from, in each language: the event's organisers."""
    return {lang: services.tr(lang, "broadcast.signature", event=services.event.name(lang)) for lang in LANGUAGES}


async def _send(update: Update, context: Context, draft: Ongoing[BroadcastDraft]) -> None:
    services = context.services
    language = draft.draft.language
    user = update.effective_user
    assert user is not None
    author = await services.registration.participant(user.id)
    await services.flows.drop(draft.telegram_id)
    if author is None:
        await reply(update, context, services.tr(language, "me.not_registered"))
        return
    try:
        broadcast = await services.broadcasts.announce(
            author,
            draft.draft.text or "",
            draft.draft.audience or "",
            draft.draft.send_at,
            signatures(services),
        )
    except BroadcastError as err:
        await reply(update, context, services.tr(language, err.key, **err.params))
        return
    progress = await services.broadcasts.progress(broadcast.id)
    text = services.tr(language, "broadcast.progress", sent=0, total=progress.total, count=0)
    context.app.state.progress_shown[broadcast.id] = text
    sent = await reply(update, context, text)
    if sent is not None:
        await services.broadcasts.remember_progress_message(broadcast.id, sent.chat_id, sent.message_id)


async def _show_history(update: Update, context: Context, number: int) -> None:
    services = context.services
    language = await user_language(update, context)
    total = await services.broadcasts.count_announcements()
    if not total:
        await edit_or_send(update, context, services.tr(language, "broadcast.none_yet"), None)
        return
    pages = -(-total // HISTORY_PAGE)
    number = max(0, min(number, pages - 1))
    lines = [services.tr(language, "broadcast.history_title")]
    for broadcast in await services.broadcasts.recent(HISTORY_PAGE, number * HISTORY_PAGE):
        progress = await services.broadcasts.progress(broadcast.id)
        lines.append(
            services.tr(
                language,
                "broadcast.history_line",
                when=services.tr.format_slot(language, broadcast.send_at.astimezone(services.event.tz)),
                audience=broadcast.audience,
                sent=progress.sent,
                total=progress.total,
                count=progress.unreachable,
            )
        )
    rows = [navigation(services.tr, language, number, pages, buttons.BROADCASTS_PAGE.data)] if pages > 1 else []
    await edit_or_send(update, context, Html("\n".join(lines)), InlineKeyboardMarkup(rows) if rows else None)


# /broadcasts: the announcements, newest first, ten a page
history, history_page = paged(_show_history, is_organiser)
