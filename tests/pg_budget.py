"""PostgreSQL's connections, shared by every test run on this machine.

The test server takes 100 connections (``max_connections``); each Maillage process on PostgreSQL holds
up to six (its writer, its listener and a pool of four readers). One run of the suite, four xdist
workers, stays under that; two runs side by side, each with tests that start an ingress and four
workers, do not, and PostgreSQL refuses the rest ("too many clients already").

So a test takes, before it opens them, as many of ``BUDGET`` connection slots as it will hold, and
gives them back after. A slot is a file locked with ``flock`` in the system's temporary folder: every
run on the machine sees the same ones, and a process that dies lets go of its slots. A test that
needs more slots than are free waits its turn: one at a time through a turnstile (a lock of its
own), so a test that asks for many is not overtaken forever by tests that ask for few.
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import hashlib
import os
import tempfile
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

from tests.stores import POSTGRES_SERVER

BUDGET = 84  # of the server's 100: the rest for psql, scripts/start-postgres and short admin queries
PER_PROCESS = 6  # a Maillage process: writer, listener, four readers
PER_TEST = 2 * PER_PROCESS + 2  # the test's own: the bot in its process, one more database, a query or two
_FOLDER = Path(tempfile.gettempdir()) / f"maillage-pg-slots-{hashlib.sha1(POSTGRES_SERVER.encode()).hexdigest()[:8]}"


class Slots:
    """Slots held: files kept open and locked."""

    def __init__(self, files: list[int]) -> None:
        self._files = files

    def release(self) -> None:
        files, self._files = self._files, []
        for fd in files:
            with contextlib.suppress(OSError):
                os.close(fd)  # closing lets go of the lock


def _folder() -> Path:
    _FOLDER.mkdir(mode=0o700, exist_ok=True)
    return _FOLDER


def _try_take(count: int) -> Slots | None:
    """``count`` free slots at once, or None (and nothing held)."""
    taken: list[int] = []
    for n in range(BUDGET):
        fd = os.open(_folder() / f"slot-{n}", os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            continue
        taken.append(fd)
        if len(taken) == count:
            return Slots(taken)
    Slots(taken).release()
    return None


def _take_blocking(count: int) -> Slots:
    count = min(count, BUDGET)
    if count <= 0:
        return Slots([])
    turnstile = os.open(_folder() / "turnstile", os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(turnstile, fcntl.LOCK_EX)  # first come, first served
        while (slots := _try_take(count)) is None:
            time.sleep(0.05)
        return slots
    finally:
        os.close(turnstile)


@contextlib.contextmanager
def connections(count: int) -> Iterator[Slots]:
    slots = _take_blocking(count)
    try:
        yield slots
    finally:
        slots.release()


async def take(count: int) -> Slots:
    """From async code: waits on a thread, not on the event loop (the emulator keeps answering)."""
    return await asyncio.to_thread(_take_blocking, count)


@contextlib.asynccontextmanager
async def connections_async(count: int) -> AsyncIterator[Slots]:
    slots = await take(count)
    try:
        yield slots
    finally:
        slots.release()
