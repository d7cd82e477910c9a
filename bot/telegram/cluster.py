"""Several processes on one PostgreSQL database: an ingress keeps the updates, workers claim them,
and every process that sends takes an equal share of Telegram's budget.

``Claimer``: a worker takes from the inbox, oldest first, the updates whose user has no older one in
hand anywhere (storage/inbox.py), hands them to its handlers, and claims again when one is done or
when the ingress says more arrived (``NOTIFY``; a timer as well, for claims that ran out). Its claims
are leases, renewed while it lives: a worker killed mid-update leaves them to run out, and another
takes them over (handled twice at most: the update in hand when it died).

``BudgetShare``: Telegram's ~30 messages a second are the bot's, whichever process sends them. Every
sending process says it is alive every ``HEARTBEAT`` seconds (``senders``) and sends at most
budget ÷ (processes alive). A process that starts beside others sends nothing until each of them has
counted it (one heartbeat) and what they sent at their older, larger share has left Telegram's
one-second window; one that cannot say it is alive stops sending before the others stop counting it.
So the shares never add up to more than the budget.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable
from datetime import timedelta

from bot.runtime import MaillageApplication
from bot.services.inbox import Arrival
from bot.telegram.inbox import InboxQueue
from bot.telegram.pacing import WINDOW, PacedRateLimiter

log = logging.getLogger(__name__)

HEARTBEAT = 1.0  # seconds between "alive" of each sending process
ALIVE_WITHIN = timedelta(seconds=3 * HEARTBEAT)  # silent longer than this: no longer counted
CAPACITY = 64  # updates a worker holds at once
IDLE_CLAIM_SECONDS = 1.0  # claims again this often with nothing heard (claims that ran out)


class Claimer:
    """Claims updates from the inbox for this process's handlers (see the module's docstring)."""

    def __init__(
        self, application: MaillageApplication, capacity: int = CAPACITY, sharers: Callable[[], int] = lambda: 1
    ) -> None:
        self._application = application
        self._sharers = sharers  # how many processes claim side by side (BudgetShare counts them)
        self._inbox = application.services.inbox
        queue = application.update_queue
        assert isinstance(queue, InboxQueue)
        self._queue = queue
        self._capacity = capacity
        self._in_hand: set[int] = set()
        self._wake = asyncio.Event()
        # the inbox may hold updates waiting for one in hand: claim again whenever one is done
        self._others_wait = True
        self._heard = 0  # arrivals the database told of
        self.handled = 0  # updates this worker's handlers finished: its share of the work
        self._tasks: list[asyncio.Task[None]] = []

    async def start(self) -> None:
        self._queue.when_handled = self._done
        await self._inbox.on_arrivals(self._arrived)
        self._tasks = [asyncio.create_task(self._claim()), asyncio.create_task(self._renew())]

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._queue.when_handled = None
        log.info("this worker handled %d updates", self.handled)

    def _arrived(self) -> None:
        self._heard += 1
        self._others_wait = True
        self._wake.set()

    def _done(self, update_id: int) -> None:
        self._in_hand.discard(update_id)
        self.handled += 1
        if self._others_wait:
            self._wake.set()  # that user's next update, if any, may be claimed now

    async def _claim(self) -> None:
        bot = self._application.bot
        while True:
            self._wake.clear()
            room = self._capacity - len(self._in_hand)
            claimed: list[Arrival] = []
            if room > 0:
                heard = self._heard
                try:
                    claimed, left = await self._inbox.claim(room, self._sharers())
                    # nothing left waiting, and nothing arrived meanwhile: a finished update wakes no claim
                    self._others_wait = left > 0 or heard != self._heard
                except Exception:
                    log.exception("could not claim updates; trying again")
            # a claim of its own that ran out while this process was starved is renewed by the claim,
            # not handed on a second time: the handlers have it already
            fresh = [a for a in claimed if a.update_id not in self._in_hand]
            if fresh:
                self._in_hand.update(a.update_id for a in fresh)
                self._queue.hand_on(fresh, bot)
                continue
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), IDLE_CLAIM_SECONDS)

    async def _renew(self) -> None:
        period = self._inbox.lease.total_seconds() / 3
        while True:
            await asyncio.sleep(period)
            try:
                await self._inbox.renew()
            except Exception:
                log.exception("could not renew this worker's claims")


class BudgetShare:
    """This process's share of Telegram's budget (see the module's docstring)."""

    def __init__(self, application: MaillageApplication) -> None:
        limiter = application.bot.rate_limiter
        assert isinstance(limiter, PacedRateLimiter)
        self._limiter = limiter
        self._senders = application.services.senders
        self._task: asyncio.Task[None] | None = None
        self.alive = 1  # sending processes alive, this one included: each also claims updates

    async def start(self) -> None:
        """Join the senders; returns once this process may send (at once when it is the only one)."""
        alive = await self._senders.alive(ALIVE_WITHIN)
        if alive > 1:
            self._limiter.set_share(0)
            await asyncio.sleep(HEARTBEAT + WINDOW + 0.1)  # each counted us, and their old share left the window
            alive = await self._senders.alive(ALIVE_WITHIN)
        self._share(alive)
        self._task = asyncio.create_task(self._keep_up())

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        with contextlib.suppress(Exception):
            await self._senders.leave()

    def _share(self, alive: int) -> None:
        self.alive = max(1, alive)
        share = self._limiter.budget // max(1, alive)
        if share != self._limiter.per_second:
            log.info("sending at %d messages a second: %d processes share the budget", share, alive)
        self._limiter.set_share(share)

    async def _keep_up(self) -> None:
        said = time.monotonic()
        while True:
            await asyncio.sleep(HEARTBEAT)
            try:
                self._share(await self._senders.alive(ALIVE_WITHIN))
                said = time.monotonic()
            except Exception:
                log.exception("could not say this process is alive")
                if time.monotonic() - said > ALIVE_WITHIN.total_seconds() - HEARTBEAT:
                    self._limiter.set_share(0)  # the others will soon stop counting it
