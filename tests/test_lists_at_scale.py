"""Every list at ten times the reference event stays within Telegram's limits, and every item can be reached.

The emulator refuses what Telegram refuses (text over 4096 characters, more than 100 buttons...)
and the ``emulator`` fixture fails the test on any refused call; each test also checks that
nobody got the apology, and that paging through a list shows each of its items once.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.documents.import_report import render_report
from bot.emulator import ChatMessage, Phone, TelegramEmulator
from bot.event import Event, load_event
from bot.jobs.reminders import render
from bot.runtime import Services
from bot.services.directory import ImportReport
from bot.services.exhibitor_import import RowError
from storage.outbox import Outgoing
from storage.repositories import Repositories
from tests.conftest import EXAMPLE_EVENT, BotRunner, FakeClock
from tests.stores import TestStore, generate_in
from tests.test_meetings import BEFORE_THE_DAY

BOSS = 7777
NEXT = "Suivants ›"
APOLOGY = "Désolé"


async def page_through(phone: Phone, message: ChatMessage, pattern: str) -> list[str]:
    """Every match of ``pattern`` on every page of a paged message, pressing "next" until the last page."""
    seen: list[str] = []
    pages = 0
    while True:
        pages += 1
        seen += re.findall(pattern, message.text or "")
        assert len(message.text or "") <= 4096 and sum(len(row) for row in message.buttons) <= 100
        if NEXT not in message.button_labels:
            break
        await press_and_wait(phone, NEXT, message)
        assert pages < 200, "the pages never end"
    assert pages > 1, "a list this long should have several pages"
    return seen


async def press_and_wait(phone: Phone, label: str, message: ChatMessage) -> None:
    """Press a button of ``message`` and wait until the bot has edited it."""
    before = (message.text, message.button_labels)
    await phone.press(label, message)
    await phone.emulator.wait_for(lambda: (message.text, message.button_labels) != before)


def no_apology(*phones: Phone) -> None:
    for phone in phones:
        assert not any(APOLOGY in m.content for m in phone.bot_messages), phone.transcript()


@pytest.fixture
async def big(
    emulator: TelegramEmulator, store: TestStore, tmp_path: Path, event: Event
) -> AsyncIterator[tuple[Services, BotRunner]]:
    """500 exhibitors with 1,000 representatives and 1,000 attendees; the organiser registered."""
    runner = BotRunner(emulator, store, event, [])
    await generate_in(store, tmp_path, participants=2000, exhibitors=500, meetings=0, reps_per_exhibitor=2, tables=10)
    services = await runner.start(organiser_ids=str(BOSS), clock=FakeClock(BEFORE_THE_DAY))
    yield services, runner
    await runner.stop_all()


async def organiser(emulator: TelegramEmulator) -> Phone:
    boss = emulator.user("Hélène", user_id=BOSS, started=True)
    from tests.helpers import register_organiser

    await register_organiser(boss)
    boss.skip_unread()
    return boss


async def test_a_thousand_representatives_page_in_reps(
    emulator: TelegramEmulator, big: tuple[Services, BotRunner]
) -> None:
    boss = await organiser(emulator)
    await boss.send("/reps")
    listing = await boss.next_reply()
    assert "(1000)" in listing.text
    names = await page_through(boss, listing, r"• (.+?) — Structure \d+")
    assert len(names) == 1000
    no_apology(boss)


async def test_directory_search_and_block_with_500_exhibitors(
    emulator: TelegramEmulator, big: tuple[Services, BotRunner]
) -> None:
    boss = await organiser(emulator)
    # the directory's full list: eight a page, every exhibitor reachable
    await boss.send("/exhibitors")
    themes = await boss.next_reply()
    await boss.press("Tous les exposants", themes)
    await emulator.wait_for(lambda: "page 1/" in themes.text)
    names: set[str] = set()
    while True:
        names |= {label.split(" · ")[0] for label in themes.button_labels if label.startswith("Structure")}
        if NEXT not in themes.button_labels:
            break
        await press_and_wait(boss, NEXT, themes)
    assert len(names) == 500
    # a search matching every exhibitor shows the most relevant, and says so
    await boss.send("/search structure")
    results = await boss.next_reply()
    assert "500 exposants" in results.text and 0 < len(results.buttons) <= 100
    # closing a slot for one stand: the stands page too
    await boss.send("/block")
    ask = await boss.next_reply()
    await boss.press(ask.button_labels[0], ask)
    await emulator.wait_for(lambda: "Tout le monde" in ask.button_labels)
    assert await page_through(boss, ask, r"(?!)") == []  # pages of buttons only, up to the last stand
    last = [label for label in ask.button_labels if label.startswith("Structure")][-1]
    await boss.press(last, ask)
    await emulator.wait_for(lambda: last in ask.text)  # "close the slot for <that stand>?"
    no_apology(boss)


async def test_a_ten_table_stand_with_200_meetings(emulator: TelegramEmulator, big: tuple[Services, BotRunner]) -> None:
    services, _ = big
    stand = 1
    slots = [s for s in services.event.slots][:20]
    # written through the bot's own database, whose single writer the running bot shares
    attendees = [
        r[0] for r in await services.db.fetch_all("SELECT id FROM participants WHERE role = 'attendee' LIMIT 200")
    ]
    now = datetime.now(UTC).isoformat()
    async with services.db.transaction() as tx:
        await tx.executemany(
            "INSERT INTO meetings (attendee_id, exhibitor_id, slot_start, status, table_no, created_at, updated_at)"
            " VALUES (?, ?, ?, 'accepted', ?, ?, ?)",
            [(attendee, stand, slots[n // 10].utc_iso, n % 10 + 1, now, now) for n, attendee in enumerate(attendees)],
        )
    row = await services.db.fetch_one(
        "SELECT id, telegram_id FROM participants WHERE exhibitor_id = ? ORDER BY id LIMIT 1", (stand,)
    )
    assert row is not None
    rep_id, rep_telegram = row[0], row[1]
    rep = emulator.user("Inès", user_id=rep_telegram, started=True)
    await rep.send("/agenda")
    day = await rep.next_reply()
    tables = await page_through(rep, day, r"Table (\d+) :")
    assert len(tables) == 200
    no_apology(rep)

    # the day's digest for the stand: one message, ending with how many more
    async with services.db.transaction() as tx:
        due = services.event.digest_due(slots[0].start)
        assert due is not None
        await tx.execute(
            "INSERT INTO reminders (kind, participant_id, lead_seconds, due_at) VALUES ('digest', ?, 600, ?)",
            (rep_id, due.isoformat()),
        )
    row = await services.db.fetch_one(
        "SELECT id FROM reminders WHERE kind = 'digest' AND participant_id = ?", (rep_id,)
    )
    assert row is not None
    claimed = await services.reminders.claim(int(row[0]))
    assert claimed is not None
    text, _ = render(services, claimed)
    assert len(text) <= 4096 and re.search(r"… et \d+ de plus\.$", text)


async def test_an_attendee_s_full_day(emulator: TelegramEmulator, big: tuple[Services, BotRunner]) -> None:
    """Twenty accepted meetings with long names and pending requests: the agenda pages."""
    services, _ = big
    row = await services.db.fetch_one(
        "SELECT id, telegram_id FROM participants WHERE role = 'attendee' ORDER BY id LIMIT 1"
    )
    assert row is not None
    attendee_id, telegram_id = row[0], row[1]
    now = datetime.now(UTC).isoformat()
    slots = services.event.slots
    async with services.db.transaction() as tx:
        await tx.execute(
            "UPDATE exhibitors SET name = 'Association ' || name || ' pour ' || description WHERE id <= 40"
        )
        await tx.executemany(
            "INSERT INTO meetings (attendee_id, exhibitor_id, slot_start, status, table_no, awaiting, created_at,"
            " updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            [(attendee_id, 1 + n, slots[n].utc_iso, "accepted", 1, "exhibitor", now, now) for n in range(20)]
            + [
                (attendee_id, 30 + n, slots[20 + n % 4].utc_iso, "pending", None, "exhibitor", now, now)
                for n in range(4)
            ],
        )
    camille = emulator.user("Camille", user_id=telegram_id, started=True)
    await camille.send("/agenda")
    agenda = await camille.next_reply()
    lines = await page_through(camille, agenda, r"Association Structure \d+")
    assert len(lines) == 24
    no_apology(camille)


def event_with_sessions(count: int) -> Event:
    """The sample event with ``count`` more sessions, a few at every time of the morning."""
    text = EXAMPLE_EVENT.read_text(encoding="utf-8")
    start = datetime(2027, 3, 16, 9, 30)
    blocks = []
    for n in range(count):
        begin = start + timedelta(minutes=15 * (n % 12))
        blocks.append(
            f"""
