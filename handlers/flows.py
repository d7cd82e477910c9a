"""Free text and /cancel go to the conversation the user is in: one table, filled by the composition
root, maps each flow to its handlers, so this module imports no feature."""

from __future__ import annotations

import logging
from collections.abc import Callable, Coroutine, Iterable
from dataclasses import dataclass
from typing import Any

from telegram import Update

from bot.runtime import Context
from bot.telegram import inbox
from handlers.common import Callback, reply, user_language

log = logging.getLogger(__name__)

Interceptor = Callable[[Update, Context], Coroutine[Any, Any, bool]]


@dataclass(frozen=True)
class Route:
    on_text: Callback  # a message while in the flow
    on_cancel: Callback  # /cancel while in the flow


def dropping(cancelled_key: str) -> Callback:
    """/cancel for a flow with nothing to undo: the draft goes, and the user is told ``cancelled_key``."""

    async def cancel(update: Update, context: Context) -> None:
        assert update.effective_user is not None
        await context.services.flows.drop(update.effective_user.id)
        await reply(update, context, context.services.tr(await user_language(update, context), cancelled_key))

    return cancel


async def _taken_already(update: Update, context: Context) -> bool:
    """A message the bot was handling when it crashed, handed on again at the restart (bot/telegram/inbox.py),
    that its conversation already took: the step it answered was saved after it arrived. (If the
    next question had not gone out yet, the start-up asks it again: bot/jobs/conversations.py.)"""
    arrived = inbox.replayed_messages.pop(update.update_id, None)
    if arrived is None or update.effective_user is None:
        return False
    if await context.services.flows.moved_on_since(update.effective_user.id, arrived):
        log.info("update %d was taken before the restart: not again", update.update_id)
        return True
    return False


class FlowRouter:
    def __init__(self, *, otherwise: Callback) -> None:
        self._routes: dict[str, Route] = {}
        self._interceptors: list[Interceptor] = []
        self._otherwise = otherwise

    def add(self, flows: Iterable[str], on_text: Callback, on_cancel: Callback) -> None:
        for flow in flows:
            self._routes[flow] = Route(on_text, on_cancel)

    def intercept(self, interceptor: Interceptor) -> None:
        """Asked first, whatever the flow: returns True when it handled the message (a search answer)."""
        self._interceptors.append(interceptor)

    async def _route(self, update: Update, context: Context) -> Route | None:
        assert update.effective_user is not None
        kind = await context.services.flows.kind(update.effective_user.id)
        return self._routes.get(kind) if kind is not None else None

    async def on_message(self, update: Update, context: Context) -> None:
        """Any message that is not a command: an interceptor's, the current flow's, or a stray one."""
        if await _taken_already(update, context):
            return
        for interceptor in self._interceptors:
            if await interceptor(update, context):
                return
        route = await self._route(update, context)
        await (route.on_text if route is not None else self._otherwise)(update, context)

    async def cancel(self, update: Update, context: Context) -> None:
        route = await self._route(update, context)
        if route is not None:
            await route.on_cancel(update, context)
            return
        language = await user_language(update, context)
        await reply(update, context, context.services.tr(language, "conversation.nothing_to_cancel"))
