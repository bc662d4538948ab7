"""The outbox: who must receive which article, claimed and settled by the delivery worker.

Publishing records a broadcast in O(1) (storage.articles): its moment, as the value of the
subscription counter (every subscription carries the value when it was made), and the
article's terms that are subscribed topics. Recipients are then walked in (chat_id,
thread_id) order from a cursor kept on the broadcast: each claim, when fewer deliveries are
due than it wants, first gives the next recipients delivery rows and moves the cursor, in
its own transaction. So the recipients are the subscriptions made before publication that
are still there, active and matching when the walk reaches them.

A delivery is `pending` until the worker claims it (`sending`), then ends `sent`, `failed`
(after its last attempt), `skipped` (the chat is gone) or `cancelled`, or goes back to
`pending` with a later `next_attempt_at`. Rows still `sending` when a process died were in
flight: `release_claimed` puts them back to pending at the next start.

Every ending is also counted per day (`delivery_days`), and `prune` deletes rows once
nothing needs them: sent ones after the recall window, the others after the retention.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from storage import clock, days
from storage.db import Connection, Database, scalar
from storage.kinds import TERMINAL, CardStyle, ChatType, DeliveryStatus, DigestKind
from storage.quiet import gather_held
from storage.text import iso, now_iso, parse_datetime
from storage.walk import walk_next

MAX_ATTEMPTS = 5  # sends of one card before its delivery fails
RECALL_WINDOW = timedelta(hours=48)  # Telegram lets bots delete their messages this long
# An article's cards that reached a chat at or after a moment: what a recall deletes.
SENT_CARDS_SQL = """SELECT chat_id, message_id FROM deliveries
                    WHERE article_id = ? AND status = 'sent' AND message_id IS NOT NULL
                      AND updated_at >= ?"""


@dataclass(frozen=True, slots=True)
class Digest:
    kind: DigestKind
    articles: tuple[int, ...]  # newest first


@dataclass(frozen=True, slots=True)
class Delivery:
    """A card (of `article_id`) or a digest (its articles) for one chat."""

    id: int
    article_id: int  # 0 for a digest
    chat_id: int
    thread_id: int
    attempts: int
    chat_type: ChatType
    language_code: str | None  # the one the chat chose (/language), else its members'
    silent: bool = False  # cards without a notification sound (/silent)
    timezone: str | None = None  # the chat's, if set: the day its cards' dates are told in
    digest: Digest | None = None
    quiet: tuple[str, int, int] | None = None  # the chat's zone and quiet hours, if any
    queued_at: float = 0.0  # unix time its broadcast (or digest) was queued
    card_style: CardStyle | None = None  # the chat's choice (/cards), else the default
    revision: int = 0  # of its article when claimed: the card shows that one


@dataclass(frozen=True, slots=True)
class Outcome:
    """How one claimed delivery ended this time."""

    delivery_id: int
    status: DeliveryStatus
    message_id: int | None = None
    error: str | None = None
    retry_at: float = 0.0  # for pending
    attempted: bool = True  # False when it was never sent (paused, chat not ready)
    digest: bool = False  # the outcome of a digest (its id is in the digests' outbox)
    held: bool = False  # put back until the chat's quiet hours end
    card: str = "preview"  # what went out: CardStyle (photo, preview or text)
    revision: int = 0  # of the article the card shows

    @classmethod
    def of(cls, delivery: Delivery, status: DeliveryStatus, **fields: Any) -> Outcome:
        return cls(delivery.id, status, digest=delivery.digest is not None, **fields)


# What a claimed row needs of its chat, in one lookup per row rather than one per setting
# (this runs for every card sent): type, language, /silent, time zone and quiet hours.
CHAT_OF = """(SELECT json_array(type, coalesce(language_choice, language_code), silent,
                                timezone, quiet_start, quiet_end, card_style)
              FROM chats WHERE chats.chat_id = {outbox}.chat_id)"""

CLAIM_SQL = f"""
    UPDATE deliveries SET status = 'sending', updated_at = :stamp
    WHERE id IN (SELECT id FROM deliveries
                 WHERE status = 'pending' AND next_attempt_at <= :now
                 ORDER BY next_attempt_at, id LIMIT :limit)
    RETURNING id, article_id, chat_id, thread_id, attempts,
              {CHAT_OF.format(outbox="deliveries")},
              coalesce((SELECT started_at FROM broadcasts
                        WHERE broadcasts.article_id = deliveries.article_id), created_at),
              (SELECT revision FROM articles WHERE articles.id = deliveries.article_id)
