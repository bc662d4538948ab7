"""An admin's session: the dialogue open (/add, /edit) at its state, with what it holds
(the draft, the field asked for), and what outlives a dialogue (a draft put aside, links
offered), as one JSON document the bot layer reads and writes.

It lives here, not in a process's memory, so that each step of a dialogue may land on any
replica. A step holds the session while it runs (`take`, then `keep` or `release`): an
admin's updates are handled one at a time, whichever replicas receive them, so a second
tap of Publish finds the draft already gone. A hold whose replica died runs out after
`HOLD_SECONDS`. A dialogue left idle ends when `expires_at` comes (`idle`); a session
untouched for `KEPT_SECONDS` is deleted.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from storage import clock
from storage.db import Database

HOLD_SECONDS = 60.0  # longer than any one step (reading a page is bounded at 15 s)
KEPT_SECONDS = 30 * 86_400.0  # a draft put aside is kept a month


@dataclass(frozen=True)
class Held:
    """A session taken by one step: only the holder of `token` may write it back."""

    user_id: int
    token: str
    state: int | None  # None: no dialogue open
    data: str  # JSON
    expires_at: float | None  # when the open dialogue ends if left idle

    @property
    def expired(self) -> bool:
        return self.state is not None and (self.expires_at or 0.0) <= clock.time()


class SessionRepository:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def take(self, user_id: int, *, hold_for: float = HOLD_SECONDS) -> Held | None:
        """Hold the user's session (a new one is empty); None while another step holds it."""
        now, token = clock.time(), secrets.token_hex(8)
        async with self._db.atomic() as conn:
            cursor = await conn.execute(
                """INSERT INTO sessions (user_id, data, updated_at, held_until, holder)
                   VALUES (?, '{}', ?, ?, ?)
                   ON CONFLICT (user_id) DO UPDATE SET
                       held_until = excluded.held_until, holder = excluded.holder
                   WHERE sessions.held_until <= ?
                   RETURNING state, data, expires_at""",
                (user_id, now, now + hold_for, token, now),
            )
            row = await cursor.fetchone()
        if row is None:
            return None
        expires_at = None if row[2] is None else float(row[2])
        return Held(user_id, token, row[0], row[1], expires_at)

    async def keep(
        self, held: Held, *, state: int | None, data: str, expires_at: float | None
    ) -> bool:
        """Write the session back and let it go; False if the hold ran out and was lost
        (nothing is written then). Sessions long untouched are deleted on the way."""
        now = clock.time()
        async with self._db.atomic() as conn:
            cursor = await conn.execute(
                """UPDATE sessions SET state = ?, data = ?, expires_at = ?, updated_at = ?,
                       held_until = 0, holder = NULL
                   WHERE user_id = ? AND holder = ?""",
                (state, data, expires_at, now, held.user_id, held.token),
            )
            kept = cursor.rowcount == 1
            await conn.execute(
                "DELETE FROM sessions WHERE updated_at < ? AND held_until <= ?",
                (now - KEPT_SECONDS, now),
            )
        return kept

    async def release(self, held: Held) -> None:
        """Let the session go unchanged (its step failed)."""
        async with self._db.atomic() as conn:
            await conn.execute(
                "UPDATE sessions SET held_until = 0, holder = NULL "
                "WHERE user_id = ? AND holder = ?",
                (held.user_id, held.token),
            )

    async def idle(self) -> list[int]:
        """The users whose open dialogue has been idle until its end."""
        rows = await self._db.fetchall(
            "SELECT user_id FROM sessions WHERE state IS NOT NULL AND expires_at <= ? "
            "ORDER BY expires_at",
            (clock.time(),),
        )
        return [row[0] for row in rows]

    async def next_idle(self) -> float | None:
        """When the next open dialogue ends if nothing happens in it (unix time); one whose
        end has come (`idle`) is not counted again."""
        value = await self._db.fetchval(
            "SELECT min(expires_at) FROM sessions WHERE state IS NOT NULL AND expires_at > ?",
            (clock.time(),),
        )
        return None if value is None else float(value)
