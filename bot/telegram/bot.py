"""The bot object: PTB's ExtBot, with two rules every message in the bot shares.

A second tap on a button that edits its message in place (or two taps at once) asks
Telegram for an edit to what the message already shows, and Telegram answers 400
"message is not modified". The message already says what the user asked for: that is
not an error, anywhere, so it is absorbed here once instead of in every handler.

Button labels are plain text: Telegram shows them as they are, so a label built from a
catalog message (Telegram HTML, user values escaped) is turned back into the text it
stands for, here once, and "Compost &amp; Co" never reaches a phone.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Message, Update
from telegram.error import BadRequest
from telegram.ext import ExtBot

from bot.i18n import Html, to_plain
from bot.telegram import inbox

log = logging.getLogger(__name__)

NOT_MODIFIED = "message is not modified"


def is_not_modified(error: BadRequest) -> bool:
    return NOT_MODIFIED in error.message.lower()


def plain_labels(markup: object) -> object:
    """The same keyboard with every catalog-built (HTML) label as the plain text it stands for."""
    if not isinstance(markup, InlineKeyboardMarkup):
        return markup
    if not any(isinstance(b.text, Html) for row in markup.inline_keyboard for b in row):
        return markup
    rows = [[_plain_button(b) for b in row] for row in markup.inline_keyboard]
    return InlineKeyboardMarkup(rows)


def _plain_button(button: InlineKeyboardButton) -> InlineKeyboardButton:
    if not isinstance(button.text, Html):
        return button
    data = button.to_dict()
    data["text"] = to_plain(button.text)
    rebuilt = InlineKeyboardButton.de_json(data, None)
    assert rebuilt is not None
    return rebuilt


def _with_plain_labels(kwargs: dict[str, Any]) -> dict[str, Any]:
    if "reply_markup" in kwargs:
        kwargs["reply_markup"] = plain_labels(kwargs["reply_markup"])
    return kwargs


class MaillageBot(ExtBot[Any]):
    def __init__(
        self, *args: Any, before_get_updates: Callable[[], Awaitable[None]] | None = None, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        # awaited before each getUpdates: the updates fetched before are kept (bot/telegram/inbox.py)
        self._before_get_updates = before_get_updates

    async def get_updates(self, *args: Any, **kwargs: Any) -> tuple[Update, ...]:
        if self._before_get_updates is not None:
            await self._before_get_updates()  # the offset this call moves confirms what was kept
        return await super().get_updates(*args, **kwargs)

    async def _do_post(self, endpoint: str, data: dict[str, Any], **kwargs: Any) -> Any:
        # PTB puts Defaults' parse_mode into every call it builds like a message, editMessageReplyMarkup
        # included, whose Bot API method has no such parameter: it goes only with a text or a caption
        if "parse_mode" in data and "text" not in data and "caption" not in data:
            data = {key: value for key, value in data.items() if key != "parse_mode"}
        return await super()._do_post(endpoint, data, **kwargs)

    async def answer_callback_query(self, callback_query_id: str, *args: Any, **kwargs: Any) -> bool:
        if callback_query_id in inbox.replayed_queries:  # handed on after a restart: see bot/telegram/inbox.py
            inbox.replayed_queries.discard(callback_query_id)
            return True
        return await super().answer_callback_query(callback_query_id, *args, **kwargs)

    async def send_message(self, *args: Any, **kwargs: Any) -> Message:
        return await super().send_message(*args, **_with_plain_labels(kwargs))

    async def send_document(self, *args: Any, **kwargs: Any) -> Message:
        return await super().send_document(*args, **_with_plain_labels(kwargs))

    async def send_photo(self, *args: Any, **kwargs: Any) -> Message:
        return await super().send_photo(*args, **_with_plain_labels(kwargs))

    async def edit_message_text(self, *args: Any, **kwargs: Any) -> Message | bool:
        try:
            return await super().edit_message_text(*args, **_with_plain_labels(kwargs))
        except BadRequest as error:
            if not is_not_modified(error):
                raise
            log.debug("edit skipped: the message already shows this")
            return True

    async def edit_message_reply_markup(self, *args: Any, **kwargs: Any) -> Message | bool:
        try:
            return await super().edit_message_reply_markup(*args, **_with_plain_labels(kwargs))
        except BadRequest as error:
            if not is_not_modified(error):
                raise
            log.debug("edit skipped: the buttons are already these")
            return True

    async def edit_message_caption(self, *args: Any, **kwargs: Any) -> Message | bool:
        try:
            return await super().edit_message_caption(*args, **_with_plain_labels(kwargs))
        except BadRequest as error:
            if not is_not_modified(error):
                raise
            return True
