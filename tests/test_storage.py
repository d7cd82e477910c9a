"""Storage: migrations, transactions, concurrent writers."""

from __future__ import annotations

import asyncio
import sqlite3
import threading
from pathlib import Path

import asyncpg
import pytest

import storage.db
from storage.db import (
    ConstraintViolated,
    Database,
    Migration,
    SchemaTooNewError,
    SqliteDatabase,
    bundled_migrations,
    utcnow,
)
from storage.participants import NewParticipant, ParticipantRepository, Role
from storage.postgres import postgres_migrations
from tests.stores import TestStore


async def add_participant(db: Database, telegram_id: int, name: str = "Camille Martin") -> int:
    new = NewParticipant(
        telegram_id=telegram_id,
        role=Role.ATTENDEE,
        language="fr",
        full_name=name,
        consent_at=utcnow(),
        themes=["health"],
    )
    async with db.transaction() as tx:
        return await ParticipantRepository(db).create(new, tx)


@pytest.fixture
async def db(store: TestStore):  # type: ignore[no-untyped-def]
    async with store.open() as database:
        yield database


@pytest.fixture
async def sqlite_db(tmp_path: Path):  # type: ignore[no-untyped-def]
    async with SqliteDatabase(tmp_path / "nested" / "m.db") as database:
        yield database


async def test_the_sqlite_folder_is_made_on_demand(sqlite_db: SqliteDatabase) -> None:
    assert sqlite_db.path.exists()


async def test_migrations_run_at_start_and_are_recorded(db: Database) -> None:
    latest = bundled_migrations()[-1].version
    assert await db.schema_version() == latest
    rows = await db.fetch_all("SELECT version, name FROM schema_migrations ORDER BY version")
    assert [r["version"] for r in rows] == list(range(1, latest + 1))


async def test_reopening_applies_nothing_twice(store: TestStore) -> None:
    async with store.open() as first:
        await add_participant(first, 1)
    async with store.open() as second:
        assert (await ParticipantRepository(second).by_telegram_id(1)).themes == ("health",)  # type: ignore[union-attr]
        assert len(await second.fetch_all("SELECT * FROM schema_migrations")) == len(bundled_migrations())


async def test_a_database_newer_than_the_code_is_refused(store: TestStore) -> None:
    async with store.open():
        pass
    store.execute("INSERT INTO schema_migrations VALUES (999, 'from_the_future', '2030-01-01')")
    database = store.open()
    with pytest.raises(SchemaTooNewError, match="schema version 999, newer than this Maillage"):
        await database.connect()
    await database.close()


async def test_a_failing_migration_leaves_nothing_behind(db: Database, store: TestStore) -> None:
    current = await db.schema_version()
    migrations = postgres_migrations() if db.backend == "postgresql" else bundled_migrations()
    broken = [*migrations, Migration(current + 1, "broken", "CREATE TABLE half (x TEXT);\nTHIS IS NOT SQL;")]
    with pytest.raises((sqlite3.OperationalError, asyncpg.PostgresSyntaxError)):
        await db.migrate(broken)
    assert await db.schema_version() == current
    assert "half" not in store.tables()


async def test_pragmas(sqlite_db: SqliteDatabase) -> None:
    assert (await sqlite_db.fetch_one("PRAGMA journal_mode"))[0] == "wal"  # type: ignore[index]
    assert (await sqlite_db.fetch_one("PRAGMA foreign_keys"))[0] == 1  # type: ignore[index]
    assert (await sqlite_db.fetch_one("PRAGMA busy_timeout"))[0] >= 1000  # type: ignore[index]


async def test_a_failed_transaction_is_rolled_back(db: Database) -> None:
    with pytest.raises(RuntimeError):
        async with db.transaction() as tx:
            await ParticipantRepository(db).create(
                NewParticipant(
                    telegram_id=1, role=Role.ATTENDEE, language="fr", full_name="Camille", consent_at=utcnow()
                ),
                tx,
            )
            raise RuntimeError("boom")
    assert await ParticipantRepository(db).count() == 0


