"""One ingress and two workers on PostgreSQL (bot/telegram/cluster.py): each user's messages handled in order
across processes, none lost when a worker is killed, and Telegram's budget shared."""

from __future__ import annotations

import asyncio
import os
import random
import re
import signal
import socket
from datetime import UTC, datetime
from pathlib import Path

from bot.emulator import TELEGRAM_LIMITS_STRICT, Phone, TelegramEmulator
from bot.event import load_event
from bot.telegram.pacing import in_flight_for
from tests.conftest import EXAMPLE_EVENT
from tests.helpers import services_on
from tests.processes import BotProcess, run_command, start_bot, wait_until
from tests.stores import TestStore
from tests.test_broadcast_load import TEXT, broadcasts_received, populate, write_result
from tests.test_notices import HeldAnswer
from tests.test_reminders_crash import prepare

USERS = 12
MESSAGES = 12  # per user
ASKED = re.compile(r"« m(\d+) »")


def seen(phone: Phone) -> list[int]:
    """The numbers of the user's messages, in the order the bot answered them."""
    return [int(m.group(1)) for message in phone.bot_messages if (m := ASKED.search(message.text or ""))]


async def numbered_messages(phone: Phone, rng: random.Random) -> None:
    for n in range(1, MESSAGES + 1):
        await phone.send(f"/search m{n}")
        await asyncio.sleep(rng.uniform(0.0, 0.15))


async def start_role(
    tmp_path: Path, emulator: TelegramEmulator, url: str, role: str, name: str, **extra: str
) -> BotProcess:
    folder = tmp_path / name
    folder.mkdir()
    return await start_bot(
        folder,
        emulator,
        command=role,
        **{"DATABASE_URL": url, "LOG_LEVEL": "INFO", "INBOX_LEASE_SECONDS": "2", **extra},
    )


async def kill_holding_updates(workers: list[BotProcess], store: TestStore) -> tuple[BotProcess, int]:
    """SIGKILL a worker at a moment it holds updates (both frozen to look); returns it and how many it held.
    Either may be the one: the one that finishes an update is often the one that claims its user's next."""
    for _ in range(500):
        for worker in workers:
            os.kill(worker.process.pid, signal.SIGSTOP)
        for worker in workers:
            pid = worker.process.pid
            held = int(store.scalar("SELECT COUNT(*) FROM inbox WHERE claimed_by LIKE ?", (f"%:{pid}:%",)))
            if held:
                await worker.kill()
                for other in workers:
                    if other is not worker:
                        os.kill(other.process.pid, signal.SIGCONT)
                return worker, held
        for worker in workers:
            os.kill(worker.process.pid, signal.SIGCONT)
        await asyncio.sleep(0.01)
    raise AssertionError("no worker was ever seen holding an update")


