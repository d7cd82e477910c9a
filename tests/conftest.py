"""Fixtures: the emulator on loopback, and the real bot running against it."""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from bot.app import build_services
from bot.emulator import TelegramEmulator
from bot.event import Event, load_event
from bot.runner import serve
from bot.runtime import Services
from bot.settings import Settings, load_settings
from bot.telegram_bot import NOT_MODIFIED
from storage.db import Database
from tests.stores import BACKENDS, TestStore, create_store, drop_store

ROOT = Path(__file__).resolve().parent.parent
HTML_ESCAPE = re.compile(r"&(?:amp|lt|gt|quot|#\d+|#x[0-9a-f]+);", re.IGNORECASE)
EXAMPLE_EVENT = ROOT / "examples" / "event.toml"


@pytest.fixture
def event() -> Event:
    return load_event(EXAMPLE_EVENT)


@pytest.fixture(params=BACKENDS)
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[TestStore]:
    """This test's database, on each backend in turn (tests/stores.py)."""
    store = create_store(request.param, tmp_path)
    yield store
    drop_store(store, tmp_path)


@pytest.fixture
async def emulator(store: TestStore) -> AsyncIterator[TelegramEmulator]:
    """Telegram on loopback. Whatever the bot does with it reaches a database: ``store``'s."""
    async with TelegramEmulator() as emu:
        yield emu
        # Telegram refuses an edit to what a message already shows; after a double tap that is a
        # normal state, which the bot absorbs (MaillageBot), never shown to the user as an error
        refused = [c for c in emu.errors() if NOT_MODIFIED not in (c.description or "")]
        escaped = [
            (phone.first_name, label)
            for phone in emu.phones
            for message in phone.bot_messages
            for label in message.button_labels
            if HTML_ESCAPE.search(label)
        ]
        assert not escaped, f"button labels are plain text, yet these show HTML escapes: {escaped}"
        assert not refused, "the bot made calls Telegram would refuse:\n" + "\n".join(
            f"{c.method}: {c.description} {c.params}" for c in refused
        )


def make_settings(emulator: TelegramEmulator, database_url: str, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "telegram_bot_token": emulator.token,
        "telegram_api_base_url": emulator.root_url,
        "database_url": database_url,
        "event_file": EXAMPLE_EVENT,
        "_env_file": None,
        **overrides,
    }
    return load_settings(**values)


@dataclass
class RunningBot:
    services: Services
    stop: Callable[[], Any]


@dataclass
class BotRunner:
    """Starts the real bot in this event loop against the emulator; stops it at teardown."""

    emulator: TelegramEmulator
    store: TestStore
    event: Event
    _running: list[tuple[asyncio.Event, asyncio.Task[None], Database]]

    async def start(
        self, *, clock: Callable[[], datetime] | None = None, sweep_seconds: float = 20.0, **settings: Any
    ) -> Services:
        db = self.store.open()
        await db.connect()
        services = build_services(
            make_settings(self.emulator, self.store.url, **settings),
            self.event,
            db,
            clock=clock,
            sweep_seconds=sweep_seconds,
        )
        stop = asyncio.Event()
        task = asyncio.create_task(serve(services, stop))
        self._running.append((stop, task, db))
        for _ in range(200):
            if self.emulator.polling or task.done():
                break
            await asyncio.sleep(0.025)
        if task.done():
            task.result()
        assert self.emulator.polling, "the bot did not start polling within 5 s"
        return services

    async def stop_all(self) -> None:
        while self._running:
            stop, task, db = self._running.pop()
            stop.set()
            await asyncio.wait_for(task, 10)
            await db.close()


@pytest.fixture
async def runner(emulator: TelegramEmulator, store: TestStore, event: Event) -> AsyncIterator[BotRunner]:
    runner = BotRunner(emulator, store, event, [])
    yield runner
    await runner.stop_all()


@pytest.fixture
async def bot(runner: BotRunner) -> Services:
    return await runner.start()


class FakeClock:
    """An injectable clock that tests move by hand (timezone-aware, UTC)."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


def rehearsal_zone(now: datetime, span: timedelta = timedelta(hours=1)) -> str:
    """A timezone where the next ``span`` stays within one day: compressed-time events never cross midnight."""
    from zoneinfo import ZoneInfo

    for name in ("Europe/Paris", "Asia/Tokyo", "America/New_York", "Pacific/Auckland"):
        zone = ZoneInfo(name)
        if now.astimezone(zone).date() == (now + span).astimezone(zone).date():
            return name
    raise AssertionError("unreachable: these zones are hours apart")
