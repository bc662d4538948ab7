"""Broadcasts: the progress of each article's, and stopping one.

A broadcast is recorded when its article is published (storage.articles) and walked wave by
wave (storage.walk, storage.deliveries). Its progress counts the delivery rows by status;
until its recipients are all walked, the total is the count made after publication.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime

from storage import days
from storage.db import Connection, Database
from storage.errors import DatabaseUnavailable
from storage.kinds import TERMINAL, DeliveryStatus
from storage.text import now_iso, parse_datetime
from storage.walk import COUNT_LEFT, FIRST, Walk, walk_moved, walk_of


@dataclass(frozen=True, slots=True)
class Progress:
    article_id: int
    title: str
    total: int  # counted after publication, exact once every recipient was walked
    counts: dict[str, int] = field(default_factory=dict)
    started_at: datetime | None = None
    finished: bool = False
    cancelled: bool = False
    notify_chat_id: int | None = None
    progress_message_id: int | None = None
    language_code: str | None = None  # of the chat the progress is shown in
    walked: bool = True
    unsent: int = 0  # recipients a cancel left without a delivery row

    def count(self, status: DeliveryStatus) -> int:
        unsent = self.unsent if status == DeliveryStatus.CANCELLED else 0
        return self.counts.get(status, 0) + unsent

    @property
    def done(self) -> int:
        return sum(self.count(status) for status in TERMINAL)

    @property
    def pending(self) -> int:
        in_outbox = self.count(DeliveryStatus.PENDING) + self.count(DeliveryStatus.SENDING)
        if self.walked:
            return in_outbox
        return max(self.total - self.done, in_outbox, 1)  # some are not even walked yet


# Take the due deliveries, oldest first, and return them with what sending needs.


class BroadcastRepository:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def cancel(self, article_id: int) -> int | None:
        """Stop an article's broadcast: what is pending, and the recipients not yet walked,
        will not get it. Returns how many that is; None when it has nothing left to stop
        (finished, cancelled before, or unknown), and then nothing changes."""
        for _ in range(3):  # the left-over count is read outside the write; the walk may move
            walk = await self._open_walk(article_id)
            left = 0 if walk is None else int(await self._db.fetchval(COUNT_LEFT, walk.params))
            async with self._db.atomic() as conn:
                if walk is not None and await walk_moved(conn, walk):
                    continue
                if not await _stoppable(conn, article_id, left):
                    return None
                cursor = await conn.execute(
                    """UPDATE deliveries SET status = 'cancelled', updated_at = ?
                       WHERE article_id = ? AND status = 'pending'""",
                    (now_iso(), article_id),
                )
                await conn.execute(
                    """UPDATE broadcasts SET cancelled = 1, walked = 1, counted = 1,
                           unsent = unsent + :left, total = materialized + unsent + :left
                       WHERE article_id = :article""",
                    {"left": left, "article": article_id},
                )
                await days.add_today(conn, "delivery_days", {"cancelled": cursor.rowcount + left})
                return cursor.rowcount + left
        raise DatabaseUnavailable("the broadcast kept moving; try again")

    async def count_recipients(self) -> None:
        """Count the recipients of broadcasts published since the last call, for their
        progress: a read outside any write transaction (it takes a while at a million)."""
        rows = await self._db.fetchall(
            """SELECT article_id, horizon, topics, seq FROM broadcasts
               WHERE counted = 0 AND walked = 0 ORDER BY article_id"""
        )
        for article_id, horizon, topics, seq in rows:
            walk = Walk(article_id, horizon, tuple(json.loads(topics)), FIRST, FIRST, seq)
            total = int(await self._db.fetchval(COUNT_LEFT, walk.params))
            async with self._db.atomic() as conn:
                await conn.execute(
                    "UPDATE broadcasts SET total = ?, counted = 1 "
                    "WHERE article_id = ? AND counted = 0",
                    (total, article_id),
                )

    async def _open_walk(self, article_id: int) -> Walk | None:
        row = await self._db.fetchone(
            """SELECT article_id, horizon, topics, cursor_chat, cursor_thread, seq FROM broadcasts
               WHERE article_id = ? AND walked = 0""",
            (article_id,),
        )
        return None if row is None else walk_of(row)

    async def progress(self, article_id: int) -> Progress | None:
        row = await self._db.fetchone(
            """SELECT b.article_id, a.title, b.total, b.started_at, b.finished_at, b.cancelled,
                      b.notify_chat_id, b.progress_message_id, b.walked, b.unsent,
                      (SELECT coalesce(language_choice, language_code) FROM chats
                       WHERE chat_id = b.notify_chat_id)
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
            article_id=row[0],
            title=row[1],
            total=row[2],
            counts={status: n for status, n in counts},
            started_at=parse_datetime(row[3]),
            finished=row[4] is not None,
            cancelled=bool(row[5]),
            notify_chat_id=row[6],
            progress_message_id=row[7],
            walked=bool(row[8]),
            unsent=row[9],
            language_code=row[10],
        )

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

    async def undelivered(self, article_id: int) -> dict[str, int]:
        """Why the broadcast's cards that did not go out did not: {last error: how many}."""
        rows = await self._db.fetchall(
            """SELECT coalesce(last_error, ''), count(*) FROM deliveries
               WHERE article_id = ? AND status IN ('failed', 'skipped')
               GROUP BY last_error""",
            (article_id,),
        )
        return {row[0]: row[1] for row in rows}

    async def set_progress_message(self, article_id: int, message_id: int) -> None:
        async with self._db.atomic() as conn:
            await conn.execute(
                "UPDATE broadcasts SET progress_message_id = ? WHERE article_id = ?",
                (message_id, article_id),
            )


async def _stoppable(conn: Connection, article_id: int, unwalked: int) -> bool:
    """A broadcast still running: not finished or cancelled, with someone left to reach."""
    async with conn.execute(
        """SELECT 1 FROM broadcasts WHERE article_id = ? AND finished_at IS NULL
               AND cancelled = 0
               AND (? > 0 OR EXISTS (SELECT 1 FROM deliveries WHERE article_id = ?
                                     AND status IN ('pending', 'sending')))""",
        (article_id, unwalked, article_id),
    ) as cursor:
        return await cursor.fetchone() is not None
