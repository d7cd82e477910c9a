"""An exhibitor's card: shown from the directory, by a stand's QR code, and at the end of a
registration that began at a stand."""

from __future__ import annotations

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update

from bot.event import Language
from bot.i18n import Html, clip_lines
from bot.runtime import Context
from bot.services.directory import Exhibitor
from bot.services.programme import SessionView
from bot.services.registration import Role
from handlers import buttons
from handlers.common import edit_or_send, user_language
from handlers.views import theme_labels
from handlers.wishes import wish_button

MAX_DESCRIPTION = 2500  # keeps a card well within Telegram's 4096 characters
MAX_SESSIONS_TEXT = 800  # the stand's sessions on its card; the rest as "…and N more"


def card_text(
    context: Context,
    language: Language,
    exhibitor: Exhibitor,
    free_slots: int,
    sessions: list[SessionView] | None = None,
) -> Html:
    services = context.services
    tr = services.tr
    description = exhibitor.description
    if len(description) > MAX_DESCRIPTION:
        description = description[: MAX_DESCRIPTION - 1] + "…"
    parts = [
        tr(language, "directory.card.title", name=exhibitor.name),
        tr(language, "directory.card.themes", themes=theme_labels(services.event, language, exhibitor.themes) or "—"),
    ]
    if exhibitor.stand:
        parts.append(tr(language, "directory.card.stand", stand=exhibitor.stand))
    if description:
        parts.append(tr(language, "directory.card.description", description=description))
    if exhibitor.website:
        parts.append(tr(language, "directory.card.website", website=exhibitor.website))
    parts.append(tr(language, "directory.card.free_slots", count=free_slots))
    lines = [
        tr(
            language,
            "directory.card.session",
            time=tr.format_time(language, session.start),
            title=session.title(language),
            room=session.room,
        )
        for session in sessions or []
    ]
    if lines:
        parts.append(clip_lines(tr, language, lines, budget=MAX_SESSIONS_TEXT))
    return Html("\n".join(parts))


async def send_card(
    update: Update, context: Context, exhibitor: Exhibitor, back: str | None, *, edit: bool = False
) -> None:
    services = context.services
    language = await user_language(update, context)
    sessions = await services.programme.coming_by(exhibitor.slug)
    text = card_text(context, language, exhibitor, await services.directory.free_slots(exhibitor), sessions)
    rows = [[buttons.REQUEST.button(services.tr(language, "meeting.request_button"), exhibitor.id)]]
    me = await services.registration.participant(update.effective_user.id) if update.effective_user else None
    if me is not None and me.role == Role.ATTENDEE:
        rank = await services.wishes.rank_of(me, exhibitor.id)
        rows.append([wish_button(services, language, exhibitor.id, rank)])
    if back is not None:
        rows.append([InlineKeyboardButton(services.tr(language, "directory.back_to_list"), callback_data=back)])
    rows.append([buttons.THEMES.button(services.tr(language, "directory.back_to_themes"))])
    await edit_or_send(update, context, text, InlineKeyboardMarkup(rows), edit=edit)


async def show_card_by_id(update: Update, context: Context, exhibitor_id: int) -> None:
    exhibitor = await context.services.directory.exhibitor(exhibitor_id)
    if exhibitor is not None:
        await send_card(update, context, exhibitor, None)
