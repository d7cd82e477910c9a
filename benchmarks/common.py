"""What every benchmark shares: the bots under test as processes, timing, reports.

The emulator and the simulated phones run in the benchmark's process; each bot runs
in a process of its own, so the emulator's work is not charged to the bot.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import platform
import secrets
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from bot.emulator import Phone, TelegramEmulator
from bot.emulator.phone import ChatMessage

T = TypeVar("T")

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "benchmarks" / "results"
EXAMPLE_EVENT = ROOT / "examples" / "event.toml"
AIOGRAM_REQUIREMENT = "aiogram==3.31.0"
AIOGRAM_VENV = ROOT / "benchmarks" / ".venv-aiogram"

OUR_VARIABLES = (
    "TELEGRAM_",
    "DATABASE_URL",
    "EVENT_FILE",
    "ORGANISER_IDS",
    "DEFAULT_LANGUAGE",
    "LOG_LEVEL",
    "WEBHOOK_",
)


# ---------------------------------------------------------------------- the machine and the figures


def machine() -> dict[str, Any]:
    model = ""
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        for line in cpuinfo.read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    return {
        "cores": os.cpu_count(),
        "cpu": model or platform.processor(),
        "python": platform.python_version(),
        "platform": platform.platform(terse=True),
    }


def percentile(values: Sequence[float], q: float) -> float:
    """The q-th percentile (0-100), nearest rank."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    rank = max(0, min(len(ordered) - 1, round(q / 100 * len(ordered) + 0.5) - 1))
    return ordered[rank]


def latency_summary(values: Sequence[float]) -> dict[str, float]:
    return {
        "p50_ms": round(percentile(values, 50) * 1000, 2),
        "p95_ms": round(percentile(values, 95) * 1000, 2),
        "p99_ms": round(percentile(values, 99) * 1000, 2),
        "max_ms": round(max(values) * 1000, 2) if values else float("nan"),
    }


