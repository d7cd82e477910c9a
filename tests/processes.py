"""Running ``python -m bot`` as a real process against the emulator, for tests."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import sys
import time
from collections.abc import Callable
from pathlib import Path

from bot.emulator import TelegramEmulator
from tests import pg_budget
from tests.conftest import EXAMPLE_EVENT
from tests.stores import database_url_for

OUR_VARIABLES = (
    "TELEGRAM_",
    "DATABASE_URL",
    "EVENT_FILE",
    "ORGANISER_IDS",
    "DEFAULT_LANGUAGE",
    "LOG_LEVEL",
    "WEBHOOK_",
)


def environment(**values: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(OUR_VARIABLES)}
    env.update(values)
    return env


class BotProcess:
    """``python -m bot run``; its output goes to a file so that a chatty log never blocks it."""

    def __init__(self, process: asyncio.subprocess.Process, log: Path, budget: pg_budget.Reservation | None) -> None:
        self.process = process
        self.log = log
        self._budget = budget  # its PostgreSQL connections are in the test's (tests/pg_budget.py)
        started.append(self)

    async def stop(self, sig: int = signal.SIGTERM) -> int:
        self.process.send_signal(sig)
        status = await asyncio.wait_for(self.process.wait(), 15)
        self._exited()
        return status

    async def kill(self) -> None:
        self.process.kill()  # SIGKILL: no clean-up of any kind
        await self.process.wait()
        self._exited()

    def _exited(self) -> None:
        if self._budget is not None:
            self._budget.process_exited()
            self._budget = None

    @property
    def text(self) -> str:
        return self.log.read_text(errors="replace")


# every bot process a test started: whatever is still running when the test ends (it failed before
# stopping them) is killed then, so that it holds no port, database connection or CPU for the next tests
started: list[BotProcess] = []


def kill_leftovers() -> None:
    for bot in started:
        if bot.process.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                os.kill(bot.process.pid, signal.SIGKILL)
        bot._exited()
    started.clear()


def bot_environment(tmp_path: Path, emulator: TelegramEmulator, **extra: str) -> dict[str, str]:
    values = {
        "TELEGRAM_BOT_TOKEN": emulator.token,
        "TELEGRAM_API_BASE_URL": emulator.root_url,
        "DATABASE_URL": database_url_for(tmp_path),
        "EVENT_FILE": str(EXAMPLE_EVENT),
        "LOG_LEVEL": "DEBUG",
    }
    return environment(**{**values, **extra})


async def start_bot(tmp_path: Path, emulator: TelegramEmulator, command: str = "run", **extra: str) -> BotProcess:
    """Start the bot process (``run``, or ``ingress``, ``worker``) and wait until it polls the emulator
    (a worker: until it says it is up)."""
    log = tmp_path / "bot.log"
    env = bot_environment(tmp_path, emulator, **extra)
    postgres = env["DATABASE_URL"].startswith("postgresql")
    budget = pg_budget.current if postgres else None
    if budget is not None:
        budget.start_process()
    with log.open("ab") as out:
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "bot",
            command,
            cwd=tmp_path,
            env=env,
            stdout=out,
            stderr=asyncio.subprocess.STDOUT,
        )
    bot = BotProcess(process, log, budget)
    if command == "worker":
        await wait_until(lambda: ("worker" in bot.text and "is up" in bot.text) or process.returncode is not None)
        assert process.returncode is None, bot.text
    elif "WEBHOOK_URL" not in extra:
        await wait_until(lambda: emulator.polling or process.returncode is not None)
        assert process.returncode is None, bot.text
    return bot


async def run_command(tmp_path: Path, emulator: TelegramEmulator, *args: str, **extra: str) -> tuple[int, str]:
    """Another ``python -m bot`` command (invite, ...) against the same emulator and database."""
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        *args,
        cwd=tmp_path,
        env=bot_environment(tmp_path, emulator, **extra),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    out, _ = await asyncio.wait_for(process.communicate(), 60)
    assert process.returncode is not None
    return process.returncode, out.decode()


async def wait_until(predicate: Callable[[], bool], timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "timed out"
        await asyncio.sleep(0.02)
