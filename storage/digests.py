"""Digests: a subscription's cadence, and the digests it gets instead of one card per article.

A subscription is `instant` (the walk of each broadcast reaches it) or takes a daily or
weekly digest at a local time of its chat's time zone. A digest subscription keeps when its
next digest is due (UTC) and where its window opened: the broadcasts counter then. When a
digest comes due, `schedule_due` gathers the matching articles published since, newest
first, into one row of the digests' outbox, opens the next window and computes the next
time, in one short transaction per batch: exactly once, and a bot that was down at 08:00
queues it (once) when it comes back. Nothing is queued when nothing is new.

The delivery worker claims digests with cards (storage.deliveries) and records their ends.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from storage import clock
from storage.db import Connection, Database, scalar
from storage.errors import N_, InvalidInput, NotFound
from storage.kinds import CadenceKind, DigestKind
from storage.text import now_iso
from storage.timing import next_time, parse_clock, parse_weekday

SCHEDULE_BATCH = 500  # digests queued per transaction: a few milliseconds
COUNTER = "(SELECT value FROM counters WHERE name = 'broadcasts')"
WHERE_SUBSCRIPTION = "WHERE chat_id = :chat AND thread_id = :thread"
TO_INSTANT = f"""UPDATE subscriptions SET instant = 1, mode_since = {COUNTER}
                 {WHERE_SUBSCRIPTION}"""
TO_DIGEST = f"""UPDATE subscriptions SET instant = 0, mode_since = {COUNTER},
                    digest_from = {COUNTER}, digest_minute = :minute,
                    digest_weekday = :weekday, next_digest_at = :due
                {WHERE_SUBSCRIPTION}"""
NEW_DIGEST_TIME = f"""UPDATE subscriptions SET digest_minute = :minute,
                         digest_weekday = :weekday, next_digest_at = :due
                      {WHERE_SUBSCRIPTION}"""
UPDATE_DUE_NOW = f"UPDATE subscriptions SET next_digest_at = 0 {WHERE_SUBSCRIPTION}"
MAX_ITEMS = 200  # articles kept in one digest (it shows 20 and counts the rest)


@dataclass(frozen=True, slots=True)
class Cadence:
    kind: CadenceKind
    minute: int | None = None  # local time of day, for digests
    weekday: int | None = None  # 0 = Monday, for weekly digests

    @property
    def instant(self) -> bool:
        return self.kind == CadenceKind.INSTANT


INSTANT = Cadence(CadenceKind.INSTANT)
DAILY_AT_8 = Cadence(CadenceKind.DAILY, 8 * 60)
WEEKLY_ON_MONDAY_AT_8 = Cadence(CadenceKind.WEEKLY, 8 * 60, 0)


def parse_cadence(words: list[str]) -> Cadence:
    """`daily 08:00`, `weekly mon 08:00`, `off` (back to instant)."""
    kind = words[0].lower() if words else ""
    if kind == "off" and len(words) == 1:
        return INSTANT
    if kind == "daily" and len(words) == 2:
        return Cadence(CadenceKind.DAILY, parse_clock(words[1]))
    if kind == "weekly" and len(words) == 3:
        return Cadence(CadenceKind.WEEKLY, parse_clock(words[2]), parse_weekday(words[1]))
    raise InvalidInput(N_("write daily HH:MM, weekly DAY HH:MM or off"))


@dataclass(frozen=True, slots=True)
class DigestState:
    cadence: Cadence
    timezone: str
    next_at: datetime | None  # UTC, for digests


class DigestRepository:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def state(self, chat_id: int, thread_id: int = 0) -> DigestState | None:
        """The subscription's cadence and its chat's time zone; None if not subscribed."""
        row = await self._db.fetchone(
            """SELECT s.instant, s.digest_minute, s.digest_weekday, s.next_digest_at,
                      c.timezone
               FROM subscriptions AS s JOIN chats AS c USING (chat_id)
               WHERE s.chat_id = ? AND s.thread_id = ?""",
            (chat_id, thread_id),
        )
        if row is None:
            return None
        instant, minute, weekday, next_at, zone = row
        if instant:
            return DigestState(INSTANT, zone, None)
        kind = CadenceKind.DAILY if weekday is None else CadenceKind.WEEKLY
        moment = datetime.fromtimestamp(next_at, UTC) if next_at is not None else None
        return DigestState(Cadence(kind, minute, weekday), zone, moment)

    async def set_cadence(
        self, chat_id: int, thread_id: int, cadence: Cadence, now: float | None = None
    ) -> DigestState:
        """Make the subscription instant or a digest. `NotFound` if the chat (thread) is not
        subscribed.

        Every article goes one way or the other, by the mode at its publication: a switch
        records the broadcasts counter (`mode_since`), which the walks compare with each
        broadcast's number. Back to instant, the digest gathered so far still comes at its
        time, the last one; another digest time keeps the window open."""
        now = clock.time() if now is None else now
        params: dict[str, object] = {
            "chat": chat_id,
            "thread": thread_id,
            "minute": cadence.minute,
            "weekday": cadence.weekday,
        }
        async with self._db.atomic() as conn:
            async with conn.execute(
                """SELECT c.timezone, s.instant, s.next_digest_at
                   FROM subscriptions AS s JOIN chats AS c USING (chat_id)
                   WHERE s.chat_id = :chat AND s.thread_id = :thread""",
                params,
            ) as cursor:
                row = await cursor.fetchone()
            if row is None:
                raise NotFound(N_("not subscribed"))
            zone, was_instant, last_digest_due = row
            if was_instant and last_digest_due is not None:  # the last digest still to come
                await conn.execute(UPDATE_DUE_NOW, params)  # due at 0: the first of a batch
                await _schedule_batch(conn, now, batch=1)  # of one: the user's write is short
            if not cadence.instant:
                params["due"] = _next(now, cadence.minute, zone, cadence.weekday)
            if cadence.instant and not was_instant:
                await conn.execute(TO_INSTANT, params)
            elif not cadence.instant and was_instant:
                await conn.execute(TO_DIGEST, params)
            elif not cadence.instant:
                await conn.execute(NEW_DIGEST_TIME, params)
            await conn.execute(
                """UPDATE subscription_topics SET (instant, mode_since) =
                       (SELECT instant, mode_since FROM subscriptions
                        WHERE chat_id = :chat AND thread_id = :thread)
                   WHERE chat_id = :chat AND thread_id = :thread""",
                params,
            )
        state = await self.state(chat_id, thread_id)
        assert state is not None
        return state

    async def reschedule(self, chat_id: int, now: float | None = None) -> None:
        """The chat's time zone changed: its digests come at the same local time there."""
        now = clock.time() if now is None else now
        async with self._db.atomic() as conn:
            zone = await scalar(conn, "SELECT timezone FROM chats WHERE chat_id = ?", chat_id)
            async with conn.execute(
                """SELECT thread_id, digest_minute, digest_weekday FROM subscriptions
                   WHERE chat_id = ? AND instant = 0""",
                (chat_id,),
            ) as cursor:
                rows = list(await cursor.fetchall())
            await conn.executemany(
                """UPDATE subscriptions SET next_digest_at = ?
                   WHERE chat_id = ? AND thread_id = ?""",
                [
                    (_next(now, minute, zone, weekday), chat_id, thread)
                    for thread, minute, weekday in rows
                ],
            )

    async def schedule_due(self, now: float | None = None, batch: int = SCHEDULE_BATCH) -> int:
        """Queue every digest due by `now`, a batch per transaction; returns how many were
        queued (subscriptions with nothing new get none, and wait for their next time)."""
        now = clock.time() if now is None else now
        queued = 0
        while True:
            async with self._db.atomic() as conn:
                added, due = await _schedule_batch(conn, now, batch)
            queued += added
            if due < batch:
                return queued

    async def next_due(self) -> float | None:
        value = await self._db.fetchval("SELECT min(next_digest_at) FROM subscriptions")
        return None if value is None else float(value)


