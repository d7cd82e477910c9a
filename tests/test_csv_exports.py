"""CSV exports read back as a spreadsheet's import dialog reads them: with the file's own separator,
and splitting on commas and semicolons alike. Each time, the same cells as the database."""

from __future__ import annotations

import csv
import io

import pytest

from bot.event import load_event
from bot.spreadsheet import csv_bytes
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


@pytest.mark.parametrize("excel", [True, False], ids=["french-excel", "plain"])
async def test_every_reader_finds_the_same_cells(store: TestStore, excel: bool) -> None:
    async with store.open() as db:
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
        services = services_on(db, load_event(EXAMPLE_EVENT))
        for what in ("participants", "exhibitors"):
            content = await services.reports.export(what, excel=excel)
            text = content.decode("utf-8-sig")
            assert content.startswith(b"\xef\xbb\xbf") == excel  # the BOM tells Excel it is UTF-8
            own = list(csv.reader(io.StringIO(text, newline=""), delimiter=";" if excel else ","))
            assert split_on_both(text) == own, what
            header, rows = own[0], own[1:]
            assert all(len(row) == len(header) for row in rows)
            if what == "participants":
                organisations = [dict(zip(header, row, strict=True))["organisation"] for row in rows]
                assert sorted(organisations) == sorted(as_shown(o) for o in AWKWARD)
                names = {dict(zip(header, row, strict=True))["full_name"] for row in rows}
                assert "Élise 0" in names  # accents intact
            else:
                [row] = [dict(zip(header, r, strict=True)) for r in rows]
                assert (row["name"], row["stand"]) == ("'+33", "'-5")


def test_a_field_is_quoted_for_any_separator_whatever_the_files_own() -> None:
    text = csv_bytes(["a", "b"], [["x,y", "p;q"]], excel=False).decode()
    assert text == 'a,b\r\n"x,y","p;q"\r\n'
    text = csv_bytes(["a", "b"], [["x,y", "plain"]], excel=True).decode("utf-8-sig")
    assert text == 'a;b\r\n"x,y";plain\r\n'
