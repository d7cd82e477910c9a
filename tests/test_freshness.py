"""What the bot keeps in memory (exhibitors, people, the programme's changes, closed slots) is never
out of date: a change, wherever it comes from, shows in the very next answer."""

from __future__ import annotations

import asyncio
import re
from datetime import UTC, datetime
from pathlib import Path

from bot.emulator import Phone, TelegramEmulator
from storage.cache import Cached, CachedMap
from storage.db import Database, utcnow
from storage.exhibitors import ExhibitorRepository, NewExhibitor
from storage.participants import NewParticipant, ParticipantRepository, Role
from tests.conftest import BotRunner
from tests.helpers import register_attendee, register_organiser
from tests.processes import run_command
from tests.stores import TestStore
from tests.test_directory import EXAMPLE_CSV, FRENCH_EXCEL, import_example

BOSS = 7070


async def structures(phone: Phone) -> int:
    """How many exhibitors the directory's first screen announces, asked now."""
    phone.skip_unread()
    await phone.send("/exhibitors")
    reply = await phone.next_reply()
    if "pas encore publié" in reply.text:
        return 0
    found = re.search(r"(\d+) structures", reply.text)
    assert found, reply.text
    return int(found[1])


async def free_slots(phone: Phone, slug: str) -> int:
    phone.skip_unread()
    await phone.open_deep_link(f"e-{slug}")
    card = await phone.next_reply()
    found = re.search(r"🗓 (\d+) (?:créneaux encore libres|free slots)", card.text)
    assert found, card.text
    return int(found[1])


async def book(db: Database, exhibitor_id: int, slot: str, table: int) -> int:
    now = utcnow().isoformat()
    async with db.transaction() as tx:
        row = await tx.fetch_one(
            "INSERT INTO meetings (exhibitor_id, slot_start, status, table_no, created_at, updated_at)"
            " VALUES (?, ?, 'accepted', ?, ?, ?) RETURNING id",
            (exhibitor_id, slot, table, now, now),
        )
    assert row is not None
    return int(row[0])


async def test_each_change_shows_in_the_next_answer(emulator: TelegramEmulator, runner: BotRunner) -> None:
    services = await runner.start(organiser_ids=str(BOSS))
    await import_example(services)
    boss = emulator.user("Hélène", user_id=BOSS)
    await register_organiser(boss)
    camille = emulator.user("Camille")
    await register_attendee(camille)
    assert await structures(camille) == 20

    # an import from the chat: two new exhibitors
    await boss.upload("exposants.csv", FRENCH_EXCEL.encode("cp1252"), "text/csv")
    assert "2 exposants créés" in (await boss.next_reply()).text
    assert await structures(camille) == 22
    await camille.open_deep_link("e-cafe-repare")
    assert "Réparer ensemble" in (await camille.next_reply()).text

    # a booking fills a slot, its cancellation frees it
    soupe = await ExhibitorRepository(services.db).by_slug("disco-soupe")
    assert soupe is not None and soupe.tables == 2
    free = await free_slots(camille, "disco-soupe")
    slot = services.event.slots[-1].utc_iso
    booked = [await book(services.db, soupe.id, slot, table) for table in (1, 2)]
    assert await free_slots(camille, "disco-soupe") == free - 1
    async with services.db.transaction() as tx:
        await tx.execute("UPDATE meetings SET status = 'cancelled', table_no = NULL WHERE id = ?", (booked[0],))
    assert await free_slots(camille, "disco-soupe") == free

    # the organisers close a slot for everyone
    boss.skip_unread()
    await boss.send("/block")
    ask = await boss.wait_for_text("Quel créneau fermer")
    first = services.event.slots[0].start.astimezone(services.event.tz).strftime("%H:%M")
    await boss.press(first, ask)
    await boss.press("Tout le monde", await boss.wait_for_text("pour qui ?"))
    await boss.press("🚧 Oui, fermer ce créneau", await boss.wait_for_text("seront annulés"))
    await boss.wait_for_text("rendez-vous annulé")
    assert await free_slots(camille, "disco-soupe") == free - 1

    # a person's own change: the language
    camille.skip_unread()
    await camille.send("/language")
    await camille.press("🇬🇧 English", await camille.next_reply())
    await camille.wait_for_text("I will speak English")
    assert await structures(camille) == 22
    assert camille.bot_messages[-1].text.startswith("Exhibitors — 22")


async def test_a_change_made_by_another_process_shows_at_once(emulator: TelegramEmulator, runner: BotRunner) -> None:
    services = await runner.start()
    camille = emulator.user("Camille")
    await register_attendee(camille)
    assert await structures(camille) == 0
    status, out = await run_command(
        runner.store.path.parent if runner.store.path else Path.cwd(),
        emulator,
        "import-exhibitors",
        str(EXAMPLE_CSV),
        DATABASE_URL=runner.store.url,
        BOT_USERNAME=emulator.bot_username,
    )
    assert status == 0, out
    assert await structures(camille) == 20
    assert await services.directory.count() == 20