async def test_the_schema_refuses_what_the_domain_forbids(db: Database) -> None:
    with pytest.raises(ConstraintViolated):
        async with db.transaction() as tx:
            await tx.execute(
                "INSERT INTO participants (telegram_id, role, language, full_name, consent_at, created_at, updated_at)"
                " VALUES (1, 'attendee', 'de', 'Camille', 'x', 'x', 'x')"
            )
    with pytest.raises(ConstraintViolated):  # a representative must belong to an exhibitor
        async with db.transaction() as tx:
            await tx.execute(
                "INSERT INTO participants (telegram_id, role, language, full_name, consent_at, created_at, updated_at)"
                " VALUES (1, 'exhibitor', 'fr', 'Camille', 'x', 'x', 'x')"
            )


async def test_reads_are_refused_writes(db: Database) -> None:
    with pytest.raises((sqlite3.OperationalError, asyncpg.ReadOnlySQLTransactionError)):
        await db.fetch_all("DELETE FROM participants")


@pytest.mark.parametrize("disk", ["fast", "slow"])
async def test_concurrent_writers_never_collide(db: Database, disk: str, monkeypatch: pytest.MonkeyPatch) -> None:
    if disk == "slow":  # every COMMIT on the writer's thread, as on a disk whose fsync is slow
        monkeypatch.setattr(storage.db, "INLINE_COMMIT_SECONDS", 0.0)
    repo = ParticipantRepository(db)

    async def user_session(telegram_id: int) -> None:
        await add_participant(db, telegram_id)
        for language in ("en", "fr", "en"):
            await repo.update_fields(telegram_id, language=language)
            assert (await repo.by_telegram_id(telegram_id)).language == language  # type: ignore[union-attr]

    await asyncio.gather(*(user_session(i) for i in range(200)))
    assert await repo.count() == 200
    rows = await db.fetch_all("SELECT DISTINCT language FROM participants")
    assert [r["language"] for r in rows] == ["en"]


def commits_by_thread(db: SqliteDatabase) -> list[int]:
    """The thread of every COMMIT the database's writer runs from now on."""
    threads: list[int] = []
    db._writer.set_trace_callback(  # type: ignore[union-attr]
        lambda sql: threads.append(threading.get_ident()) if sql == "COMMIT" else None
    )
    return threads


async def test_commits_leave_the_event_loop_when_the_disk_is_slow(
    sqlite_db: SqliteDatabase, monkeypatch: pytest.MonkeyPatch
) -> None:
    threads = commits_by_thread(sqlite_db)
    await add_participant(sqlite_db, 1)
    assert threads == [threading.get_ident()]  # quick here: on the event loop
    monkeypatch.setattr(storage.db, "INLINE_COMMIT_SECONDS", 0.0)
    await add_participant(sqlite_db, 2)
    await add_participant(sqlite_db, 3)
    assert threads[1:] and threading.get_ident() not in threads[1:]


async def test_a_writer_in_another_process_is_waited_for_off_the_event_loop(sqlite_db: SqliteDatabase) -> None:
    db = sqlite_db
    other = sqlite3.connect(db.path, isolation_level=None, check_same_thread=False)
    other.execute("BEGIN IMMEDIATE")  # another process holds SQLite's write lock
    asyncio.get_running_loop().call_later(0.3, other.execute, "COMMIT")
    ticks = 0

    async def tick() -> None:
        nonlocal ticks
        while True:
            await asyncio.sleep(0.01)
            ticks += 1

    ticker = asyncio.create_task(tick())
    await add_participant(db, 1)
    ticker.cancel()
    other.close()
    assert await ParticipantRepository(db).count() == 1
    assert ticks >= 10  # the loop ran on while the write waited for the lock


