"""The inbox: updates kept from their arrival until they are handled, claimed by the process that
handles them."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from storage.db import Database, Row, utcnow
from storage.postgres import PostgresDatabase, skip_locked

# Told on PostgreSQL when updates arrive, so that idle workers claim them at once
ARRIVALS_CHANNEL = "maillage_inbox"
_COLUMNS = "update_id, user_key, payload, received_at, claims"
# an update ready to be claimed: unclaimed or its claim run out, and its user's oldest in the inbox
_READY = """WHERE (claimed_until IS NULL OR claimed_until < ?)
    AND NOT EXISTS (
        SELECT 1 FROM inbox earlier WHERE earlier.user_key = i.user_key AND earlier.update_id < i.update_id)"""


@dataclass(frozen=True)
class Arrival:
    update_id: int
    user_key: int | None
    payload: str
    received_at: datetime | None = None  # set when read back
    claims: int = 0  # how many times it was claimed: more than once, a crash interrupted it


def stamp(moment: datetime) -> str:
    """A time the claims compare as text: always with its microseconds, so that text order is time
    order (``isoformat`` leaves them out when they are 0)."""
    return moment.isoformat(timespec="microseconds")


def _arrival(row: Row) -> Arrival:
    return Arrival(int(row[0]), row[1], str(row[2]), datetime.fromisoformat(row[3]), int(row[4]))


class InboxRepository:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def receive(
        self,
        arrivals: Sequence[Arrival],
        owner: str | None = None,
        lease: timedelta = timedelta(0),
        *,
        after_others: bool = False,
    ) -> dict[int, bool]:
        """Keep these updates (one transaction), claimed by ``owner`` when it handles them itself;
        returns the ids not received before, each with whether ``owner`` holds it. With
        ``after_others``, an update whose user has an older one in the inbox is left unclaimed: it
        waits for that one, wherever it is handled, and is claimed in its turn (``claim``).

        Not fsynced: the commit survives the process being killed at any moment (SQLite's WAL is
        written before the commit returns); only a power cut within the next checkpoint could lose
        it, as it would lose an update with no inbox. An fsync here, one per update, took the
        throughput benchmark's saturation from 494 to 451 updates/s."""
        if not arrivals:
            return {}
        now = utcnow()
        until = stamp(now + lease) if owner is not None else None
        new: dict[int, bool] = {}
        async with self._db.transaction(durable=False, exclusive=False) as tx:
            # the newest update kept, its row locked (an update that changes nothing) until COMMIT: two
            # processes receiving at once keep their updates one after the other
            row = await tx.fetch_one(
                "INSERT INTO inbox_newest (id, update_id) VALUES (1, -1)"
                " ON CONFLICT (id) DO UPDATE SET update_id = inbox_newest.update_id RETURNING update_id"
            )
            newest = int(row[0]) if row else -1
            for arrival in sorted(arrivals, key=lambda a: a.update_id):
                if arrival.update_id <= newest:
                    continue  # Telegram's ids only grow: this one came before
                mine = owner is not None
                if mine and after_others and arrival.user_key is not None:
                    mine = not await tx.fetch_one("SELECT 1 FROM inbox WHERE user_key = ? LIMIT 1", (arrival.user_key,))
                await tx.execute(
                    "INSERT INTO inbox (update_id, user_key, payload, received_at, claimed_by, claimed_until, claims)"
                    " VALUES (?, ?, ?, ?, ?, ?, ?)",
                    (
                        arrival.update_id,
                        arrival.user_key,
                        arrival.payload,
                        now.isoformat(),
                        owner if mine else None,
                        until if mine else None,
                        1 if mine else 0,
                    ),
                )
                new[arrival.update_id] = mine
                newest = arrival.update_id
            await tx.execute(
                "INSERT INTO inbox_newest (id, update_id) VALUES (1, ?)"
                " ON CONFLICT (id) DO UPDATE SET update_id = excluded.update_id",
                (newest,),
            )
            if not all(new.values()) and isinstance(self._db, PostgresDatabase):
                await tx.execute("SELECT pg_notify(?, current_schema())", (ARRIVALS_CHANNEL,))
        return new

    async def claim(self, owner: str, lease: timedelta, limit: int, sharers: int = 1) -> tuple[list[Arrival], int]:
        """Up to ``limit`` updates for ``owner`` to handle, oldest first: of each user's updates only the
        oldest, and only while no one else holds it (its claim unexpired), so that one user's updates
        run one after the other, in order, whichever processes handle them; and no more than its share
        of those ready (one ``sharers``-th, rounded up), so that the processes claiming side by side
        share the work. Also returns how many are left unclaimed (waiting for their user's older
        update, or beyond ``limit``).

        Beside other claims, without the cluster's write lock: the lapse is checked again on the row
        itself, once any claim of it by another process has committed (PostgreSQL re-reads a row that
        changed under an UPDATE), so no two processes hold one update."""
        async with self._db.transaction(durable=False, exclusive=False) as tx:
            now = utcnow()
            if sharers > 1:
                ready = await tx.fetch_one(f"SELECT COUNT(*) FROM inbox i {_READY}", (stamp(now),))
                limit = min(limit, max(1, -(-int(ready[0] if ready else 0) // sharers)))
            # the rows picked once (a materialised CTE: a subquery in the WHERE could run again and
            # pick, and lock, more than ``limit``)
            rows = await tx.fetch_all(
                f"""
                WITH picked AS MATERIALIZED (
                    SELECT update_id FROM inbox i {_READY}
                    ORDER BY update_id LIMIT ?{skip_locked(self._db, "i")})
                UPDATE inbox SET claimed_by = ?, claimed_until = ?, claims = claims + 1
                WHERE update_id IN (SELECT update_id FROM picked)
                  AND (claimed_until IS NULL OR claimed_until < ?)
                RETURNING {_COLUMNS}
                """,
                (stamp(now), limit, owner, stamp(now + lease), stamp(now)),
            )
            left = await tx.fetch_one(
                "SELECT COUNT(*) FROM inbox WHERE claimed_until IS NULL OR claimed_until < ?", (stamp(now),)
            )
        if rows:
            await self._db.catch_up()  # see everything their users' earlier updates wrote, wherever handled
        return sorted((_arrival(r) for r in rows), key=lambda a: a.update_id), int(left[0]) if left else 0

    async def take_over_all(self, owner: str, lease: timedelta) -> list[Arrival]:
        """Every update left, whoever claimed it: for the one process of a SQLite deployment, at start."""
        async with self._db.transaction(durable=False, exclusive=False) as tx:
            rows = await tx.fetch_all(
                f"UPDATE inbox SET claimed_by = ?, claimed_until = ?, claims = claims + 1 RETURNING {_COLUMNS}",
                (owner, stamp(utcnow() + lease)),
            )
        return sorted((_arrival(r) for r in rows), key=lambda a: a.update_id)

    async def renew(self, owner: str, lease: timedelta) -> int:
        """Extend the claims ``owner`` holds: it is alive and still at work on them."""
        async with self._db.transaction(durable=False, exclusive=False) as tx:
            return await tx.execute(
                "UPDATE inbox SET claimed_until = ? WHERE claimed_by = ?", (stamp(utcnow() + lease), owner)
            )

    async def handled(self, update_ids: Sequence[int]) -> None:
        # Not fsynced: losing this to a power cut only means handling the update once more
        marks = ",".join("?" * len(update_ids))
        async with self._db.transaction(durable=False, exclusive=False) as tx:
            await tx.execute(f"DELETE FROM inbox WHERE update_id IN ({marks})", list(update_ids))

    async def waiting(self) -> int:
        row = await self._db.fetch_one("SELECT COUNT(*) FROM inbox")
        return int(row[0]) if row else 0

    async def on_arrivals(self, callback: Callable[[], None]) -> bool:
        """Call ``callback`` whenever another process keeps new updates; False where the database
        cannot tell (SQLite: claim on a timer)."""
        if isinstance(self._db, PostgresDatabase):
            return await self._db.on_notice(ARRIVALS_CHANNEL, callback)
        return False
