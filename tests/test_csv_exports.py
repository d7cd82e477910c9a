"""Exports read back: workbooks with the library that wrote them, CSV as a spreadsheet's import dialog
reads it (with the file's own separator, and splitting on commas and semicolons alike). Each time,
the same cells as the database, accents intact, ``+33`` and ``-5`` kept as text, no formula."""

from __future__ import annotations

import csv
import io
import re
from datetime import datetime
from typing import Any

import openpyxl
import pytest
from openpyxl.utils import column_index_from_string

from bot.documents.spreadsheet import csv_bytes
from bot.event import load_event
from bot.runtime import Services
from bot.services.reports import EXPORTS
from storage.db import utcnow
from storage.exhibitors import ExhibitorRepository, NewExhibitor
from storage.participants import NewParticipant, ParticipantRepository, Role
from tests.conftest import EXAMPLE_EVENT
from tests.helpers import services_on
from tests.stores import TestStore

AWKWARD = [
    "Ville de Lyon, Direction de l'innovation",
    "Métropole; pôle « ESS »",
    'Le "Lab" urbain',
    "Deux\nlignes",
    "+33",
    "-5",
    '=HYPERLINK("http://x")',
    "Tab\there",
]


def split_on_both(text: str) -> list[list[str]]:
    """Rows as a reader that takes ``,`` and ``;`` (and tabs) as separators, quotes respected."""
    rows: list[list[str]] = []
    row: list[str] = []
    field: list[str] = []
    quoted = False
    i = 0
    while i < len(text):
        char = text[i]
        if quoted:
            if char == '"' and text[i + 1 : i + 2] == '"':
                field.append('"')
                i += 1
            elif char == '"':
                quoted = False
            else:
                field.append(char)
        elif char == '"':
            quoted = True
        elif char in ",;\t":
            row.append("".join(field))
            field = []
        elif char == "\r" and text[i + 1 : i + 2] == "\n":
            row.append("".join(field))
            rows.append(row)
            row, field = [], []
            i += 1
        else:
            field.append(char)
        i += 1
    return rows


def as_shown(value: str) -> str:
    """A cell as the export writes it: formula-looking text behind an apostrophe."""
    return "'" + value if value.startswith(("=", "+", "-", "@", "\t", "\r")) else value


async def awkward_event(db: Any) -> Services:
    people = ParticipantRepository(db)
    async with db.transaction() as tx:
        for n, organisation in enumerate(AWKWARD):
            await people.create(
                NewParticipant(
                    telegram_id=900_000 + n,
                    role=Role.ATTENDEE,
                    language="fr",
                    full_name=f"Élise {n}",
                    organisation=organisation,
                    consent_at=utcnow(),
                    themes=["mobility", "circular-economy"],
                ),
                tx,
            )
    await ExhibitorRepository(db).create(NewExhibitor(slug="plus", name="+33", stand="-5"))
    return services_on(db, load_event(EXAMPLE_EVENT))


@pytest.mark.parametrize("excel", [True, False], ids=["french-excel", "plain"])
async def test_every_reader_finds_the_same_cells(store: TestStore, excel: bool) -> None:
    async with store.open() as db:
        services = await awkward_event(db)
        for what in ("participants", "exhibitors"):
            content = await services.reports.export(what, excel=excel)
            text = content.decode("utf-8-sig")
            assert content.startswith(b"\xef\xbb\xbf") == excel  # the BOM tells Excel it is UTF-8
            own = list(csv.reader(io.StringIO(text, newline=""), delimiter=";" if excel else ","))
            assert split_on_both(text) == own, what
            header, rows = own[0], own[1:]
            assert all(len(row) == len(header) for row in rows)
            if what == "participants":
                organisations = [dict(zip(header, row, strict=True))["Organisation"] for row in rows]
                assert sorted(organisations) == sorted(as_shown(o) for o in AWKWARD)
                by_name = {
                    dict(zip(header, row, strict=True))["Nom"]: dict(zip(header, row, strict=True)) for row in rows
                }
                assert "Élise 0" in by_name  # accents intact
                assert by_name["Élise 0"]["Thèmes"] == "Économie circulaire, Mobilité"  # labels, the event's order
                assert by_name["Élise 0"]["Rôle"] == "participant(e)"
                assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d", by_name["Élise 0"]["Inscription"])  # no seconds
            else:
                [row] = [dict(zip(header, r, strict=True)) for r in rows]
                assert (row["Exposant"], row["Stand"]) == ("'+33", "'-5")