async def test_two_processes_share_the_database(store: TestStore) -> None:
    """Another connection (as a second process would) waits its turn to write, not fails: SQLite's busy
    timeout, PostgreSQL's advisory write lock."""
    async with store.open() as one, store.open() as two:
        await asyncio.gather(*(add_participant(one if i % 2 else two, i) for i in range(100)))
        assert await ParticipantRepository(one).count() == 100


async def test_meetings_by_slot_are_selected_in_sql(db: Database) -> None:
    """The queries behind closing a slot, the event-file check and the slot audience of a broadcast."""
    from datetime import UTC, datetime, timedelta
    from zoneinfo import ZoneInfo

    from storage.exhibitors import ExhibitorRepository, NewExhibitor
    from storage.meetings import MeetingRepository

    stands = [
        await ExhibitorRepository(db).create(NewExhibitor(slug=f"s{n}", name=f"Stand {n}", tables=2)) for n in range(2)
    ]
    people = ParticipantRepository(db)
    ids = []
    async with db.transaction() as tx:
        for n in range(3):
            new = NewParticipant(
                telegram_id=900 + n, role=Role.ATTENDEE, language="fr", full_name=f"P{n}", consent_at=utcnow()
            )
            ids.append(await people.create(new, tx))
    ten = datetime(2027, 3, 16, 9, 0, tzinfo=UTC)
    quarter_past = ten + timedelta(minutes=15)
    rows = [  # attendee, stand, slot, status
        (ids[0], stands[0].id, ten, "accepted"),
        (ids[1], stands[1].id, ten, "pending"),
        (ids[2], stands[0].id, quarter_past, "accepted"),
        (ids[2], stands[1].id, ten, "declined"),
    ]
    async with db.transaction() as tx:
        for attendee, stand, slot, status in rows:
            await tx.execute(
                "INSERT INTO meetings (attendee_id, exhibitor_id, slot_start, status, table_no, created_at, updated_at)"
                " VALUES (?, ?, ?, ?, ?, ?, ?)",
                (
                    attendee,
                    stand,
                    slot.isoformat(),
                    status,
                    1 if status == "accepted" else None,
                    ten.isoformat(),
                    ten.isoformat(),
                ),
            )
    meetings = MeetingRepository(db)
    paris_ten = ten.astimezone(ZoneInfo("Europe/Paris"))  # any zone: compared as the same instant
    assert {m.attendee_id for m in await meetings.open_at(paris_ten)} == {ids[0], ids[1]}
    assert [m.attendee_id for m in await meetings.open_at(ten, stands[1].id)] == [ids[1]]
    assert [m.attendee_id for m in await meetings.open_outside([ten])] == [ids[2]]
    assert [m.attendee_id for m in await meetings.accepted_in([quarter_past, ten])] == [ids[0], ids[2]]
    assert [m.id for m in await meetings.accepted_after(ten - timedelta(hours=1), after_id=0, limit=1)] == [1]
    assert [m.id for m in await meetings.accepted_after(ten - timedelta(hours=1), after_id=1)] == [3]


async def test_a_read_started_after_a_commit_always_sees_it(db: Database) -> None:
    """Commit, then read back, from many coroutines at once: never an older snapshot.

    Readers that keep a query open (between execute and fetch, as any awaited read
    does) must not hold an old WAL snapshot for the others: on a shared read
    connection that pins every read to the oldest open one.
    """
    repo = ParticipantRepository(db)
    misses = 0

    async def commit_then_read(worker: int) -> None:
        nonlocal misses
        for n in range(250):
            telegram_id = worker * 10_000 + n
            await add_participant(db, telegram_id)
            if await repo.by_telegram_id(telegram_id) is None:
                misses += 1

    async def keep_reading() -> None:
        for _ in range(400):
            await db.fetch_all("SELECT id FROM participants LIMIT 50")

    await asyncio.gather(*(commit_then_read(w) for w in range(8)), *(keep_reading() for _ in range(4)))
    assert misses == 0, f"{misses} of 2000 reads missed the write just committed"
