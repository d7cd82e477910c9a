"""What an exhibitor import says, in the organiser's language, for the chat and the command line."""

from __future__ import annotations

from collections.abc import Mapping

from bot.documents.spreadsheet import Column, Sheet, xlsx_bytes
from bot.event import Language
from bot.i18n import MESSAGE_TEXT, Html, Translator, clip_lines, clip_text
from bot.services.directory import Exhibitor, ImportReport

MAX_VALUE_SHOWN = 80  # characters of a cell quoted in an error
MAX_COLUMN_SHOWN = 40


def invite_link(username: str, exhibitor: Exhibitor) -> str:
    return f"https://t.me/{username}?start=x-{exhibitor.invite_token}"


def stand_link(username: str, exhibitor: Exhibitor) -> str:
    return f"https://t.me/{username}?start=e-{exhibitor.slug}"


def reason(tr: Translator, language: Language, key: str, params: Mapping[str, object]) -> Html:
    """Why a line of a file was refused, each value quoted from the file cut to MAX_VALUE_SHOWN."""
    return tr(language, key, **{k: clip_text(str(v), MAX_VALUE_SHOWN) for k, v in params.items()})


def render_report(tr: Translator, language: Language, report: ImportReport) -> Html:
    """One message whatever the file: long cells are cut, and the error list ends with "…and N more"."""
    ignored = ""
    if report.ignored_columns:
        columns = ", ".join(clip_text(c, MAX_COLUMN_SHOWN) for c in report.ignored_columns[:20])
        if len(report.ignored_columns) > 20:
            columns += ", …"
        ignored = "\n" + tr(language, "import.ignored_columns", columns=columns)
    if report.ok:
        created = tr(language, "import.created", count=len(report.created))
        updated = tr(language, "import.updated", count=len(report.updated))
        return Html(tr(language, "import.done", created=created, updated=updated) + ignored)
    head = tr(language, "import.failed", count=len(report.errors))
    lines = [
        tr(
            language,
            "import.error_line",
            line=error.line,
            reason=reason(tr, language, error.key, error.params),
        )
        for error in report.errors
    ]
    budget = MESSAGE_TEXT - 100 - len(head) - len(ignored)
    return Html(head + "\n" + clip_lines(tr, language, lines, budget=budget) + ignored)


def links_workbook(tr: Translator, language: Language, username: str, exhibitors: list[Exhibitor]) -> bytes:
    """Each exhibitor's representatives' invite link and stand link, as an Excel workbook in the
    organiser's language (the slugs in a hidden column)."""
    columns = [Column(tr(language, f"links.column.{key}")) for key in ("name", "stand", "invite", "stand_link")]
    rows = [[e.name, e.stand or None, invite_link(username, e), stand_link(username, e), e.slug] for e in exhibitors]
    return xlsx_bytes([Sheet(tr(language, "links.sheet"), [*columns, Column("slug", hidden=True)], rows)])