[[sessions]]
id = "atelier-{n}"
title = {{ fr = "Atelier {n} : rénover, cultiver et se déplacer autrement dans les quartiers", en = "Workshop {n}" }}
format = "pitch"
start = {begin:%Y-%m-%dT%H:%M:%S}
end = {begin + timedelta(minutes=30):%Y-%m-%dT%H:%M:%S}
room = "Salle {n % 20}"
themes = ["mobility"]
"""
        )
    import tempfile

    with tempfile.NamedTemporaryFile("w", suffix=".toml", delete=False, encoding="utf-8") as out:
        out.write(text + "".join(blocks))
    return load_event(Path(out.name))


async def test_three_hundred_sessions(emulator: TelegramEmulator, store: TestStore) -> None:
    event = event_with_sessions(300)
    runner = BotRunner(emulator, store, event, [])
    during = datetime(2027, 3, 16, 9, 40, tzinfo=event.tz).astimezone(UTC)
    try:
        await runner.start(clock=FakeClock(during), organiser_ids=str(BOSS))
        sam = emulator.user("Sam", started=True)
        from tests.helpers import register_attendee

        await register_attendee(sam)
        sam.skip_unread()
        await sam.send("/now")
        now = await sam.next_reply()
        assert len(now.text) <= 4096 and re.search(r"… et \d+ de plus\.", now.text)
        await sam.send("/programme")
        home = await sam.next_reply()
        await sam.press(next(label for label in home.button_labels if label.startswith("Matin")), home)
        await emulator.wait_for(lambda: home.text.startswith("Matin"))
        titles = await page_through(sam, home, r"Atelier (\d+) :")
        assert len(set(titles)) == 300
        await sam.send("/programme")
        home = await sam.next_reply()
        await sam.press("Par thème", home)
        await emulator.wait_for(lambda: "Mobilité" in home.button_labels)
        await sam.press("Mobilité", home)
        await emulator.wait_for(lambda: home.text.startswith("Mobilité"))
        assert len(set(await page_through(sam, home, r"Atelier (\d+) :"))) == 300
        no_apology(sam)
        # an organiser picking a session to change: the sessions page too
        boss = emulator.user("Hélène", user_id=BOSS, started=True)
        from tests.helpers import register_organiser

        await register_organiser(boss)
        boss.skip_unread()
        await boss.send("/session")
        pick = await boss.next_reply()
        assert await page_through(boss, pick, r"(?!)") == []
        assert any("Atelier 299" in label for label in pick.button_labels)
        no_apology(boss)
    finally:
        await runner.stop_all()


def test_an_import_report_with_huge_cells_and_many_errors_is_one_message() -> None:
    from bot.i18n import Translator

    tr = Translator.load()
    errors = [RowError(n, "import.error.bad_website", {"value": "x" * 4200}) for n in range(2, 600)]
    report = ImportReport(errors=errors, ignored_columns=["y" * 4200])
    for language in ("fr", "en"):
        text = render_report(tr, language, report)
        assert len(text) <= 4096
        assert re.search(r"(… et|…and) \d+ (de plus|more)\.", text)


async def test_the_broadcast_history_and_statistics_at_ten_times(
    emulator: TelegramEmulator, big: tuple[Services, BotRunner]
) -> None:
    services, _ = big
    # 120 announcements sent, and unanswered requests at 300 stands
    outbox = Repositories.on(services.db).outbox
    author = await services.registration.participant_by_id(1)
    assert author is not None
    for n in range(120):
        later = BEFORE_THE_DAY + timedelta(days=30)  # not due by the bot's clock: nobody is sent one
        await outbox.create("announcement", f"theme:health-{n}", later, author.id, [Outgoing(1, 1, f"Annonce {n}")])
    attendees = [
        r[0] for r in await services.db.fetch_all("SELECT id FROM participants WHERE role = 'attendee' LIMIT 300")
    ]
    now = datetime.now(UTC).isoformat()
    async with services.db.transaction() as tx:
        await tx.executemany(
            "INSERT INTO meetings (attendee_id, exhibitor_id, slot_start, status, awaiting, created_at, updated_at)"
            " VALUES (?, ?, ?, 'pending', 'exhibitor', ?, ?)",
            [(a, 1 + n, services.event.slots[n % 20].utc_iso, now, now) for n, a in enumerate(attendees)],
        )
    boss = await organiser(emulator)
    await boss.send("/broadcasts")
    history = await boss.next_reply()
    lines = await page_through(boss, history, r"theme:health-(\d+)")
    assert sorted(int(n) for n in lines) == list(range(120))  # every announcement, newest first, ten a page
    await boss.send("/stats")
    stats = await boss.wait_for_text("Statistiques")
    assert len(stats.text) <= 4096
    no_apology(boss)
