"""The bot object: PTB's ExtBot, with the one rule every edit in the bot shares.

A second tap on a button that edits its message in place (or two taps at once) asks
Telegram for an edit to what the message already shows, and Telegram answers 400
"message is not modified". The message already says what the user asked for: that is
not an error, anywhere, so it is absorbed here once instead of in every handler.
"""

from __future__ import annotations

import logging
from typing import Any

from telegram import Message
from telegram.error import BadRequest
from telegram.ext import ExtBot

log = logging.getLogger(__name__)

NOT_MODIFIED = "message is not modified"


def is_not_modified(error: BadRequest) -> bool:
    return NOT_MODIFIED in error.message.lower()


class MaillageBot(ExtBot[Any]):
    async def edit_message_text(self, *args: Any, **kwargs: Any) -> Message | bool:
        try:
            return await super().edit_message_text(*args, **kwargs)
        except BadRequest as error:
            if not is_not_modified(error):
                raise
            log.debug("edit skipped: the message already shows this")
            return True

    async def edit_message_reply_markup(self, *args: Any, **kwargs: Any) -> Message | bool:
        try:
            return await super().edit_message_reply_markup(*args, **kwargs)
        except BadRequest as error:
            if not is_not_modified(error):
                raise
            log.debug("edit skipped: the buttons are already these")
            return True

    async def edit_message_caption(self, *args: Any, **kwargs: Any) -> Message | bool:
        try:
            return await super().edit_message_caption(*args, **kwargs)
        except BadRequest as error:
            if not is_not_modified(error):
                raise
            return True
