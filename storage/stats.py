"""Numbers for the organisers: what the statistics screen and the exports read."""

from __future__ import annotations

from typing import Any

from storage.db import Database


class StatsRepository:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def _pairs(self, sql: str) -> dict[str, int]:
        return {str(r[0]): int(r[1]) for r in await self._db.fetch_all(sql)}

    async def _with_archived(self, metric: str, live: str) -> dict[str, int]:
        """Live counts plus those kept from people purged after the event."""
        return await self._pairs(
            f"SELECT key, SUM(n) FROM ({live} UNION ALL"
            f" SELECT key, count FROM archived_counts WHERE metric = '{metric}') AS counts GROUP BY key ORDER BY key"
        )

    async def participants_by_role(self) -> dict[str, int]:
        return await self._with_archived("role", "SELECT role AS key, COUNT(*) AS n FROM participants GROUP BY role")

    async def attendees_by_org_type(self) -> dict[str, int]:
        return await self._with_archived(
            "org_type",
            "SELECT COALESCE(org_type, 'unknown') AS key, COUNT(*) AS n FROM participants"
            " WHERE role = 'attendee' GROUP BY 1",
        )

    async def meetings_by_status(self) -> dict[str, int]:
        return await self._pairs("SELECT status, COUNT(*) FROM meetings GROUP BY status")

    async def unanswered_by_exhibitor(self) -> list[tuple[str, int]]:
        rows = await self._db.fetch_all(
            "SELECT e.name, COUNT(*) AS n FROM meetings m JOIN exhibitors e ON e.id = m.exhibitor_id"
            " WHERE m.status IN ('pending', 'expired') AND m.awaiting = 'exhibitor'"
            " GROUP BY e.id ORDER BY n DESC, e.name LIMIT 10"
        )
        return [(str(r[0]), int(r[1])) for r in rows]

    async def meetings_per_slot(self) -> list[tuple[str, str, int]]:
        """(slot start, status, count)."""
        rows = await self._db.fetch_all("SELECT slot_start, status, COUNT(*) FROM meetings GROUP BY 1, 2 ORDER BY 1")
        return [(str(r[0]), str(r[1]), int(r[2])) for r in rows]

    async def accepted_per_theme(self) -> dict[str, int]:
        return await self._pairs(
            "SELECT t.theme_id, COUNT(*) FROM meetings m JOIN exhibitor_themes t ON t.exhibitor_id = m.exhibitor_id"
            " WHERE m.status = 'accepted' GROUP BY t.theme_id"
        )

    async def attendance(self) -> dict[str, int]:
        row = await self._db.fetch_one(
            """
            SELECT SUM(attendance_asked),
                   COUNT(CASE WHEN attendance_attendee = 'met' OR attendance_exhibitor = 'met' THEN 1 END),
                   COUNT(CASE WHEN attendance_attendee = 'no_show' OR attendance_exhibitor = 'no_show' THEN 1 END)
            FROM meetings WHERE status = 'accepted'
            """
        )
        asked, met, no_show = (int(v or 0) for v in (row or (0, 0, 0)))
        return {"asked": asked, "met": met, "no_show": no_show}

    # ---------------------------------------------------------------- the organisers' report

    _OUTCOMES = """
        COUNT(*) AS requested,
        COUNT(CASE WHEN m.status = 'accepted' THEN 1 END) AS accepted,
        COUNT(CASE WHEN m.status = 'accepted' AND (m.attendance_attendee = 'met' OR m.attendance_exhibitor = 'met')
              THEN 1 END) AS held,
        COUNT(CASE WHEN m.status = 'accepted' AND COALESCE(m.attendance_attendee, '') <> 'met'
                   AND COALESCE(m.attendance_exhibitor, '') <> 'met'
                   AND (m.attendance_attendee = 'no_show' OR m.attendance_exhibitor = 'no_show') THEN 1 END) AS missed
    """

    async def meeting_outcomes(self) -> dict[str, int]:
        """Meetings requested (every one), accepted, held (either side said it took place) and missed."""
        row = await self._db.fetch_one(f"SELECT {self._OUTCOMES} FROM meetings m")
        return {key: int(row[key] or 0) for key in ("requested", "accepted", "held", "missed")} if row else {}

    async def meeting_outcomes_by_theme(self) -> dict[str, dict[str, int]]:
        return await self._outcomes_by(
            f"SELECT t.theme_id AS key, {self._OUTCOMES} FROM meetings m"
            " JOIN exhibitor_themes t ON t.exhibitor_id = m.exhibitor_id GROUP BY t.theme_id"
        )

    async def meeting_outcomes_by_org_type(self) -> dict[str, dict[str, int]]:
        return await self._outcomes_by(
            f"SELECT COALESCE(p.org_type, 'unknown') AS key, {self._OUTCOMES} FROM meetings m"
            " LEFT JOIN participants p ON p.id = m.attendee_id GROUP BY 1"
        )

    async def _outcomes_by(self, sql: str) -> dict[str, dict[str, int]]:
        return {
            str(r["key"]): {k: int(r[k] or 0) for k in ("requested", "accepted", "held", "missed")}
            for r in await self._db.fetch_all(sql)
        }

    async def participants_by_theme(self) -> dict[str, int]:
        return await self._pairs("SELECT theme_id, COUNT(*) FROM participant_themes GROUP BY theme_id")

    async def wishes_met(self) -> dict[str, int]:
        """Wishes, those an accepted meeting meets, attendees who wished and those with one met at least."""
        row = await self._db.fetch_one(
            """
            SELECT COUNT(*) AS wishes, COUNT(m.id) AS met, COUNT(DISTINCT w.attendee_id) AS wishers,
                   COUNT(DISTINCT m.attendee_id) AS served
            FROM wishes w LEFT JOIN meetings m
              ON m.attendee_id = w.attendee_id AND m.exhibitor_id = w.exhibitor_id AND m.status = 'accepted'
            """
        )
        return {key: int(row[key] or 0) for key in ("wishes", "met", "wishers", "served")} if row else {}

    async def rating_distribution(self, by: str) -> dict[str, dict[int, int]]:
        """Stars given (both sides), per exhibitor name, exhibitor theme or attendee's organisation type:
        key -> stars -> count."""
        if by == "theme":
            sql = (
                "SELECT t.theme_id, r.stars, COUNT(*) FROM ratings r JOIN meetings m ON m.id = r.meeting_id"
                " JOIN exhibitor_themes t ON t.exhibitor_id = m.exhibitor_id GROUP BY 1, 2"
            )
        elif by == "org_type":  # the attendee's
            sql = (
                "SELECT COALESCE(p.org_type, 'unknown'), r.stars, COUNT(*) FROM ratings r"
                " JOIN meetings m ON m.id = r.meeting_id LEFT JOIN participants p ON p.id = m.attendee_id GROUP BY 1, 2"
            )
        else:
            sql = (
                "SELECT e.name, r.stars, COUNT(*) FROM ratings r JOIN meetings m ON m.id = r.meeting_id"
                " JOIN exhibitors e ON e.id = m.exhibitor_id GROUP BY 1, 2"
            )
        found: dict[str, dict[int, int]] = {}
        for key, stars, count in await self._db.fetch_all(sql):
            found.setdefault(str(key), {})[int(stars)] = int(count)
        return found

    # ---------------------------------------------------------------- exports

    async def export_participants(self) -> list[dict[str, Any]]:
        rows = await self._db.fetch_all(
            """
            SELECT p.id, p.role, p.full_name, p.organisation, p.org_type, p.job_title,
                   (SELECT group_concat(theme_id, ',') FROM participant_themes t
                    WHERE t.participant_id = p.id) AS themes,
                   p.looking_for, e.slug AS exhibitor, e.name AS exhibitor_name, p.language, p.reachable,
                   p.consent_at, p.created_at
            FROM participants p LEFT JOIN exhibitors e ON e.id = p.exhibitor_id ORDER BY p.id
            """
        )
        return [dict(r) for r in rows]

    async def export_exhibitors(self) -> list[dict[str, Any]]:
        rows = await self._db.fetch_all(
            """
            SELECT e.slug, e.name, e.stand, e.tables,
                   (SELECT group_concat(theme_id, ',') FROM exhibitor_themes t WHERE t.exhibitor_id = e.id) AS themes,
                   e.website, e.contact_email,
                   (SELECT COUNT(*) FROM participants p WHERE p.exhibitor_id = e.id) AS representatives,
                   (SELECT COUNT(*) FROM meetings m WHERE m.exhibitor_id = e.id AND m.status = 'accepted') AS meetings
            FROM exhibitors e ORDER BY e.name
            """
        )
        return [dict(r) for r in rows]

    async def export_meetings(self) -> list[dict[str, Any]]:
        rows = await self._db.fetch_all(
            """
            SELECT m.id, m.slot_start, e.slug AS exhibitor, e.name AS exhibitor_name, e.stand,
                   p.full_name AS attendee, p.organisation, m.status,
                   m.table_no, m.decline_reason, m.cancel_reason, m.attendance_attendee, m.attendance_exhibitor,
                   m.created_at
            FROM meetings m JOIN exhibitors e ON e.id = m.exhibitor_id LEFT JOIN participants p ON p.id = m.attendee_id
            ORDER BY m.slot_start, e.name, m.id
            """
        )
        return [dict(r) for r in rows]