"""


DUE_SQL = """SELECT count(*) FROM (SELECT 1 FROM deliveries
             WHERE status = 'pending' AND next_attempt_at <= ? LIMIT ?) AS due"""

CLAIM_DIGESTS_SQL = f"""
    UPDATE digests SET status = 'sending', updated_at = :stamp
    WHERE id IN (SELECT id FROM digests
                 WHERE status = 'pending' AND next_attempt_at <= :now
                 ORDER BY next_attempt_at, id LIMIT :limit)
    RETURNING id, 0, chat_id, thread_id, attempts, {CHAT_OF.format(outbox="digests")},
              kind, articles, created_at
"""
OUTBOXES = ("deliveries", "digests")


class DeliveryRepository:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def claim(
        self, limit: int, now: float | None = None, settle: list[Outcome] | None = None
    ) -> list[Delivery]:
        """Take up to `limit` due deliveries, the oldest, marking them `sending`; first
        record the outcomes of the last claim, if given, and, when fewer than `limit` are
        due, walk the open broadcasts' next recipients, all in the same transaction."""
        now = clock.time() if now is None else now
        async with self._db.atomic() as conn:
            await _settle(conn, settle or [])
            stamp = now_iso()
            await gather_held(conn, now)
            digests = [
                _digest_delivery(row)
                for row in await conn.execute_fetchall(
                    CLAIM_DIGESTS_SQL, {"now": now, "limit": limit, "stamp": stamp}
                )
            ]
            limit -= len(digests)
            due = await scalar(conn, DUE_SQL, now, limit)
            if due < limit:
                await walk_next(conn, limit)
            rows = await conn.execute_fetchall(
                CLAIM_SQL, {"now": now, "limit": limit, "stamp": stamp}
            )
        cards = sorted((_card_delivery(row) for row in rows), key=lambda d: d.id)  # no order
        return sorted(digests, key=lambda d: d.id) + cards

    async def settle(self, outcomes: list[Outcome]) -> None:
        """Record how claimed deliveries ended, all in one transaction."""
        if outcomes:
            async with self._db.atomic() as conn:
                await _settle(conn, outcomes)

    async def sent_messages(self, article_id: int, since: str) -> list[tuple[int, int]]:
        """(chat_id, message_id) of the article's cards sent at or after `since` (ISO)."""
        rows = await self._db.fetchall(SENT_CARDS_SQL, (article_id, since))
        return [(row[0], row[1]) for row in rows]

    async def skip_chat(self, chat_id: int, reason: str) -> int:
        """The chat cannot be written to: its pending deliveries will not be tried."""
        skipped = 0
        async with self._db.atomic() as conn:
            for table in OUTBOXES:
                cursor = await conn.execute(
                    f"""UPDATE {table} SET status = 'skipped', last_error = ?, updated_at = ?
                        WHERE chat_id = ? AND status = 'pending'""",
                    (reason, now_iso(), chat_id),
                )
                skipped += cursor.rowcount
            await days.add_today(conn, "delivery_days", {"skipped": skipped})
            return skipped

    async def release_claimed(self, max_attempts: int = MAX_ATTEMPTS) -> int:
        """Put deliveries left `sending` (by a stop or a crash) back to pending. They may
        have been sent, so this counts an attempt: a delivery whose wave keeps dying fails
        at its last attempt instead of going out again without end."""
        released = 0
        async with self._db.atomic() as conn:
            for table in OUTBOXES:
                cursor = await conn.execute(
                    f"""UPDATE {table}
                        SET status = CASE WHEN attempts + 1 >= :max THEN 'failed'
                                          ELSE 'pending' END,
                            attempts = attempts + 1, updated_at = :stamp,
                            last_error = coalesce(last_error, 'interrupted while sending')
                        WHERE status = 'sending'""",
                    {"max": max_attempts, "stamp": now_iso()},
                )
                released += cursor.rowcount
            return released

    async def next_due(self) -> float | None:
        """When the earliest pending delivery is due (unix time), if any."""
        value = await self._db.fetchval(
            """SELECT min(next_attempt_at) FROM (
                   SELECT next_attempt_at FROM deliveries WHERE status = 'pending'
                   UNION ALL
                   SELECT next_attempt_at FROM digests WHERE status = 'pending') AS pending"""
        )
        return None if value is None else float(value)

    async def prune(
        self, now: datetime | None = None, *, retention_days: float = 30, batch: int = 500
    ) -> int:
        """Delete up to `batch` delivery rows nothing needs any more, in one short
        transaction: sent ones of broadcasts that ended before the recall window, the others
        after `retention_days`. Returns how many; call again while it returns `batch`."""
        now = now or clock.now()
        async with self._db.atomic() as conn:
            cursor = await conn.execute(
                """DELETE FROM deliveries WHERE id IN (
                       SELECT d.id FROM broadcasts AS b
                       JOIN deliveries AS d ON d.article_id = b.article_id
                       WHERE b.finished_at IS NOT NULL AND (
                           (d.status = 'sent' AND b.finished_at < :sent_before)
                           OR (d.status IN ('failed', 'skipped', 'cancelled')
                               AND b.finished_at < :others_before))
                       LIMIT :batch)""",
                {
                    "sent_before": iso(now - RECALL_WINDOW),
                    "batch": batch,
                    "others_before": iso(now - timedelta(days=retention_days)),
                },
            )
            digests = await conn.execute(
                """DELETE FROM digests WHERE id IN (
                       SELECT id FROM digests
                       WHERE (status = 'sent' AND updated_at < :sent_before)
                          OR (status IN ('failed', 'skipped', 'cancelled')
                              AND updated_at < :others_before)
                       LIMIT :batch)""",
                {
                    "sent_before": iso(now - RECALL_WINDOW),
                    "batch": batch,
                    "others_before": iso(now - timedelta(days=retention_days)),
                },
            )
            await days.forget_before(conn, (now - timedelta(days=days.DAYS_KEPT)).date())
            return max(cursor.rowcount, digests.rowcount)

    async def days(self, since: str) -> dict[str, dict[str, int]]:
        """Deliveries ended per day (YYYY-MM-DD, from `since` on) and outcome."""
        return await days.read(self._db, "delivery_days", since)

    async def depth(self) -> tuple[int, datetime | None]:
        """How many deliveries are still to make (queued, or recipients not yet walked), and
        since when the oldest of them waits, for monitoring."""
        row = await self._db.fetchone(
            """SELECT (SELECT count(*) FROM deliveries WHERE status = 'pending')
                      + (SELECT count(*) FROM digests WHERE status = 'pending'),
                      (SELECT coalesce(sum(CASE WHEN total > materialized
                                                THEN total - materialized ELSE 0 END), 0)
                       FROM broadcasts
                       WHERE walked = 0),
                      (SELECT min(created_at) FROM deliveries WHERE status = 'pending'),
                      (SELECT min(started_at) FROM broadcasts WHERE walked = 0)"""
        )
        assert row is not None
        oldest = [stamp for stamp in (row[2], row[3]) if stamp is not None]
        return row[0] + row[1], parse_datetime(min(oldest)) if oldest else None


