"""What an exhibitor import says, in the organiser's language, for the chat and the command line."""

from __future__ import annotations

import csv
import io

from bot.event import Language
from bot.i18n import Html, Translator
from bot.services.directory import ImportReport
from storage.exhibitors import Exhibitor

MAX_ERRORS_SHOWN = 40


def invite_link(username: str, exhibitor: Exhibitor) -> str:
    return f"https://t.me/{username}?start=x-{exhibitor.invite_token}"


def stand_link(username: str, exhibitor: Exhibitor) -> str:
    return f"https://t.me/{username}?start=e-{exhibitor.slug}"


def render_report(tr: Translator, language: Language, report: ImportReport) -> Html:
    if report.ok:
        text = tr(language, "import.done", created=len(report.created), updated=len(report.updated))
    else:
        lines = [tr(language, "import.failed", count=len(report.errors))]
        for error in report.errors[:MAX_ERRORS_SHOWN]:
            lines.append(
                tr(language, "import.error_line", line=error.line, reason=tr(language, error.key, **error.params))
            )
        if len(report.errors) > MAX_ERRORS_SHOWN:
            lines.append(tr(language, "import.more_errors", count=len(report.errors) - MAX_ERRORS_SHOWN))
        text = Html("\n".join(lines))
    if report.ignored_columns:
        text = Html(text + "\n" + tr(language, "import.ignored_columns", columns=", ".join(report.ignored_columns)))
    return text


def links_csv(username: str, exhibitors: list[Exhibitor]) -> bytes:
    """Each exhibitor's representatives' invite link and stand link, for French Excel."""
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";")
    writer.writerow(["slug", "name", "stand", "representatives_invite_link", "stand_link"])
    for exhibitor in exhibitors:
        writer.writerow(
            [
                exhibitor.slug,
                exhibitor.name,
                exhibitor.stand,
                invite_link(username, exhibitor),
                stand_link(username, exhibitor),
            ]
        )
    return ("\ufeff" + out.getvalue()).encode("utf-8")
