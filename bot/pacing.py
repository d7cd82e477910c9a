"""One budget for what the bot sends: Telegram allows about 30 bulk messages a second.

Telegram's FAQ puts its limits (about 30 a second in all, one a second per chat, short
bursts allowed) on bulk notifications. Replies (messages to someone who wrote or pressed
a button in the last few seconds) never wait and are not counted. Messages the bot starts
itself (reminders, requests to representatives) take a slot at once when the last
second's window has room, or the next slot to free up. Broadcasts take every slot left,
one at a time, never while such a message is waiting, and never write to a chat that got
a counted message less than a second ago. So a broadcast runs at the pace Telegram
allows without a 429, and a crowd is still answered at once."""

from __future__ import annotations

import asyncio
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


def retry_seconds(error: RetryAfter) -> float:
    value = error.retry_after
    return float(value.total_seconds()) if hasattr(value, "total_seconds") else float(value)


class PacedRateLimiter(BaseRateLimiter[dict[str, Any]]):
    def __init__(self, per_second: int = 30, max_retries: int = 3) -> None:
        self.per_second = per_second
        self.max_retries = max_retries
        self._sent: deque[float] = deque()  # when counted messages were answered, oldest first
        self._in_flight = 0  # counted messages sent but not yet answered: they count until then
        self._answers_waiting = 0  # messages the bot starts itself, waiting for a slot
        self._heard: dict[int, float] = {}  # chat -> when its user last wrote or pressed
        self._last_in_chat: dict[int, float] = {}
        self._lock = asyncio.Lock()

    async def initialize(self) -> None:
        pass

    async def shutdown(self) -> None:
        pass

    def _expire(self, now: float) -> None:
        while self._sent and now - self._sent[0] >= WINDOW:
            self._sent.popleft()

    def _until_chat_free(self, now: float, chat_id: int | None) -> float:
        last = self._last_in_chat.get(chat_id) if chat_id is not None else None
        return last + WINDOW - now if last is not None and now - last < WINDOW else 0.0

    def _until_room(self, now: float, chat_id: int | None) -> float:
        """Seconds until the window has room for one more message to ``chat_id`` (0: room now)."""
        self._expire(now)
        wait = 0.0
        # how many counted messages must leave the window before one more fits
        excess = self._in_flight + len(self._sent) - self.per_second + 1
        if excess > len(self._sent):
            wait = 0.005  # every slot is in flight: they are answered within a round trip
        elif excess > 0:
            wait = max(0.001, self._sent[excess - 1] + WINDOW - now)
        return max(wait, self._until_chat_free(now, chat_id))

    def _mark_chat(self, chat_id: int | None, now: float) -> None:
        if chat_id is not None:
            self._last_in_chat[chat_id] = now
            if len(self._last_in_chat) > 10_000:
                self._last_in_chat = {c: t for c, t in self._last_in_chat.items() if now - t < WINDOW}

    def _record(self, chat_id: int | None, now: float) -> None:
        self._in_flight += 1
        self._mark_chat(chat_id, now)

    def _answered(self) -> None:
        """A counted message came back: it stays in the window for a second from now.

        Counting from the answer rather than from the moment the slot was taken is what
        keeps a stalled event loop, or a slow network, from bunching messages together
        on Telegram's side.
        """
        self._in_flight -= 1
        self._sent.append(time.monotonic())

    def heard_from(self, chat_id: int) -> None:
        """The user of ``chat_id`` just wrote or pressed a button: what the bot sends next is a reply."""
        self._heard[chat_id] = time.monotonic()
        if len(self._heard) > 10_000:
            now = time.monotonic()
            self._heard = {c: t for c, t in self._heard.items() if now - t < REPLY_SECONDS}

    def _is_reply(self, chat_id: int | None, now: float) -> bool:
        heard = self._heard.get(chat_id) if chat_id is not None else None
        return heard is not None and now - heard < REPLY_SECONDS

    async def _take_for_answer(self, chat_id: int | None) -> bool:
        """Wait for a slot unless this is a reply; whether the message counts."""
        if self._is_reply(chat_id, time.monotonic()):
            return False  # a reply in a conversation: no limit of Telegram's applies
        self._answers_waiting += 1
        try:
            # the window frees up with time, not on an event: sleeping until then is the point
            while (wait := self._until_room(time.monotonic(), chat_id)) > 0:  # noqa: ASYNC110
                await asyncio.sleep(wait)
        finally:
            self._answers_waiting -= 1
        self._record(chat_id, time.monotonic())
        return True

    async def _take_for_broadcast(self, chat_id: int | None) -> bool:
        async with self._lock:  # broadcasts queue up; answers go around them
            while True:
                now = time.monotonic()
                wait = self._until_room(now, chat_id)
                if self._answers_waiting:
                    wait = max(wait, 0.002)
                if wait <= 0:
                    break
                await asyncio.sleep(wait)
            self._record(chat_id, now)
            return True

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
            counted = False
            if endpoint in SEND_ENDPOINTS:
                counted = await (self._take_for_broadcast(chat_id) if broadcast else self._take_for_answer(chat_id))
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
