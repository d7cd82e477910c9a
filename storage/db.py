"""The SQLite database: connections, the write lock, migrations.

Writes go through one connection behind an asyncio lock, each in a short
``BEGIN IMMEDIATE ... COMMIT`` transaction, so concurrent updates never interleave
two transactions on one connection and never wait on SQLite's own lock.

Reads run on a small pool of read-only connections, one per reader thread; WAL lets
them run while a write is in progress. Each read (execute, fetch, close) is one step
in its thread: no statement stays open between awaits, so no read keeps an old WAL
snapshot alive, and a read that starts after a commit always sees it.

One more read-only connection stays on the event loop's thread for ``version``: the
version of a group of tables that ``storage/cache.py`` keeps in memory, read in about
2 µs, far less than a hop to a reader thread.
"""

from __future__ import annotations

import asyncio
import logging
import os
import re
import sqlite3
import threading
from collections.abc import AsyncIterator, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path
from typing import Any

import aiosqlite

log = logging.getLogger(__name__)

BUSY_TIMEOUT_MS = 5000
READER_THREADS = 2
_MIGRATION_RE = re.compile(r"^(\d{4})_([a-z0-9_]+)\.sql$")


class SchemaTooNewError(Exception):
    """The database was written by a newer Maillage than this one."""


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


class Transaction:
    """The write connection inside ``BEGIN IMMEDIATE``; only storage modules see it."""

    def __init__(self, conn: aiosqlite.Connection) -> None:
        self._conn = conn

    async def execute(self, sql: str, params: Sequence[Any] | dict[str, Any] = ()) -> int:
        """Run a statement; return the number of rows it changed."""
        cursor = await self._conn.execute(sql, params)
        count = cursor.rowcount
        await cursor.close()
        return count

    async def executemany(self, sql: str, rows: Iterable[Sequence[Any]]) -> None:
        await self._conn.executemany(sql, rows)

    async def fetch_one(self, sql: str, params: Sequence[Any] | dict[str, Any] = ()) -> aiosqlite.Row | None:
        async with self._conn.execute(sql, params) as cursor:
            return await cursor.fetchone()

    async def fetch_all(self, sql: str, params: Sequence[Any] | dict[str, Any] = ()) -> list[aiosqlite.Row]:
        async with self._conn.execute(sql, params) as cursor:
            return list(await cursor.fetchall())


def _read_only(path: Path) -> sqlite3.Connection:
    conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    conn.row_factory = sqlite3.Row
    conn.execute("PRAGMA foreign_keys=ON")
    conn.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
    conn.execute("PRAGMA query_only=ON")
    return conn


class _ReaderPool:
    """Read-only connections, one per thread of a small pool; each read runs whole in one thread."""

    def __init__(self, path: Path, threads: int) -> None:
        self._path = path
        self._executor = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="sqlite-read")
        self._local = threading.local()
        self._opened: list[sqlite3.Connection] = []
        self._opened_lock = threading.Lock()

    def _conn(self) -> sqlite3.Connection:
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is None:
            conn = _read_only(self._path)
            self._local.conn = conn
            with self._opened_lock:
                self._opened.append(conn)
        return conn

    def _fetch_all(self, sql: str, params: Sequence[Any] | dict[str, Any]) -> list[sqlite3.Row]:
        cursor = self._conn().execute(sql, params)
        try:
            return cursor.fetchall()
        finally:
            cursor.close()

    def _fetch_one(self, sql: str, params: Sequence[Any] | dict[str, Any]) -> sqlite3.Row | None:
        cursor = self._conn().execute(sql, params)
        try:
            row: sqlite3.Row | None = cursor.fetchone()
            return row
        finally:
            cursor.close()  # resets the statement: its read transaction ends here

    async def fetch_all(self, sql: str, params: Sequence[Any] | dict[str, Any]) -> list[sqlite3.Row]:
        return await asyncio.get_running_loop().run_in_executor(self._executor, self._fetch_all, sql, params)

    async def fetch_one(self, sql: str, params: Sequence[Any] | dict[str, Any]) -> sqlite3.Row | None:
        return await asyncio.get_running_loop().run_in_executor(self._executor, self._fetch_one, sql, params)

    def close(self) -> None:
        self._executor.shutdown(wait=True)
        with self._opened_lock:
            for conn in self._opened:
                conn.close()
            self._opened.clear()


