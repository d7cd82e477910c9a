"""The update queue that keeps every update in the database first (bot/services/inbox.py).

PTB's updater puts the updates of one getUpdates into the application's update queue, then moves
the offset past them with its next getUpdates; the webhook server (bot/telegram/webhook.py) puts each one
before it answers 200. ``put`` gathers what arrives and one transaction keeps it all (a hundred
updates of a crowd in one write, not a hundred writes one after the other); the bot's next
getUpdates (``MaillageBot.get_updates``) and the webhook's answer first wait until what was put is
kept (``kept``): so every update is in the database before Telegram is told it arrived.
An update Telegram sends again (fetched, not yet acknowledged, when the process died) is already
in the inbox: it is not queued twice. An ingress (``handle_here=False``) only keeps updates, for
the workers to claim (bot/telegram/cluster.py)."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Any

from telegram import Bot, Update

from bot.services.inbox import Arrival, InboxService
from bot.telegram.concurrency import ordering_key

log = logging.getLogger(__name__)

# Button presses handed on after a crash: the bot may have answered them before it died, and
# Telegram refuses a second answer (as it refuses one that comes too late): they are not answered
# again (MaillageBot.answer_callback_query); what the press asks for is still done.
replayed_queries: set[str] = set()
# Messages handed on after a crash, with when they first arrived: handlers/flows.py does not take
# one again into a conversation that has moved on since (its step was saved after it arrived).
replayed_messages: dict[int, datetime] = {}


class InboxQueue(asyncio.Queue[object]):
    def __init__(self, inbox: InboxService, *, handle_here: bool = True, shared: bool = False) -> None:
        super().__init__()
        self._inbox = inbox
        self.handle_here = handle_here  # False: an ingress, which only keeps updates for the workers
        self.shared = shared  # other processes handle updates too (PostgreSQL)
        self.when_handled: Callable[[int], None] | None = None  # told each update handled (bot/telegram/cluster.py)
        self._arriving: list[Update] = []  # put, not yet kept
        self._keeping: asyncio.Task[None] | None = None

    async def put(self, item: object) -> None:
        if isinstance(item, Update):
            self._arriving.append(item)
            if self._keeping is None or self._keeping.done():
                self._keeping = asyncio.create_task(self._keep(), name="inbox-keep")
                self._keeping.add_done_callback(_seen)
            return
        await self.kept(retry=True)  # anything else after the updates put before it
        await super().put(item)

    async def kept(self, *, retry: bool = False) -> None:
        """Returns once every update put so far is in the database (and queued, if handled here).
        ``retry``: while the database refuses, try again instead of raising (polling: the offset
        must not move past an update that is not kept, and nothing else moves it)."""
        while self._arriving or (self._keeping is not None and not self._keeping.done()):
            if self._keeping is None or self._keeping.done():
                self._keeping = asyncio.create_task(self._keep(), name="inbox-keep")
                self._keeping.add_done_callback(_seen)
            try:
                await asyncio.shield(self._keeping)
            except asyncio.CancelledError:
                raise
            except Exception:
                if not retry:
                    raise
                log.exception("could not keep the updates that arrived; trying again")
                await asyncio.sleep(0.5)

    async def _keep(self) -> None:
        while self._arriving:
            batch = list(self._arriving)
            arrivals = [Arrival(u.update_id, ordering_key(u), u.to_json()) for u in batch]
            kept = await self._inbox.receive(arrivals, handle_here=self.handle_here, shared=self.shared)
            del self._arriving[: len(batch)]  # only once kept: a failure leaves them to be tried again
            for update in batch:
                if update.update_id not in kept:
                    log.info("update %d arrived again: already kept, not queued twice", update.update_id)
                elif kept[update.update_id]:
                    super().put_nowait(update)
                # else kept for a worker to claim in its turn (bot/telegram/cluster.py)

    def hand_on(self, arrivals: Iterable[Arrival], bot: Bot) -> int:
        """Queue these updates, taken from the inbox, for this process's handlers; returns how many."""
        count = 0
        for arrival in arrivals:
            update = Update.de_json(_payload(arrival), bot)
            if arrival.claims > 1:  # claimed before, by a process that died
                if update.callback_query is not None:
                    replayed_queries.add(update.callback_query.id)
                elif arrival.received_at is not None:
                    replayed_messages[update.update_id] = arrival.received_at
            super().put_nowait(update)
            count += 1
        return count

    async def handled(self, update_id: int) -> None:
        """The handlers are done with it: out of the inbox."""
        await self._inbox.handled(update_id)
        if self.when_handled is not None:
            self.when_handled(update_id)


def _seen(task: asyncio.Task[None]) -> None:
    """A failed write is retried by ``kept``; its error is read here so that asyncio does not warn."""
    if not task.cancelled():
        task.exception()


def _payload(arrival: Arrival) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(arrival.payload)
    return data
