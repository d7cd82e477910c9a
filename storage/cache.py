"""In-memory copies of data that hardly changes, never served once out of date.

Each copy belongs to a group of tables (``cache_versions`` in migration 0011). Every change to
one of those tables bumps the group's version in the same transaction, by trigger, whichever
process makes it. Before each use a copy compares its version with the database's, a read of
about 2 µs on the event loop's own connection (``Database.version``): a change committed
anywhere shows in the very next answer.

A value loaded while the version moved is handed to the caller that asked for it, which is as
fresh as a read without a cache, but not kept.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Hashable
from typing import Generic, TypeVar

from storage.db import Database

T = TypeVar("T")
K = TypeVar("K", bound=Hashable)

MAX_ENTRIES = 200_000  # a keyed copy starts over past this many keys


class Cached(Generic[T]):
    """One value, such as every exhibitor, reloaded when its group's version moves."""

    def __init__(self, db: Database, group: str, load: Callable[[], Awaitable[T]]) -> None:
        self._db = db
        self._group = group
        self._load = load
        self._version: int | None = None
        self._value: T | None = None
        self._loading: tuple[int, asyncio.Task[T]] | None = None  # one load per version, shared

    async def get(self) -> T:
        version = self._db.version(self._group)
        if version is None:
            return await self._load()
        if version == self._version:
            return self._value  # type: ignore[return-value]
        if self._loading is None or self._loading[0] != version:
            self._loading = (version, asyncio.ensure_future(self._load()))
        task = self._loading[1]
        try:
            value = await asyncio.shield(task)  # a caller that gives up does not cancel the others' load
        finally:
            if task.done() and self._loading is not None and self._loading[1] is task:
                self._loading = None  # loaded, or failed: the next call starts afresh
        if self._db.version(self._group) == version:
            self._version, self._value = version, value
        return value


class CachedMap(Generic[K, T]):
    """Values by key, such as a participant by Telegram id, all dropped when the group's version moves."""

    def __init__(self, db: Database, group: str, load: Callable[[K], Awaitable[T]]) -> None:
        self._db = db
        self._group = group
        self._load = load
        self._version: int | None = None
        self._values: dict[K, T] = {}

    async def get(self, key: K) -> T:
        version = self._db.version(self._group)
        if version is not None and version == self._version and key in self._values:
            return self._values[key]
        value = await self._load(key)
        if version is None or self._db.version(self._group) != version:
            return value
        if version != self._version or len(self._values) >= MAX_ENTRIES:
            self._values = {}
            self._version = version
        self._values[key] = value
        return value
