"""Reading the exhibitors' CSV as organisers really have it: from French Excel.

Separators ``;`` or ``,``; UTF-8 with or without BOM, or cp1252; headers in French or
English. Every bad row is reported with its line number and reason, and then nothing
is imported: the import is all or nothing.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from dataclasses import dataclass, field

from bot.event import Event
from bot.services.text import normalise, slugify, whole_number
from storage.exhibitors import NewExhibitor

MAX_ROWS = 2000
HEADERS = {
    "name": {"name", "nom", "structure", "exposant", "raison sociale", "organisation"},
    "slug": {"slug", "identifiant", "id"},
    "description": {"description", "presentation", "descriptif"},
    "themes": {"themes", "theme", "thematiques", "thematique"},
    "stand": {"stand", "emplacement", "numero de stand"},
    "tables": {"tables", "nb tables", "nombre de tables", "table"},
    "website": {"website", "site", "site web", "site internet", "url", "web"},
    "contact_email": {"contact email", "email", "e-mail", "courriel", "mail", "contact", "adresse email"},
}
_EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_URL_RE = re.compile(r"^https?://[^\s/$.?#].[^\s]*$", re.IGNORECASE)


@dataclass(frozen=True)
class RowError:
    """A problem on one line of the file; ``key`` and ``params`` make the message."""

    line: int
    key: str
    params: dict[str, object] = field(default_factory=dict)


@dataclass
class ParsedImport:
    exhibitors: list[NewExhibitor] = field(default_factory=list)
    lines: list[int] = field(default_factory=list)  # file line of each exhibitor
    errors: list[RowError] = field(default_factory=list)
    ignored_columns: list[str] = field(default_factory=list)


def decode(raw: bytes) -> str:
    """UTF-8 (with or without BOM), else cp1252, as French Excel saves CSV."""
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        return raw.decode("cp1252", errors="replace")


def _header_key(title: str) -> str | None:
    cleaned = re.sub(r"[\s_]+", " ", normalise(title)).strip()
    for key, aliases in HEADERS.items():
        if cleaned in aliases:
            return key
    return None


def _delimiter(text: str) -> str:
    header = text.split("\n", 1)[0]
    return ";" if header.count(";") >= header.count(",") else ","


def _themes(value: str, event: Event) -> tuple[list[str], list[str]]:
    """Theme ids (or their French or English labels) -> (ids, unknown)."""
    by_name = {}
    for theme in event.themes:
        for name in (theme.id, theme.fr, theme.en):
            by_name[normalise(name)] = theme.id
    ids, unknown = [], []
    for part in re.split(r"[;,|]", value):
        if not part.strip():
            continue
        theme_id = by_name.get(normalise(part.strip()))
        if theme_id is None:
            unknown.append(part.strip())
        elif theme_id not in ids:
            ids.append(theme_id)
    return ids, unknown


def open_csv(raw: bytes, errors: list[RowError]) -> tuple[list[str], Iterator[tuple[int, list[str]]]] | None:
    """The header and the non-empty rows, each with its line number, of a CSV as organisers have it;
    None when it cannot be read at all. What goes wrong is added to ``errors``."""
    text = decode(raw).replace("\r\n", "\n").replace("\r", "\n")
    if not text.strip():
        errors.append(RowError(1, "import.error.empty"))
        return None
    reader = csv.reader(io.StringIO(text), delimiter=_delimiter(text))
    try:
        header = next(reader)
    except csv.Error as err:
        errors.append(RowError(1, "import.error.unreadable", {"detail": str(err)}))
        return None

    def rows() -> Iterator[tuple[int, list[str]]]:
        while True:
            try:
                row = next(reader)
            except StopIteration:
                return
            except csv.Error as err:
                errors.append(RowError(reader.line_num, "import.error.unreadable", {"detail": str(err)}))
                return
            if any(cell.strip() for cell in row):
                yield reader.line_num, row

    return header, rows()


def parse_exhibitors(raw: bytes, event: Event) -> ParsedImport:
    result = ParsedImport()
    opened = open_csv(raw, result.errors)
    if opened is None:
        return result
    header, rows = opened
    columns: dict[str, int] = {}
    for index, title in enumerate(header):
        key = _header_key(title)
        if key is None:
            if title.strip():
                result.ignored_columns.append(title.strip())
        elif key not in columns:
            columns[key] = index
    if "name" not in columns:
        result.errors.append(RowError(1, "import.error.no_name_column"))
        return result
    seen: dict[str, int] = {}
    for line, row in rows:
        if len(result.exhibitors) + len(result.errors) >= MAX_ROWS:
            result.errors.append(RowError(line, "import.error.too_many_rows", {"maximum": MAX_ROWS}))
            break
        slug, exhibitor, reasons = _parse_row(row, columns, event)
        if slug in seen:
            reasons.append(("import.error.duplicate_slug", {"slug": slug, "first": seen[slug]}))
        else:
            seen[slug] = line
        if reasons or exhibitor is None:
            result.errors.extend(RowError(line, key, params) for key, params in reasons)
            continue
        result.exhibitors.append(exhibitor)
        result.lines.append(line)
    return result


Reason = tuple[str, dict[str, object]]


def _parse_row(row: list[str], columns: dict[str, int], event: Event) -> tuple[str, NewExhibitor | None, list[Reason]]:
    def cell(key: str) -> str:
        index = columns.get(key)
        return row[index].strip() if index is not None and index < len(row) else ""

    reasons: list[Reason] = []
    name = re.sub(r"\s+", " ", cell("name"))
    if not name:
        reasons.append(("import.error.missing_name", {}))
    elif len(name) > 120:
        reasons.append(("import.error.name_too_long", {"maximum": 120}))
    slug = cell("slug").lower() or slugify(name)
    if not re.fullmatch(r"[a-z0-9][a-z0-9-]{0,47}", slug):
        reasons.append(("import.error.bad_slug", {"slug": slug}))
    themes, unknown = _themes(cell("themes"), event)
    if unknown:
        reasons.append(("import.error.unknown_theme", {"themes": ", ".join(unknown)}))
    tables_text = cell("tables")
    tables = event.limits.default_tables_per_exhibitor
    if tables_text:
        number = whole_number(tables_text)
        if number is None or not 1 <= number <= 50:
            reasons.append(("import.error.bad_tables", {"value": tables_text}))
        else:
            tables = number
    website = cell("website") or None
    if website and not website.lower().startswith(("http://", "https://")):
        website = f"https://{website}"
    if website and not _URL_RE.match(website):
        reasons.append(("import.error.bad_website", {"value": cell("website")}))
    email = cell("contact_email") or None
    if email and not _EMAIL_RE.match(email):
        reasons.append(("import.error.bad_email", {"value": email}))
    description = cell("description")
    if len(description) > 3000:
        reasons.append(("import.error.description_too_long", {"maximum": 3000}))
    if reasons:
        return slug, None, reasons
    return (
        slug,
        NewExhibitor(
            slug=slug,
            name=name,
            description=description,
            stand=cell("stand")[:40],
            tables=tables,
            website=website,
            contact_email=email,
            themes=themes,
        ),
        [],
    )
