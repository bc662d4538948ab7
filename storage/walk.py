"""Walking a broadcast's recipients: the next ones after its cursor, given delivery rows.

A broadcast keeps the subscription counter's value at its publication (its horizon), the
article's subscribed topics, and a cursor in (chat_id, thread_id) order. Each step takes the
next recipients from each source in index order — subscriptions to everything (a partial
index holds exactly them) and, topic by topic, the subscriptions to that topic — merges
them, inserts their delivery rows and moves the cursor: a few index seeks and one insert,
inside the transaction of the claim that needs them (storage.deliveries).
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from storage.db import Connection, Row, scalar
from storage.text import now_iso

FIRST = -(2**63)  # before every (chat_id, thread_id)

# A subscription the broadcast reaches was instant when the article was published: instant
# since before it, or taking digests only since after it. Spelled out, not as
# `(instant = 1) = (mode_since < :seq)`: PostgreSQL's planner takes an equality of two
# conditions for true of 0.5% of rows, and then read every subscriber of a topic to sort
# them (4 ms a topic at 1M subscriptions) instead of the next ones in index order (0.05 ms).
WAS_INSTANT = "((instant = 1 AND mode_since < :seq) OR (instant <> 1 AND mode_since >= :seq))"
# The next recipients after a cursor, from each source in index order (the topic index
# holds (topic, chat_id, thread_id)).
WALK_EVERYTHING = f"""
    SELECT chat_id, thread_id FROM subscriptions
    WHERE everything = 1 AND active = 1 AND since <= :horizon
      AND {WAS_INSTANT} AND (chat_id, thread_id) > (:chat, :thread)
    ORDER BY chat_id, thread_id LIMIT :limit
"""
WALK_TOPIC = f"""
    SELECT chat_id, thread_id FROM subscription_topics
    WHERE topic = :topic AND active = 1 AND since <= :horizon AND {WAS_INSTANT}
      AND (chat_id, thread_id) > (:chat, :thread)
    ORDER BY chat_id, thread_id LIMIT :limit
"""
# How many recipients are left after a cursor (a subscription has topics or everything,
# never both, so the two counts add up). A subscription that was taking digests when the
# article was published is not a recipient: its digest gathers it (storage.digests).
COUNT_LEFT = f"""
    SELECT (SELECT count(*) FROM subscriptions
            WHERE everything = 1 AND active = 1 AND since <= :horizon
              AND {WAS_INSTANT} AND (chat_id, thread_id) > (:chat, :thread))
         + (SELECT count(*) FROM (
                SELECT 1 FROM subscription_topics
                WHERE +topic IN (SELECT value FROM json_each(:topics))
                  AND active = 1 AND {WAS_INSTANT}
                  AND since <= :horizon AND (chat_id, thread_id) > (:chat, :thread)
                GROUP BY chat_id, thread_id) AS topical)
"""


@dataclass(frozen=True, slots=True)
class Walk:
    """Where a broadcast's walk over its recipients stands."""

    article_id: int
    horizon: int
    topics: tuple[str, ...]
    chat: int
    thread: int
    seq: int  # the broadcast's place in the order of publication (storage.digests)

    @property
    def params(self) -> dict[str, object]:
        return {
            "horizon": self.horizon,
            "chat": self.chat,
            "thread": self.thread,
            "topics": json.dumps(self.topics),
            "seq": self.seq,
        }


async def walk_next(conn: Connection, limit: int) -> None:
    """Give the next `limit` recipients of the open broadcasts, oldest first, delivery
    rows, and move their cursors. A few index seeks and one insert: a short transaction."""
    async with conn.execute(
        """SELECT article_id, horizon, topics, cursor_chat, cursor_thread, seq FROM broadcasts
           WHERE walked = 0 ORDER BY article_id LIMIT 8"""
    ) as cursor:
        walks = [walk_of(row) for row in await cursor.fetchall()]
    now = now_iso()
    for walk in walks:
        if limit <= 0:
            return
        found: set[tuple[int, int]] = set()
        params = {**walk.params, "limit": limit}
        for sql, topic in [(WALK_EVERYTHING, None), *((WALK_TOPIC, t) for t in walk.topics)]:
            async with conn.execute(sql, {**params, "topic": topic}) as rows:
                found.update((row[0], row[1]) for row in await rows.fetchall())
        batch = sorted(found)[:limit]
        inserted = await conn.executemany(
            """INSERT INTO deliveries (article_id, chat_id, thread_id, status,
                                                 next_attempt_at, created_at, updated_at)
               VALUES (?, ?, ?, 'pending', 0, ?, ?) ON CONFLICT DO NOTHING""",
            [(walk.article_id, chat, thread, now, now) for chat, thread in batch],
        )
        chat, thread = batch[-1] if batch else (walk.chat, walk.thread)
        await conn.execute(
            """UPDATE broadcasts SET cursor_chat = :chat, cursor_thread = :thread,
                   materialized = materialized + :added, walked = :walked,
                   total = CASE WHEN CAST(:walked AS BIGINT) = 1
                                THEN materialized + :added ELSE total END,
                   counted = CASE WHEN CAST(:walked AS BIGINT) = 1 THEN 1 ELSE counted END,
                   finished_at = CASE WHEN CAST(:walked AS BIGINT) = 1
                                           AND materialized + :added = 0
                                      THEN :now ELSE finished_at END
               WHERE article_id = :article""",
            {
                "chat": chat,
                "thread": thread,
                "added": inserted.rowcount,
                "walked": int(len(batch) < limit),
                "article": walk.article_id,
                "now": now,
            },
        )
        limit -= len(batch)


async def walk_moved(conn: Connection, walk: Walk) -> bool:
    row = await scalar(
        conn,
        """SELECT cursor_chat IS NOT DISTINCT FROM ? AND cursor_thread IS NOT DISTINCT FROM ?
           FROM broadcasts WHERE article_id = ?""",
        None if walk.chat == FIRST else walk.chat,
        None if walk.thread == FIRST else walk.thread,
        walk.article_id,
    )
    return not row


def walk_of(row: Row) -> Walk:
    article_id, horizon, topics, chat, thread, seq = row
    return Walk(
        article_id,
        horizon,
        tuple(json.loads(topics)),
        FIRST if chat is None else chat,
        FIRST if thread is None else thread,
        seq,
    )
