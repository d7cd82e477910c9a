"""One budget for everything the bot sends: Telegram's 30 messages a second, read strictly.

Telegram's FAQ puts its limits (about 30 a second in all, one a second per chat, short
bursts allowed) on bulk notifications, and does not say whether replies count. Read
strictly, every message counts, so every message the bot sends takes a slot of the same
sliding one-second window, in three classes:

1. replies (to someone who wrote or pressed a button in the last few seconds) take the
   first slot that frees up, before anything else that waits;
2. messages the bot starts itself (reminders, requests to representatives, notices) come
   next;
3. broadcasts take what is left.

Classes 2 and 3 are spread evenly over the window (on a grid of 1/30 s) instead of going
out in bursts, keep to one message a second per chat, and, while anyone is in a
conversation with the bot, leave one slot of the window free; so a reply finds that slot,
or the next one to free up, and waits one slot at most. With nobody talking to the bot, a
broadcast has the whole budget. A message counts from the
moment its slot is taken until a second after Telegram answered it, which keeps a stalled
event loop or a slow network from bunching messages on Telegram's side.
"""

from __future__ import annotations

import asyncio
import math
import time
from collections import deque
from collections.abc import Callable, Coroutine
from typing import Any

from telegram.error import RetryAfter
from telegram.ext import BaseRateLimiter

SEND_ENDPOINTS = frozenset(
    {"sendMessage", "sendDocument", "sendPhoto", "sendMediaGroup", "sendSticker", "copyMessage", "forwardMessage"}
)
# Telegram's one-second window, and a little more for the clocks' difference
WINDOW = 1.01
BROADCAST = {"broadcast": True}
# A message within this many seconds of the user's own is a reply (kept well inside what
# Telegram is likely to treat so, since an answer can take a moment)
REPLY_SECONDS = 5.0
REPLY, OWN, BROADCASTS = 0, 1, 2  # the classes, most urgent first
SPARE_FOR_REPLIES = 1  # slots of the window that only replies may take
# seconds of round trip the outbox keeps in flight at the budget's pace (see in_flight_for)
ROUND_TRIP_ALLOWANCE = 0.12


def retry_seconds(error: RetryAfter) -> float:
    value = error.retry_after
    return float(value.total_seconds()) if hasattr(value, "total_seconds") else float(value)


def in_flight_for(per_second: int) -> int:
    """How many broadcast messages may be on their way at once to keep the budget's pace.

    Few on purpose: a message sent but not yet marked sent when the process dies goes out
    again after a restart, so this is also the bound on duplicates per crash."""
    return max(4, math.ceil(per_second * ROUND_TRIP_ALLOWANCE))


