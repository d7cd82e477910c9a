"""``python -m bot``, run as a real process, as an operator would."""

from __future__ import annotations

import asyncio
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from collections.abc import AsyncIterator
from pathlib import Path
from urllib.parse import urlsplit

import aiohttp
import openpyxl
import pytest

from bot.emulator import TelegramEmulator
from storage.db import bundled_migrations
from tests.conftest import EXAMPLE_EVENT
from tests.processes import environment, start_bot, wait_until
from tests.stores import TestStore, store_of


def run_cli(tmp_path: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        cwd=tmp_path,  # no .env there
        env=environment(**env),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_run_without_a_token_names_it_and_exits_2(tmp_path: Path) -> None:
    result = run_cli(tmp_path, "run")
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "TELEGRAM_BOT_TOKEN" in lines[0]
    assert "Traceback" not in result.stderr


def test_check_prints_a_summary(tmp_path: Path) -> None:
    result = run_cli(tmp_path, "check", TELEGRAM_BOT_TOKEN="123:abcdefghijklmnop", EVENT_FILE=str(EXAMPLE_EVENT))
    assert result.returncode == 0, result.stderr
    assert "2027-03-16: 24 slots of 15 min in 09:30-12:30, 14:00-17:00" in result.stdout
    assert "Themes (7): services, urban-agriculture" in result.stdout


def test_check_reports_a_bad_event_file_with_its_path(tmp_path: Path) -> None:
    bad = tmp_path / "event.toml"
    bad.write_text(EXAMPLE_EVENT.read_text(encoding="utf-8").replace("Europe/Paris", "Mars/Olympus"), encoding="utf-8")
    result = run_cli(tmp_path, "check", TELEGRAM_BOT_TOKEN="123:abcdefghijklmnop", EVENT_FILE=str(bad))
    assert result.returncode == 2
    assert "timezone: 'Mars/Olympus' is not an IANA timezone" in result.stderr
    assert "Traceback" not in result.stderr


def test_check_reports_bad_settings(tmp_path: Path) -> None:
    result = run_cli(
        tmp_path, "check", TELEGRAM_BOT_TOKEN="123:abcdefghijklmnop", WEBHOOK_URL="https://x.example.org/h"
    )
    assert result.returncode == 2
    assert "WEBHOOK_SECRET is required" in result.stderr


@pytest.fixture
async def emulator(store: TestStore) -> AsyncIterator[TelegramEmulator]:
    """The emulator without conftest's checks (these tests make refused calls on purpose); the bot
    processes use ``store``'s database."""
    async with TelegramEmulator() as emu:
        yield emu


async def test_the_bot_process_answers_and_stops_cleanly_on_sigterm(tmp_path: Path, emulator: TelegramEmulator) -> None:
    bot = await start_bot(tmp_path, emulator)
    camille = emulator.user("Camille", language_code="fr")
    sent = time.monotonic()
    await camille.send("/start")
    reply = await camille.next_reply(timeout=5)
    assert reply.received_at - sent < 1.0
    assert reply.text.startswith("Bienvenue sur Maillage")
    assert await bot.stop(signal.SIGTERM) == 0
    assert "stopped cleanly" in bot.text
    assert emulator.token not in bot.text and emulator.token.split(":")[1] not in bot.text
    assert not emulator.errors()
    assert store_of(tmp_path).scalar("SELECT MAX(version) FROM schema_migrations") == len(bundled_migrations())


async def test_the_webhook_mode_refuses_requests_without_the_secret(tmp_path: Path, emulator: TelegramEmulator) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    url = f"http://127.0.0.1:{port}/telegram"
    bot = await start_bot(
        tmp_path, emulator, WEBHOOK_URL=url, WEBHOOK_SECRET="s3cret-webhook_token", WEBHOOK_PORT=str(port)
    )
    await wait_until(lambda: bool(emulator.calls_to("setWebhook")) or bot.process.returncode is not None)
    assert bot.process.returncode is None, bot.text
    camille = emulator.user("Sam", language_code="en")
    await camille.send("/start")
    assert (await camille.next_reply(timeout=10)).text.startswith("Welcome to Maillage")  # delivered with the secret
    forged = {
        "update_id": 999999,
        "message": {
            "message_id": 1,
            "date": 0,
            "chat": {"id": 1, "type": "private"},
            "from": {"id": 1, "is_bot": False, "first_name": "Eve"},
            "text": "/start",
        },
    }
    async with aiohttp.ClientSession() as http:
        async with http.post(url, json=forged) as resp:
            assert resp.status == 403
        async with http.post(url, json=forged, headers={"X-Telegram-Bot-Api-Secret-Token": "wrong"}) as resp:
            assert resp.status == 403
        right = {"X-Telegram-Bot-Api-Secret-Token": "s3cret-webhook_token"}
        for body in (b"{not json", b"[1, 2]", b'{"no": "update"}'):  # the right secret, a broken body
            async with http.post(url, data=body, headers={**right, "Content-Type": "application/json"}) as resp:
                assert resp.status == 400
        big = b'{"update_id": 1, "padding": "' + b"x" * (1024 * 1024) + b'"}'
        async with http.post(url, data=big, headers=right) as resp:
            assert resp.status == 413
    # refused from the headers alone: neither a body too large nor a wrong secret is ever read
    port_only = urlsplit(url).port
    assert port_only is not None
    # a secret that is not even UTF-8 is a wrong secret like any other: 403, no traceback
    for secret, expected in ((b"s3cret-webhook_token", b" 413 "), (b"wrong", b" 403 "), (b"\xff\xfe\xc3", b" 403 ")):
        reader, writer = await asyncio.open_connection("127.0.0.1", port_only)
        writer.write(
            b"POST /telegram HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
            b"X-Telegram-Bot-Api-Secret-Token: " + secret + b"\r\nContent-Length: 5000000\r\n\r\n"
        )
        await writer.drain()
        status_line = await asyncio.wait_for(reader.readline(), 5)  # answered with no byte of the body sent
        assert expected in status_line, status_line
        writer.close()
    # and the bot still answers people
    await camille.send("/help")
    assert "/agenda" in (await camille.next_reply(timeout=10)).text
    assert await bot.stop(signal.SIGINT) == 0
    assert "s3cret-webhook_token" not in bot.text
    assert "Traceback" not in bot.text


async def test_a_token_the_server_refuses_is_reported(tmp_path: Path, emulator: TelegramEmulator) -> None:
    env = environment(
        TELEGRAM_BOT_TOKEN="999:wrong-token-for-this-server",
        TELEGRAM_API_BASE_URL=emulator.root_url,
        DATABASE_URL=f"sqlite:///{tmp_path / 'm.db'}",
        EVENT_FILE=str(EXAMPLE_EVENT),
    )
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "run", cwd=tmp_path, env=env, stderr=asyncio.subprocess.PIPE
    )
    _, err = await asyncio.wait_for(process.communicate(), 30)
    assert process.returncode == 2
    assert "TELEGRAM_BOT_TOKEN was refused" in err.decode()
    assert "wrong-token-for-this-server" not in err.decode()


