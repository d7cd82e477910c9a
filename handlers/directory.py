"""The exhibitor directory: themes, pages, cards, search, suggestions, stand deep links."""

from __future__ import annotations

from telegram import ForceReply, InlineKeyboardMarkup, Update

from bot.event import LANGUAGES, Language, Theme
from bot.i18n import Html, to_plain
from bot.runtime import Context
from bot.services.directory import MAX_SEARCH_RESULTS, Exhibitor, Page, Suggestion
from handlers import buttons
from handlers.cards import send_card
from handlers.common import edit_or_send, reply, user_language
from handlers.views import shorten

SUGGESTIONS_PER_PAGE = 5


def _themes_keyboard(context: Context, language: Language, counts: list[tuple[Theme, int]]) -> InlineKeyboardMarkup:
    tr = context.services.tr
    rows = [
        [buttons.EXHIBITORS.button(f"{theme.label(language)} ({count})", theme.id, 0)]
        for theme, count in counts
        if count
    ]
    rows.append([buttons.EXHIBITORS.button(tr(language, "directory.all"), "", 0)])
    rows.append(
        [
            buttons.SEARCH.button(tr(language, "menu.search")),
            buttons.SUGGESTIONS.button(tr(language, "menu.suggestions"), 0),
        ]
    )
    return InlineKeyboardMarkup(rows)


async def themes_button(update: Update, context: Context) -> None:
    assert update.callback_query is not None
    await update.callback_query.answer()
    await themes(update, context, edit=True)


async def themes(update: Update, context: Context, *, edit: bool = False) -> None:
    """The directory's first screen: the themes, with how many exhibitors each."""
    services = context.services
    language = await user_language(update, context)
    counts = await services.directory.themes_with_counts()
    total = await services.directory.count()
    if total == 0:
        await reply(update, context, services.tr(language, "directory.empty"))
        return
    text = services.tr(language, "directory.themes", count=total)
    await edit_or_send(update, context, text, _themes_keyboard(context, language, counts), edit=edit)


def _list_keyboard(context: Context, language: Language, page: Page, theme_id: str) -> InlineKeyboardMarkup:
    tr = context.services.tr
    rows = [
        [buttons.CARD.button(shorten(f"{e.name} · {e.stand}" if e.stand else e.name, 60), e.id, theme_id, page.number)]
        for e in page.items
    ]
    navigation = []
    if page.number > 0:
        navigation.append(buttons.EXHIBITORS.button(tr(language, "button.previous"), theme_id, page.number - 1))
    if page.number + 1 < page.pages:
        navigation.append(buttons.EXHIBITORS.button(tr(language, "button.next"), theme_id, page.number + 1))
    if navigation:
        rows.append(navigation)
    rows.append([buttons.THEMES.button(tr(language, "directory.back_to_themes"))])
    return InlineKeyboardMarkup(rows)


async def exhibitor_list(update: Update, context: Context) -> None:
    query = update.callback_query
    assert query is not None and context.match is not None
    await query.answer()
    services = context.services
    language = await user_language(update, context)
    theme_id, number = context.match.group(1), int(context.match.group(2))
    theme = services.event.theme(theme_id) if theme_id else None
    if theme_id and theme is None:
        await reply(update, context, services.tr(language, "fallback.stale_button"))
        return
    page = await services.directory.page(theme_id or None, number)
    title = theme.label(language) if theme else services.tr(language, "directory.all")
    text = services.tr(
        language, "directory.list", title=title, page=page.number + 1, pages=page.pages, count=page.total
    )
    await edit_or_send(update, context, text, _list_keyboard(context, language, page, theme_id))


async def card(update: Update, context: Context) -> None:
    query = update.callback_query
    assert query is not None and context.match is not None
    await query.answer()
    services = context.services
    exhibitor = await services.directory.exhibitor(int(context.match.group(1)))
    if exhibitor is None:
        language = await user_language(update, context)
        await reply(update, context, services.tr(language, "directory.gone"))
        return
    theme_id, page = context.match.group(2), context.match.group(3)
    back = buttons.EXHIBITORS.data(theme_id, page) if page is not None else None
    await send_card(update, context, exhibitor, back, edit=True)


# ---------------------------------------------------------------------- search


def _results_keyboard(results: list[Exhibitor]) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        [
            [buttons.CARD.button(shorten(f"{e.name} · {e.stand}" if e.stand else e.name, 60), e.id)]
            for e in results[:MAX_SEARCH_RESULTS]
        ]
    )


