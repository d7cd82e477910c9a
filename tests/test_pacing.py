"""The send budget on its own: what Telegram would count never exceeds its limit."""

from __future__ import annotations

import asyncio
import random
import time

from bot.pacing import BROADCAST, PacedRateLimiter


async def test_a_stalled_loop_never_bunches_broadcast_messages_on_telegrams_side() -> None:
    """Between taking a slot and the request reaching Telegram, the loop may stall (GC, a busy
    handler, a slow network): the budget counts a message until its answer, so the messages
    that arrive late never add up to more than 30 in any second."""
    limiter = PacedRateLimiter(per_second=30)
    rng = random.Random(7)
    arrivals: list[float] = []

    async def send(delay: float) -> bool:
        await asyncio.sleep(delay)  # the stall before the request leaves
        arrivals.append(time.monotonic())
        return True

    async def deliver(n: int) -> None:
        delay = 0.25 if n % 7 == 0 else rng.uniform(0, 0.02)
        await limiter.process_request(send, (delay,), {}, "sendMessage", {"chat_id": n}, BROADCAST)

    started = time.monotonic()
    await asyncio.gather(*(deliver(n) for n in range(100)))
    elapsed = time.monotonic() - started
    arrivals.sort()
    busiest = max(sum(1 for t in arrivals[i:] if t - start < 1.0) for i, start in enumerate(arrivals))
    assert busiest <= 30
    assert elapsed < 100 / 30 + 1.0  # and the pace stays close to what Telegram allows


async def test_replies_never_wait_and_do_not_count() -> None:
    limiter = PacedRateLimiter(per_second=2)

    async def send() -> bool:
        return True

    limiter.heard_from(1)
    started = time.monotonic()
    for _ in range(10):
        await limiter.process_request(send, (), {}, "sendMessage", {"chat_id": 1}, None)
    assert time.monotonic() - started < 0.1
    # a message the bot starts itself (a reminder) still finds the whole budget
    await limiter.process_request(send, (), {}, "sendMessage", {"chat_id": 2}, None)
    await limiter.process_request(send, (), {}, "sendMessage", {"chat_id": 3}, None)
    third = time.monotonic()
    await limiter.process_request(send, (), {}, "sendMessage", {"chat_id": 4}, None)
    assert time.monotonic() - third > 0.9  # the third within a second waits for the window
