"""The organisers' report of the event, as one self-contained HTML page in their language: figures
from the database, tables by theme and by organisation type, charts embedded as images. Every text
is escaped; the page needs nothing beside itself (print it to PDF from any browser)."""

from __future__ import annotations

import base64
import html
from collections.abc import Iterable

from bot.documents.charts import grouped_bars_png, meetings_per_slot_png
from bot.event import Event, Language
from bot.i18n import Translator, to_plain
from bot.services.reports import EventReport

OUTCOMES = ("requested", "accepted", "held", "missed")
STATUSES = ("accepted", "pending", "declined", "cancelled", "expired")
STYLE = """
body { font-family: system-ui, sans-serif; margin: 2rem auto; max-width: 60rem; color: #222; }
h1 { font-size: 1.6rem; } h2 { font-size: 1.2rem; margin-top: 2rem; border-bottom: 1px solid #ccc; }
table { border-collapse: collapse; margin: .5rem 0; } td, th { padding: .25rem .75rem; border: 1px solid #ddd; }
th { background: #f4f4f4; text-align: left; } td.n { text-align: right; font-variant-numeric: tabular-nums; }
img { max-width: 100%; } .muted { color: #666; }
@media print { h2 { break-after: avoid; } img { break-inside: avoid; } }
"""


def _e(text: object) -> str:
    return html.escape(str(text))


def _number(key: str, value: int) -> str:
    return f'<td class="n" data-figure="{_e(key)}">{value}</td>'


def _image(png: bytes, alt: str) -> str:
    return f'<img alt="{_e(alt)}" src="data:image/png;base64,{base64.b64encode(png).decode()}">'


def _ratings_row(key: str, label: str, counts: dict[int, int]) -> str:
    total = sum(counts.values())
    average = sum(stars * n for stars, n in counts.items()) / total if total else 0.0
    cells = "".join(_number(f"{key}.{n}", counts.get(n, 0)) for n in range(5, 0, -1))
    return (
        f"<tr><th>{_e(label)}</th>{cells}{_number(f'{key}.count', total)}"
        f'<td class="n" data-average="{key}">{average:.1f}</td></tr>'
    )


