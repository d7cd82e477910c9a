"""CSV files that a spreadsheet opens safely: no cell is ever run as a formula.

OWASP's advice on CSV injection: a cell that starts with ``=``, ``+``, ``-``, ``@``, a tab
or a carriage return is read as a formula by Excel, LibreOffice and Google Sheets; a
leading apostrophe makes it text (the spreadsheet shows the value without it).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: Any) -> Any:
    """``value`` as a spreadsheet must show it: text that looks like a formula gets a leading apostrophe."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def csv_bytes(header: Sequence[str], rows: Iterable[Sequence[Any] | Mapping[str, Any]], *, excel: bool) -> bytes:
    """CSV for French Excel (UTF-8 with BOM, ``;``) or plain comma-separated UTF-8; every cell made safe."""
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";" if excel else ",")
    writer.writerow(header)
    for row in rows:
        values = [row.get(column) for column in header] if isinstance(row, Mapping) else list(row)
        writer.writerow([safe_cell(v) for v in values])
    text = out.getvalue()
    return ("\ufeff" + text).encode("utf-8") if excel else text.encode("utf-8")
