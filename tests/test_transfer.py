"""``python -m bot migrate-db``: an event's data moved to another database, the bot carrying on there."""

from __future__ import annotations

from pathlib import Path

from bot.emulator import TelegramEmulator
from bot.event import Event
from storage.transfer import NOT_COPIED, TABLES
from tests.conftest import BotRunner
from tests.helpers import register_attendee, register_representative
from tests.processes import run_command
from tests.stores import TestStore
from tests.test_meetings import request, soupe


async def test_the_copy_names_every_table(store: TestStore) -> None:
    async with store.open():
        pass
    assert set(store.tables()) - set(NOT_COPIED) - {"sqlite_sequence"} == set(TABLES)


async def test_an_event_moves_to_another_database_and_the_bot_carries_on(
    emulator: TelegramEmulator, store: TestStore, event: Event, tmp_path: Path
) -> None:
    # The day so far, on SQLite: a stand, its representative, an attendee with an accepted meeting
    source_path = tmp_path / "before" / "maillage.db"
    source = TestStore("sqlite", f"sqlite:///{source_path}", path=source_path)
    before = BotRunner(emulator, source, event, [])
    services = await before.start()
    exhibitor = await soupe(services)
    lucie = emulator.user("Lucie", last_name="Bernard")
    await register_representative(lucie, exhibitor.invite_token)
    camille = emulator.user("Camille", last_name="Martin")
    await register_attendee(camille)
    await request(camille, "10:30")
    await lucie.next_reply()
    await lucie.press("✅ Accepter")
    await camille.next_reply()
    await before.stop_all()
    counts = {table: source.scalar(f"SELECT COUNT(*) FROM {table}") for table in TABLES}

    status, out = await run_command(tmp_path, emulator, "migrate-db", "--from", source.url, "--to", store.url)
    assert status == 0, out
    assert f"copied {sum(counts.values())} rows" in out
    assert {table: store.scalar(f"SELECT COUNT(*) FROM {table}") for table in TABLES} == counts

    # The bot on the new database: the meeting is there, and new rows are numbered after the copied ones
    after = BotRunner(emulator, store, event, [])
    try:
        await after.start()
        await camille.send("/agenda")
        agenda = await camille.next_reply()
        assert "✅ mardi 16 mars, 10:30 — Disco Soupe" in agenda.text, agenda.text
        nina = emulator.user("Nina")
        await register_attendee(nina)
        await request(nina, "14:00")
        await lucie.wait_for_text("Demande de rendez-vous")
    finally:
        await after.stop_all()

    # A second copy into a database that holds an event is refused, and changes nothing
    participants = store.scalar("SELECT COUNT(*) FROM participants")
    status, out = await run_command(tmp_path, emulator, "migrate-db", "--from", source.url, "--to", store.url)
    assert status == 2 and "already holds data" in out and "nothing copied" in out, out
    assert store.scalar("SELECT COUNT(*) FROM participants") == participants


async def test_migrate_db_explains_what_it_cannot_do(emulator: TelegramEmulator, tmp_path: Path) -> None:
    status, out = await run_command(tmp_path, emulator, "migrate-db", "--from", "sqlite:///nowhere/none.db")
    assert status == 2 and "no database at nowhere/none.db" in out
    status, out = await run_command(tmp_path, emulator, "migrate-db", "--from", "mysql://x", "--to", "sqlite:///a.db")
    assert status == 2 and "postgresql://user@host/db" in out
    status, out = await run_command(
        tmp_path,
        emulator,
        "migrate-db",
        "--from",
        "postgresql://postgres:s3cret@127.0.0.1:9/none",
        "--to",
        "sqlite:///a.db",
    )
    assert status == 2 and "cannot use PostgreSQL at postgresql://postgres:***@127.0.0.1:9/none" in out, out
    assert "s3cret" not in out