def render_report(tr: Translator, language: Language, event: Event, report: EventReport) -> str:
    def t(key: str, **values: object) -> str:
        return to_plain(tr(language, key, **values))

    def outcome_rows(prefix: str, rows: Iterable[tuple[str, str, dict[str, int]]]) -> str:
        head = "".join(f"<th>{_e(t(f'report.outcome.{o}'))}</th>" for o in OUTCOMES)
        body = "".join(
            f"<tr><th>{_e(label)}</th>"
            + "".join(_number(f"{prefix}.{key}.{o}", counts.get(o, 0)) for o in OUTCOMES)
            + "</tr>"
            for key, label, counts in rows
        )
        return f"<table><tr><th></th>{head}</tr>{body}</table>"

    def org_label(key: str) -> str:
        return t(f"orgtype.{key}") if key != "unknown" else t("report.unknown")

    days = tr.format_dates(language, [d.date for d in event.days])
    roles = "".join(
        f"<tr><th>{_e(t(f'role.{role}'))}</th>{_number(f'role.{role}', report.by_role.get(role, 0))}</tr>"
        for role in ("attendee", "exhibitor", "organiser")
    )
    org_types = "".join(
        f"<tr><th>{_e(org_label(key))}</th>{_number(f'org_type.{key}', n)}</tr>"
        for key, n in sorted(report.by_org_type.items())
    )
    interests = "".join(
        f"<tr><th>{_e(th.label(language))}</th>{_number(f'interest.{th.id}', report.by_theme.get(th.id, 0))}</tr>"
        for th in event.themes
    )
    outcomes = "".join(
        f"<tr><th>{_e(t(f'report.outcome.{o}'))}</th>{_number(f'meetings.{o}', report.outcomes.get(o, 0))}</tr>"
        for o in OUTCOMES
    )
    statuses = "".join(
        f"<tr><th>{_e(t(f'export.status.{s}'))}</th>{_number(f'status.{s}', report.by_status.get(s, 0))}</tr>"
        for s in STATUSES
    )
    by_theme = outcome_rows(
        "theme",
        ((th.id, th.label(language), report.outcomes_by_theme.get(th.id, {})) for th in event.themes),
    )
    by_org_type = outcome_rows(
        "org", ((key, org_label(key), counts) for key, counts in sorted(report.outcomes_by_org_type.items()))
    )
    w = report.wishes
    wishes = (
        f"<table><tr><th>{_e(t('report.wishes.total'))}</th>{_number('wishes.total', w.get('wishes', 0))}</tr>"
        f"<tr><th>{_e(t('report.wishes.met'))}</th>{_number('wishes.met', w.get('met', 0))}</tr>"
        f"<tr><th>{_e(t('report.wishes.wishers'))}</th>{_number('wishes.wishers', w.get('wishers', 0))}</tr>"
        f"<tr><th>{_e(t('report.wishes.served'))}</th>{_number('wishes.served', w.get('served', 0))}</tr></table>"
    )
    head = "".join(f"<th>★{n}</th>" for n in range(5, 0, -1))
    ratings = (
        f"<table><tr><th></th>{head}<th>{_e(t('report.ratings.count'))}</th>"
        f"<th>{_e(t('report.ratings.average'))}</th></tr>"
        + "".join(
            _ratings_row(f"rating.{th.id}", th.label(language), report.ratings_by_theme[th.id])
            for th in event.themes
            if th.id in report.ratings_by_theme
        )
        + "</table>"
        + f"<h3>{_e(t('report.section.ratings_by_org_type'))}</h3>"
        + f"<table><tr><th></th>{head}<th>{_e(t('report.ratings.count'))}</th>"
        f"<th>{_e(t('report.ratings.average'))}</th></tr>"
        + "".join(
            _ratings_row(f"rating_org.{key}", org_label(key), counts)
            for key, counts in sorted(report.ratings_by_org_type.items())
        )
        + "</table>"
    )
    status_labels = {s: t(f"export.status.{s}") for s in STATUSES}
    per_slot = meetings_per_slot_png(report.per_slot, status_labels, t("report.chart.per_slot"))
    themes_chart = grouped_bars_png(
        [th.label(language) for th in event.themes],
        {
            t(f"report.outcome.{o}"): [report.outcomes_by_theme.get(th.id, {}).get(o, 0) for th in event.themes]
            for o in ("requested", "held")
        },
        t("report.chart.by_theme"),
    )
    when = tr.format_slot(language, report.generated_at)
    return f"""<!doctype html>
<html lang="{language}"><head><meta charset="utf-8">
<title>{_e(t("report.title", event=event.name(language)))}</title><style>{STYLE}</style></head>
<body>
<h1>{_e(t("report.title", event=event.name(language)))}</h1>
<p class="muted">{_e(days)} · {_e(event.venue)} · {_e(t("report.generated", when=when))}</p>
<h2>{_e(t("report.section.registrations"))}</h2>
<table>{roles}</table>
<h3>{_e(t("report.section.org_types"))}</h3><table>{org_types}</table>
<h3>{_e(t("report.section.interests"))}</h3><table>{interests}</table>
<h2>{_e(t("report.section.meetings"))}</h2>
<p class="muted">{_e(t("report.meetings_explained"))}</p>
<table>{outcomes}</table>
<h3>{_e(t("report.section.statuses"))}</h3><table>{statuses}</table>
{_image(per_slot, t("report.chart.per_slot"))}
<h3>{_e(t("report.section.by_theme"))}</h3>{by_theme}
{_image(themes_chart, t("report.chart.by_theme"))}
<h3>{_e(t("report.section.by_org_type"))}</h3>{by_org_type}
<h2>{_e(t("report.section.wishes"))}</h2>{wishes}
<h2>{_e(t("report.section.ratings"))}</h2>{ratings}
</body></html>
"""
