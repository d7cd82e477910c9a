"""The rehearsal sandbox: its page driven in a real headless Chromium, and the command itself.

Chromium is Debian's (installed by .ci/run); Playwright only drives it.
"""

from __future__ import annotations

import asyncio
import os
import re
import signal
import sys
import urllib.request
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import pytest
from playwright.async_api import Browser, Page, async_playwright, expect

from bot.event import load_event
from bot.sandbox import Sandbox, rehearsal_event
from bot.sandbox.server import EXAMPLE_EVENT
from tests.conftest import ROOT

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
ATTENDEE, REPRESENTATIVE, ORGANISER = "#p7000001", "#p7000002", "#p7000003"


@pytest.fixture
async def sandbox(tmp_path: Path) -> AsyncIterator[Sandbox]:
    event = rehearsal_event(load_event(EXAMPLE_EVENT), datetime.now(UTC))
    box = Sandbox(db_path=tmp_path / "sandbox.db", event=event, port=0)
    await box.start()
    yield box
    await box.stop()


CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@dataclass
class Tab:
    """A page in Chromium, with what its console and the network refused along the way."""

    page: Page
    problems: list[str] = field(default_factory=list)


@pytest.fixture
async def browser() -> AsyncIterator[Browser]:
    async with async_playwright() as p:
        chromium = await p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        await chromium.close()


async def open_tab(browser: Browser, sandbox: Sandbox, *, width: int, height: int, locale: str) -> Tab:
    context = await browser.new_context(
        viewport={"width": width, "height": height}, locale=locale, accept_downloads=True
    )
    tab = Tab(await context.new_page())
    tab.page.on("console", lambda m: tab.problems.append(f"console: {m.text}") if m.type == "error" else None)
    tab.page.on("pageerror", lambda error: tab.problems.append(f"page error: {error}"))
    tab.page.on("response", lambda r: tab.problems.append(f"{r.status} {r.url}") if r.status >= 400 else None)
    await tab.page.goto(sandbox.url)
    await expect(tab.page.locator(".phone")).to_have_count(3)
    return tab


@pytest.fixture
async def tab(browser: Browser, sandbox: Sandbox) -> Tab:
    """The page as the README's reader sees it: a laptop's 1280×800 window, a French browser."""
    return await open_tab(browser, sandbox, width=1280, height=800, locale="fr-FR")


@pytest.fixture
def page(tab: Tab) -> Page:
    return tab.page


async def overflowing(page: Page) -> list[str]:
    """Every element that reaches past the window's left or right edge."""
    result: list[str] = await page.evaluate(
        """() => {
            const width = document.documentElement.clientWidth;
            const out = [...document.querySelectorAll("body *")].filter(e => {
                const r = e.getBoundingClientRect();
                return r.width > 0 && r.height > 0 && (r.right > width + 0.5 || r.left < -0.5);
            }).map(e => `${e.tagName.toLowerCase()}.${e.className} ${Math.round(e.getBoundingClientRect().right)}`);
            if (document.documentElement.scrollWidth > width) out.push(`page ${document.documentElement.scrollWidth}`);
            return out;
        }"""
    )
    return result


def bot_says(page: Page, phone: str, text: str) -> object:
    return page.locator(f"{phone} .chat .msg.bot").filter(has_text=text).last


async def tap(page: Page, phone: str, label: str, *, prefix: bool = False) -> None:
    """Press the newest button of the chat labelled ``label`` (or starting with it)."""
    pattern = re.compile(f"^{re.escape(label)}" + ("" if prefix else "$"))
    button = page.locator(f"{phone} .chat button").filter(has_text=pattern).last
    await button.click()


async def send(page: Page, phone: str, text: str) -> None:
    await page.locator(f"{phone} form.send input").fill(text)
    await page.locator(f"{phone} form.send .send-button").click()


async def type_after(page: Page, phone: str, prompt: str, text: str) -> None:
    """Wait for the bot's question, then type the answer and press send."""
    await expect(bot_says(page, phone, prompt)).to_be_visible()  # type: ignore[arg-type]
    await send(page, phone, text)


