"""Which database a ``DATABASE_URL`` names: SQLite (the default) or PostgreSQL."""

from __future__ import annotations

from pathlib import Path

from storage.db import Database, SqliteDatabase
from storage.postgres import PostgresDatabase, describe_url

POSTGRES_SCHEMES = ("postgresql://", "postgres://")
SQLITE_PREFIX = "sqlite:///"


def is_postgres(url: str) -> bool:
    return url.startswith(POSTGRES_SCHEMES)


def sqlite_path(url: str) -> Path:
    """``sqlite:///relative/path`` or ``sqlite:////absolute/path``, as SQLAlchemy writes them."""
    if not url.startswith(SQLITE_PREFIX) or len(url) == len(SQLITE_PREFIX):
        raise ValueError(
            "must look like sqlite:///relative/path.db, sqlite:////absolute/path.db or postgresql://user@host/db"
        )
    return Path(url[len(SQLITE_PREFIX) :])


def check_url(url: str) -> str:
    if not is_postgres(url):
        sqlite_path(url)
    elif len(url) == len(url.split("://")[0]) + 3:
        raise ValueError("names no PostgreSQL server: postgresql://user@host:5432/database")
    return url


def open_database(url: str) -> Database:
    """The database the URL names, not yet connected (``async with open_database(url) as db``)."""
    if is_postgres(url):
        return PostgresDatabase(url)
    return SqliteDatabase(sqlite_path(url))


def describe(url: str) -> str:
    """Where the data is, for messages: the file, or the server without its password."""
    return describe_url(url) if is_postgres(url) else str(sqlite_path(url))