def median_report(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """Field by field median of repeated runs (numbers only; other fields from the first run)."""
    merged: dict[str, Any] = {}
    for key, value in runs[0].items():
        if isinstance(value, int) and not isinstance(value, bool) and all(r[key] == value for r in runs):
            merged[key] = value  # a count every run shares stays a whole number
        elif isinstance(value, int | float) and not isinstance(value, bool):
            merged[key] = round(statistics.median(float(r[key]) for r in runs), 3)
        else:
            merged[key] = value
    return merged


def write_report(name: str, report: dict[str, Any]) -> Path:
    RESULTS.mkdir(parents=True, exist_ok=True)
    out = RESULTS / f"{name}.json"
    out.write_text(json.dumps({"benchmark": name, "machine": machine(), **report}, indent=2, ensure_ascii=False))
    return out


def print_table(title: str, headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
    cells = [[str(h) for h in headers]] + [[str(c) for c in row] for row in rows]
    widths = [max(len(r[i]) for r in cells) for i in range(len(headers))]
    m = machine()
    print(f"\n{title}\nmachine: {m['cores']} cores ({m['cpu']}), Python {m['python']}\n")
    for n, row in enumerate(cells):
        print("  ".join(c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(row, widths, strict=True))))
        if n == 0:
            print("  ".join("-" * w for w in widths))


def parser(doc: str | None) -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(description=doc, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--quick", action="store_true", help="a small run of a few seconds, for CI")
    p.add_argument("--runs", type=int, default=None, help="repetitions (the report gives medians)")
    return p


# ---------------------------------------------------------------------- the bots under test


@dataclass(frozen=True)
class Contender:
    label: str
    argv: tuple[str, ...]
    env: tuple[tuple[str, str], ...] = ()


def maillage() -> Contender:
    return Contender("Maillage (real handlers, SQLite)", (sys.executable, "-m", "bot", "run"))


def maillage_paid_budget() -> Contender:
    """Maillage with its send budget at what Telegram's paid broadcasts allow (1,000 a second), so that
    it is measured on its own work, like the echo bots, which pace nothing."""
    return Contender(
        "Maillage (real handlers, SQLite; budget 1,000/s)",
        maillage().argv,
        (("TELEGRAM_MESSAGES_PER_SECOND", "1000"),),
    )


async def start_maillage(
    contender: Contender, emulator: TelegramEmulator, workdir: Path, workers: int = 0, **env: str
) -> list[BotProcess]:
    """Maillage in one process (``workers=0``), or as an ingress and that many workers (PostgreSQL:
    ``DATABASE_URL`` in ``env``); the ingress first."""
    if not workers:
        return [await BotProcess.start(contender, emulator, workdir, environment=env)]

    def as_role(role: str) -> Contender:
        return Contender(f"{contender.label}: {role}", (*contender.argv[:-1], role), contender.env)

    env = {"LOG_LEVEL": "INFO", **env}  # a worker says "is up" at INFO
    processes = [await BotProcess.start(as_role("ingress"), emulator, workdir, environment=env)]
    for _ in range(workers):
        processes.append(
            await BotProcess.start(as_role("worker"), emulator, workdir, ready="is up as", environment=env)
        )
    return processes


def maillage_at(revision: str, tree: Path) -> Contender:
    """Maillage as it was at ``revision``, its source laid out in ``tree`` (see :func:`checkout`)."""
    return Contender(f"Maillage at {revision}", maillage().argv, (("PYTHONPATH", str(tree)),))


def checkout(revision: str, into: Path) -> Path:
    """The project's files at ``revision`` (git archive), for a before/after comparison in one run."""
    into.mkdir(parents=True, exist_ok=True)
    archive = subprocess.run(["git", "-C", str(ROOT), "archive", revision], check=True, capture_output=True)
    subprocess.run(["tar", "-x", "-C", str(into)], input=archive.stdout, check=True)
    return into


async def against(revision: str | None, measure: Callable[[Contender | None], Awaitable[None]]) -> None:
    """``measure`` given Maillage as it was at ``revision`` (``--against``), or None without one."""
    with tempfile.TemporaryDirectory() as tmp:
        await measure(maillage_at(revision, checkout(revision, Path(tmp))) if revision else None)


def ptb_echo() -> Contender:
    return Contender("echo bot, PTB defaults", (sys.executable, "-m", "benchmarks.echo_bot", "ptb-defaults"))


def setup_echo() -> Contender:
    """A bare echo bot on Maillage's own set-up (per-user ordered concurrency, the aiohttp transport):
    what the framework and transport cost, so that the rest of Maillage's time is its own work."""
    return Contender(
        "echo bot, PTB with Maillage's set-up (per-user concurrency, aiohttp)",
        (sys.executable, "-m", "benchmarks.echo_bot", "ptb-peruser-aiohttp"),
    )


def aiogram_echo() -> Contender:
    return Contender("echo bot, aiogram 3", (str(aiogram_python()), str(ROOT / "benchmarks" / "aiogram_echo.py")))


def aiogram_python() -> Path:
    """The Python of a virtual environment holding only aiogram, made on first use.

    aiogram pins pydantic below the version the project uses, so it cannot share the
    project's environment; a separate one also keeps the baseline a bare aiogram.
    """
    python = AIOGRAM_VENV / "bin" / "python"
    marker = AIOGRAM_VENV / "installed.txt"
    if python.exists() and marker.exists() and marker.read_text() == AIOGRAM_REQUIREMENT:
        return python
    subprocess.run([sys.executable, "-m", "venv", "--clear", str(AIOGRAM_VENV)], check=True)
    subprocess.run(
        [str(python), "-m", "pip", "install", "--quiet", "--disable-pip-version-check", AIOGRAM_REQUIREMENT],
        check=True,
    )
    marker.write_text(AIOGRAM_REQUIREMENT)
    return python


def bot_environment(emulator: TelegramEmulator, workdir: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(OUR_VARIABLES)}
    env.update(
        TELEGRAM_BOT_TOKEN=emulator.token,
        TELEGRAM_API_BASE_URL=emulator.root_url,
        DATABASE_URL=f"sqlite:///{workdir / 'bench.db'}",
        EVENT_FILE=str(EXAMPLE_EVENT),
        LOG_LEVEL="WARNING",
        PYTHONPATH=str(ROOT),
    )
    env.update(extra)
    return env


class BotProcess:
    """A bot under test in its own process, polling the emulator."""

    def __init__(self, process: asyncio.subprocess.Process, log: Path, started: float) -> None:
        self.process = process
        self.log = log
        self.started = started  # time.monotonic() at spawn
        self.ready_after: float | None = None  # seconds from spawn to the first long poll

    @classmethod
    async def start(
        cls,
        contender: Contender,
        emulator: TelegramEmulator,
        workdir: Path,
        timeout: float = 60,
        ready: str | None = None,
        environment: dict[str, str] | None = None,
        **env: str,
    ) -> BotProcess:
        """Start the bot and wait until it polls the emulator (or, ``ready``, until its log says so)."""
        env = {**(environment or {}), **env}
        log = workdir / f"bot-{time.monotonic_ns()}.log"
        started = time.monotonic()
        with log.open("wb") as out:
            process = await asyncio.create_subprocess_exec(
                *contender.argv,
                cwd=workdir,
                env=bot_environment(emulator, workdir, **dict(contender.env), **env),
                stdout=out,
                stderr=asyncio.subprocess.STDOUT,
            )
        bot = cls(process, log, started)
        deadline = started + timeout

        def up() -> bool:
            return ready in log.read_text(errors="replace") if ready else emulator.polling

        while not up():
            if process.returncode is not None or time.monotonic() > deadline:
                await bot.stop()
                raise RuntimeError(f"{contender.label} did not start:\n{log.read_text(errors='replace')[-3000:]}")
            await asyncio.sleep(0.005)
        bot.ready_after = time.monotonic() - started
        return bot

    def memory_kb(self) -> dict[str, int]:
        """Resident memory now (VmRSS) and at its peak (VmHWM), in KiB."""
        fields: dict[str, int] = {}
        for line in Path(f"/proc/{self.process.pid}/status").read_text().splitlines():
            key, _, value = line.partition(":")
            if key in ("VmRSS", "VmHWM"):
                fields[key] = int(value.split()[0])
        return fields

    async def stop(self) -> int:
        if self.process.returncode is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                await asyncio.wait_for(self.process.wait(), 20)
            except TimeoutError:
                self.process.kill()
        return await self.process.wait()


# ---------------------------------------------------------------------- PostgreSQL and processes

POSTGRES_SERVER = os.environ.get("MAILLAGE_TEST_POSTGRES", "postgresql://postgres@127.0.0.1:5432/test")


@contextlib.asynccontextmanager
async def postgres_schema(copy_from: Path | None = None) -> AsyncIterator[str]:
    """A schema of its own on the test PostgreSQL (scripts/start-postgres), its URL yielded, dropped
    after; ``copy_from`` a SQLite file whose rows it starts with (as ``python -m bot migrate-db``)."""
    import asyncpg

    from storage.backends import open_database
    from storage.db import SqliteDatabase
    from storage.transfer import copy_database

    schema = f"bench_{secrets.token_hex(6)}"
    admin = await asyncpg.connect(POSTGRES_SERVER)
    try:
        await admin.execute(f"CREATE SCHEMA {schema}")
        url = f"{POSTGRES_SERVER}{'&' if '?' in POSTGRES_SERVER else '?'}search_path={schema}"
        async with open_database(url) as target:
            if copy_from is not None:
                async with SqliteDatabase(copy_from) as source:
                    await copy_database(source, target)
        yield url
    finally:
        await admin.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")
        await admin.close()


def cpu_seconds(pid: int) -> float:
    """User and system CPU a process has used so far (0 once it is gone)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def postgres_pids() -> list[int]:
    """The PostgreSQL server's processes on this machine (its backends do the database's work)."""
    pids = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if (entry / "comm").read_text().strip().startswith("postgres"):
                    pids.append(int(entry.name))
            except OSError:
                continue
    return pids


# ---------------------------------------------------------------------- acting as a user


async def timed(phone: Phone, action: Callable[[], Awaitable[Any]], timeout: float = 30.0) -> float:
    """Do ``action`` and return the seconds until the bot visibly answers in that chat."""
    before = phone.bot_version
    started = time.monotonic()
    await action()
    await phone.wait_bot_change(before, timeout)
    return time.monotonic() - started


def buttons_on(msg: ChatMessage, prefix: str) -> list[str]:
    """The callback data of ``msg``'s buttons that start with ``prefix``."""
    return [b["callback_data"] for row in msg.buttons for b in row if b.get("callback_data", "").startswith(prefix)]


def newest_buttons(phone: Phone, prefix: str, among: int | None = 3) -> tuple[ChatMessage, list[str]] | None:
    """The newest of the last ``among`` bot messages (all when None) with such buttons, and their data."""
    messages = phone.bot_messages if among is None else phone.bot_messages[-among:]
    for msg in reversed(messages):
        if options := buttons_on(msg, prefix):
            return msg, options
    return None


def has_button(phone: Phone, prefix: str) -> bool:
    return newest_buttons(phone, prefix, among=1) is not None


async def wait_until(phone: Phone, check: Callable[[], T], timeout: float = 10.0) -> T | None:
    """``check()`` once it is truthy, re-checked at each change the bot makes in the chat; None on timeout.

    An answer can come in two parts (an edit, then a new message): the next tap waits for
    what it needs, as a person would.
    """
    deadline = time.monotonic() + timeout
    while not (found := check()):
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            return None
        try:
            await phone.wait_bot_change(phone.bot_version, remaining)
        except TimeoutError:
            return None
    return found


async def wait_button(phone: Phone, prefix: str, timeout: float = 10.0, among: int = 3) -> bool:
    return await wait_until(phone, lambda: newest_buttons(phone, prefix, among), timeout) is not None


async def wait_for_buttons(phone: Phone, msg: ChatMessage, prefix: str, timeout: float = 10.0) -> list[str]:
    """The buttons of ``msg`` whose data start with ``prefix``, once it shows some ([] if it never does)."""
    return await wait_until(phone, lambda: buttons_on(msg, prefix), timeout) or []


async def press_matching(phone: Phone, prefix: str, choose: Callable[[list[str]], str] | None = None) -> bool:
    """Press a button whose callback data starts with ``prefix`` on the newest message that has one."""
    found = newest_buttons(phone, prefix, among=None)
    if found is None:
        return False
    msg, options = found
    await phone.press_raw(choose(options) if choose else options[0], msg)
    return True


def services_on(db: Any, event: Any, clock: Any = None) -> Any:
    """The bot's own services (``build_services``) on a database, as the command line builds them."""
    from bot.app import build_services
    from bot.settings import load_settings

    return build_services(load_settings(require_token=False), event, db, clock=clock)
