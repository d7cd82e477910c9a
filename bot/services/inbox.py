"""The inbox: every update is kept from the moment it arrives until it has been handled, so that a
crash loses none. Written before Telegram is told the update was received (long polling: before the
next getUpdates moves the offset past it; webhook: before the HTTP 200); deleted once its handlers
are done, so that no one's messages stay there.

Whoever handles an update holds a claim on it, a lease that it renews while it is alive. On
PostgreSQL several workers claim updates (``claim``): of each user's updates only the oldest, so that
one user's updates run one after the other and in order, across processes. A worker that dies leaves
its claims to run out; another takes them over. On SQLite the one process takes over everything at
start. An update being handled when its process died may so be handled twice; none is lost."""

from __future__ import annotations

import asyncio
import os
import secrets
import socket
from collections.abc import Awaitable, Callable, Sequence
from datetime import timedelta

from storage.db import utcnow
from storage.inbox import Arrival
from storage.repositories import Repositories

__all__ = ["Arrival", "InboxService", "SenderService", "process_name"]


def process_name() -> str:
    """This process among every process sharing the database: host, pid and a random part."""
    return f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(3)}"


class InboxService:
    def __init__(self, repos: Repositories, owner: str, lease: timedelta) -> None:
        self._inbox = repos.inbox
        self.owner = owner
        self.lease = lease
        self._handled = Together(self._inbox.handled)

    async def receive(
        self, arrivals: Sequence[Arrival], *, handle_here: bool = True, shared: bool = False
    ) -> dict[int, bool]:
        """Keep these updates before they are acknowledged; returns the ids never seen before, each with
        whether this process handles it now. ``handle_here``: this process claims them, else they are
        left for the workers. ``shared``: other processes handle updates too, so one whose user has an
        older update in hand is left to be claimed in its turn."""
        return await self._inbox.receive(arrivals, self.owner if handle_here else None, self.lease, after_others=shared)

    async def claim(self, limit: int, sharers: int = 1) -> tuple[list[Arrival], int]:
        """Updates for this process to handle now, oldest first (see the module's docstring), at most its
        share of those ready when ``sharers`` processes claim side by side, and how many are left waiting."""
        return await self._inbox.claim(self.owner, self.lease, limit, sharers)

    async def take_over_all(self) -> list[Arrival]:
        """Every update left by a crash, for the single process of a SQLite deployment."""
        return await self._inbox.take_over_all(self.owner, self.lease)

    async def renew(self) -> int:
        return await self._inbox.renew(self.owner, self.lease)

    async def handled(self, update_id: int) -> None:
        """Out of the inbox. Updates handled while the previous deletion is under way are deleted
        together by the next: under a crowd, one write for many updates instead of one each."""
        await self._handled.add(update_id)

    async def waiting(self) -> int:
        return await self._inbox.waiting()

    async def on_arrivals(self, callback: Callable[[], None]) -> bool:
        return await self._inbox.on_arrivals(callback)


class SenderService:
    """Telegram's budget is the bot's, whichever process sends: each sending process takes an equal
    share of it, by how many say they are alive (bot/telegram/cluster.py)."""

    def __init__(self, repos: Repositories, name: str) -> None:
        self._senders = repos.senders
        self.name = name
        self._started = utcnow().isoformat()

    async def alive(self, within: timedelta) -> int:
        return await self._senders.alive(self.name, self._started, within)

    async def leave(self) -> None:
        await self._senders.leave(self.name)


class Together:
    """Writes items in batches: the first caller writes its item, and the items added while that write
    is under way are written by it next, in one batch; each caller returns once its own is written."""

    def __init__(self, write: Callable[[list[int]], Awaitable[None]]) -> None:
        self._write = write
        self._items: list[int] = []
        self._batch: asyncio.Future[None] | None = None  # done when the items now waiting are written
        self._writing = False

    async def add(self, item: int) -> None:
        if self._batch is None:
            self._batch = asyncio.get_running_loop().create_future()
        mine = self._batch
        self._items.append(item)
        if not self._writing:
            await self._write_while_any()
        await mine

    async def _write_while_any(self) -> None:
        self._writing = True
        try:
            while self._items:
                items, self._items = self._items, []
                batch, self._batch = self._batch, None
                assert batch is not None
                try:
                    await self._write(items)
                except asyncio.CancelledError:
                    batch.cancel()
                    raise
                except Exception as err:  # each caller of that batch raises it
                    batch.set_exception(err)
                else:
                    batch.set_result(None)
        finally:
            self._writing = False
            if self._items and self._batch is not None:  # this writer was stopped: those waiting are told
                self._items = []
                self._batch.cancel()
                self._batch = None