CARD_SET = ", held = held | ?, card = ?, revision = ?"  # a card's, not a digest's


async def _settle(conn: Connection, outcomes: list[Outcome]) -> None:
    if not outcomes:
        return
    now = now_iso()
    for table, digest in zip(OUTBOXES, (False, True), strict=True):
        await conn.executemany(
            f"""UPDATE {table} SET status = ?, message_id = coalesce(?, message_id),
                    last_error = coalesce(?, last_error), next_attempt_at = ?,
                    attempts = attempts + ?, updated_at = ?{CARD_SET * (not digest)}
                WHERE id = ?""",
            [
                (
                    o.status,
                    o.message_id,
                    o.error,
                    o.retry_at,
                    int(o.attempted),
                    now,
                    *((int(o.held), o.card, o.revision) * (not digest)),
                    o.delivery_id,
                )
                for o in outcomes
                if o.digest is digest
            ],
        )
    ended = Counter(str(o.status) for o in outcomes if o.status in TERMINAL)
    await days.add_today(conn, "delivery_days", ended)


def _card_delivery(row: Any) -> Delivery:
    delivery_id, article_id, chat_id, thread_id, attempts, chat, queued, revision = row
    chat_type, language, silent, timezone, quiet_start, quiet_end, style = json.loads(chat)
    hours = (timezone, quiet_start, quiet_end) if quiet_start is not None else None
    return Delivery(
        delivery_id,
        article_id,
        chat_id,
        thread_id,
        attempts,
        ChatType(chat_type),
        language,
        bool(silent),
        timezone,
        quiet=hours,
        queued_at=parse_datetime(queued).timestamp(),
        card_style=CardStyle(style) if style else None,
        revision=revision or 0,
    )


def _digest_delivery(row: Any) -> Delivery:
    delivery_id, _, chat_id, thread_id, attempts, chat, kind, articles, queued = row
    chat_type, language, silent, timezone, *_ = json.loads(chat)  # quiet hours: not here
    digest = Digest(DigestKind(kind), tuple(json.loads(articles)))
    return Delivery(
        delivery_id,
        0,
        chat_id,
        thread_id,
        attempts,
        ChatType(chat_type),
        language,
        bool(silent),
        timezone,
        digest,
        queued_at=parse_datetime(queued).timestamp(),
    )
