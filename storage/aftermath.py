"""After the meeting: contact cards and what was shared, the stands' leads, ratings, and the
end-of-day messages filed once per day."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from storage.db import ConstraintViolated, Database, Row, utcnow

LEAD_STATES = ("to_contact", "contacted", "not_relevant")


@dataclass(frozen=True)
class ContactCard:
    email: str | None = None
    phone: str | None = None
    website: str | None = None

    def chosen(self, fields: set[str]) -> ContactCard:
        return ContactCard(*(getattr(self, f) if f in fields else None for f in ("email", "phone", "website")))

    @property
    def fields(self) -> list[str]:
        return [f for f in ("email", "phone", "website") if getattr(self, f)]


@dataclass(frozen=True)
class Share:
    meeting_id: int
    participant_id: int
    side: str
    full_name: str
    organisation: str | None
    card: ContactCard
    shared_at: datetime


@dataclass(frozen=True)
class Lead:
    meeting_id: int
    note: str | None
    state: str
    updated_at: datetime | None


@dataclass(frozen=True)
class Rating:
    meeting_id: int
    side: str
    stars: int
    comment: str | None


def _share(row: Row) -> Share:
    return Share(
        int(row["meeting_id"]),
        int(row["participant_id"]),
        row["side"],
        row["full_name"],
        row["organisation"],
        ContactCard(row["email"], row["phone"], row["website"]),
        datetime.fromisoformat(row["shared_at"]),
    )


_SHARE = "meeting_id, participant_id, side, full_name, organisation, email, phone, website, shared_at"


class AftermathRepository:
    def __init__(self, db: Database) -> None:
        self._db = db

    # ------------------------------------------------------------------ contact cards and shares

    async def card(self, participant_id: int) -> ContactCard:
        row = await self._db.fetch_one(
            "SELECT email, phone, website FROM contact_cards WHERE participant_id = ?", (participant_id,)
        )
        return ContactCard(row[0], row[1], row[2]) if row else ContactCard()

    async def set_card(self, participant_id: int, card: ContactCard) -> None:
        async with self._db.transaction() as tx:
            await tx.execute(
                "INSERT INTO contact_cards (participant_id, email, phone, website, updated_at) VALUES (?, ?, ?, ?, ?)"
                " ON CONFLICT (participant_id) DO UPDATE SET email = excluded.email, phone = excluded.phone,"
                " website = excluded.website, updated_at = excluded.updated_at",
                (participant_id, card.email, card.phone, card.website, utcnow().isoformat()),
            )

    async def share(
        self, meeting_id: int, participant_id: int, side: str, name: str, organisation: str | None, card: ContactCard
    ) -> bool:
        """Recorded once per meeting and person; False when they had shared already."""
        try:
            async with self._db.transaction() as tx:
                await tx.execute(
                    f"INSERT INTO contact_shares ({_SHARE}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    (
                        meeting_id,
                        participant_id,
                        side,
                        name,
                        organisation,
                        card.email,
                        card.phone,
                        card.website,
                        utcnow().isoformat(),
                    ),
                )
        except ConstraintViolated:
            return False
        return True

    async def shares_of_meetings(self, meeting_ids: list[int]) -> list[Share]:
        found: list[Share] = []
        for start in range(0, len(meeting_ids), 500):
            chunk = meeting_ids[start : start + 500]
            rows = await self._db.fetch_all(
                f"SELECT {_SHARE} FROM contact_shares WHERE meeting_id IN ({','.join('?' * len(chunk))})"
                " ORDER BY shared_at, meeting_id",
                chunk,
            )
            found += [_share(r) for r in rows]
        return found

    async def shares_by(self, participant_id: int) -> list[Share]:
        rows = await self._db.fetch_all(
            f"SELECT {_SHARE} FROM contact_shares WHERE participant_id = ? ORDER BY shared_at", (participant_id,)
        )
        return [_share(r) for r in rows]

    # ------------------------------------------------------------------ leads

    async def leads(self, meeting_ids: list[int]) -> dict[int, Lead]:
        found: dict[int, Lead] = {}
        for start in range(0, len(meeting_ids), 500):
            chunk = meeting_ids[start : start + 500]
            rows = await self._db.fetch_all(
                f"SELECT meeting_id, note, state, updated_at FROM leads"
                f" WHERE meeting_id IN ({','.join('?' * len(chunk))})",
                chunk,
            )
            for r in rows:
                found[int(r[0])] = Lead(int(r[0]), r[1], r[2], datetime.fromisoformat(r[3]))
        return found

    async def set_lead(self, meeting_id: int, by: int, *, note: str | None = None, state: str | None = None) -> bool:
        """False when the meeting is no longer an accepted one with its attendee (cancelled, or the
        attendee asked to be forgotten): nothing is kept about a person who is gone."""
        now = utcnow().isoformat()
        async with self._db.transaction() as tx:
            return (
                await tx.execute(
                    "INSERT INTO leads (meeting_id, note, state, updated_by, updated_at)"
                    " SELECT ?, ?, COALESCE(?, 'to_contact'), ?, ? WHERE EXISTS (SELECT 1 FROM meetings"
                    " WHERE id = ? AND status = 'accepted' AND attendee_id IS NOT NULL)"
                    " ON CONFLICT (meeting_id) DO UPDATE SET note = COALESCE(?, leads.note),"
                    " state = COALESCE(?, leads.state), updated_by = excluded.updated_by,"
                    " updated_at = excluded.updated_at",
                    (meeting_id, note, state, by, now, meeting_id, note, state),
                )
                > 0
            )

    # ------------------------------------------------------------------ ratings

    async def rate(self, meeting_id: int, side: str, participant_id: int, stars: int) -> bool:
        """Once per meeting and side; False when that side had rated it already."""
        try:
            async with self._db.transaction() as tx:
                await tx.execute(
                    "INSERT INTO ratings (meeting_id, side, participant_id, stars, created_at) VALUES (?, ?, ?, ?, ?)",
                    (meeting_id, side, participant_id, stars, utcnow().isoformat()),
                )
        except ConstraintViolated:
            return False
        return True

    async def comment(self, meeting_id: int, side: str, comment: str) -> bool:
        async with self._db.transaction() as tx:
            return bool(
                await tx.execute(
                    "UPDATE ratings SET comment = ? WHERE meeting_id = ? AND side = ? AND comment IS NULL",
                    (comment, meeting_id, side),
                )
            )

    async def rating(self, meeting_id: int, side: str) -> Rating | None:
        row = await self._db.fetch_one(
            "SELECT meeting_id, side, stars, comment FROM ratings WHERE meeting_id = ? AND side = ?", (meeting_id, side)
        )
        return Rating(int(row[0]), row[1], int(row[2]), row[3]) if row else None

    async def ratings_by(self, participant_id: int) -> list[Rating]:
        rows = await self._db.fetch_all(
            "SELECT meeting_id, side, stars, comment FROM ratings WHERE participant_id = ? ORDER BY created_at",
            (participant_id,),
        )
        return [Rating(int(r[0]), r[1], int(r[2]), r[3]) for r in rows]

    # ------------------------------------------------------------------ the end of the day

    @staticmethod
    def day_claim(day: str) -> tuple[str, tuple[str, str]]:
        return (
            "INSERT INTO day_summaries (day, filed_at) VALUES (?, ?) ON CONFLICT DO NOTHING",
            (day, utcnow().isoformat()),
        )

    async def mark_day(self, day: str) -> None:
        async with self._db.transaction() as tx:
            await tx.execute(*self.day_claim(day))

    async def days_summed_up(self) -> set[str]:
        return {str(r[0]) for r in await self._db.fetch_all("SELECT day FROM day_summaries")}
