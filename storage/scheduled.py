"""Articles scheduled to be published later.

A scheduled article waits here, outside `articles`, so nothing a reader can reach shows it.
At its time it moves to `articles` and its broadcast starts, in one transaction that also
deletes it from here: it is published once, however often the process dies around it.
"""

from __future__ import annotations

import json
import logging
from dataclasses import asdict, dataclass, replace
from datetime import UTC, datetime
from typing import Any

from storage import clock
from storage.db import Connection, Database, scalar
from storage.errors import N_, DuplicateArticle, InvalidInput, NotFound
from storage.models import NewArticle
from storage.publishing import find_existing, insert
from storage.text import iso, now_iso, parse_datetime

log = logging.getLogger(__name__)
PUBLISH_BATCH = 20  # scheduled articles published per transaction


@dataclass(frozen=True, slots=True)
class Scheduled:
    id: int
    url: str
    title: str
    publish_at: datetime  # UTC
    timezone: str  # the zone the time was given in, to show it back

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "url": self.url,
            "title": self.title,
            "publish_at": iso(self.publish_at),
            "timezone": self.timezone,
        }


class ScheduledRepository:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def add(
        self,
        article: NewArticle,
        publish_at: datetime,
        timezone: str,
        notify_chat_id: int | None = None,
    ) -> Scheduled:
        """Keep `article` until `publish_at`. `DuplicateArticle` if its URL is published or
        scheduled already; `InvalidInput` if the time has passed."""
        if publish_at.timestamp() <= clock.time():
            raise InvalidInput(N_("that time has already passed"))
        async with self._db.atomic() as conn:
            scheduled_id = await schedule(conn, article, publish_at, timezone, notify_chat_id)
        return Scheduled(scheduled_id, article.url, article.title, publish_at, timezone)

    async def all(self) -> list[Scheduled]:
        """What is waiting, the soonest first."""
        rows = await self._db.fetchall(
            "SELECT id, article, publish_at, timezone FROM scheduled ORDER BY publish_at, id"
        )
        return [_scheduled(row) for row in rows]

    async def cancel(self, scheduled_id: int) -> Scheduled:
        """Drop a scheduled article (it was never published); `NotFound` if not waiting."""
        async with (
            self._db.atomic() as conn,
            conn.execute(
                """DELETE FROM scheduled WHERE id = ?
                   RETURNING id, article, publish_at, timezone""",
                (scheduled_id,),
            ) as cursor,
        ):
            row = await cursor.fetchone()
        if row is None:
            raise NotFound(N_("scheduled article {id} not found"), id=scheduled_id)
        return _scheduled(row)

    async def next_due(self) -> float | None:
        value = await self._db.fetchval("SELECT min(publish_at) FROM scheduled")
        return None if value is None else float(value)

    async def publish_due(self, now: float | None = None) -> list[int]:
        """Publish what is due, as if added `now` (the scheduler's clock, which tests and the
        sandbox move, dates it too); returns the new articles' ids. One whose URL was
        published meanwhile by other means is dropped, and logged."""
        now = clock.time() if now is None else now
        published: list[int] = []
        async with self._db.atomic() as conn:
            async with conn.execute(
                """DELETE FROM scheduled WHERE id IN (SELECT id FROM scheduled
                       WHERE publish_at <= ? ORDER BY publish_at, id LIMIT ?)
                   RETURNING id, article, notify_chat_id""",
                (now, PUBLISH_BATCH),
            ) as cursor:
                due = list(await cursor.fetchall())
            moment = datetime.fromtimestamp(now, UTC)
            for scheduled_id, encoded, notify_chat_id in sorted(due):
                article = _decode(encoded)
                if article.published_at is None:
                    article = replace(article, published_at=moment)
                try:
                    published.append(await insert(conn, article, True, notify_chat_id))
                except DuplicateArticle as exc:
                    log.warning("scheduled article %s not published: %s", scheduled_id, exc)
        return published


async def schedule(
    conn: Connection,
    article: NewArticle,
    publish_at: datetime,
    timezone: str,
    notify_chat_id: int | None = None,
) -> int:
    """Keep `article` until `publish_at`, inside the caller's transaction; its id."""
    existing = await find_existing(conn, article)
    if existing is not None:
        raise DuplicateArticle(article.url, existing)
    if await scalar(conn, "SELECT 1 FROM scheduled WHERE url = ?", article.url):
        raise InvalidInput(N_("{url} is scheduled already"), url=article.url)
    scheduled_id = await scalar(
        conn,
        """INSERT INTO scheduled (url, article, publish_at, timezone, notify_chat_id,
                                  created_at)
           VALUES (?, ?, ?, ?, ?, ?) RETURNING id""",
        *(article.url, _encode(article), publish_at.timestamp(), timezone),
        *(notify_chat_id, now_iso()),
    )
    return int(scheduled_id)


async def unschedule(conn: Connection, url: str) -> bool:
    """Drop the article scheduled at this (normalised) URL; whether one was waiting."""
    cursor = await conn.execute("DELETE FROM scheduled WHERE url = ?", (url,))
    return cursor.rowcount > 0


def _encode(article: NewArticle) -> str:
    data = asdict(article)
    if article.published_at is not None:
        data["published_at"] = iso(article.published_at)
    return json.dumps(data, ensure_ascii=False)


def _decode(encoded: str) -> NewArticle:
    data = json.loads(encoded)
    data["tags"] = tuple(data["tags"])
    if data["published_at"] is not None:
        data["published_at"] = parse_datetime(data["published_at"])
    return NewArticle(**data)


def _scheduled(row: Any) -> Scheduled:
    scheduled_id, encoded, publish_at, timezone = row
    data = json.loads(encoded)
    moment = datetime.fromtimestamp(publish_at, UTC)
    return Scheduled(scheduled_id, data["url"], data["title"], moment, timezone)