async def test_concurrent_users_never_see_the_old_list_after_the_import(
    emulator: TelegramEmulator, runner: BotRunner
) -> None:
    services = await runner.start(organiser_ids=str(BOSS))
    await import_example(services)
    boss = emulator.user("Hélène", user_id=BOSS)
    await register_organiser(boss)
    people = [emulator.user(f"P{n}") for n in range(12)]
    await asyncio.gather(*(register_attendee(p) for p in people))
    imported = asyncio.Event()
    seen: list[tuple[bool, int]] = []  # (asked after the import was confirmed, count shown)

    async def browse(phone: Phone) -> None:
        while True:
            after = imported.is_set()
            seen.append((after, await structures(phone)))
            if after:
                return

    browsing = [asyncio.create_task(browse(p)) for p in people]
    await asyncio.sleep(0.2)
    await boss.upload("exposants.csv", FRENCH_EXCEL.encode("cp1252"), "text/csv")
    assert "2 exposants créés" in (await boss.next_reply()).text
    imported.set()
    await asyncio.gather(*browsing)
    assert {count for after, count in seen if after} == {22}
    assert {count for after, count in seen if not after} <= {20, 22}
    assert len([1 for after, _ in seen if not after]) >= len(people)


# ---------------------------------------------------------------------- the copies themselves


async def test_a_copy_loaded_while_the_data_changed_is_not_kept(store: TestStore) -> None:
    async with store.open() as db:
        repo = ExhibitorRepository(db)
        loads = 0

        async def load_and_meanwhile_add() -> int:
            nonlocal loads
            loads += 1
            count = len(await db.fetch_all("SELECT id FROM exhibitors"))
            if loads == 1:  # a commit lands while the first load is under way
                await repo.create(NewExhibitor(slug=f"x{loads}", name="X"))
            return count

        counted = Cached(db, "exhibitors", load_and_meanwhile_add)
        assert await counted.get() == 0  # the caller gets what was read...
        assert await counted.get() == 1 and loads == 2  # ...but it was not kept
        assert await counted.get() == 1 and loads == 2  # now it is

        names = CachedMap(db, "exhibitors", lambda slug: repo.by_slug(slug))
        assert (await names.get("x1")) is not None
        async with db.transaction() as tx:
            await tx.execute("UPDATE exhibitors SET name = 'Y' WHERE slug = 'x1'")
        found = await names.get("x1")
        assert found is not None and found.name == "Y"


async def test_a_database_without_versions_is_read_every_time(store: TestStore) -> None:
    async with store.open():
        pass
    store.execute("DROP TABLE cache_versions")
    async with store.open() as db:
        assert db.version("exhibitors") is None
        calls = 0

        async def load() -> datetime:
            nonlocal calls
            calls += 1
            return datetime.now(UTC)

        cached = Cached(db, "exhibitors", load)
        await cached.get()
        await cached.get()
        assert calls == 2


async def test_the_exhibitor_lists_keep_sqlite_orders(store: TestStore) -> None:
    async with store.open() as db:
        repo = ExhibitorRepository(db)
        for slug, name, themes in (
            ("b", "béton", ["mobility"]),
            ("a", "Zèbre", ["mobility", "services"]),
            ("c", "abeille", []),
            ("d", "Abeille", ["services"]),
        ):
            await repo.create(NewExhibitor(slug=slug, name=name, themes=themes))
        # SQLite's ORDER BY name COLLATE NOCASE, id (only ASCII letters fold), on either backend
        assert [e.slug for e in await repo.page(0, 10)] == ["c", "d", "b", "a"]
        # and its ORDER BY name, id: byte order
        assert [e.slug for e in await repo.all()] == ["d", "a", "c", "b"]
        if store.path is not None:
            nocase = await db.fetch_all("SELECT slug FROM exhibitors ORDER BY name COLLATE NOCASE, id")
            assert [r[0] for r in nocase] == ["c", "d", "b", "a"]
        binary = await db.fetch_all("SELECT slug FROM exhibitors ORDER BY name, id")
        assert [r[0] for r in binary] == ["d", "a", "c", "b"]
        assert [e.slug for e in await repo.with_theme("mobility", 0, 10)] == ["b", "a"]
        assert [e.slug for e in await repo.with_theme("mobility", 1, 10)] == ["a"]
        assert await repo.count_by_theme() == {"mobility": 2, "services": 2}
        assert await repo.count() == 4
        assert [e.slug for e in await repo.by_ids([3, 1, 99])] == ["c", "b"]


async def test_callers_at_once_share_one_load_and_a_failure_is_not_kept(store: TestStore) -> None:
    async with store.open() as db:
        calls = 0
        fail = True

        async def load() -> int:
            nonlocal calls
            calls += 1
            await asyncio.sleep(0.01)
            if fail:
                raise RuntimeError("the disk is gone")
            return calls

        cached = Cached(db, "exhibitors", load)
        results = await asyncio.gather(*(cached.get() for _ in range(50)), return_exceptions=True)
        assert calls == 1 and all(isinstance(r, RuntimeError) for r in results)
        fail = False
        assert await asyncio.gather(*(cached.get() for _ in range(50))) == [2] * 50
        assert calls == 2


async def test_a_person_read_by_id_or_telegram_id_is_never_stale(store: TestStore) -> None:
    async with store.open() as db:
        people = ParticipantRepository(db)
        new = NewParticipant(
            telegram_id=42, role=Role.ATTENDEE, language="fr", full_name="Camille", consent_at=utcnow()
        )
        async with db.transaction() as tx:
            person_id = await people.create(new, tx)
        assert (await people.by_id(person_id)).full_name == "Camille"  # type: ignore[union-attr]
        assert (await people.by_telegram_id(42)).full_name == "Camille"  # type: ignore[union-attr]
        await people.update_fields(42, full_name="Camille Martin")
        assert (await people.by_id(person_id)).full_name == "Camille Martin"  # type: ignore[union-attr]
        assert (await people.by_telegram_id(42)).full_name == "Camille Martin"  # type: ignore[union-attr]
        await people.delete(42)
        assert await people.by_id(person_id) is None and await people.by_telegram_id(42) is None
