"""The SQLite database: connections, the write lock, migrations.

Writes go through one connection behind an asyncio lock, each in a short
``BEGIN IMMEDIATE ... COMMIT`` transaction, so concurrent updates never interleave
two transactions on one connection. The statements run on the event loop itself:
they take microseconds and, SQLite's write lock held, wait for nothing. Only what
can wait leaves the loop for the writer's thread: ``BEGIN`` while another process
holds SQLite's lock, ``COMMIT`` on a disk whose fsync is slow (``SqliteDatabase._commit``).
A hop per statement, as aiosqlite makes, cost a turn of a busy loop each, and
every transaction queued behind another waited for all of them (the throughput
benchmark's writes stalled for 12 s that way).

Reads run on a small pool of read-only aiosqlite connections; WAL lets them run while
a write is in progress. Each read (execute, fetch, reset) is one step in its thread:
no statement stays open between awaits, so no read keeps an old WAL snapshot alive,
and a read that starts after a commit always sees it.

One more read-only connection stays on the event loop's thread for ``version``: the
version of a group of tables that ``storage/cache.py`` keeps in memory, read in about
2 µs, far less than a hop to a reader thread.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import os
import re
import sqlite3
import time
from collections.abc import AsyncIterator, Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path
from typing import Any, Protocol, TypeAlias, TypeVar

import aiosqlite

log = logging.getLogger(__name__)
T = TypeVar("T")

BUSY_TIMEOUT_MS = 5000
# A COMMIT quicker than this on average runs on the event loop (SqliteDatabase._commit)
INLINE_COMMIT_SECONDS = 0.002
READER_THREADS = 2
_MIGRATION_RE = re.compile(r"^(\d{4})_([a-z0-9_]+)\.sql$")


class SchemaTooNewError(Exception):
    """The database was written by a newer Maillage than this one."""


class DatabaseUnavailable(Exception):
    """The database server cannot be reached, or refused the connection; the message says which."""


@dataclass(frozen=True)
class Migration:
    version: int
    name: str
    sql: str


def bundled_migrations() -> list[Migration]:
    folder = resources.files("storage").joinpath("migrations")
    found = []
    for entry in folder.iterdir():
        match = _MIGRATION_RE.match(entry.name)
        if match:
            found.append(Migration(int(match.group(1)), match.group(2), entry.read_text(encoding="utf-8")))
    found.sort(key=lambda m: m.version)
    versions = [m.version for m in found]
    if versions != list(range(1, len(found) + 1)):
        raise RuntimeError(f"migrations must be numbered 1..n without gaps, found {versions}")
    return found


def _make_private(path: Path) -> None:
    """The folder (when the bot creates it) and the database file are the owner's alone: SQLite
    gives the -wal and -shm files the database file's permissions."""
    if not path.parent.exists():
        path.parent.mkdir(parents=True, mode=0o700)
        path.parent.chmod(0o700)  # mkdir's mode goes through the umask
    os.close(os.open(path, os.O_RDWR | os.O_CREAT, 0o600))
    _restrict_files(path)


def _restrict_files(path: Path) -> None:
    for name in (path, Path(f"{path}-wal"), Path(f"{path}-shm")):
        if name.exists() and name.stat().st_mode & 0o077:
            name.chmod(0o600)


def utcnow() -> datetime:
    return datetime.now(UTC)


# A row as the backends return it: sqlite3.Row or asyncpg.Record, both read by position or by name.
Row: TypeAlias = Any


class ConstraintViolated(Exception):
    """A write broke a rule the database enforces (a unique index, a check, a trigger)."""


class Transaction(Protocol):
    """A write transaction, as storage modules see it on either backend. SQL is written for SQLite
    (``?`` placeholders); the PostgreSQL backend translates what differs (storage/postgres.py)."""

    async def execute(self, sql: str, params: Sequence[Any] = ()) -> int: ...

    async def executemany(self, sql: str, rows: Iterable[Sequence[Any]]) -> None: ...

    async def fetch_one(self, sql: str, params: Sequence[Any] = ()) -> Row | None: ...

    async def fetch_all(self, sql: str, params: Sequence[Any] = ()) -> list[Row]: ...


