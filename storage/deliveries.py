"""The outbox: who must receive which article, claimed and settled by the delivery worker.

A delivery is `pending` until the worker claims it (`sending`), then ends `sent`, `failed`
(after its last attempt), `skipped` (the chat is gone) or `cancelled`, or goes back to
`pending` with a later `next_attempt_at`. Rows still `sending` when a process died were in
flight: `release_claimed` puts them back to pending at the next start.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import aiosqlite

from storage.db import Database
from storage.text import now_iso

TERMINAL = ("sent", "failed", "skipped", "cancelled")
MAX_ATTEMPTS = 5  # sends of one card before its delivery fails


@dataclass(frozen=True, slots=True)
class Delivery:
    id: int
    article_id: int
    chat_id: int
    thread_id: int
    attempts: int
    chat_type: str
    language_code: str | None


@dataclass(frozen=True, slots=True)
class Outcome:
    """How one claimed delivery ended this time."""

    delivery_id: int
    status: str  # sent, failed, skipped, pending (retry later), cancelled
    message_id: int | None = None
    error: str | None = None
    retry_at: float = 0.0  # for pending
    attempted: bool = True  # False when it was never sent (paused, chat not ready)


@dataclass(frozen=True, slots=True)
class Progress:
    article_id: int
    title: str
    total: int
    counts: dict[str, int] = field(default_factory=dict)
    started_at: str = ""
    finished: bool = False
    cancelled: bool = False
    notify_chat_id: int | None = None
    progress_message_id: int | None = None

    def count(self, status: str) -> int:
        return self.counts.get(status, 0)

    @property
    def pending(self) -> int:
        return self.count("pending") + self.count("sending")

    @property
    def done(self) -> int:
        return self.total - self.pending


# Take the due deliveries, oldest first, and return them with what sending needs.
CLAIM_SQL = """
    UPDATE deliveries SET status = 'sending', updated_at = :stamp
    WHERE id IN (SELECT id FROM deliveries
                 WHERE status = 'pending' AND next_attempt_at <= :now
                 ORDER BY next_attempt_at, id LIMIT :limit)
    RETURNING id, article_id, chat_id, thread_id, attempts,
              (SELECT type FROM chats WHERE chats.chat_id = deliveries.chat_id),
              (SELECT language_code FROM chats WHERE chats.chat_id = deliveries.chat_id)
