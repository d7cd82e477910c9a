"""The update queue that keeps every update in the database first (bot/services/inbox.py).

PTB's updater puts each update it fetched into the application's update queue before its next
getUpdates moves the offset past it, and the webhook server (bot/webhook.py) puts each one before
it answers 200: so writing the update in ``put`` is writing it before Telegram is told it arrived.
An update Telegram sends again (fetched, not yet acknowledged, when the process died) is already
in the inbox: it is not queued twice. An ingress (``handle_here=False``) only keeps updates, for
the workers to claim (bot/cluster.py)."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Any

from telegram import Bot, Update

from bot.concurrency import ordering_key
from bot.services.inbox import Arrival, InboxService

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
        self.when_handled: Callable[[int], None] | None = None  # told each update handled (bot/cluster.py)

    async def put(self, item: object) -> None:
        if isinstance(item, Update):
            arrival = Arrival(item.update_id, ordering_key(item), item.to_json())
            kept = await self._inbox.receive([arrival], handle_here=self.handle_here, shared=self.shared)
            if not kept:
                log.info("update %d arrived again: already kept, not queued twice", item.update_id)
                return
            if not kept[item.update_id]:
                return  # kept for a worker to claim in its turn (bot/cluster.py)
        await super().put(item)

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


def _payload(arrival: Arrival) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(arrival.payload)
    return data