async def run_search(update: Update, context: Context, query_text: str) -> None:
    services = context.services
    language = await user_language(update, context)
    query_text = " ".join(query_text.split())[:100]
    if not query_text:
        await ask_search(update, context)
        return
    results = await services.directory.search(query_text)
    if not results:
        await reply(update, context, services.tr(language, "search.none", query=query_text))
        return
    key = "search.results" if len(results) <= MAX_SEARCH_RESULTS else "search.results_more"
    text = services.tr(language, key, query=query_text, count=len(results), shown=MAX_SEARCH_RESULTS)
    await reply(update, context, text, _results_keyboard(results))


async def search_command(update: Update, context: Context) -> None:
    await run_search(update, context, " ".join(context.args or []))


async def search_button(update: Update, context: Context) -> None:
    assert update.callback_query is not None
    await update.callback_query.answer()
    await ask_search(update, context)


async def ask_search(update: Update, context: Context) -> None:
    services = context.services
    language = await user_language(update, context)
    chat = update.effective_chat
    assert chat is not None
    placeholder = services.tr(language, "search.placeholder")
    await context.bot.send_message(
        chat.id,
        services.tr(language, "search.prompt"),
        reply_markup=ForceReply(input_field_placeholder=placeholder[:64]),
    )


async def search_answer(update: Update, context: Context) -> bool:
    """Runs the search when the message answers the bot's "what are you looking for" question."""
    message = update.effective_message
    if message is None or not message.text or not is_search_answer(update, context):
        return False
    await run_search(update, context, message.text)
    return True


def is_search_answer(update: Update, context: Context) -> bool:
    """A reply to the bot's "what are you looking for" question."""
    message = update.effective_message
    if message is None or message.reply_to_message is None or message.reply_to_message.from_user is None:
        return False
    asked = message.reply_to_message
    if asked.from_user is None or asked.from_user.id != context.bot.id or not asked.text:
        return False
    tr = context.services.tr
    return any(asked.text == to_plain(tr(lang, "search.prompt")) for lang in LANGUAGES)


# ---------------------------------------------------------------------- suggestions


def _reason(context: Context, language: Language, suggestion: Suggestion) -> str:
    tr = context.services.tr
    reasons = []
    if suggestion.shared_themes:
        labels = ", ".join(t.label(language).lower() for t in suggestion.shared_themes)
        key = "suggestions.themes_one" if len(suggestion.shared_themes) == 1 else "suggestions.themes_many"
        reasons.append(tr(language, key, count=len(suggestion.shared_themes), themes=labels))
    if suggestion.shared_words:
        reasons.append(tr(language, "suggestions.words", words=", ".join(suggestion.shared_words[:3])))
    if suggestion.requested:
        reasons.append(tr(language, "suggestions.requested"))
    return " · ".join(reasons)


async def suggestions_button(update: Update, context: Context) -> None:
    query = update.callback_query
    assert query is not None and context.match is not None
    await query.answer()
    await suggestions(update, context, int(context.match.group(1)), edit=True)


async def suggestions(update: Update, context: Context, number: int = 0, *, edit: bool = False) -> None:
    services = context.services
    user = update.effective_user
    assert user is not None
    language = await user_language(update, context)
    participant = await services.registration.participant(user.id)
    if participant is None:
        await reply(update, context, services.tr(language, "me.not_registered"))
        return
    ranked = await services.directory.suggestions(participant)
    if not ranked:
        await reply(update, context, services.tr(language, "suggestions.none"))
        return
    pages = max(1, -(-len(ranked) // SUGGESTIONS_PER_PAGE))
    number = min(number, pages - 1)
    shown = ranked[number * SUGGESTIONS_PER_PAGE : (number + 1) * SUGGESTIONS_PER_PAGE]
    tr = services.tr
    lines = [tr(language, "suggestions.title", page=number + 1, pages=pages)]
    for suggestion in shown:
        lines.append(
            tr(
                language,
                "suggestions.line",
                name=suggestion.exhibitor.name,
                reason=Html(_reason(context, language, suggestion)),
            )
        )
    rows = [[buttons.CARD.button(shorten(s.exhibitor.name, 60), s.exhibitor.id)] for s in shown]
    navigation = []
    if number > 0:
        navigation.append(buttons.SUGGESTIONS.button(tr(language, "button.previous"), number - 1))
    if number + 1 < pages:
        navigation.append(buttons.SUGGESTIONS.button(tr(language, "button.next"), number + 1))
    if navigation:
        rows.append(navigation)
    await edit_or_send(update, context, Html("\n\n".join(lines)), InlineKeyboardMarkup(rows), edit=edit)