async def test_a_whole_rehearsal_in_the_browser(tab: Tab, sandbox: Sandbox, tmp_path: Path) -> None:
    page = tab.page
    # The first screen says what to do, and Camille's chat shows Telegram's Start button
    await expect(page.locator("#help")).to_contain_text("appuyez sur « Démarrer »")
    await expect(page.locator(f"{ATTENDEE} .phone-head .desc")).to_have_text("pas encore inscrit·e")
    await expect(page.locator(f"{ATTENDEE} form.send input")).to_be_hidden()
    representative = page.locator(f"{REPRESENTATIVE} .phone-head .desc")
    await expect(representative).to_have_text("Représentant·e de Disco Soupe Roubaix")
    await expect(page.locator(f"{ORGANISER} .phone-head .desc")).to_have_text("Organisateur·rice de la journée")

    # The attendee registers by clicking and typing
    await page.locator(f"{ATTENDEE} button.start").click()
    await expect(page.locator(f"{ATTENDEE} button.start")).to_be_hidden()
    await tap(page, ATTENDEE, "✓ 🇫🇷 Français")
    await tap(page, ATTENDEE, "✅ J'accepte")
    await type_after(page, ATTENDEE, "nom complet", "Camille Martin")
    await type_after(page, ATTENDEE, "Pour quelle organisation", "Ville de Roubaix")
    await tap(page, ATTENDEE, "Collectivité locale")
    await type_after(page, ATTENDEE, "fonction", "Cheffe de projet")
    await tap(page, ATTENDEE, "▫️ Agriculture urbaine")
    await expect(page.locator(f"{ATTENDEE} .chat button").filter(has_text="✅ Agriculture urbaine")).to_be_visible()
    await tap(page, ATTENDEE, "Valider")
    await type_after(page, ATTENDEE, "cherchez-vous", "Des solutions <b>contre</b> le gaspillage")
    await tap(page, ATTENDEE, "✅ Confirmer")
    await expect(bot_says(page, ATTENDEE, "vous êtes inscrit(e)")).to_be_visible()  # type: ignore[arg-type]
    # what she typed that looks like HTML is shown as text, never as markup
    assert await page.locator(f"{ATTENDEE} .chat b", has_text="contre").count() == 0
    # her phone's header follows: registered, with what she told the bot
    await expect(page.locator(f"{ATTENDEE} .phone-head .desc")).to_have_text(
        "Participant·e inscrit·e · Cheffe de projet, Ville de Roubaix"
    )
    # ... scans the disco soupe's stand and asks for a meeting
    await page.locator(f"{ATTENDEE} select.stand").select_option("disco-soupe")
    await page.locator(f"{ATTENDEE} button.scan").click()
    await tap(page, ATTENDEE, "📅 Demander un rendez-vous")
    slot = page.locator(f"{ATTENDEE} .chat button").filter(has_text=re.compile(r"^\d\d:\d\d$")).first
    await slot.click()
    await tap(page, ATTENDEE, "Passer")
    await tap(page, ATTENDEE, "✅ Envoyer la demande")

    # The representative accepts it on the second phone
    await expect(bot_says(page, REPRESENTATIVE, "Demande de rendez-vous")).to_be_visible()  # type: ignore[arg-type]
    await tap(page, REPRESENTATIVE, "✅ Accepter")

    # The attendee sees the confirmation and downloads the calendar file
    await expect(bot_says(page, ATTENDEE, "confirmé")).to_be_visible()  # type: ignore[arg-type]
    link = page.locator(f"{ATTENDEE} .chat a.file").filter(has_text=".ics").last
    async with page.expect_download() as info:
        await link.click()
    download = await info.value
    saved = tmp_path / download.suggested_filename
    await download.save_as(saved)
    assert saved.suffix == ".ics"
    assert "BEGIN:VEVENT" in saved.read_text() and "Disco Soupe" in saved.read_text()

    # The organiser broadcasts; it shows on the two other phones, live
    await send(page, ORGANISER, "/broadcast")
    await type_after(page, ORGANISER, "Écrivez l'annonce", "La plénière commence dans 10 minutes, salle Jean-Jaurès.")
    await tap(page, ORGANISER, "Tout le monde", prefix=True)
    await tap(page, ORGANISER, "Maintenant")
    await tap(page, ORGANISER, "✅ Envoyer")
    # a broadcast is paced: to someone the bot wrote to under a second ago it waits for that
    # chat's second, and on a busy machine (the suite beside a second copy) it took over 5 s once
    for phone in (ATTENDEE, REPRESENTATIVE):
        arrived = bot_says(page, phone, "La plénière commence dans 10 minutes")
        await expect(arrived).to_be_visible(timeout=20_000)  # type: ignore[arg-type]

    # With every chat full, nothing reaches past a 1280×800 window's edge, and nothing went wrong
    await page.screenshot(path=str(tmp_path / "sandbox.png"))
    assert await overflowing(page) == []
    assert tab.problems == []
    # the tab's icon is the page's own (headless Chromium asks for none, a desktop one would)
    icon = await page.locator("link[rel=icon]").get_attribute("href")
    assert icon is not None
    response = await page.request.get(sandbox.url.rstrip("/") + icon)
    assert response.status == 200 and response.headers["content-type"].startswith("image/svg+xml")