async def _schedule_batch(conn: Connection, now: float, batch: int) -> tuple[int, int]:
    """One batch of due subscriptions: their digests queued, their next times set."""
    async with conn.execute(
        """SELECT s.chat_id, s.thread_id, s.everything, s.active, s.digest_from,
                  s.digest_minute, s.digest_weekday, c.timezone, s.instant, s.mode_since
           FROM subscriptions AS s JOIN chats AS c USING (chat_id)
           WHERE s.next_digest_at <= ? ORDER BY s.next_digest_at LIMIT ?""",
        (now, batch),
    ) as cursor:
        due = list(await cursor.fetchall())
    if not due:
        return 0, 0
    upto = int(await scalar(conn, "SELECT value FROM counters WHERE name = 'broadcasts'"))
    oldest = min(row[4] for row in due)
    async with conn.execute(
        """SELECT seq, article_id, topics FROM broadcasts WHERE seq > ? AND seq <= ?
           ORDER BY seq DESC""",
        (oldest, upto),
    ) as cursor:
        published = [
            (seq, article, set(json.loads(topics)))
            for seq, article, topics in await cursor.fetchall()
        ]
    topics = await _topics_of(conn, [(row[0], row[1]) for row in due if not row[2]])
    stamp = now_iso()
    digests, updates = [], []
    for chat, thread, everything, active, since, minute, weekday, zone, instant, switch in due:
        wanted = topics.get((chat, thread), set())
        until = switch if instant else upto  # back to instant: the last digest ends there
        articles = [
            article
            for seq, article, matched in published
            if since < seq <= until and (everything or wanted & matched)
        ]
        if articles and active:
            kind = DigestKind.DAILY if weekday is None else DigestKind.WEEKLY
            digests.append((chat, thread, kind, json.dumps(articles[:MAX_ITEMS]), stamp, stamp))
        following = None if instant else _next(now, minute, zone, weekday)
        updates.append((following, upto, chat, thread))
    await conn.executemany(
        """INSERT INTO digests (chat_id, thread_id, kind, articles, created_at, updated_at)
           VALUES (?, ?, ?, ?, ?, ?)""",
        digests,
    )
    await conn.executemany(
        """UPDATE subscriptions SET next_digest_at = ?, digest_from = ?
           WHERE chat_id = ? AND thread_id = ?""",
        updates,
    )
    return len(digests), len(due)


PAIR = "(CAST(? AS BIGINT), CAST(? AS BIGINT))"  # typed: PostgreSQL reads bare VALUES as text


async def _topics_of(
    conn: Connection, subscriptions: list[tuple[int, int]]
) -> dict[tuple[int, int], set[str]]:
    found: dict[tuple[int, int], set[str]] = {}
    for start in range(0, len(subscriptions), 300):
        part = subscriptions[start : start + 300]
        async with conn.execute(
            f"""SELECT chat_id, thread_id, topic FROM subscription_topics
                WHERE (chat_id, thread_id) IN (VALUES {", ".join([PAIR] * len(part))})""",
            [value for pair in part for value in pair],
        ) as cursor:
            for chat, thread, topic in await cursor.fetchall():
                found.setdefault((chat, thread), set()).add(topic)
    return found


def _next(now: float, minute: Any, zone: str, weekday: Any) -> float:
    return next_time(datetime.fromtimestamp(now, UTC), int(minute), zone, weekday).timestamp()
