"""The organisers' report (python -m bot report), opened in Chromium: every figure it shows is checked
against the database, counted here with SQL of the test's own; in French and in English."""

from __future__ import annotations

from pathlib import Path

from playwright.async_api import async_playwright

from bot.emulator import TelegramEmulator
from bot.event import load_event
from storage.aftermath import AftermathRepository
from storage.db import utcnow
from storage.exhibitors import ExhibitorRepository, NewExhibitor
from storage.participants import NewParticipant, OrgType, ParticipantRepository, Role
from storage.wishes import WishRepository
from tests.conftest import EXAMPLE_EVENT, FakeClock
from tests.helpers import services_on
from tests.processes import run_command
from tests.stores import TestStore
from tests.test_meetings import BEFORE_THE_DAY
from tests.test_sandbox import CHROMIUM, CHROMIUM_ARGS


async def a_day(store: TestStore) -> None:
    """Six attendees of several kinds, three stands, meetings in every state, attendance, wishes."""
    async with store.open() as db:
        people = ParticipantRepository(db)
        ids = []
        kinds = [OrgType.LOCAL_AUTHORITY, OrgType.LOCAL_AUTHORITY, OrgType.SOCIAL_LANDLORD, OrgType.COMPANY, None, None]
        async with db.transaction() as tx:
            for n, kind in enumerate(kinds):
                ids.append(
                    await people.create(
                        NewParticipant(
                            telegram_id=800_000 + n,
                            role=Role.ATTENDEE,
                            language="fr",
                            full_name=f"Personne <{n}>",
                            organisation="Ville & Co",
                            org_type=kind,
                            consent_at=utcnow(),
                            themes=["mobility"] if n % 2 else ["mobility", "health"],
                        ),
                        tx,
                    )
                )
        repo = ExhibitorRepository(db)
        soupe = await repo.create(NewExhibitor(slug="soupe", name="Soupe", tables=2, themes=["circular-economy"]))
        velo = await repo.create(NewExhibitor(slug="velo", name="Vélo", tables=1, themes=["mobility", "health"]))
        await repo.create(NewExhibitor(slug="vide", name="Personne ne vient", tables=1, themes=["construction"]))
        services = services_on(db, load_event(EXAMPLE_EVENT), clock=FakeClock(BEFORE_THE_DAY))
        slots = {s.start.strftime("%H:%M"): s for s in services.event.slots}
        attendees = [await people.by_id(i) for i in ids]
        meetings = services.meetings

        async def meet(who: int, exhibitor: int, time: str) -> int:
            person = attendees[who]
            assert person is not None
            return (await meetings.request(person, exhibitor, slots[time], None)).id

        accepted = []
        for who, exhibitor, time in (
            (0, soupe.id, "10:00"),
            (1, soupe.id, "10:00"),
            (2, velo.id, "10:15"),
            (3, velo.id, "10:30"),
            (4, soupe.id, "11:45"),
        ):
            meeting_id = await meet(who, exhibitor, time)
            accepted.append(meeting_id)
        pending = await meet(5, velo.id, "09:30")
        declined = await meet(0, velo.id, "14:00")
        async with db.transaction() as tx:
            for meeting_id, table in zip(accepted, (1, 2, 1, 1, 1), strict=True):
                await tx.execute(
                    "UPDATE meetings SET status = 'accepted', table_no = ?, attendance_asked = 1 WHERE id = ?",
                    (table, meeting_id),
                )
            await tx.execute(
                "UPDATE meetings SET status = 'declined', decline_reason = 'full' WHERE id = ?", (declined,)
            )
            # held: one says so; the other side said no-show: still held. Missed: a no-show and nobody said met
            await tx.execute("UPDATE meetings SET attendance_attendee = 'met' WHERE id = ?", (accepted[0],))
            await tx.execute(
                "UPDATE meetings SET attendance_exhibitor = 'met', attendance_attendee = 'no_show' WHERE id = ?",
                (accepted[1],),
            )
            await tx.execute("UPDATE meetings SET attendance_exhibitor = 'no_show' WHERE id = ?", (accepted[2],))
        assert pending
        ratings = AftermathRepository(db)
        for meeting_id, side, stars in (
            (accepted[0], "attendee", 5),
            (accepted[0], "exhibitor", 4),
            (accepted[2], "attendee", 2),
        ):
            assert await ratings.rate(meeting_id, side, ids[0], stars)
        wishes = WishRepository(db)
        await wishes.replace_all({ids[0]: [soupe.id, velo.id], ids[1]: [soupe.id], ids[5]: [velo.id]})


