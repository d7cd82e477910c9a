"""Lists that grow with the event, cut into pages that Telegram accepts.

A page holds whole entries (a line or block of text and the buttons that go with it)
until either its text or its keyboard would pass what Telegram allows in one message;
a row of ‹ n/N › moves between pages, editing the message in place. Texts meant to be
sent once (digests, reports) are cut with :func:`bot.i18n.clip_lines` and end with "…and N more".
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Coroutine, Sequence
from dataclasses import dataclass, field
from typing import Any

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update

from bot.event import Language
from bot.i18n import Html, Translator, telegram_length
from bot.runtime import Context
from handlers import buttons

# Telegram's limits are 4096 characters of text and 100 inline buttons; the margins leave
# room for the header, the navigation row and a closing line
PAGE_TEXT = 3500
PAGE_BUTTONS = 90
SEPARATOR = "\n\n"
PageData = Callable[[int], str]  # the callback data of a page of a list


@dataclass(frozen=True)
class Entry:
    text: Html
    buttons: Sequence[Sequence[InlineKeyboardButton]] = field(default_factory=tuple)


@dataclass(frozen=True)
class Page:
    text: Html
    rows: list[list[InlineKeyboardButton]]
    number: int  # from 0, clamped to the pages there are
    pages: int


def split_pages(
    entries: Sequence[Entry], *, text_budget: int = PAGE_TEXT, button_budget: int = PAGE_BUTTONS
) -> list[list[Entry]]:
    pages: list[list[Entry]] = [[]]
    chars = buttons = 0
    for entry in entries:
        size = telegram_length(entry.text) + len(SEPARATOR)
        count = sum(len(row) for row in entry.buttons)
        if pages[-1] and (chars + size > text_budget or buttons + count > button_budget):
            pages.append([])
            chars = buttons = 0
        pages[-1].append(entry)
        chars += size
        buttons += count
    return pages


def page_of(
    tr: Translator,
    language: Language,
    header: Html,
    entries: Sequence[Entry],
    number: int,
    data: PageData,
    *,
    footer: Sequence[Sequence[InlineKeyboardButton]] = (),
    text_budget: int = PAGE_TEXT,
) -> Page:
    """Page ``number`` of ``entries`` under ``header``; ``data(page)`` is the callback data of a page."""
    footer_buttons = sum(len(row) for row in footer)
    pages = split_pages(
        entries, text_budget=text_budget - telegram_length(header), button_budget=PAGE_BUTTONS - footer_buttons
    )
    number = max(0, min(number, len(pages) - 1))
    chosen = pages[number]
    text = Html(SEPARATOR.join([header, *(e.text for e in chosen)]))
    rows = [list(row) for entry in chosen for row in entry.buttons]
    if len(pages) > 1:
        rows.append(navigation(tr, language, number, len(pages), data))
    rows.extend(list(row) for row in footer)
    return Page(text, rows, number, len(pages))


def paged_rows(
    tr: Translator,
    language: Language,
    rows: Sequence[Sequence[InlineKeyboardButton]],
    number: int,
    data: PageData,
    *,
    per_page: int = 48,
) -> list[list[InlineKeyboardButton]]:
    """A keyboard that is only a list of choices (one row each), a page of them at a time."""
    pages = max(1, -(-len(rows) // per_page))
    number = max(0, min(number, pages - 1))
    chosen = [list(row) for row in rows[number * per_page : (number + 1) * per_page]]
    if pages > 1:
        chosen.append(navigation(tr, language, number, pages, data))
    return chosen


def navigation(
    tr: Translator, language: Language, number: int, pages: int, data: PageData
) -> list[InlineKeyboardButton]:
    row = []
    if number > 0:
        row.append(InlineKeyboardButton(tr(language, "button.previous"), callback_data=data(number - 1)))
    row.append(
        InlineKeyboardButton(
            tr(language, "paging.position", page=number + 1, pages=pages), callback_data=buttons.NOOP_PAGE.data()
        )
    )
    if number + 1 < pages:
        row.append(InlineKeyboardButton(tr(language, "button.next"), callback_data=data(number + 1)))
    return row


def markup(page: Page) -> InlineKeyboardMarkup | None:
    return InlineKeyboardMarkup(page.rows) if page.rows else None


Show = Callable[[Update, Context, int], Awaitable[None]]
Guard = Callable[[Update, Context], Awaitable[bool]]
Callback = Callable[[Update, Context], Coroutine[Any, Any, None]]


def paged(show: Show, guard: Guard | None = None) -> tuple[Callback, Callback]:
    """The command that opens a paged list at its first page, and the callback of its ‹ › buttons
    (whose pattern's first group is the page number); ``guard`` says who may see it."""

    async def first_page(update: Update, context: Context) -> None:
        if guard is None or await guard(update, context):
            await show(update, context, 0)

    async def other_page(update: Update, context: Context) -> None:
        query = update.callback_query
        assert query is not None and context.match is not None
        if guard is not None and not await guard(update, context):
            return  # the guard has answered the button with its refusal
        await query.answer()
        await show(update, context, int(context.match.group(1)))

    return first_page, other_page


async def noop(update: Update, context: Context) -> None:
    assert update.callback_query is not None
    await update.callback_query.answer()
