"""Fixtures: the emulator on loopback, and the real bot running against it."""

from __future__ import annotations

import asyncio
import contextlib
import os
import random
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
from bot.telegram.bot import NOT_MODIFIED
from storage.db import Database
from tests import pg_budget
from tests.stores import BACKENDS, TestStore, create_store, drop_store

ROOT = Path(__file__).resolve().parent.parent
HTML_ESCAPE = re.compile(r"&(?:amp|lt|gt|quot|#\d+|#x[0-9a-f]+);", re.IGNORECASE)
EXAMPLE_EVENT = ROOT / "examples" / "event.toml"


# Tests that take ten seconds or more on 2 cores (``--durations``): ``-m "not slow"`` leaves them out
# for a quick run while working (they are 49 of 682, three fifths of a serial run); the README's command runs all.
SLOW = (
    "test_benchmarks.py",
    "test_broadcast_load.py",
    "test_reminders_crash.py",
    "test_workers.py",
    "test_burst.py::test_a_crowd_under_the_strict_reading_is_answered_at_telegrams_pace",
    "test_inbox.py::test_repeated_kills_lose_nothing_and_duplicates_are_counted",
    "test_inbox.py::test_updates_taken_from_telegram_survive_a_sigkill",
    "test_meetings_property.py::test_random_sequences_keep_the_invariants",
    "test_notices.py::test_requests_made_just_before_a_crash_reach_the_stand_after_the_restart",
    "test_notices.py::test_a_stop_while_telegram_answers_holds_no_chat_after_the_restart",
    "test_organisers.py::test_each_audience_gets_exactly_its_people",
    "test_planner.py::test_at_the_reference_size_the_plan_is_proven_and_fairer_than_first_come_first_served",
    "test_planner_e2e.py::test_plan_preview_publish_agenda_and_why",
    "test_planner_e2e.py::test_a_full_stand_is_explained_reminders_come_and_planning_again_fills_a_freed_place",
    "test_planner_e2e.py::test_import_and_plan_from_the_command_line",
    "test_registration.py::test_a_crowd_registering_at_once_is_confirmed_and_keeps_one_live_prompt",
    "test_registration_processes.py::test_a_registration_resumes_where_it_was_after_sigkill",
    "test_transport.py::test_a_silent_server_is_a_read_timeout",
)


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--backend", choices=BACKENDS, help="run the tests that reach a database on this backend only (default: both)"
    )
    parser.addoption(
        "--shuffle",
        type=int,
        metavar="SEED",
        help="run the tests in an order shuffled by SEED (the same on every worker), to find order dependence",
    )


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "slow: ten seconds or more on 2 cores; -m 'not slow' for a quick run")
    config.addinivalue_line("markers", "bot_processes(n): how many bot processes on PostgreSQL the test runs at a time")


def pytest_xdist_auto_num_workers(config: pytest.Config) -> int:
    """``-n auto``: two workers a core. The suite mostly waits (bot processes, sockets, timers: 7 CPU
    minutes in 21 minutes of a serial run), so on 2 cores 4 workers overlap the waits."""
    return 2 * (os.cpu_count() or 1)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        name = item.nodeid.removeprefix("tests/").split("[", 1)[0]
        if any(name == slow or name.startswith(slow + "::") for slow in SLOW):
            item.add_marker(pytest.mark.slow)
    backend = config.getoption("--backend")
    if backend is not None:
        other = [i for i in items if _backend_of(i) not in (None, backend)]
        if other:
            config.hook.pytest_deselected(items=other)
            items[:] = [i for i in items if i not in other]
    seed = config.getoption("--shuffle")
    if seed is not None:
        random.Random(seed).shuffle(items)


def _backend_of(item: pytest.Item) -> str | None:
    callspec = getattr(item, "callspec", None)
    return callspec.params.get("store") if callspec is not None else None


def pytest_report_header(config: pytest.Config) -> str | None:
    seed = config.getoption("--shuffle")
    return f"tests shuffled with seed {seed}" if seed is not None else None


@pytest.fixture(autouse=True)
def _no_bot_process_outlives_its_test() -> Iterator[None]:
    yield
    from tests.processes import kill_leftovers  # tests/processes.py imports this module

    kill_leftovers()


@pytest.fixture
def event() -> Event:
    return load_event(EXAMPLE_EVENT)


@pytest.fixture(params=BACKENDS)
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[TestStore]:
    """This test's database, on each backend in turn (tests/stores.py)."""
    with pg_budget.reserve(bot_processes(request)) if request.param == "postgresql" else contextlib.nullcontext():
        store = create_store(request.param, tmp_path)
        yield store
        drop_store(store, tmp_path)


@pytest.fixture
def pg_store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[TestStore]:
    """PostgreSQL only (an ingress and workers need it): this test's schema, room for three bot processes."""
    with pg_budget.reserve(bot_processes(request, default=3)):
        store = create_store("postgresql", tmp_path)
        yield store
        drop_store(store, tmp_path)


def bot_processes(request: pytest.FixtureRequest, default: int = 1) -> int:
    """How many bot processes the test runs at a time (``pytest.mark.bot_processes``)."""
    marker = request.node.get_closest_marker("bot_processes")
    return int(marker.args[0]) if marker else default


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
