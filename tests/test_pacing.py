"""The send budget on its own: what Telegram would count never exceeds its limit."""

from __future__ import annotations

import asyncio
import random
import time

from bot.telegram.pacing import BROADCAST, PacedRateLimiter


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


def busiest_second(arrivals: list[float]) -> int:
    arrivals = sorted(arrivals)
    return max((sum(1 for t in arrivals[i:] if t - start < 1.0) for i, start in enumerate(arrivals)), default=0)


async def test_replies_count_like_every_other_message() -> None:
    """The strict reading: a crowd's answers take slots of the same window as everything else."""
    limiter = PacedRateLimiter(per_second=5)
    arrivals: list[float] = []

    async def send() -> bool:
        arrivals.append(time.monotonic())
        return True

    for chat in range(15):
        limiter.heard_from(chat)
    await asyncio.gather(
        *(limiter.process_request(send, (), {}, "sendMessage", {"chat_id": c}, None) for c in range(15))
    )
    assert busiest_second(arrivals) <= 5
    assert max(arrivals) - min(arrivals) > 2.0  # 15 at 5 a second


async def test_replies_first_then_the_bots_own_messages_then_broadcasts() -> None:
    """While a broadcast and a wave of reminders fill the budget, a reply waits for one slot at most."""
    limiter = PacedRateLimiter(per_second=30)
    arrivals: list[tuple[str, float]] = []
    waits: list[float] = []

    async def send(kind: str) -> bool:
        await asyncio.sleep(0.01)  # the network
        arrivals.append((kind, time.monotonic()))
        return True

    async def broadcast(n: int) -> None:
        await limiter.process_request(send, ("broadcast",), {}, "sendMessage", {"chat_id": 10_000 + n}, BROADCAST)

    async def reminder(n: int) -> None:
        await limiter.process_request(send, ("reminder",), {}, "sendMessage", {"chat_id": 20_000 + n}, None)

    async def reply(n: int) -> None:
        await asyncio.sleep(0.5 + n * 0.13)
        limiter.heard_from(n)
        asked = time.monotonic()
        await limiter.process_request(send, ("reply",), {}, "sendMessage", {"chat_id": n}, None)
        waits.append(time.monotonic() - asked - 0.01)

    started = time.monotonic()
    await asyncio.gather(
        *(broadcast(n) for n in range(90)), *(reminder(n) for n in range(30)), *(reply(n) for n in range(15))
    )
    assert busiest_second([t for _, t in arrivals]) <= 30  # every message counted, none over
    assert max(waits) < 2 * (1.01 / 30) + 0.02, waits  # a reply waits one slot at most
    reminders_done = max(t for kind, t in arrivals if kind == "reminder")
    broadcasts_after = [t for kind, t in arrivals if kind == "broadcast" and t > reminders_done]
    assert len(broadcasts_after) >= 60  # the reminders went before most of the broadcast
    assert time.monotonic() - started < 135 / 30 + 1.0  # and the whole keeps Telegram's pace


async def test_a_share_of_the_budget_is_kept_and_no_share_sends_nothing() -> None:
    """Beside other processes (bot/telegram/cluster.py) a process sends at its share; with none it waits."""
    limiter = PacedRateLimiter(per_second=30)
    limiter.set_share(0)
    arrivals: list[float] = []

    async def send() -> bool:
        arrivals.append(time.monotonic())
        return True

    waiting = asyncio.gather(
        *(limiter.process_request(send, (), {}, "sendMessage", {"chat_id": c}, BROADCAST) for c in range(30))
    )
    await asyncio.sleep(0.5)
    assert arrivals == []  # no share: nothing goes out
    started = time.monotonic()
    limiter.set_share(10)  # a third of the budget
    await waiting
    assert busiest_second(arrivals) <= 10
    assert max(arrivals) - started > 1.9  # 30 at 10 a second
