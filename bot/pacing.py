"""One budget for everything the bot sends: Telegram allows about 30 messages a second.

Answers to people never wait; broadcasts take what is left of the budget, and never
write to a chat that got a message less than a second ago. So a broadcast can run at
full speed without pushing the bot into 429s, and a crowd is still answered at once.
"""

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
# Slightly longer than Telegram's one-second window, so that network jitter cannot make
# two windows overlap from Telegram's point of view
WINDOW = 1.02
BROADCAST = {"broadcast": True}


def retry_seconds(error: RetryAfter) -> float:
    value = error.retry_after
    return float(value.total_seconds()) if hasattr(value, "total_seconds") else float(value)


class PacedRateLimiter(BaseRateLimiter[dict[str, Any]]):
    def __init__(self, per_second: int = 30, max_retries: int = 3) -> None:
        self.per_second = per_second
        self.max_retries = max_retries
        self._sent: deque[float] = deque()
        self._answers: deque[float] = deque()  # the interactive part of _sent
        self._last_in_chat: dict[int, float] = {}
        self._lock = asyncio.Lock()

    async def initialize(self) -> None:
        pass

    async def shutdown(self) -> None:
        pass

    def _expire(self, now: float) -> None:
        for window in (self._sent, self._answers):
            while window and now - window[0] >= WINDOW:
                window.popleft()

    async def _take(self, chat_id: int | None, broadcast: bool) -> None:
        if not broadcast:
            now = time.monotonic()
            self._sent.append(now)
            self._answers.append(now)
            if chat_id is not None:
                self._last_in_chat[chat_id] = now
            return
        async with self._lock:  # broadcasts queue up; answers go around them
            while True:
                now = time.monotonic()
                self._expire(now)
                wait = 0.0
                # leave room for answers: as many as came in the last second, and one more
                if len(self._sent) >= self.per_second - 1 - len(self._answers):
                    wait = max(0.01, self._sent[0] + WINDOW - now) if self._sent else 0.01
                last = self._last_in_chat.get(chat_id) if chat_id is not None else None
                if last is not None and now - last < WINDOW:
                    wait = max(wait, last + WINDOW - now)
                if wait <= 0:
                    break
                await asyncio.sleep(wait)
            self._sent.append(now)
            if chat_id is not None:
                self._last_in_chat[chat_id] = now
                if len(self._last_in_chat) > 10_000:
                    self._last_in_chat = {c: t for c, t in self._last_in_chat.items() if now - t < WINDOW}

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
            if endpoint in SEND_ENDPOINTS:
                await self._take(chat_id, broadcast)
            try:
                return await callback(*args, **kwargs)
            except RetryAfter as error:
                if broadcast or attempt == self.max_retries:
                    raise  # the outbox reschedules the delivery itself
                await asyncio.sleep(retry_seconds(error) + 0.1)
        raise AssertionError("unreachable")
