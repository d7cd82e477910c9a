"""Copy an event's data from one database to another (``python -m bot migrate-db``), SQLite to
PostgreSQL or back. Both are brought to the same schema version first; the target must be empty.
The copy is one transaction on the target: it lands whole or not at all."""

from __future__ import annotations

from dataclasses import dataclass

from storage.db import Database
from storage.postgres import PostgresDatabase

# Every table of the schema, each after those it refers to. Left out: schema_migrations (each
# database has its own), cache_versions (counters that each database keeps by itself) and senders
# (the processes running on the old database right now).
# tests/test_transfer.py checks that this list names every table the migrations create.
TABLES = (
    "exhibitors",
    "exhibitor_themes",
    "participants",
    "participant_themes",
    "conversations",
    "organiser_invites",
    "plans",
    "meetings",
    "meeting_messages",
    "nudges",
    "reminders",
    "broadcasts",
    "deliveries",
    "delivery_mentions",
    "blocked_slots",
    "session_followers",
    "session_changes",
    "archived_counts",
    "purges",
    "bot_profile",
    "inbox",
    "inbox_newest",
    "wishes",
    "stand_wishes",
    "plan_meetings",
    "plan_unmet",
    "contact_cards",
    "contact_shares",
    "leads",
    "ratings",
    "day_summaries",
)
NOT_COPIED = ("schema_migrations", "cache_versions", "senders")


class TargetNotEmpty(Exception):
    """The target database already holds an event's data."""


@dataclass(frozen=True)
class Copied:
    rows: dict[str, int]  # per table

    @property
    def total(self) -> int:
        return sum(self.rows.values())


async def copy_database(source: Database, target: Database) -> Copied:
    """Copy every row of ``source`` into the empty ``target`` (both connected and migrated)."""
    filled = [table for table in TABLES if await target.fetch_one(f"SELECT 1 FROM {table} LIMIT 1")]
    if filled:
        raise TargetNotEmpty(f"the target database already holds data (tables: {', '.join(filled)})")
    counts: dict[str, int] = {}
    async with target.transaction() as tx:
        for table in TABLES:
            rows = await source.fetch_all(f"SELECT * FROM {table}")
            counts[table] = len(rows)
            if not rows:
                continue
            columns = list(rows[0].keys())
            marks = ", ".join("?" for _ in columns)
            await tx.executemany(
                f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})",
                [tuple(row) for row in rows],
            )
    if isinstance(target, PostgresDatabase):
        await target.sync_identities()  # the next new row is numbered after the copied ones
    return Copied(counts)
