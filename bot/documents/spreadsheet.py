"""Files that a spreadsheet opens right: Excel workbooks by default, CSV on request; no cell is ever
run as a formula.

OWASP's advice on CSV injection: a cell that starts with ``=``, ``+``, ``-``, ``@``, a tab
or a carriage return is read as a formula by Excel, LibreOffice and Google Sheets; a
leading apostrophe makes it text (the spreadsheet shows the value without it).

A spreadsheet's import dialog often splits on commas, semicolons and tabs at once: every field
that holds a comma, a semicolon, a quote or a line break is quoted, whichever separator the file
uses, so that such a reader still finds the right columns.
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
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


# ---------------------------------------------------------------------------------------------- workbooks


@dataclass(frozen=True)
class Column:
    title: str  # the header as the reader sees it
    hidden: bool = False  # technical codes, beside the readable values: there when needed, hidden by default


@dataclass(frozen=True)
class Sheet:
    name: str  # a worksheet's name: at most 31 characters
    columns: list[Column]
    rows: list[list[Any]]  # str, int, float, naive datetime (the event's local time) or None

    def visible(self) -> Sheet:
        keep = [i for i, c in enumerate(self.columns) if not c.hidden]
        return Sheet(self.name, [self.columns[i] for i in keep], [[row[i] for i in keep] for row in self.rows])


DATE_TIME = "yyyy-mm-dd hh:mm"
MAX_WIDTH = 60


def xlsx_bytes(sheets: Sequence[Sheet]) -> bytes:
    """An Excel workbook that opens right with a double click: typed cells (times as times, numbers as
    numbers, text as text: ``+33`` stays ``+33``, ``=...`` is never a formula), a bold frozen header
    with filters, columns as wide as their content, technical columns hidden."""
    # openpyxl is imported by the first workbook, not at start-up (0.25 s of every start)
    from openpyxl import Workbook
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    workbook = Workbook()
    workbook.remove(workbook.active)  # type: ignore[arg-type]
    bold = Font(bold=True)
    for sheet in sheets:
        ws = workbook.create_sheet(sheet.name[:31])
        widths = [len(c.title) for c in sheet.columns]
        for col, column in enumerate(sheet.columns, start=1):
            cell = ws.cell(row=1, column=col, value=column.title)
            cell.data_type = "s"
            cell.font = bold
        for r, values in enumerate(sheet.rows, start=2):
            for col, value in enumerate(values, start=1):
                cell = ws.cell(row=r, column=col)
                if isinstance(value, datetime):
                    cell.value = value.replace(tzinfo=None)
                    cell.number_format = DATE_TIME
                    shown = 16
                elif isinstance(value, bool) or value is None:
                    cell.value = None if value is None else str(value)
                    shown = len(cell.value or "")
                elif isinstance(value, int | float):
                    cell.value = value
                    shown = len(str(value))
                else:
                    cell.value = str(value)
                    cell.data_type = "s"  # text, whatever it starts with: never a formula, never a number
                    if cell.value.startswith(FORMULA_STARTS):
                        cell.quotePrefix = True  # and shown as typed, even when edited
                    shown = max((len(line) for line in cell.value.splitlines()), default=0)
                widths[col - 1] = max(widths[col - 1], shown)
        for col, (column, width) in enumerate(zip(sheet.columns, widths, strict=True), start=1):
            dimension = ws.column_dimensions[get_column_letter(col)]
            dimension.width = min(MAX_WIDTH, width + 2)
            dimension.hidden = column.hidden
        ws.freeze_panes = "A2"
        # printed: landscape, one page wide, the header on every page, with the grid
        ws.page_setup.orientation = "landscape"
        ws.page_setup.fitToWidth = 1
        ws.page_setup.fitToHeight = 0
        ws.sheet_properties.pageSetUpPr.fitToPage = True
        ws.print_title_rows = "1:1"
        ws.print_options.gridLines = True
        if sheet.columns:
            ws.auto_filter.ref = f"A1:{get_column_letter(len(sheet.columns))}{max(1, len(sheet.rows) + 1)}"
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def sheet_csv(sheet: Sheet, *, excel: bool) -> bytes:
    """The sheet's visible columns as CSV; times as the event's local time, to the minute."""
    shown = sheet.visible()
    rows = [[v.strftime("%Y-%m-%d %H:%M") if isinstance(v, datetime) else v for v in row] for row in shown.rows]
    return csv_bytes([c.title for c in shown.columns], rows, excel=excel)
