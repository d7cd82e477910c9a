"""The update queue that keeps every update in the database first (bot/services/inbox.py).

PTB's updater puts each update it fetched into the application's update queue before its next
getUpdates moves the offset past it, and the webhook server (bot/webhook.py) puts each one before
it answers 200: so writing the update in ``put`` is writing it before Telegram is told it arrived.
An update Telegram sends again (fetched, not yet acknowledged, when the process died) is already
in the inbox: it is not queued twice."""

from __future__ import annotations

import asyncio
import json
import logging
from datetime import datetime
from typing import Any

from telegram import Bot, Update

from bot.concurrency import ordering_key
from bot.services.inbox import Arrival, InboxService

log = logging.getLogger(__name__)

# Button presses handed on after a restart: the bot may have answered them before it died, and
# Telegram refuses a second answer (as it refuses one that comes too late): they are not answered
# again (MaillageBot.answer_callback_query); what the press asks for is still done.
replayed_queries: set[str] = set()
# Messages handed on after a restart, with when they first arrived: handlers/flows.py does not take
# one again into a conversation that has moved on since (its step was saved after it arrived).
replayed_messages: dict[int, datetime] = {}


class InboxQueue(asyncio.Queue[object]):
    def __init__(self, inbox: InboxService) -> None:
        super().__init__()
        self._inbox = inbox

    async def put(self, item: object) -> None:
        if isinstance(item, Update):
            arrival = Arrival(item.update_id, ordering_key(item), item.to_json())
            if not await self._inbox.receive([arrival]):
                log.info("update %d arrived again: already kept, not queued twice", item.update_id)
                return
        await super().put(item)

    async def resume(self, bot: Bot) -> int:
        """Queue, oldest first, the updates a crash left unhandled; returns how many."""
        arrivals = await self._inbox.unhandled()
        for arrival in arrivals:
            update = Update.de_json(_payload(arrival), bot)
            if update.callback_query is not None:
                replayed_queries.add(update.callback_query.id)
            elif arrival.received_at is not None:
                replayed_messages[update.update_id] = arrival.received_at
            super().put_nowait(update)
        if arrivals:
            log.info("%d updates a restart interrupted are handled now", len(arrivals))
        return len(arrivals)


def _payload(arrival: Arrival) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(arrival.payload)
    return data