def test_a_database_from_a_newer_maillage_is_refused(tmp_path: Path) -> None:
    db = tmp_path / "m.db"
    with sqlite3.connect(db) as conn:
        conn.execute("CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name TEXT, applied_at TEXT)")
        conn.execute("INSERT INTO schema_migrations VALUES (999, 'future', '2030-01-01')")
    # the database is opened before the Bot API is reached, so no server is needed
    result = run_cli(
        tmp_path,
        "run",
        TELEGRAM_BOT_TOKEN="123:abcdefghijklmnop",
        DATABASE_URL=f"sqlite:///{db}",
        EVENT_FILE=str(EXAMPLE_EVENT),
        TELEGRAM_API_BASE_URL="http://127.0.0.1:9",
    )
    assert result.returncode == 2
    assert "newer than this Maillage" in result.stderr


async def test_exports_from_the_command_line(store: TestStore, tmp_path: Path, emulator: TelegramEmulator) -> None:
    from storage.exhibitors import ExhibitorRepository, NewExhibitor
    from tests.processes import run_command

    (tmp_path / "data").mkdir()
    async with store.open() as db:
        await ExhibitorRepository(db).create(
            NewExhibitor(slug="repair-cafe", name="Repair Café ; Quartiers", stand="A3")
        )
    status, out = await run_command(
        tmp_path, emulator, "export", "exhibitors", "--csv", "--raw", "--out", str(tmp_path / "e.csv")
    )
    assert status == 0, out
    raw = (tmp_path / "e.csv").read_bytes()
    assert raw.startswith("\ufeff".encode())
    import csv
    import io

    [row] = list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig")), delimiter=";"))
    assert row["name"] == "Repair Café ; Quartiers" and row["stand"] == "A3"  # quoted, so the ; survives
    status, out = await run_command(
        tmp_path, emulator, "export", "meetings", "--out", str(tmp_path / "m.csv"), "--plain", "--raw"
    )
    plain = (tmp_path / "m.csv").read_bytes()
    assert status == 0 and not plain.startswith("\ufeff".encode())
    assert plain.decode().startswith("id,slot_start,exhibitor,attendee")  # a header, even with no meeting yet
    # by default: an Excel workbook, in French, or English with --lang en
    status, out = await run_command(tmp_path, emulator, "export", "all", "--out", str(tmp_path / "all.xlsx"))
    assert status == 0 and "all written to" in out and "(Excel workbook, French)" in out, out
    workbook = openpyxl.load_workbook(tmp_path / "all.xlsx")
    assert workbook.sheetnames == ["Participants", "Exposants", "Rendez-vous"]
    header = [c.value for c in next(workbook["Exposants"].iter_rows())]
    assert header[:2] == ["Exposant", "Stand"] and "slug" in header
    status, out = await run_command(
        tmp_path, emulator, "export", "exhibitors", "--lang", "en", "--out", str(tmp_path / "e.xlsx")
    )
    assert status == 0, out
    sheet = openpyxl.load_workbook(tmp_path / "e.xlsx")["Exhibitors"]
    assert [c.value for c in next(sheet.iter_rows())][:2] == ["Exhibitor", "Stand"]
    assert [c.value for c in list(sheet.iter_rows())[1]][:2] == ["Repair Café ; Quartiers", "A3"]
    status, out = await run_command(tmp_path, emulator, "export", "all", "--csv", "--out", str(tmp_path / "x.csv"))
    assert status == 2 and "export all makes one workbook" in out
    # the file's name chooses the format: .csv is French Excel's CSV, never a workbook under a .csv name
    status, out = await run_command(tmp_path, emulator, "export", "exhibitors", "--out", str(tmp_path / "named.csv"))
    assert status == 0 and "(CSV for French Excel: UTF-8 with BOM, ;, French)" in out, out
    named = (tmp_path / "named.csv").read_bytes()
    assert not named.startswith(b"PK")  # not a zip
    [row] = list(csv.DictReader(io.StringIO(named.decode("utf-8-sig")), delimiter=";"))
    assert row["Exposant"] == "Repair Café ; Quartiers"
    status, out = await run_command(
        tmp_path, emulator, "export", "exhibitors", "--plain", "--out", str(tmp_path / "wrong.xlsx")
    )
    assert status == 2 and "named as a workbook (.xlsx) but --plain asks for CSV" in out, out
    assert len(out.strip().splitlines()) == 1 and not (tmp_path / "wrong.xlsx").exists()


