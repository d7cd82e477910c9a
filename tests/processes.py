"""Running ``python -m bot`` as a real process against the emulator, for tests."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
import time
from collections.abc import Callable
from pathlib import Path

from bot.emulator import TelegramEmulator
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

    def __init__(self, process: asyncio.subprocess.Process, log: Path) -> None:
        self.process = process
        self.log = log

    async def stop(self, sig: int = signal.SIGTERM) -> int:
        self.process.send_signal(sig)
        return await asyncio.wait_for(self.process.wait(), 15)

    async def kill(self) -> None:
        self.process.kill()  # SIGKILL: no clean-up of any kind
        await self.process.wait()

    @property
    def text(self) -> str:
        return self.log.read_text(errors="replace")


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
    with log.open("ab") as out:
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "bot",
            command,
            cwd=tmp_path,
            env=bot_environment(tmp_path, emulator, **extra),
            stdout=out,
            stderr=asyncio.subprocess.STDOUT,
        )
    bot = BotProcess(process, log)
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