async def test_a_killed_worker_loses_nothing_and_each_user_keeps_their_order(
    pg_store: TestStore, tmp_path: Path
) -> None:
    """Under load (people writing, 200 reminders falling due, a broadcast to 300), one of two workers
    is killed while it holds updates: nothing is lost, everyone's messages are answered in order, and
    what went out twice is counted."""
    rng = random.Random(20261202)
    async with TelegramEmulator() as emulator:
        start = datetime.now(UTC)
        due_by_user = await prepare(pg_store, emulator, start)  # 200 reminders due from 4 s to 24 s
        async with pg_store.open() as db:
            recipients = await populate(db, emulator, 300_000, 300)
            services = services_on(db, load_event(EXAMPLE_EVENT))
            author = await services.registration.participant(300_000)
            assert author is not None
            await services.broadcasts.announce(author, TEXT, "all", None)
        ingress = await start_role(tmp_path, emulator, pg_store.url, "ingress", "ingress")
        workers = [await start_role(tmp_path, emulator, pg_store.url, "worker", f"worker{n}") for n in range(2)]
        phones = [emulator.user(f"U{n}", started=True) for n in range(USERS)]
        talking = asyncio.gather(*(numbered_messages(phone, rng) for phone in phones))
        await wait_until(lambda: sum(len(seen(p)) for p in phones) >= USERS * MESSAGES // 3, timeout=30)
        killed, in_hand = await kill_holding_updates(workers, pg_store)
        [survivor] = [w for w in workers if w is not killed]
        await talking

        def reminded(user_id: int) -> int:
            return sum(1 for m in emulator._users[user_id].phone.bot_messages if m.content.startswith("⏰"))

        await wait_until(lambda: all(set(seen(p)) == set(range(1, MESSAGES + 1)) for p in phones), timeout=60)
        await wait_until(lambda: all(reminded(u) for u in due_by_user), timeout=60)
        await wait_until(lambda: all(broadcasts_received(p) for p in recipients), timeout=60)
        await asyncio.sleep(1.0)  # anything sent twice has shown by now
        for phone in phones:
            order = seen(phone)
            assert order == sorted(order), f"{phone.first_name} was answered out of order: {order}"
        twice = {
            "updates": sum(len(seen(p)) for p in phones) - USERS * MESSAGES,
            "reminders": sum(reminded(u) for u in due_by_user) - len(due_by_user),
            "broadcast": sum(broadcasts_received(p) for p in recipients) - len(recipients),
        }
        # Only what the killed worker had in hand can go twice: an update per user it held; a reminder or
        # a broadcast message sent but not yet marked sent (a few: the senders keep few on their way)
        assert 0 <= twice["updates"] <= in_hand, (in_hand, twice)
        assert 0 <= twice["reminders"] + twice["broadcast"] <= in_flight_for(30), twice
        assert pg_store.scalar("SELECT COUNT(*) FROM inbox") == 0  # what it held was taken over
        for process in (survivor, ingress):
            assert await process.stop() == 0, process.text
        assert "Traceback" not in survivor.text + ingress.text
        write_result("workers_kill", {"killed_holding_updates": in_hand, "sent_twice": twice})


async def test_workers_and_an_ingress_need_postgresql(tmp_path: Path) -> None:
    async with TelegramEmulator() as emulator:
        for role in ("worker", "ingress"):
            status, out = await run_command(tmp_path, emulator, role, DATABASE_URL=f"sqlite:///{tmp_path / 'm.db'}")
            assert status == 2 and f"python -m bot {role} shares a PostgreSQL database" in out, out


async def test_two_workers_share_telegrams_budget_for_a_broadcast_of_1000(pg_store: TestStore, tmp_path: Path) -> None:
    async with TelegramEmulator(flood=TELEGRAM_LIMITS_STRICT) as emulator:
        async with pg_store.open() as db:
            phones = await populate(db, emulator, 300_000, 1000)
            author = await services_on(db, load_event(EXAMPLE_EVENT)).registration.participant(300_000)
            assert author is not None
            await services_on(db, load_event(EXAMPLE_EVENT)).broadcasts.announce(author, TEXT, "all", None)
        ingress = await start_role(tmp_path, emulator, pg_store.url, "ingress", "ingress")
        workers = [await start_role(tmp_path, emulator, pg_store.url, "worker", f"worker{n}") for n in range(2)]
        await emulator.wait_for(lambda: all(broadcasts_received(p) for p in phones), timeout=120)
        for process in (*workers, ingress):
            assert await process.stop() == 0, process.text

    sent = sorted(c.received_at for c in emulator.calls if c.method == "sendMessage" and c.ok)
    too_many = [c for c in emulator.calls if c.error_code == 429]
    floor = (len(phones) - 1) / 30
    report = {
        "workers": 2,
        "recipients": len(phones),
        "seconds": round(sent[-1] - sent[0], 2),
        "floor_seconds": round(floor, 2),
        "ratio_to_floor": round((sent[-1] - sent[0]) / floor, 3),
        "responses_429": len(too_many),
        "sent_twice": sum(broadcasts_received(p) for p in phones) - len(phones),
    }
    write_result("broadcast_two_workers", report)
    assert too_many == [], report
    assert report["sent_twice"] == 0, report
    assert pg_store.scalar("SELECT COUNT(DISTINCT claimed_by) FROM deliveries") == 2  # both sent their share


async def test_a_question_a_dead_worker_left_unasked_is_asked_once_by_another(
    pg_store: TestStore, tmp_path: Path
) -> None:
    async with TelegramEmulator() as emulator:
        ingress = await start_role(tmp_path, emulator, pg_store.url, "ingress", "ingress")
        workers = [await start_role(tmp_path, emulator, pg_store.url, "worker", f"worker{n}") for n in range(2)]
        camille = emulator.user("Camille", language_code="fr", started=True)
        async with pg_store.open() as db:  # as if a worker had stored the consent, then died before asking
            await services_on(db, load_event(EXAMPLE_EVENT)).registration.begin(camille.id, "fr", None, "Camille")
        resumed = await camille.wait_for_text("Reprenons où nous en étions", timeout=10)
        assert "nom complet" in resumed.text
        await asyncio.sleep(3.0)  # both workers looked again meanwhile
        assert len([m for m in camille.bot_messages if "Reprenons" in (m.text or "")]) == 1
        for process in (*workers, ingress):
            assert await process.stop() == 0, process.text


async def test_an_ingress_on_the_webhook_hands_updates_to_a_worker(pg_store: TestStore, tmp_path: Path) -> None:
    """As deploy/compose.yaml runs them: the ingress receives Telegram's webhook, a worker answers."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    webhook = {
        "WEBHOOK_URL": f"http://127.0.0.1:{port}/telegram",
        "WEBHOOK_SECRET": "s3cret",
        "WEBHOOK_PORT": str(port),
    }
    async with TelegramEmulator() as emulator:
        ingress = await start_role(tmp_path, emulator, pg_store.url, "ingress", "ingress", **webhook)
        await wait_until(lambda: bool(emulator.calls_to("setWebhook")) or ingress.process.returncode is not None)
        assert ingress.process.returncode is None, ingress.text
        worker = await start_role(tmp_path, emulator, pg_store.url, "worker", "worker")
        sam = emulator.user("Sam", language_code="fr")
        for n in range(1, 6):
            await sam.send(f"/search m{n}")
        await wait_until(lambda: len(seen(sam)) == 5)
        assert seen(sam) == [1, 2, 3, 4, 5]
        for process in (worker, ingress):
            assert await process.stop() == 0, process.text


async def test_a_worker_whose_lease_ran_out_handles_what_it_holds_once(pg_store: TestStore, tmp_path: Path) -> None:
    """A worker's claim may run out while it is still at work on the update (a machine so busy that its
    renewal came late): when it next claims, it takes that claim back without handling the update twice."""
    async with TelegramEmulator() as emulator:
        ingress = await start_role(tmp_path, emulator, pg_store.url, "ingress", "ingress")
        worker = await start_role(tmp_path, emulator, pg_store.url, "worker", "worker")
        sam = emulator.user("Sam", language_code="fr", started=True)
        lea = emulator.user("Léa", language_code="fr", started=True)
        answer = HeldAnswer(emulator, sam.id, None)
        await sam.send("/search m1")
        await asyncio.wait_for(answer.held.wait(), 10)  # the worker is at work on it, awaiting Telegram
        pg_store.execute("UPDATE inbox SET claimed_until = '2000-01-01T00:00:00+00:00'")  # its renewal is late
        await lea.send("/search m7")  # the ingress tells the worker, which claims at once
        await wait_until(lambda: len(seen(lea)) == 1)
        answer.released.set()
        await sam.send("/search m2")
        await wait_until(lambda: 2 in seen(sam))
        await asyncio.sleep(1.0)  # a second handling of m1 would have shown by now
        assert seen(sam) == [1, 2]
        assert pg_store.scalar("SELECT COUNT(*) FROM inbox") == 0
        for process in (worker, ingress):
            assert await process.stop() == 0, process.text