async def test_the_workbook_holds_the_same_cells_typed(store: TestStore) -> None:
    async with store.open() as db:
        services = await awkward_event(db)
        workbook = openpyxl.load_workbook(io.BytesIO(await services.reports.workbook(EXPORTS, "fr")))
        csv_rows = {}
        for what, sheet in zip(EXPORTS, workbook.worksheets, strict=True):
            assert sheet.freeze_panes == "A2" and sheet.auto_filter.ref.startswith("A1:")
            assert all(cell.font.bold for cell in next(sheet.iter_rows()))
            for row in sheet.iter_rows():
                for cell in row:
                    assert cell.data_type != "f"  # no formula anywhere
            values = [[cell.value for cell in row] for row in sheet.iter_rows()]
            csv_rows[what] = values
        header, *rows = csv_rows["participants"]
        participants = [dict(zip(header, row, strict=True)) for row in rows]
        assert sorted(p["Organisation"] for p in participants) == sorted(AWKWARD)  # text as typed
        assert {p["Nom"] for p in participants} == {f"Élise {n}" for n in range(len(AWKWARD))}
        assert all(isinstance(p["N°"], int) for p in participants)  # numbers as numbers
        assert all(isinstance(p["Inscription"], datetime) and p["Inscription"].second == 0 for p in participants)
        assert participants[0]["role"] == "attendee"  # the code, in a hidden column
        hidden = [c for c, d in workbook["Participants"].column_dimensions.items() if d.hidden]
        assert hidden and all(
            header[column_index_from_string(c) - 1] in ("role", "org_type", "themes", "language", "exhibitor")
            for c in hidden
        )
        header, row = csv_rows["exhibitors"]
        exhibitor = dict(zip(header, row, strict=True))
        assert (exhibitor["Exposant"], exhibitor["Stand"]) == ("+33", "-5")  # text, not the numbers 33 and -5
        assert workbook["Exposants"]["A2"].data_type == "s" and workbook["Exposants"]["A2"].quotePrefix
        # the CSV has the same cells, formula-looking ones behind an apostrophe
        text = (await services.reports.export("participants", excel=True)).decode("utf-8-sig")
        from_csv = list(csv.reader(io.StringIO(text, newline=""), delimiter=";"))
        shown = [[as_shown(v) if isinstance(v, str) else v for v in row] for row in csv_rows["participants"]]
        visible = len(from_csv[0])
        assert shown[0][:visible] == from_csv[0]
        mine = sorted(shown[1:], key=lambda r: r[0])
        theirs = sorted(from_csv[1:], key=lambda r: int(r[0]))
        assert [[as_csv(v) for v in row[:visible]] for row in mine] == theirs


def as_csv(value: Any) -> str:
    """A workbook's cell as the CSV writes it."""
    if value is None:
        return ""
    return value.strftime("%Y-%m-%d %H:%M") if isinstance(value, datetime) else str(value)


def test_a_field_is_quoted_for_any_separator_whatever_the_files_own() -> None:
    text = csv_bytes(["a", "b"], [["x,y", "p;q"]], excel=False).decode()
    assert text == 'a,b\r\n"x,y","p;q"\r\n'
    text = csv_bytes(["a", "b"], [["x,y", "plain"]], excel=True).decode("utf-8-sig")
    assert text == 'a;b\r\n"x,y";plain\r\n'
