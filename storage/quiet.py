"""Quiet hours: a chat's local hours without instant cards.

A card due in a chat's quiet hours is held (`held = 1`) until they end (the delivery worker
puts it back, due then). When they end, a chat with more than GATHER_OVER cards held gets
them as one digest instead: the cards end `sent` within it (`held = 2`, no message of their
own), and a `quiet` digest with their articles goes to the digests' outbox, in the
transaction of the claim that finds them due.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime

from storage import days
from storage.db import Connection, Database
from storage.errors import N_, InvalidInput
from storage.text import now_iso
from storage.timing import next_time, parse_clock, zone

GATHER_OVER = 3  # more cards than this, held through quiet hours, become one digest


def parse_quiet(text: str) -> tuple[int, int] | None:
    """`22:00-07:00` → (1320, 420); `off` → None."""
    if text.strip().lower() == "off":
        return None
    start, dash, end = text.partition("-")
    try:
        hours = (parse_clock(start), parse_clock(end)) if dash else None
    except InvalidInput:
        hours = None
    if hours is None or hours[0] == hours[1]:
        raise InvalidInput(N_("write quiet hours like 22:00-07:00, or off"))
    return hours


def quiet_until(now: float, zone_name: str, start: int, end: int) -> float | None:
    """When the quiet hours `start`-`end` (local minutes) end, if `now` is inside them."""
    moment = datetime.fromtimestamp(now, UTC)
    local = moment.astimezone(zone(zone_name))
    minute = local.hour * 60 + local.minute
    inside = start <= minute < end if start < end else (minute >= start or minute < end)
    return next_time(moment, end, zone_name).timestamp() if inside else None


class QuietRepository:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def hours(self, chat_id: int) -> tuple[int, int] | None:
        row = await self._db.fetchone(
            "SELECT quiet_start, quiet_end FROM chats WHERE chat_id = ?", (chat_id,)
        )
        return None if row is None or row[0] is None else (row[0], row[1])

    async def set_hours(self, chat_id: int, hours: tuple[int, int] | None) -> None:
        start, end = hours if hours is not None else (None, None)
        async with self._db.atomic() as conn:
            await conn.execute(
                """UPDATE chats SET quiet_start = ?, quiet_end = ?, updated_at = ?
                   WHERE chat_id = ?""",
                (start, end, now_iso(), chat_id),
            )


async def gather_held(conn: Connection, now: float) -> int:
    """Turn what quiet hours held for a chat, now due, into one digest when there is more
    than GATHER_OVER of it; returns how many digests. Runs inside the claim's transaction."""
    async with conn.execute(
        """SELECT chat_id, thread_id FROM deliveries
           WHERE held = 1 AND status = 'pending' AND next_attempt_at <= ?
           GROUP BY chat_id, thread_id HAVING count(*) > ? LIMIT 50""",
        (now, GATHER_OVER),
    ) as cursor:
        chats = list(await cursor.fetchall())
    stamp = now_iso()
    for chat_id, thread_id in chats:
        async with conn.execute(
            """UPDATE deliveries SET status = 'sent', held = 2, updated_at = ?
               WHERE chat_id = ? AND thread_id = ? AND held = 1 AND status = 'pending'
                 AND next_attempt_at <= ?
               RETURNING article_id""",
            (stamp, chat_id, thread_id, now),
        ) as cursor:
            articles = sorted((row[0] for row in await cursor.fetchall()), reverse=True)
        await conn.execute(
            """INSERT INTO digests (chat_id, thread_id, kind, articles, created_at, updated_at)
               VALUES (?, ?, 'quiet', ?, ?, ?)""",
            (chat_id, thread_id, json.dumps(articles), stamp, stamp),
        )
        await days.add_today(conn, "delivery_days", {"gathered": len(articles)})
    return len(chats)