async def expected(store: TestStore) -> dict[str, int]:
    """The figures, counted from the tables with queries of this test's own."""
    async with store.open() as db:

        async def one(sql: str, *params: object) -> int:
            row = await db.fetch_one(sql, params)
            return int(row[0]) if row else 0

        held_sql = "(attendance_attendee = 'met' OR attendance_exhibitor = 'met')"
        missed_sql = (
            "(COALESCE(attendance_attendee, '') <> 'met' AND COALESCE(attendance_exhibitor, '') <> 'met'"
            " AND (attendance_attendee = 'no_show' OR attendance_exhibitor = 'no_show'))"
        )
        figures = {
            "role.attendee": await one("SELECT COUNT(*) FROM participants WHERE role = 'attendee'"),
            "meetings.requested": await one("SELECT COUNT(*) FROM meetings"),
            "meetings.accepted": await one("SELECT COUNT(*) FROM meetings WHERE status = 'accepted'"),
            "meetings.held": await one(f"SELECT COUNT(*) FROM meetings WHERE status = 'accepted' AND {held_sql}"),
            "meetings.missed": await one(f"SELECT COUNT(*) FROM meetings WHERE status = 'accepted' AND {missed_sql}"),
            "status.pending": await one("SELECT COUNT(*) FROM meetings WHERE status = 'pending'"),
            "status.declined": await one("SELECT COUNT(*) FROM meetings WHERE status = 'declined'"),
            "interest.mobility": await one("SELECT COUNT(*) FROM participant_themes WHERE theme_id = 'mobility'"),
            "interest.health": await one("SELECT COUNT(*) FROM participant_themes WHERE theme_id = 'health'"),
            "org_type.local_authority": await one(
                "SELECT COUNT(*) FROM participants WHERE org_type = 'local_authority'"
            ),
            "wishes.total": await one("SELECT COUNT(*) FROM wishes"),
            "rating.circular-economy.5": await one(
                "SELECT COUNT(*) FROM ratings r JOIN meetings m ON m.id = r.meeting_id JOIN exhibitor_themes t"
                " ON t.exhibitor_id = m.exhibitor_id WHERE t.theme_id = 'circular-economy' AND r.stars = 5"
            ),
            "rating_org.local_authority.count": await one(
                "SELECT COUNT(*) FROM ratings r JOIN meetings m ON m.id = r.meeting_id JOIN participants p"
                " ON p.id = m.attendee_id WHERE p.org_type = 'local_authority'"
            ),
            "rating.mobility.count": await one(
                "SELECT COUNT(*) FROM ratings r JOIN meetings m ON m.id = r.meeting_id JOIN exhibitor_themes t"
                " ON t.exhibitor_id = m.exhibitor_id WHERE t.theme_id = 'mobility'"
            ),
            "wishes.met": await one(
                "SELECT COUNT(*) FROM wishes w JOIN meetings m ON m.attendee_id = w.attendee_id"
                " AND m.exhibitor_id = w.exhibitor_id AND m.status = 'accepted'"
            ),
        }
        for theme in ("circular-economy", "mobility", "construction"):
            of_theme = f"exhibitor_id IN (SELECT exhibitor_id FROM exhibitor_themes WHERE theme_id = '{theme}')"
            figures[f"theme.{theme}.requested"] = await one(f"SELECT COUNT(*) FROM meetings WHERE {of_theme}")
            figures[f"theme.{theme}.held"] = await one(
                f"SELECT COUNT(*) FROM meetings WHERE {of_theme} AND status = 'accepted' AND {held_sql}"
            )
        figures["org.local_authority.accepted"] = await one(
            "SELECT COUNT(*) FROM meetings m JOIN participants p ON p.id = m.attendee_id"
            " WHERE p.org_type = 'local_authority' AND m.status = 'accepted'"
        )
        figures["org.unknown.requested"] = await one(
            "SELECT COUNT(*) FROM meetings m JOIN participants p ON p.id = m.attendee_id WHERE p.org_type IS NULL"
        )
    return figures


async def shown(path: Path, language: str) -> tuple[dict[str, int], str, str, list[int]]:
    """What Chromium shows: every figure by its key, the page's language and title, the charts' widths."""
    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = await browser.new_page(locale=language)
            errors: list[str] = []
            page.on("pageerror", lambda error: errors.append(str(error)))
            await page.goto(path.as_uri())
            cells = await page.eval_on_selector_all(
                "[data-figure]", "cells => cells.map(c => [c.dataset.figure, c.textContent])"
            )
            widths = await page.eval_on_selector_all("img", "images => images.map(i => i.naturalWidth)")
            lang = await page.get_attribute("html", "lang") or ""
            heading = await page.inner_text("h1")
            assert not errors, errors
        finally:
            await browser.close()
    return {key: int(text) for key, text in cells}, lang, heading, widths


async def test_the_report_shows_the_databases_figures_in_a_browser(
    store: TestStore, tmp_path: Path, emulator: TelegramEmulator
) -> None:
    await a_day(store)
    figures = await expected(store)
    assert figures["meetings.held"] == 2 and figures["meetings.missed"] == 1  # the day has each case
    assert figures["rating.circular-economy.5"] == 1 and figures["rating.mobility.count"] == 1
    for language, title in (("fr", "Journée de l'innovation sociale et urbaine — bilan"), ("en", "report")):
        out = tmp_path / f"report-{language}.html"
        status, text = await run_command(tmp_path, emulator, "report", "--out", str(out), "--lang", language)
        assert status == 0 and "report written to" in text, text
        seen, lang, heading, widths = await shown(out, language)
        assert lang == language and title in heading
        for key, value in figures.items():
            assert seen[key] == value, (language, key, seen.get(key), value)
        assert len(widths) == 2 and all(w > 300 for w in widths)  # both charts drawn
        page = out.read_text(encoding="utf-8")
        assert "Personne <" not in page  # no one's name in the report, and no raw markup from the data
