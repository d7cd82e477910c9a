"""CSV files that a spreadsheet opens safely: no cell is ever run as a formula.

OWASP's advice on CSV injection: a cell that starts with ``=``, ``+``, ``-``, ``@``, a tab
or a carriage return is read as a formula by Excel, LibreOffice and Google Sheets; a
leading apostrophe makes it text (the spreadsheet shows the value without it).

A spreadsheet's import dialog often splits on commas, semicolons and tabs at once: every field
that holds a comma, a semicolon, a quote or a line break is quoted, whichever separator the file
uses, so that such a reader still finds the right columns.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
NEEDS_QUOTES = (",", ";", '"', "\n", "\r", "\t")


def safe_cell(value: Any) -> Any:
    """``value`` as a spreadsheet must show it: text that looks like a formula gets a leading apostrophe."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def csv_bytes(header: Sequence[str], rows: Iterable[Sequence[Any] | Mapping[str, Any]], *, excel: bool) -> bytes:
    """CSV for French Excel (UTF-8 with BOM, ``;``) or plain comma-separated UTF-8; every cell made safe."""
    separator = ";" if excel else ","
    lines = [separator.join(_field(h) for h in header)]
    for row in rows:
        values = [row.get(column) for column in header] if isinstance(row, Mapping) else list(row)
        lines.append(separator.join(_field(safe_cell(v)) for v in values))
    text = "".join(line + "\r\n" for line in lines)
    return ("\ufeff" + text).encode("utf-8") if excel else text.encode("utf-8")


def _field(value: Any) -> str:
    text = "" if value is None else str(value)
    if any(mark in text for mark in NEEDS_QUOTES):
        return '"' + text.replace('"', '""') + '"'
    return text
