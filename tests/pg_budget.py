"""PostgreSQL's connections, shared by every test run on this machine.

The test server takes 100 connections (``max_connections``); each Maillage process on PostgreSQL holds
up to six (its writer, its listener and a pool of four readers). One run of the suite, four xdist
workers, stays under that; two runs side by side, each with tests that start an ingress and four
workers, do not, and PostgreSQL refuses the rest ("too many clients already").

So a test takes, before it opens any, every connection slot it will hold, all at once (a test that
held some while waiting for more could wait forever for tests doing the same), and gives them back
after: its own connections, and six for each bot process it runs at a time, as many as it declares
(``pytest.mark.bot_processes(n)``; one by default). A slot is a file locked with ``flock`` in the
system's temporary folder: every run on the machine sees the same ones, and a process that dies lets
go of its slots. Tests wait their turn through a turnstile (a lock of its own), so that one asking
for many slots is not overtaken forever by tests asking for few.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import os
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

from tests.stores import POSTGRES_SERVER

BUDGET = 84  # of the server's 100: the rest for psql, scripts/start-postgres and short admin queries
PER_PROCESS = 6  # a Maillage process: writer, listener, four readers
PER_TEST = 2 * PER_PROCESS + 2  # the test's own: the bot in its process, one more database, a query or two


class Reservation:
    """The slots of the test running in this process, and the bot processes they allow at a time."""

    def __init__(self, slots: Slots, processes: int) -> None:
        self.slots = slots
        self.processes = processes
        self.running = 0

    def start_process(self) -> None:
        if self.running >= self.processes:
            raise AssertionError(
                f"this test runs more than {self.processes} bot processes on PostgreSQL at a time:"
                " say how many with @pytest.mark.bot_processes(n)"
            )
        self.running += 1

    def process_exited(self) -> None:
        self.running -= 1


current: Reservation | None = None  # set while a test that reaches PostgreSQL runs in this process


@contextlib.contextmanager
def reserve(processes: int) -> Iterator[Reservation]:
    """Everything a test on PostgreSQL will hold: its own connections and ``processes`` bot processes."""
    global current
    with connections(PER_TEST + processes * PER_PROCESS) as slots:
        current = Reservation(slots, processes)
        try:
            yield current
        finally:
            current = None


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