class PacedRateLimiter(BaseRateLimiter[dict[str, Any]]):
    def __init__(self, per_second: int = 30, max_retries: int = 3) -> None:
        self.budget = per_second  # the bot's, for every process that sends
        self.per_second = per_second  # this process's share of it (set_share)
        self.interval = WINDOW / per_second  # the even spacing of classes 2 and 3
        self.max_retries = max_retries
        self._sent: deque[float] = deque()  # when counted messages were answered, oldest first
        self._in_flight = 0  # counted messages sent but not yet answered: they count until then
        self._waiting = [0, 0, 0]  # per class, messages waiting for a slot
        self._next_spread = -math.inf  # the grid time from which the next class 2 or 3 message may go
        self._heard: dict[int, float] = {}  # chat -> when its user last wrote or pressed
        self._last_heard = -math.inf  # when anyone last did
        self._last_in_chat: dict[int, float] = {}
        self._broadcasts = asyncio.Lock()  # broadcasts queue up one behind the other

    async def initialize(self) -> None:
        pass

    async def shutdown(self) -> None:
        pass

    def set_share(self, per_second: int) -> None:
        """This process's share of the budget when several send (bot/telegram/cluster.py); 0: send nothing."""
        self.per_second = max(0, min(per_second, self.budget))
        self.interval = WINDOW / max(1, self.per_second)

    # ------------------------------------------------------------------ the window

    def _expire(self, now: float) -> None:
        while self._sent and now - self._sent[0] >= WINDOW:
            self._sent.popleft()

    def _until_room(self, now: float, reserve: int) -> float:
        """Seconds until the window has room for one more message and ``reserve`` more (0: room now)."""
        self._expire(now)
        if self.per_second == 0:
            return 0.05  # no share yet (or no longer): wait for one
        # how many counted messages must leave the window before one more fits
        excess = self._in_flight + len(self._sent) - self.per_second + 1 + reserve
        if excess <= 0:
            return 0.0
        if excess > len(self._sent):
            return 0.003  # every slot is in flight: they are answered within a round trip
        return max(0.001, self._sent[excess - 1] + WINDOW - now)

    def _until_chat_free(self, now: float, chat_id: int | None) -> float:
        last = self._last_in_chat.get(chat_id) if chat_id is not None else None
        return last + WINDOW - now if last is not None and now - last < WINDOW else 0.0

    def _mark_chat(self, chat_id: int | None, now: float) -> None:
        if chat_id is not None:
            self._last_in_chat[chat_id] = now
            if len(self._last_in_chat) > 10_000:
                self._last_in_chat = {c: t for c, t in self._last_in_chat.items() if now - t < WINDOW}

    def _answered(self) -> None:
        """A counted message came back: it stays in the window for a second from now."""
        self._in_flight -= 1
        self._sent.append(time.monotonic())

    # ------------------------------------------------------------------ who is in a conversation

    def heard_from(self, chat_id: int) -> None:
        """The user of ``chat_id`` just wrote or pressed a button: what the bot sends next is a reply."""
        self._heard[chat_id] = self._last_heard = time.monotonic()
        if len(self._heard) > 10_000:
            now = time.monotonic()
            self._heard = {c: t for c, t in self._heard.items() if now - t < REPLY_SECONDS}

    def _is_reply(self, chat_id: int | None, now: float) -> bool:
        heard = self._heard.get(chat_id) if chat_id is not None else None
        return heard is not None and now - heard < REPLY_SECONDS

    # ------------------------------------------------------------------ taking a slot

    def _in_conversation(self, now: float) -> bool:
        return now - self._last_heard < REPLY_SECONDS

    def _spare(self, kind: int, now: float) -> int:
        """Slots a message of this class must leave free: one for replies, while someone may need one."""
        if kind == REPLY or not self._in_conversation(now):
            return 0
        return max(0, min(SPARE_FOR_REPLIES, self.per_second - 1))

    def _wait_for(self, kind: int, chat_id: int | None, now: float) -> float:
        wait = self._until_room(now, self._spare(kind, now))
        if kind != REPLY:
            wait = max(wait, self._until_chat_free(now, chat_id), self._next_spread - now)
        if any(self._waiting[k] for k in range(kind)):
            wait = max(wait, 0.002)  # a more urgent message waits: it goes first
        return wait

    async def _take(self, kind: int, chat_id: int | None) -> None:
        self._waiting[kind] += 1
        try:
            # the window frees up with time, not on an event: sleeping until then is the point
            while (wait := self._wait_for(kind, chat_id, time.monotonic())) > 0:  # noqa: ASYNC110
                await asyncio.sleep(wait)
        finally:
            self._waiting[kind] -= 1
        now = time.monotonic()
        self._in_flight += 1
        if kind != REPLY:
            # the next grid point: a slightly late message does not push the whole grid back
            late = now - self._next_spread
            self._next_spread = (self._next_spread if late < self.interval else now) + self.interval
            self._mark_chat(chat_id, now)

    async def _take_slot(self, kind: int, chat_id: int | None) -> None:
        if kind == BROADCASTS:
            async with self._broadcasts:
                await self._take(kind, chat_id)
        else:
            await self._take(kind, chat_id)

    async def process_request(
        self,
        callback: Callable[..., Coroutine[Any, Any, bool | dict[str, Any] | list[dict[str, Any]]]],
        args: Any,
        kwargs: dict[str, Any],
        endpoint: str,
        data: dict[str, Any],
        rate_limit_args: dict[str, Any] | None,
    ) -> bool | dict[str, Any] | list[dict[str, Any]]:
        broadcast = bool(rate_limit_args and rate_limit_args.get("broadcast"))
        chat_id = data.get("chat_id") if isinstance(data.get("chat_id"), int) else None
        for attempt in range(self.max_retries + 1):
            counted = endpoint in SEND_ENDPOINTS
            if counted:
                kind = BROADCASTS if broadcast else REPLY if self._is_reply(chat_id, time.monotonic()) else OWN
                await self._take_slot(kind, chat_id)
            try:
                return await callback(*args, **kwargs)
            except RetryAfter as error:
                if broadcast or attempt == self.max_retries:
                    raise  # the outbox reschedules the delivery itself
                await asyncio.sleep(retry_seconds(error) + 0.1)
            finally:
                if counted:
                    self._answered()
        raise AssertionError("unreachable")