# ---------------------------------------------------------------------- preparing the event offline

OFFLINE = {
    "EVENT_FILE": str(EXAMPLE_EVENT),
    "DATABASE_URL": "sqlite:///data/maillage.db",
    # nothing listens there: any attempt to reach a Bot API server would fail the command
    "TELEGRAM_API_BASE_URL": "http://127.0.0.1:9",
}
EXHIBITORS_CSV = Path(__file__).resolve().parent.parent / "examples" / "exhibitors.csv"


def test_preparing_the_event_needs_no_token_and_no_network(tmp_path: Path) -> None:
    # before any import, the commands that read the event's data say there is none, and create nothing
    for args in (
        ("export", "participants", "--out", "x.csv"),
        ("invite", "exhibitor", "disco-soupe"),
        ("qr", "--out", "qr"),
    ):
        result = run_cli(tmp_path, *args, **OFFLINE)
        assert result.returncode == 2 and "no database at data/maillage.db" in result.stderr, result.stderr
        assert not (tmp_path / "data").exists()
    assert run_cli(tmp_path, "check", **OFFLINE).returncode == 0
    # the first organiser's invitation comes first of all: it creates the database
    organiser = run_cli(tmp_path, "invite", "organiser", **OFFLINE)
    assert organiser.returncode == 0, organiser.stderr
    assert "Organiser invitation (single use)" in organiser.stdout and "?start=o-" in organiser.stdout
    assert (tmp_path / "data" / "maillage.db").exists()

    imported = run_cli(tmp_path, "import-exhibitors", str(EXHIBITORS_CSV), **OFFLINE)
    assert imported.returncode == 0, imported.stderr
    assert "Import done: 20 exhibitors created" in imported.stdout
    assert "the links need the bot's username" in imported.stderr and "BOT_USERNAME" in imported.stderr
    invite = run_cli(tmp_path, "invite", "exhibitor", "disco-soupe", **OFFLINE)
    assert invite.returncode == 0 and "https://t.me/<bot username>?start=x-" in invite.stdout
    assert "BOT_USERNAME" in invite.stderr
    qr = run_cli(tmp_path, "qr", "--out", "qr", **OFFLINE)
    assert qr.returncode == 2 and "BOT_USERNAME" in qr.stderr and not (tmp_path / "qr").exists()
    export = run_cli(tmp_path, "export", "exhibitors", "--out", "reports/day/exhibitors.xlsx", **OFFLINE)
    assert export.returncode == 0, export.stderr  # the folder is made
    sheet = openpyxl.load_workbook(tmp_path / "reports" / "day" / "exhibitors.xlsx")["Exposants"]
    assert "disco-soupe" in [cell.value for row in sheet.iter_rows() for cell in row]

    named = {**OFFLINE, "BOT_USERNAME": "maillage_demo_bot"}
    invite = run_cli(tmp_path, "invite", "exhibitor", "disco-soupe", **named)
    assert invite.returncode == 0 and "https://t.me/maillage_demo_bot?start=x-" in invite.stdout and not invite.stderr
    qr = run_cli(tmp_path, "qr", "--out", "qr", **named)
    assert qr.returncode == 0, qr.stderr
    assert (tmp_path / "qr" / "disco-soupe.png").exists() and (tmp_path / "qr" / "index.html").exists()
    assert "BOT_USERNAME is invalid" in run_cli(tmp_path, "check", **{**OFFLINE, "BOT_USERNAME": "@no"}).stderr


async def test_the_bot_remembers_its_username_for_the_command_line(tmp_path: Path, emulator: TelegramEmulator) -> None:
    from tests.processes import run_command

    bot = await start_bot(tmp_path, emulator)
    assert await bot.stop() == 0
    env = {**OFFLINE, "DATABASE_URL": store_of(tmp_path).url}
    status, out = await run_command(tmp_path, emulator, "invite", "organiser", **env)
    assert status == 0, out
    assert f"https://t.me/{emulator.bot_username}?start=o-" in out and "BOT_USERNAME" not in out