"""


class DeliveryRepository:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def claim(
        self, limit: int, now: float | None = None, settle: list[Outcome] | None = None
    ) -> list[Delivery]:
        """Take up to `limit` due deliveries, the oldest, marking them `sending`; first
        record the outcomes of the last claim, if given, in the same transaction."""
        now = time.time() if now is None else now
        async with self._db.atomic() as conn:
            await _settle(conn, settle or [])
            rows = await conn.execute_fetchall(
                CLAIM_SQL, {"now": now, "limit": limit, "stamp": now_iso()}
            )
        return sorted((Delivery(*row) for row in rows), key=lambda d: d.id)  # RETURNING: no order

    async def settle(self, outcomes: list[Outcome]) -> None:
        """Record how claimed deliveries ended, all in one transaction."""
        if outcomes:
            async with self._db.atomic() as conn:
                await _settle(conn, outcomes)

    async def sent_messages(self, article_id: int, since: str) -> list[tuple[int, int]]:
        """(chat_id, message_id) of the article's cards sent at or after `since` (ISO)."""
        rows = await self._db.fetchall(
            """SELECT chat_id, message_id FROM deliveries
               WHERE article_id = ? AND status = 'sent' AND message_id IS NOT NULL
                 AND updated_at >= ?""",
            (article_id, since),
        )
        return [(row[0], row[1]) for row in rows]

    async def skip_chat(self, chat_id: int, reason: str) -> int:
        """The chat cannot be written to: its pending deliveries will not be tried."""
        async with self._db.atomic() as conn:
            cursor = await conn.execute(
                """UPDATE deliveries SET status = 'skipped', last_error = ?, updated_at = ?
                   WHERE chat_id = ? AND status = 'pending'""",
                (reason, now_iso(), chat_id),
            )
            return cursor.rowcount

    async def release_claimed(self, max_attempts: int = MAX_ATTEMPTS) -> int:
        """Put deliveries left `sending` (by a stop or a crash) back to pending. They may
        have been sent, so this counts an attempt: a delivery whose wave keeps dying fails
        at its last attempt instead of going out again without end."""
        async with self._db.atomic() as conn:
            cursor = await conn.execute(
                """UPDATE deliveries
                   SET status = CASE WHEN attempts + 1 >= :max THEN 'failed' ELSE 'pending' END,
                       attempts = attempts + 1, updated_at = :stamp,
                       last_error = coalesce(last_error, 'interrupted while sending')
                   WHERE status = 'sending'""",
                {"max": max_attempts, "stamp": now_iso()},
            )
            return cursor.rowcount

    async def next_due(self) -> float | None:
        """When the earliest pending delivery is due (unix time), if any."""
        value = await self._db.fetchval(
            "SELECT min(next_attempt_at) FROM deliveries WHERE status = 'pending'"
        )
        return None if value is None else float(value)

    async def cancel(self, article_id: int) -> int:
        """Stop an article's broadcast: what is still pending is cancelled."""
        async with self._db.atomic() as conn:
            cursor = await conn.execute(
                """UPDATE deliveries SET status = 'cancelled', updated_at = ?
                   WHERE article_id = ? AND status = 'pending'""",
                (now_iso(), article_id),
            )
            await conn.execute(
                "UPDATE broadcasts SET cancelled = 1 WHERE article_id = ?", (article_id,)
            )
            return cursor.rowcount

    async def progress(self, article_id: int) -> Progress | None:
        row = await self._db.fetchone(
            """SELECT b.article_id, a.title, b.total, b.started_at, b.finished_at, b.cancelled,
                      b.notify_chat_id, b.progress_message_id
               FROM broadcasts AS b JOIN articles AS a ON a.id = b.article_id
               WHERE b.article_id = ?""",
            (article_id,),
        )
        if row is None:
            return None
        counts = await self._db.fetchall(
            "SELECT status, count(*) FROM deliveries WHERE article_id = ? GROUP BY status",
            (article_id,),
        )
        return Progress(
            article_id=row[0], title=row[1], total=row[2],
            counts={status: n for status, n in counts}, started_at=row[3],
            finished=row[4] is not None, cancelled=bool(row[5]), notify_chat_id=row[6],
            progress_message_id=row[7],
        )  # fmt: skip

    async def running(self) -> list[Progress]:
        """Broadcasts not yet finished."""
        rows = await self._db.fetchall(
            "SELECT article_id FROM broadcasts WHERE finished_at IS NULL ORDER BY article_id"
        )
        found = [await self.progress(row[0]) for row in rows]
        return [p for p in found if p is not None]

    async def finish(self, article_id: int) -> None:
        async with self._db.atomic() as conn:
            await conn.execute(
                "UPDATE broadcasts SET finished_at = ? WHERE article_id = ? "
                "AND finished_at IS NULL",
                (now_iso(), article_id),
            )

    async def set_progress_message(self, article_id: int, message_id: int) -> None:
        async with self._db.atomic() as conn:
            await conn.execute(
                "UPDATE broadcasts SET progress_message_id = ? WHERE article_id = ?",
                (message_id, article_id),
            )


async def _settle(conn: aiosqlite.Connection, outcomes: list[Outcome]) -> None:
    if not outcomes:
        return
    now = now_iso()
    await conn.executemany(
        """UPDATE deliveries SET status = ?, message_id = coalesce(?, message_id),
               last_error = coalesce(?, last_error), next_attempt_at = ?,
               attempts = attempts + ?, updated_at = ?
           WHERE id = ?""",
        [(o.status, o.message_id, o.error, o.retry_at, int(o.attempted), now,
          o.delivery_id) for o in outcomes],
    )  # fmt: skip