async def test_a_narrow_window_stacks_the_phones(browser: Browser, sandbox: Sandbox, tmp_path: Path) -> None:
    page = (await open_tab(browser, sandbox, width=390, height=844, locale="fr-FR")).page
    await page.locator(f"{ATTENDEE} button.start").click()
    await expect(bot_says(page, ATTENDEE, "Bienvenue")).to_be_visible()  # type: ignore[arg-type]
    boxes = [await page.locator(phone).bounding_box() for phone in (ATTENDEE, REPRESENTATIVE, ORGANISER)]
    assert all(box is not None for box in boxes)
    lefts = {round(box["x"]) for box in boxes if box}
    tops = [box["y"] for box in boxes if box]
    assert len(lefts) == 1 and tops == sorted(tops) and len(set(tops)) == 3, boxes  # one under the other
    assert all(box and box["width"] >= 300 for box in boxes)
    await page.screenshot(path=str(tmp_path / "narrow.png"), full_page=True)
    assert await overflowing(page) == []


async def test_the_page_follows_an_english_browser(browser: Browser, sandbox: Sandbox) -> None:
    tab = await open_tab(browser, sandbox, width=1280, height=800, locale="en-GB")
    page = tab.page
    assert await page.locator("html").get_attribute("lang") == "en"
    await expect(page.locator("h1")).to_have_text("Maillage — offline rehearsal")
    await expect(page.locator("#help")).to_contain_text("press “Start” to register")
    await expect(page.locator(f"{ATTENDEE} .phone-head .desc")).to_have_text("not registered yet")
    await expect(page.locator(f"{ATTENDEE} button.start")).to_have_text("START")
    await expect(page.locator(f"{REPRESENTATIVE} button.block")).to_have_text("Block the bot")
    await expect(page.locator("#add-persona button")).to_have_text("Add")
    assert await page.locator("#persona-language").input_value() == "en"
    await expect(page.locator("#event-info")).to_contain_text("event time:")
    assert await overflowing(page) == []
    assert tab.problems == []


async def test_a_persona_added_with_the_form_gets_a_phone(page: Page) -> None:
    await page.locator("#persona-name").fill("Sacha Leroy")
    await page.locator("#persona-language").select_option("en")
    await page.locator("#add-persona button").click()
    await expect(page.locator(".phone")).to_have_count(4)
    phone = "#" + (await page.locator(".phone").nth(3).get_attribute("id") or "")
    await expect(page.locator(f"{phone} .phone-head .desc")).to_have_text("pas encore inscrit·e")
    await page.locator(f"{phone} button.start").click()
    await expect(bot_says(page, phone, "Welcome")).to_be_visible()  # type: ignore[arg-type]
    await page.locator(f"{phone} button.block").click()
    await expect(page.locator(f"{phone} button.block")).to_have_text("Débloquer le bot")
    await expect(page.locator(f"{phone} .phone-head .desc")).to_have_text("pas encore inscrit·e — a bloqué le bot")


