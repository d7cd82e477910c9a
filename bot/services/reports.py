"""Statistics for the organisers, and exports for the event's report."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from bot.event import Event
from bot.spreadsheet import csv_bytes
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


@dataclass
class Statistics:
    by_role: dict[str, int]
    by_org_type: dict[str, int]
    by_status: dict[str, int]
    unanswered: list[tuple[str, int]]
    per_slot: dict[datetime, dict[str, int]] = field(default_factory=dict)  # slot start -> status -> count
    per_theme: dict[str, int] = field(default_factory=dict)
    attendance: dict[str, int] = field(default_factory=dict)

    @property
    def acceptance_rate(self) -> float | None:
        """Accepted among the requests that got an outcome (accepted, declined or expired)."""
        decided = sum(self.by_status.get(s, 0) for s in ("accepted", "declined", "expired"))
        return self.by_status.get("accepted", 0) / decided if decided else None

    @property
    def no_show_rate(self) -> float | None:
        answered = self.attendance.get("met", 0) + self.attendance.get("no_show", 0)
        return self.attendance.get("no_show", 0) / answered if answered else None


class ReportService:
    def __init__(self, repos: Repositories, event: Event) -> None:
        self.event = event
        self._stats = repos.stats

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
        )

    async def export(self, what: str, *, excel: bool = True) -> bytes:
        """CSV for French Excel (UTF-8 with BOM, ``;``) or plain comma-separated UTF-8."""
        readers = {
            "participants": self._stats.export_participants,
            "exhibitors": self._stats.export_exhibitors,
            "meetings": self._stats.export_meetings,
        }
        rows: list[dict[str, Any]] = await readers[what]()
        if what == "meetings":
            for row in rows:
                row["slot_start"] = datetime.fromisoformat(row["slot_start"]).astimezone(self.event.tz).isoformat()
        # the header comes even with no rows: the file still says what it holds
        return csv_bytes(COLUMNS[what], rows, excel=excel)