class Database(Protocol):
    """What the repositories use of a database, whichever the backend (``storage.backends.open_database``)."""

    backend: str

    def transaction(self, *, durable: bool = True, exclusive: bool = True) -> AbstractAsyncContextManager[Transaction]:
        """``exclusive=False``: for writes whose rows no other transaction reads then writes (the inbox,
        heartbeats): on PostgreSQL they skip the cluster's write lock, the rows' own locks and the
        statements' conditions keep them right."""
        ...

    async def catch_up(self) -> None:
        """Bring this process's versions of the cached tables up to what is committed now (read your
        writes: called once another process's transaction is known to have committed)."""
        ...

    async def fetch_one(self, sql: str, params: Sequence[Any] = ()) -> Row | None: ...

    async def fetch_all(self, sql: str, params: Sequence[Any] = ()) -> list[Row]: ...

    def version(self, group: str) -> int | None: ...

    async def connect(self, *, migrate: bool = True) -> None: ...

    async def close(self) -> None: ...

    async def migrate(self, migrations: list[Migration] | None = None) -> int: ...

    async def schema_version(self) -> int: ...

    async def __aenter__(self) -> Database: ...

    async def __aexit__(self, *exc: object) -> None: ...


class SqliteTransaction:
    """The write connection inside ``BEGIN IMMEDIATE``; only storage modules see it.

    Its statements run right here on the event loop: holding the write lock and SQLite's own, none
    of them waits for anything, and each takes microseconds, far less than a hop to a thread and back
    (which, on a loop busy with hundreds of updates, waits a whole turn of the loop each time)."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self._conn = conn

    async def execute(self, sql: str, params: Sequence[Any] = ()) -> int:
        """Run a statement; return the number of rows it changed."""
        cursor = self._run(sql, params)
        try:
            return cursor.rowcount
        finally:
            cursor.close()

    async def executemany(self, sql: str, rows: Iterable[Sequence[Any]]) -> None:
        try:
            self._conn.executemany(sql, rows).close()
        except sqlite3.IntegrityError as err:
            raise ConstraintViolated(str(err)) from err

    async def fetch_one(self, sql: str, params: Sequence[Any] = ()) -> Row | None:
        cursor = self._run(sql, params)
        try:
            return cursor.fetchone()
        finally:
            cursor.close()

    async def fetch_all(self, sql: str, params: Sequence[Any] = ()) -> list[Row]:
        cursor = self._run(sql, params)
        try:
            return cursor.fetchall()
        finally:
            cursor.close()

    def _run(self, sql: str, params: Sequence[Any]) -> sqlite3.Cursor:
        try:
            return self._conn.execute(sql, params)
        except sqlite3.IntegrityError as err:
            raise ConstraintViolated(str(err)) from err


def _open_writer(path: Path) -> sqlite3.Connection:
    conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    conn.row_factory = sqlite3.Row
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA foreign_keys=ON")
    conn.execute("PRAGMA busy_timeout=0")  # statements on the event loop never wait: see _waiting
    # FULL: a meeting the user was told is booked survives a power cut too.
    conn.execute("PRAGMA synchronous=FULL")
    return conn


def _waiting(conn: sqlite3.Connection, sql: str, *, script: bool = False) -> None:
    """On the writer's thread: a statement (or a whole script) that may have to wait for SQLite's lock,
    up to the busy timeout."""
    conn.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
    try:
        (conn.executescript if script else conn.execute)(sql)
    finally:
        conn.execute("PRAGMA busy_timeout=0")


def _timed(conn: sqlite3.Connection, sql: str) -> float:
    started = time.perf_counter()
    _waiting(conn, sql)
    return time.perf_counter() - started


def _schema_version(conn: sqlite3.Connection) -> int:
    if not conn.execute("SELECT name FROM sqlite_master WHERE type='table' AND name='schema_migrations'").fetchall():
        return 0
    rows = conn.execute("SELECT COALESCE(MAX(version), 0) FROM schema_migrations").fetchall()
    return int(rows[0][0]) if rows else 0


def _read_only(path: Path) -> sqlite3.Connection:
    conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    conn.row_factory = sqlite3.Row
    conn.execute("PRAGMA foreign_keys=ON")
    conn.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
    conn.execute("PRAGMA query_only=ON")
    return conn


class _ReaderPool:
    """Read-only aiosqlite connections, each with its thread, taken in turn. Each read runs whole in
    one step on its thread (``execute_fetchall``: execute, fetch and reset together), so no read keeps
    an old snapshot alive between awaits."""

    def __init__(self, connections: list[aiosqlite.Connection]) -> None:
        self._connections = connections
        self._turn = 0

    @classmethod
    async def open(cls, path: Path, count: int) -> _ReaderPool:
        connections: list[aiosqlite.Connection] = []
        try:
            for _ in range(count):
                conn = await aiosqlite.connect(path, isolation_level=None)
                connections.append(conn)
                conn.row_factory = aiosqlite.Row
                for pragma in ("foreign_keys=ON", f"busy_timeout={BUSY_TIMEOUT_MS}", "query_only=ON"):
                    await conn.execute(f"PRAGMA {pragma}")
        except BaseException:
            for conn in connections:
                await conn.close()
            raise
        return cls(connections)

    async def fetch_all(self, sql: str, params: Sequence[Any]) -> list[Row]:
        self._turn = (self._turn + 1) % len(self._connections)
        return list(await self._connections[self._turn].execute_fetchall(sql, params))

    async def fetch_one(self, sql: str, params: Sequence[Any]) -> Row | None:
        rows = await self.fetch_all(sql, params)  # the queries that ask for one row select one
        return rows[0] if rows else None

    async def close(self) -> None:
        for conn in self._connections:
            await conn.close()
        self._connections = []


class SqliteDatabase:
    """The default backend: one SQLite file (``DATABASE_URL=sqlite:///path``)."""

    backend = "sqlite"

    def __init__(self, path: Path | str, *, reader_threads: int = READER_THREADS) -> None:
        self.path = Path(path)
        self._writer: sqlite3.Connection | None = None
        self._writer_thread: ThreadPoolExecutor | None = None
        self._readers: _ReaderPool | None = None
        self._versions: sqlite3.Connection | None = None
        self._reader_threads = reader_threads
        self._write_lock = asyncio.Lock()
        self._commit_seconds = 0.0  # how long COMMIT takes on this disk, on average

    async def connect(self, *, migrate: bool = True) -> None:
        if str(self.path) != ":memory:":
            _make_private(self.path)
        try:
            self._writer_thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="sqlite-write")
            self._writer = await self._on_writer_thread(_open_writer, self.path)
            if migrate:
                await self.migrate()
            self._readers = await _ReaderPool.open(self.path, self._reader_threads)
            self._versions = _read_only(self.path)
            self._versions.execute("PRAGMA busy_timeout=0")  # never wait on the event loop: no caching then
            _restrict_files(self.path)
        except BaseException:
            await self.close()  # an open connection's thread would keep the process alive
            raise

    async def _on_writer_thread(self, fn: Callable[..., T], *args: Any) -> T:
        """Run ``fn`` on the writer's thread, to the end even if the caller is cancelled meanwhile
        (the write lock is not let go while the connection is still in use)."""
        future = asyncio.get_running_loop().run_in_executor(self._writer_thread, fn, *args)
        try:
            return await asyncio.shield(future)
        except asyncio.CancelledError:
            with contextlib.suppress(BaseException):
                await future
            raise

    async def close(self) -> None:
        if self._versions is not None:
            self._versions.close()
            self._versions = None
        if self._readers is not None:
            readers, self._readers = self._readers, None
            await readers.close()
        if self._writer is not None:
            writer, self._writer = self._writer, None
            await self._on_writer_thread(writer.close)
        if self._writer_thread is not None:
            thread, self._writer_thread = self._writer_thread, None
            thread.shutdown(wait=False)

    async def __aenter__(self) -> SqliteDatabase:
        await self.connect()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    @asynccontextmanager
    async def transaction(self, *, durable: bool = True, exclusive: bool = True) -> AsyncIterator[SqliteTransaction]:
        """A write transaction; keep it short and never call Telegram inside it.

        ``BEGIN IMMEDIATE`` runs on the event loop when SQLite's write lock is free (it is, unless
        another process is writing: then it waits on the writer's thread), the statements run on the
        event loop (``Transaction``), and ``COMMIT``, which waits for the disk, wherever ``_commit``
        finds best. ``durable=False`` skips the fsync (``synchronous=NORMAL`` in WAL
        mode): the commit survives the process dying, not a power cut; for what can be done again.
        ``exclusive`` changes nothing here: SQLite's writes are one at a time anyway."""
        writer = self._writer
        if writer is None:
            raise RuntimeError("database is not connected")
        async with self._write_lock:
            if not durable:
                writer.execute("PRAGMA synchronous=NORMAL")
            try:
                async with self._in_transaction(writer, durable) as tx:
                    yield tx
            finally:
                if not durable:
                    writer.execute("PRAGMA synchronous=FULL")

    @asynccontextmanager
    async def _in_transaction(self, writer: sqlite3.Connection, durable: bool) -> AsyncIterator[SqliteTransaction]:
        try:
            writer.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError:  # busy: another process holds the write lock
            await self._on_writer_thread(_waiting, writer, "BEGIN IMMEDIATE")
        try:
            yield SqliteTransaction(writer)
        except BaseException:
            writer.execute("ROLLBACK")
            raise
        try:
            await self._commit(writer, durable)
        except BaseException:
            if writer.in_transaction:
                writer.execute("ROLLBACK")
            raise

    async def fetch_one(self, sql: str, params: Sequence[Any] = ()) -> Row | None:
        return await self._read_pool().fetch_one(sql, params)

    async def fetch_all(self, sql: str, params: Sequence[Any] = ()) -> list[Row]:
        return await self._read_pool().fetch_all(sql, params)

    async def catch_up(self) -> None:
        """Nothing to do: ``version`` reads the database every time."""

    def version(self, group: str) -> int | None:
        """The version of a group of cached tables; None when this schema has none (no caching then)."""
        if self._versions is None:
            return None
        try:
            rows = self._versions.execute("SELECT version FROM cache_versions WHERE name = ?", (group,)).fetchall()
        except sqlite3.OperationalError:  # busy, or a database opened without migrating it
            return None
        return int(rows[0][0]) if rows else None

    def _read_pool(self) -> _ReaderPool:
        if self._readers is None:
            raise RuntimeError("database is not connected")
        return self._readers

    async def _commit(self, writer: sqlite3.Connection, durable: bool = True) -> None:
        """COMMIT waits for the disk (fsync, with ``synchronous=FULL``). Where that is quick, as on
        an SSD (0.2 ms measured), it runs right here: a hop to the writer's thread would cost the
        transaction a turn of a busy event loop, and every transaction queued behind it one more.
        Where the disk is slow, it goes to the writer's thread."""
        if self._commit_seconds < INLINE_COMMIT_SECONDS:
            started = time.perf_counter()
            try:
                writer.execute("COMMIT")
            except sqlite3.OperationalError:
                await self._on_writer_thread(_waiting, writer, "COMMIT")
                return
            took = time.perf_counter() - started
        else:
            took = await self._on_writer_thread(_timed, writer, "COMMIT")
        if durable:  # the fsync is what is measured
            self._commit_seconds += (took - self._commit_seconds) * 0.1  # a moving average

    # ------------------------------------------------------------------ migrations

    async def schema_version(self) -> int:
        return await self._on_writer_thread(_schema_version, self._connected_writer())

    def _connected_writer(self) -> sqlite3.Connection:
        if self._writer is None:
            raise RuntimeError("database is not connected")
        return self._writer

    async def migrate(self, migrations: list[Migration] | None = None) -> int:
        """Apply pending migrations; refuse a database newer than the code. Returns the version."""
        migrations = bundled_migrations() if migrations is None else migrations
        writer = self._connected_writer()
        latest = migrations[-1].version if migrations else 0
        current = await self.schema_version()
        if current > latest:
            raise SchemaTooNewError(
                f"the database {self.path} has schema version {current}, newer than this Maillage "
                f"(which knows up to {latest}); upgrade Maillage or point DATABASE_URL at another file"
            )
        for migration in migrations:
            if migration.version <= current:
                continue
            async with self._write_lock:
                try:
                    await self._apply(migration)
                except BaseException:
                    if writer.in_transaction:
                        writer.execute("ROLLBACK")
                    raise
            log.info("database migrated to version %d (%s)", migration.version, migration.name)
        return max(current, latest)

    async def _apply(self, migration: Migration) -> None:
        # executescript runs the whole file; the explicit BEGIN IMMEDIATE makes it atomic
        await self._on_writer_thread(
            functools.partial(_waiting, script=True),
            self._connected_writer(),
            "BEGIN IMMEDIATE;\n"
            "CREATE TABLE IF NOT EXISTS schema_migrations ("
            " version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL);\n"
            f"{migration.sql}\n"
            f"INSERT INTO schema_migrations (version, name, applied_at) VALUES "
            f"({migration.version}, '{migration.name}', '{utcnow().isoformat()}');\n"
            "COMMIT;",
        )