async def test_a_representative_added_with_the_form_opens_the_stand_invitation(page: Page) -> None:
    await page.locator("#persona-name").fill("Noé Garnier")
    await page.locator("#persona-role").select_option("representative")
    await page.locator("#persona-exhibitor").select_option("disco-soupe")
    await page.locator("#add-persona button").click()
    await expect(page.locator(".phone")).to_have_count(4)
    phone = "#" + (await page.locator(".phone").nth(3).get_attribute("id") or "")
    # the invitation link opened the chat: it has the text box, no Start button
    await expect(page.locator(f"{phone} form.send input")).to_be_visible()
    await expect(page.locator(f"{phone} button.start")).to_be_hidden()


async def test_the_sandbox_command_serves_the_page_and_stops_on_ctrl_c(tmp_path: Path) -> None:
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        "sandbox",
        "--port",
        "0",
        "--no-browser",
        "--db",
        str(tmp_path / "kept.db"),
        cwd=ROOT,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
        stdin=asyncio.subprocess.DEVNULL,
    )
    assert process.stdout is not None
    line = (await asyncio.wait_for(process.stdout.readline(), 60)).decode()
    match = re.search(r"http://127\.0\.0\.1:\d+/", line)
    assert match, line
    html = await asyncio.to_thread(lambda: urllib.request.urlopen(match.group(0), timeout=10).read().decode())
    assert "Maillage" in html and "EventSource" in html
    process.send_signal(signal.SIGINT)
    rest = (await asyncio.wait_for(process.stdout.read(), 30)).decode()
    assert await process.wait() == 0, rest
    assert "sandbox stopped" in rest
    assert (tmp_path / "kept.db").exists()


async def test_the_page_api_refuses_bad_requests_politely(sandbox: Sandbox) -> None:
    import aiohttp

    origin = {"Origin": sandbox.url.rstrip("/")}
    async with aiohttp.ClientSession(sandbox.url) as http:
        # only the page itself may act: its own origin, its own host name, a JSON body
        async with http.post("/api/personas", json={"name": "Eve"}) as response:
            assert response.status == 403  # no Origin: not from a page of the sandbox's
        evil = {"Origin": "http://evil.example"}
        async with http.post("/api/personas/p7000002/send", json={"text": "/help"}, headers=evil) as response:
            assert response.status == 403
        rebound = {**origin, "Host": "evil.example"}
        async with http.post("/api/personas/p7000002/send", json={"text": "/help"}, headers=rebound) as response:
            assert response.status == 403
        # nor read: a site that points its own name at 127.0.0.1 sees neither the chats nor the files
        for path in ("/", "/api/state", "/api/personas/p7000002", "/api/events", "/files/nothing"):
            async with http.get(path, headers={"Host": "evil.example"}) as response:
                assert response.status == 403, path
        form = {**origin, "Content-Type": "text/plain"}
        async with http.post("/api/personas/p7000002/send", data='{"text": "/help"}', headers=form) as response:
            assert response.status == 415  # what a cross-site form could send
        assert not any(m.text == "/help" for m in sandbox.emulator.phones[1].messages)
    async with aiohttp.ClientSession(sandbox.url, headers=origin) as http:
        async with http.post(
            "/api/personas", data="not json", headers={"Content-Type": "application/json"}
        ) as response:
            assert response.status == 400 and "JSON" in await response.text()
        async with http.post("/api/personas", json={"name": "X"}) as response:
            assert response.status == 400  # a name of two letters or more
        async with http.post("/api/personas/p1/send", json={"text": "hi"}) as response:
            assert response.status == 404
        async with http.post("/api/personas/p7000001/press", json={"message_id": 999, "data": "x"}) as response:
            assert response.status == 404
        async with http.post("/api/personas/p7000002/block", json={"blocked": True}) as response:
            assert response.status == 200
        async with http.post("/api/personas/p7000002/send", json={"text": "/help"}) as response:
            assert response.status == 409  # the bot is blocked: unblock it first
        async with http.get("/files/nothing") as response:
            assert response.status == 404
    assert sandbox.emulator.is_blocked(7_000_002)
