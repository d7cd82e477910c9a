"""The database a test runs against: a SQLite file, or a schema of its own on the test PostgreSQL.

Every test that reaches a database runs once per backend (the ``store`` fixture in conftest.py is
parametrised). The PostgreSQL server is ``MAILLAGE_TEST_POSTGRES`` (default: this project's machines'
own, on 127.0.0.1:5432); ``scripts/start-postgres`` installs and starts one where none answers.
"""

from __future__ import annotations

import asyncio
import os
import sqlite3
import uuid
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import asyncpg

from storage.backends import open_database
from storage.db import Database
from storage.postgres import translate

POSTGRES_SERVER = os.environ.get("MAILLAGE_TEST_POSTGRES", "postgresql://postgres@127.0.0.1:5432/test")
BACKENDS = ("sqlite", "postgresql")
_stores: dict[Path, TestStore] = {}


class TestStore:
    """One test's database, with plain synchronous queries for the test's own checks."""

    __test__ = False  # not a test class

    def __init__(self, backend: str, url: str, *, path: Path | None = None, schema: str | None = None) -> None:
        self.backend = backend
        self.url = url
        self.path = path  # the SQLite file, None on PostgreSQL
        self.schema = schema  # the PostgreSQL schema, None on SQLite

    def open(self) -> Database:
        """A new connection to this database (``async with store.open() as db``)."""
        return open_database(self.url)

    def query(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        """Run SQL written for SQLite (``?`` placeholders) and return its rows as tuples."""
        if self.path is not None:
            with sqlite3.connect(self.path) as conn:
                return [tuple(r) for r in conn.execute(sql, params).fetchall()]
        return _blocking(_pg_query(self.url, translate(sql), params))

    def execute(self, sql: str, params: Sequence[Any] = ()) -> None:
        if self.path is not None:
            with sqlite3.connect(self.path) as conn:
                conn.execute(sql, params)
            return
        _blocking(_pg_query(self.url, translate(sql), params))

    def scalar(self, sql: str, params: Sequence[Any] = ()) -> Any:
        rows = self.query(sql, params)
        return rows[0][0] if rows else None

    def tables(self) -> list[str]:
        if self.path is not None:
            return [r[0] for r in self.query("SELECT name FROM sqlite_master WHERE type = 'table'")]
        return [
            r[0]
            for r in self.query(
                "SELECT table_name FROM information_schema.tables"
                " WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'"
            )
        ]


def _blocking(coroutine: Any) -> Any:
    """Run a query to completion from synchronous code, even inside a running event loop (as a
    sqlite3 call would: briefly blocking it)."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, coroutine).result()


async def _pg_query(url: str, sql: str, params: Sequence[Any]) -> list[tuple[Any, ...]]:
    conn = await asyncpg.connect(url)
    try:
        return [tuple(r) for r in await conn.fetch(sql, *params)]
    finally:
        await conn.close()


def create_store(backend: str, tmp_path: Path) -> TestStore:
    if backend == "sqlite":
        path = tmp_path / "data" / "maillage.db"
        store = TestStore(backend, f"sqlite:///{path}", path=path)
    else:
        schema = f"t_{uuid.uuid4().hex[:16]}"
        _blocking(_pg_admin(f"CREATE SCHEMA {schema}"))
        separator = "&" if "?" in POSTGRES_SERVER else "?"
        store = TestStore(backend, f"{POSTGRES_SERVER}{separator}search_path={schema}", schema=schema)
    _stores[tmp_path] = store
    return store


def drop_store(store: TestStore, tmp_path: Path) -> None:
    _stores.pop(tmp_path, None)
    if store.schema is not None:
        _blocking(_pg_admin(f"DROP SCHEMA {store.schema} CASCADE"))


async def _pg_admin(sql: str) -> None:
    conn = await asyncpg.connect(POSTGRES_SERVER)
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


def database_url_for(tmp_path: Path) -> str:
    """The database of the test that owns ``tmp_path``: what ``python -m bot`` processes get."""
    store = _stores.get(tmp_path)
    return store.url if store is not None else f"sqlite:///{tmp_path / 'data' / 'maillage.db'}"


def store_of(tmp_path: Path) -> TestStore:
    """The ``store`` of the test that owns ``tmp_path``."""
    return _stores[tmp_path]


async def generate_in(store: TestStore, tmp_path: Path, **size: int) -> None:
    """A generated event (benchmarks/generate.py writes SQLite in bulk) in this test's database:
    on PostgreSQL, copied over as ``python -m bot migrate-db`` does."""
    from benchmarks.generate import generate

    if store.path is not None:
        await generate(store.path, **size)
        return
    staging = tmp_path / "generated.db"
    await generate(staging, **size)
    from storage.db import SqliteDatabase
    from storage.transfer import copy_database

    async with SqliteDatabase(staging) as source, store.open() as target:
        await copy_database(source, target)
