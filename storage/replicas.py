"""Replicas: several `articlebot run` on one database, exactly one of them the leader.

The leader holds a lease, one row that it renews every few seconds; what must run once
(the delivery worker, corrections, the scheduler, feed polling, getUpdates) runs only
there. A replica may take the lease when it has expired, or when the caller knows its
holder is gone (a process of the same machine that no longer exists). Each replica also
says what it is, for `articlebot health`; replicas not seen for an hour are forgotten. In
webhook mode every replica takes updates, and each update is taken by one (`take_update`).
"""

from __future__ import annotations

from dataclasses import dataclass

from storage import clock
from storage.db import Database
from storage.kinds import Role

LEADER = "leader"  # the one lease
FORGET_AFTER = 3600.0  # seconds after which a replica not seen is forgotten
# Telegram gives up redelivering a webhook update well within a day.
UPDATES_KEPT = 86_400.0


@dataclass(frozen=True)
class Replica:
    """One running `articlebot run`: `holder` names it (host, pid and a random part)."""

    holder: str
    host: str
    pid: int


@dataclass(frozen=True)
class Lease:
    replica: Replica
    expires_at: float  # unix time, storage.clock

    @property
    def expired(self) -> bool:
        return self.expires_at <= clock.time()


@dataclass(frozen=True)
class Seen:
    replica: Replica
    role: Role
    seen_at: float


class ReplicaRepository:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def lead(self, me: Replica, seconds: float, *, take_from: str | None = None) -> bool:
        """Take or renew the lease for `seconds`: True when `me` holds it now. It is taken
        from another holder only once expired, or from `take_from` (known to be gone)."""
        now = clock.time()
        async with self._db.atomic() as conn:
            cursor = await conn.execute(
                """INSERT INTO leases (name, holder, host, pid, expires_at) VALUES (?, ?, ?, ?, ?)
                   ON CONFLICT (name) DO UPDATE SET holder = excluded.holder,
                       host = excluded.host, pid = excluded.pid, expires_at = excluded.expires_at
                   WHERE leases.holder IN (excluded.holder, ?) OR leases.expires_at <= ?
                   RETURNING holder""",
                (LEADER, me.holder, me.host, me.pid, now + seconds, take_from, now),
            )
            held = await cursor.fetchone() is not None
            await conn.execute(
                """INSERT INTO replicas (holder, host, pid, role, seen_at) VALUES (?, ?, ?, ?, ?)
                   ON CONFLICT (holder) DO UPDATE SET role = excluded.role,
                       seen_at = excluded.seen_at""",
                (me.holder, me.host, me.pid, Role.LEADER if held else Role.STANDBY, now),
            )
            await conn.execute("DELETE FROM replicas WHERE seen_at < ?", (now - FORGET_AFTER,))
        return held

    async def leave(self, me: Replica) -> None:
        """A replica stopping cleanly: its lease (if it held it) is free at once."""
        async with self._db.atomic() as conn:
            await conn.execute(
                "UPDATE leases SET expires_at = 0 WHERE name = ? AND holder = ?",
                (LEADER, me.holder),
            )
            await conn.execute("DELETE FROM replicas WHERE holder = ?", (me.holder,))

    async def lease(self) -> Lease | None:
        row = await self._db.fetchone(
            "SELECT holder, host, pid, expires_at FROM leases WHERE name = ?", (LEADER,)
        )
        if row is None:
            return None
        return Lease(Replica(row[0], row[1], row[2]), float(row[3]))

    async def seen(self) -> list[Seen]:
        """The replicas seen in the last hour, the most recently seen first."""
        rows = await self._db.fetchall(
            "SELECT holder, host, pid, role, seen_at FROM replicas ORDER BY seen_at DESC"
        )
        return [Seen(Replica(r[0], r[1], r[2]), Role(r[3]), float(r[4])) for r in rows]

    async def take_update(self, update_id: int) -> bool:
        """Claim a webhook update for this replica's handlers: False when one (this or
        another, now or before a restart) took it already. Claims are kept a day."""
        now = clock.time()
        async with self._db.atomic() as conn:
            cursor = await conn.execute(
                "INSERT INTO updates_taken (update_id, at) VALUES (?, ?) ON CONFLICT DO NOTHING",
                (update_id, now),
            )
            taken = cursor.rowcount == 1
            await conn.execute("DELETE FROM updates_taken WHERE at < ?", (now - UPDATES_KEPT,))
        return taken
