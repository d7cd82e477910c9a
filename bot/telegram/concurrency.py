"""Concurrent updates, each user's in order.

PTB processes one update at a time by default, so at the opening announcement the
400th person waits for the 399 before them. This processor runs updates from
different users concurrently while each user's own updates run strictly one after
the other, so conversations stay correct.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from contextvars import ContextVar
from typing import Any

from telegram import Update
from telegram.ext import BaseUpdateProcessor

_acting: ContextVar[int | None] = ContextVar("acting_user", default=None)


def acting_user() -> int | None:
    """The user (or chat) whose update is being handled here; None outside an update (a job)."""
    return _acting.get()


def ordering_key(update: object) -> int | None:
    """The user (or, failing that, the chat) whose updates must stay in order."""
    if isinstance(update, Update):
        if update.effective_user is not None:
            return update.effective_user.id
        if update.effective_chat is not None:
            return update.effective_chat.id
    return None


class Turns:
    """Work keyed by a user or a chat, each key's in the order it was started: ``take`` returns what
    to wait for (the key's previous work, or None) and this work's own future, for ``done``."""

    def __init__(self) -> None:
        self._tails: dict[int, asyncio.Future[None]] = {}  # key -> done when its latest work is

    def take(self, key: int) -> tuple[asyncio.Future[None] | None, asyncio.Future[None]]:
        previous = self._tails.get(key)
        mine: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._tails[key] = mine
        return previous, mine

    def done(self, key: int, mine: asyncio.Future[None]) -> None:
        mine.set_result(None)
        if self._tails.get(key) is mine:
            del self._tails[key]


class PerUserUpdateProcessor(BaseUpdateProcessor):
    def __init__(
        self, max_concurrent_updates: int = 256, handled: Callable[[int], Awaitable[None]] | None = None
    ) -> None:
        super().__init__(max_concurrent_updates)
        self._handled = handled  # told each update's id once its handlers are done (the inbox)
        self._turns = Turns()

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        try:
            await self._in_order(update, coroutine)
        except asyncio.CancelledError:
            raise  # stopped before it was done: the inbox keeps it for the next start
        except BaseException:
            await self._done(update)
            raise
        await self._done(update)

    async def _done(self, update: object) -> None:
        if self._handled is not None and isinstance(update, Update):
            await self._handled(update.update_id)

    async def _in_order(self, update: object, coroutine: Awaitable[Any]) -> None:
        key = ordering_key(update)
        if key is None:
            await coroutine
            return
        # Everything up to the first await runs in the order PTB received the updates
        previous, mine = self._turns.take(key)
        try:
            if previous is not None:
                try:
                    await asyncio.shield(previous)
                except BaseException:
                    _close(coroutine)  # cancelled while waiting its turn: never started
                    raise
            _acting.set(key)  # this task's own context: seen by the handler's code, and by tasks it starts
            await coroutine
        finally:
            self._turns.done(key, mine)

    async def initialize(self) -> None:
        pass

    async def shutdown(self) -> None:
        pass


def _close(coroutine: Awaitable[Any]) -> None:
    close = getattr(coroutine, "close", None)
    if close is not None:
        close()
