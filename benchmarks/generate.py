"""A database of any size for the benchmarks: participants, exhibitors, meetings, reminders.

    python -m benchmarks.generate OUT.db [--participants 10000] [--exhibitors 200] [--meetings 100000]

The schema is the application's own (its migrations run first); rows are written in
bulk with plain sqlite3, because going through the services would take minutes for
100,000 meetings. Meetings keep every invariant the schema enforces: one open meeting
per person and slot and per person and exhibitor, one accepted meeting per table.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import sqlite3
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from benchmarks.common import EXAMPLE_EVENT
from bot.event import Event, load_event
from storage.db import SqliteDatabase

ORGANISATIONS = ("Ville de Lyon", "Métropole de Lille", "Ville de Rennes", "Grenoble-Alpes Métropole", "CCAS de Nantes")
FIRST_NAMES = ("Camille", "Dominique", "Claude", "Lou", "Sacha", "Yanis", "Inès", "Hugo", "Léa", "Mamadou")
LAST_NAMES = ("Martin", "Bernard", "Dubois", "Thomas", "Robert", "Richard", "Petit", "Durand", "Leroy", "Moreau")
WORDS = ("soupe", "vélo", "compost", "réemploi", "jardin", "mobilité", "énergie", "habitat", "santé", "cantine")

FIRST_ATTENDEE_ID = 10_000_000
FIRST_REPRESENTATIVE_ID = 20_000_000


@dataclass
class Generated:
    attendee_ids: list[int] = field(default_factory=list)  # Telegram ids
    representative_ids: dict[int, list[int]] = field(default_factory=dict)  # exhibitor id -> Telegram ids
    exhibitor_slugs: dict[int, str] = field(default_factory=dict)
    accepted: list[tuple[int, int, str]] = field(default_factory=list)  # (meeting id, attendee row id, slot)


async def create_schema(path: Path) -> None:
    async with SqliteDatabase(path):
        pass


async def generate(
    path: Path,
    *,
    participants: int,
    exhibitors: int,
    meetings: int,
    reps_per_exhibitor: int = 2,
    tables: int = 10,
    event: Event | None = None,
    seed: int = 20261125,
) -> Generated:
    """Fill a new database; ``participants`` counts everyone, representatives included."""
    event = event or load_event(EXAMPLE_EVENT)
    rng = random.Random(seed)
    await create_schema(path)
    now = datetime.now(UTC).isoformat()
    out = Generated()
    themes = [t.id for t in event.themes]
    slots = [s.utc_iso for s in event.slots]
    with sqlite3.connect(path) as db:
        db.execute("PRAGMA foreign_keys = ON")
        for n in range(1, exhibitors + 1):
            slug = f"structure-{n}"
            word = WORDS[n % len(WORDS)]
            db.execute(
                "INSERT INTO exhibitors (id, slug, name, description, stand, tables, invite_token, created_at,"
                " updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    n,
                    slug,
                    f"Structure {n} {word}",
                    f"Une structure de l'ESS autour du {word}.",
                    f"{chr(65 + n % 6)}{n}",
                    tables,
                    f"tok{n}",
                    now,
                    now,
                ),
            )
            for theme in rng.sample(themes, 2):
                db.execute("INSERT INTO exhibitor_themes VALUES (?, ?)", (n, theme))
            out.exhibitor_slugs[n] = slug
        people = []
        reps = min(participants, exhibitors * reps_per_exhibitor)
        for n in range(participants):
            is_rep = n < reps
            exhibitor_id = n % exhibitors + 1 if is_rep else None
            telegram_id = FIRST_REPRESENTATIVE_ID + n if is_rep else FIRST_ATTENDEE_ID + n
            people.append(
                (
                    n + 1,
                    telegram_id,
                    "exhibitor" if is_rep else "attendee",
                    exhibitor_id,
                    "fr",
                    f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}",
                    rng.choice(ORGANISATIONS),
                    "local_authority",
                    "Chargée de mission",
                    "Des partenaires pour un projet de quartier",
                    now,
                    now,
                    now,
                )
            )
            if is_rep:
                assert exhibitor_id is not None
                out.representative_ids.setdefault(exhibitor_id, []).append(telegram_id)
            else:
                out.attendee_ids.append(telegram_id)
        db.executemany(
            "INSERT INTO participants (id, telegram_id, role, exhibitor_id, language, full_name, organisation,"
            " org_type, job_title, looking_for, consent_at, created_at, updated_at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            people,
        )
        db.executemany(
            "INSERT INTO participant_themes VALUES (?, ?)",
            [(p[0], theme) for p in people for theme in rng.sample(themes, 2)],
        )
        attendee_rows = [p[0] for p in people if p[2] == "attendee"]
        if attendee_rows and meetings:
            rows = _meetings(rng, attendee_rows, exhibitors, tables, slots, meetings, now)
            db.executemany(
                "INSERT INTO meetings (id, attendee_id, exhibitor_id, slot_start, status, table_no, created_at,"
                " updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                rows,
            )
            out.accepted = [(int(r[0]), int(r[1]), str(r[3])) for r in rows if r[4] == "accepted"]
    return out


def _meetings(
    rng: random.Random, attendees: list[int], exhibitors: int, tables: int, slots: list[str], count: int, now: str
) -> list[tuple[Any, ...]]:
    """30 % accepted, 15 % pending, the rest declined, cancelled or expired."""
    open_by_person_slot: set[tuple[int, str]] = set()
    open_pairs: set[tuple[int, int]] = set()
    rows: list[tuple[Any, ...]] = []
    accepted_target, pending_target = int(count * 0.30), int(count * 0.15)
    tables_free = [(e, s, t) for s in slots for e in range(1, exhibitors + 1) for t in range(1, tables + 1)]
    rng.shuffle(tables_free)

    def pick_attendee(exhibitor: int, slot: str) -> int | None:
        for _ in range(50):
            a = rng.choice(attendees)
            if (a, slot) not in open_by_person_slot and (a, exhibitor) not in open_pairs:
                open_by_person_slot.add((a, slot))
                open_pairs.add((a, exhibitor))
                return a
        return None

    for e, s, t in tables_free[: min(accepted_target, len(tables_free))]:
        a = pick_attendee(e, s)
        if a is not None:
            rows.append((len(rows) + 1, a, e, s, "accepted", t, now, now))
    while len(rows) < accepted_target + pending_target:
        e, s = rng.randint(1, exhibitors), rng.choice(slots)
        a = pick_attendee(e, s)
        if a is not None:
            rows.append((len(rows) + 1, a, e, s, "pending", None, now, now))
    while len(rows) < count:
        status = rng.choice(("declined", "cancelled", "expired"))
        rows.append(
            (
                len(rows) + 1,
                rng.choice(attendees),
                rng.randint(1, exhibitors),
                rng.choice(slots),
                status,
                None,
                now,
                now,
            )
        )
    return rows


def add_reminders(path: Path, accepted: list[tuple[int, int, str]], due: list[datetime]) -> int:
    """One pending meeting reminder per accepted meeting's attendee, due at the given times."""
    with sqlite3.connect(path) as db:
        db.executemany(
            "INSERT INTO reminders (kind, meeting_id, participant_id, lead_seconds, due_at)"
            " VALUES ('meeting', ?, ?, ?, ?)",
            [(m, a, 600, d.isoformat()) for (m, a, _), d in zip(accepted, due, strict=False)],
        )
    return min(len(accepted), len(due))


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("out", type=Path)
    p.add_argument("--participants", type=int, default=10_000)
    p.add_argument("--exhibitors", type=int, default=200)
    p.add_argument("--meetings", type=int, default=100_000)
    args = p.parse_args()
    if args.out.exists():
        raise SystemExit(f"{args.out} exists: choose a new file")
    started = time.monotonic()
    generated = asyncio.run(
        generate(args.out, participants=args.participants, exhibitors=args.exhibitors, meetings=args.meetings)
    )
    print(
        f"{args.out}: {args.participants} participants, {args.exhibitors} exhibitors, {args.meetings} meetings"
        f" ({len(generated.accepted)} accepted) in {time.monotonic() - started:.1f} s"
    )


if __name__ == "__main__":
    main()