class Database:
    def __init__(self, path: Path | str, *, reader_threads: int = READER_THREADS) -> None:
        self.path = Path(path)
        self._writer: aiosqlite.Connection | None = None
        self._readers: _ReaderPool | None = None
        self._versions: sqlite3.Connection | None = None
        self._reader_threads = reader_threads
        self._write_lock = asyncio.Lock()

    async def connect(self, *, migrate: bool = True) -> None:
        if str(self.path) != ":memory:":
            _make_private(self.path)
        try:
            self._writer = await self._open()
            await self._writer.execute("PRAGMA journal_mode=WAL")
            if migrate:
                await self.migrate()
            self._readers = _ReaderPool(self.path, self._reader_threads)
            self._versions = _read_only(self.path)
            self._versions.execute("PRAGMA busy_timeout=0")  # never wait on the event loop: no caching then
            _restrict_files(self.path)
        except BaseException:
            await self.close()  # an open connection's thread would keep the process alive
            raise

    async def _open(self) -> aiosqlite.Connection:
        conn = await aiosqlite.connect(self.path, isolation_level=None)
        conn.row_factory = aiosqlite.Row
        await conn.execute("PRAGMA foreign_keys=ON")
        await conn.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
        # FULL: a meeting the user was told is booked survives a power cut too.
        await conn.execute("PRAGMA synchronous=FULL")
        return conn

    async def close(self) -> None:
        if self._versions is not None:
            self._versions.close()
            self._versions = None
        if self._readers is not None:
            readers, self._readers = self._readers, None
            await asyncio.get_running_loop().run_in_executor(None, readers.close)
        if self._writer is not None:
            writer, self._writer = self._writer, None
            await writer.close()

    async def __aenter__(self) -> Database:
        await self.connect()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[Transaction]:
        """A write transaction; keep it short and never call Telegram inside it."""
        if self._writer is None:
            raise RuntimeError("database is not connected")
        async with self._write_lock:
            await self._writer.execute("BEGIN IMMEDIATE")
            try:
                yield Transaction(self._writer)
            except BaseException:
                await self._writer.execute("ROLLBACK")
                raise
            else:
                await self._writer.execute("COMMIT")

    async def fetch_one(self, sql: str, params: Sequence[Any] | dict[str, Any] = ()) -> aiosqlite.Row | None:
        return await self._read_pool().fetch_one(sql, params)

    async def fetch_all(self, sql: str, params: Sequence[Any] | dict[str, Any] = ()) -> list[aiosqlite.Row]:
        return await self._read_pool().fetch_all(sql, params)

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

    # ------------------------------------------------------------------ migrations

    async def schema_version(self) -> int:
        conn = self._writer
        assert conn is not None
        async with conn.execute(
            "SELECT name FROM sqlite_master WHERE type='table' AND name='schema_migrations'"
        ) as cursor:
            if await cursor.fetchone() is None:
                return 0
        async with conn.execute("SELECT COALESCE(MAX(version), 0) FROM schema_migrations") as cursor:
            row = await cursor.fetchone()
        return int(row[0]) if row else 0

    async def migrate(self, migrations: list[Migration] | None = None) -> int:
        """Apply pending migrations; refuse a database newer than the code. Returns the version."""
        migrations = bundled_migrations() if migrations is None else migrations
        assert self._writer is not None
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
                    if self._writer.in_transaction:
                        await self._writer.execute("ROLLBACK")
                    raise
            log.info("database migrated to version %d (%s)", migration.version, migration.name)
        return max(current, latest)

    async def _apply(self, migration: Migration) -> None:
        assert self._writer is not None
        # executescript runs the whole file; the explicit BEGIN IMMEDIATE makes it atomic
        await self._writer.executescript(
            "BEGIN IMMEDIATE;\n"
            "CREATE TABLE IF NOT EXISTS schema_migrations ("
            " version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL);\n"
            f"{migration.sql}\n"
            f"INSERT INTO schema_migrations (version, name, applied_at) VALUES "
            f"({migration.version}, '{migration.name}', '{utcnow().isoformat()}');\n"
            "COMMIT;"
        )
