"""Statistics for the organisers, and exports for the event's report."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from bot.documents.spreadsheet import Column, Sheet, csv_bytes, sheet_csv, xlsx_bytes
from bot.event import Event, Language
from bot.i18n import Translator
from storage.repositories import Repositories

EXPORTS = ("participants", "exhibitors", "meetings")
COLUMNS = {
    "participants": [
        "id",
        "role",
        "full_name",
        "organisation",
        "org_type",
        "job_title",
        "themes",
        "looking_for",
        "exhibitor",
        "language",
        "reachable",
        "consent_at",
        "created_at",
    ],
    "exhibitors": [
        "slug",
        "name",
        "stand",
        "tables",
        "themes",
        "website",
        "contact_email",
        "representatives",
        "meetings",
    ],
    "meetings": [
        "id",
        "slot_start",
        "exhibitor",
        "attendee",
        "organisation",
        "status",
        "table_no",
        "decline_reason",
        "cancel_reason",
        "attendance_attendee",
        "attendance_exhibitor",
        "created_at",
    ],
}


@dataclass(frozen=True)
class Field:
    """A column of a readable export: its database column, and how its values are shown."""

    key: str  # names the header in the catalogs: export.column.<export>.<key>
    kind: str = "text"  # text, number, time, code (a label from the catalogs), yesno, themes
    labels: str = ""  # for a code: the catalog prefix of its labels
    column: str = ""  # the database column, when not ``key``

    @property
    def source(self) -> str:
        return self.column or self.key


# technical columns kept, hidden, beside the readable ones (besides each coded value's code)
ALSO_HIDDEN = {"participants": ["exhibitor"], "exhibitors": ["slug"], "meetings": ["exhibitor"]}

FIELDS: dict[str, list[Field]] = {
    "participants": [
        Field("id", "number"),
        Field("role", "code", "role."),
        Field("full_name"),
        Field("organisation"),
        Field("org_type", "code", "orgtype."),
        Field("job_title"),
        Field("themes", "themes"),
        Field("looking_for"),
        Field("exhibitor_name"),
        Field("language", "code", "export.language."),
        Field("reachable", "yesno"),
        Field("consent_at", "time"),
        Field("created_at", "time"),
    ],
    "exhibitors": [
        Field("name"),
        Field("stand"),
        Field("tables", "number"),
        Field("themes", "themes"),
        Field("website"),
        Field("contact_email"),
        Field("representatives", "number"),
        Field("meetings", "number"),
    ],
    "meetings": [
        Field("id", "number"),
        Field("slot_start", "time"),
        Field("exhibitor_name"),
        Field("stand"),
        Field("attendee"),
        Field("organisation"),
        Field("status", "code", "export.status."),
        Field("table_no", "number"),
        Field("decline_reason", "code", "meeting.reason."),
        Field("cancel_reason", "code", "meeting.reason."),
        Field("attendance_attendee", "code", "export.attendance."),
        Field("attendance_exhibitor", "code", "export.attendance."),
        Field("created_at", "time"),
    ],
}


@dataclass
class Statistics:
    by_role: dict[str, int]
    by_org_type: dict[str, int]
    by_status: dict[str, int]
    unanswered: list[tuple[str, int]]
    per_slot: dict[datetime, dict[str, int]] = field(default_factory=dict)  # slot start -> status -> count
    per_theme: dict[str, int] = field(default_factory=dict)
    attendance: dict[str, int] = field(default_factory=dict)
    ratings_by_theme: dict[str, dict[int, int]] = field(default_factory=dict)  # theme -> stars -> count
    ratings_by_exhibitor: dict[str, dict[int, int]] = field(default_factory=dict)  # exhibitor name -> ...

    @property
    def acceptance_rate(self) -> float | None:
        """Accepted among the requests that got an outcome (accepted, declined or expired)."""
        decided = sum(self.by_status.get(s, 0) for s in ("accepted", "declined", "expired"))
        return self.by_status.get("accepted", 0) / decided if decided else None

    @property
    def no_show_rate(self) -> float | None:
        answered = self.attendance.get("met", 0) + self.attendance.get("no_show", 0)
        return self.attendance.get("no_show", 0) / answered if answered else None


@dataclass(frozen=True)
class EventReport:
    """The figures of the organisers' report (``python -m bot report``), read from the database."""

    generated_at: datetime
    by_role: dict[str, int]
    by_org_type: dict[str, int]
    by_theme: dict[str, int]  # participants interested in each theme
    outcomes: dict[str, int]  # requested, accepted, held, missed
    by_status: dict[str, int]
    outcomes_by_theme: dict[str, dict[str, int]]  # by the exhibitor's themes
    outcomes_by_org_type: dict[str, dict[str, int]]  # by the attendee's organisation type
    wishes: dict[str, int]  # wishes, met, wishers, served
    per_slot: dict[datetime, dict[str, int]]
    ratings_by_theme: dict[str, dict[int, int]]
    ratings_by_exhibitor: dict[str, dict[int, int]]
    ratings_by_org_type: dict[str, dict[int, int]]


class ReportService:
    def __init__(self, repos: Repositories, event: Event, tr: Translator) -> None:
        self.event = event
        self._stats = repos.stats
        self._tr = tr

    async def statistics(self) -> Statistics:
        per_slot: dict[datetime, dict[str, int]] = {s.start: {} for s in self.event.slots}
        for start, status, count in await self._stats.meetings_per_slot():
            moment = datetime.fromisoformat(start).astimezone(self.event.tz)
            per_slot.setdefault(moment, {})[status] = count
        return Statistics(
            by_role=await self._stats.participants_by_role(),
            by_org_type=await self._stats.attendees_by_org_type(),
            by_status=await self._stats.meetings_by_status(),
            unanswered=await self._stats.unanswered_by_exhibitor(),
            per_slot=dict(sorted(per_slot.items())),
            per_theme=await self._stats.accepted_per_theme(),
            attendance=await self._stats.attendance(),
            ratings_by_theme=await self._stats.rating_distribution("theme"),
            ratings_by_exhibitor=await self._stats.rating_distribution("exhibitor"),
        )

    async def event_report(self) -> EventReport:
        stats = self._stats
        statistics = await self.statistics()
        return EventReport(
            generated_at=datetime.now(self.event.tz),
            by_role=await stats.participants_by_role(),
            by_org_type=await stats.attendees_by_org_type(),
            by_theme=await stats.participants_by_theme(),
            outcomes=await stats.meeting_outcomes(),
            by_status=await stats.meetings_by_status(),
            outcomes_by_theme=await stats.meeting_outcomes_by_theme(),
            outcomes_by_org_type=await stats.meeting_outcomes_by_org_type(),
            wishes=await stats.wishes_met(),
            per_slot=statistics.per_slot,
            ratings_by_theme=statistics.ratings_by_theme,
            ratings_by_exhibitor=statistics.ratings_by_exhibitor,
            ratings_by_org_type=await stats.rating_distribution("org_type"),
        )

    async def export(self, what: str, *, excel: bool = True, language: Language = "fr", raw: bool = False) -> bytes:
        """CSV for French Excel (UTF-8 with BOM, ``;``) or plain comma-separated UTF-8."""
        if raw:
            return csv_bytes(COLUMNS[what], await self._raw_rows(what), excel=excel)
        return sheet_csv(await self.sheet(what, language), excel=excel)

    async def workbook(self, whats: Sequence[str], language: Language = "fr", *, raw: bool = False) -> bytes:
        """One Excel workbook, a sheet per export."""
        sheets = [await (self.raw_sheet(w) if raw else self.sheet(w, language)) for w in whats]
        return xlsx_bytes(sheets)

    async def raw_sheet(self, what: str) -> Sheet:
        """The database's own columns and codes, times in ISO 8601: for scripts."""
        rows = await self._raw_rows(what)
        return Sheet(what, [Column(c) for c in COLUMNS[what]], [[row.get(c) for c in COLUMNS[what]] for row in rows])

    async def _raw_rows(self, what: str) -> list[dict[str, Any]]:
        rows = await self._rows(what)
        if what == "meetings":
            for row in rows:
                row["slot_start"] = datetime.fromisoformat(row["slot_start"]).astimezone(self.event.tz).isoformat()
        return rows

    async def sheet(self, what: str, language: Language) -> Sheet:
        """The export as people read it: headers, roles, types, themes and statuses in ``language``,
        times in the event's time zone to the minute; the technical codes in hidden columns at the end."""
        tr = self._tr
        fields = FIELDS[what]
        hidden = [f.source for f in fields if f.kind in ("code", "themes")] + ALSO_HIDDEN[what]
        columns = [Column(tr(language, f"export.column.{what}.{f.key}")) for f in fields]
        columns += [Column(name, hidden=True) for name in hidden]
        rows = []
        for row in await self._rows(what):
            values = [self._value(language, f, row.get(f.source)) for f in fields]
            values += [row.get(name) for name in hidden]
            rows.append(values)
        return Sheet(tr(language, f"export.sheet.{what}"), columns, rows)

    def _value(self, language: Language, field: Field, value: Any) -> Any:
        if value is None or value == "":
            return None
        if field.kind == "time":
            return (
                datetime.fromisoformat(str(value))
                .astimezone(self.event.tz)
                .replace(tzinfo=None, second=0, microsecond=0)
            )
        if field.kind == "code":
            return self._tr(language, f"{field.labels}{value}")
        if field.kind == "yesno":
            return self._tr(language, "export.yes" if value else "export.no")
        if field.kind == "themes":
            ids = str(value).split(",")
            return ", ".join(t.label(language) for t in self.event.themes if t.id in ids)
        return value

    async def _rows(self, what: str) -> list[dict[str, Any]]:
        readers = {
            "participants": self._stats.export_participants,
            "exhibitors": self._stats.export_exhibitors,
            "meetings": self._stats.export_meetings,
        }
        rows: list[dict[str, Any]] = await readers[what]()
        return rows
