"""Followed feeds: their addresses, conditional-GET validators, schedule and health."""

from __future__ import annotations

import sqlite3
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from typing import Any

from storage.db import Database, scalar
from storage.errors import N_, InvalidInput, NotFound
from storage.models import join_tags, split_tags
from storage.text import iso, normalize_url, now_iso, parse_datetime, parse_tags


@dataclass(frozen=True, slots=True)
class Feed:
    id: int
    url: str
    title: str
    etag: str | None
    last_modified: str | None
    next_check_at: float
    last_checked_at: datetime | None
    error_count: int
    last_error: str | None
    active: bool
    items: int = 0
    name: str | None = None  # what the reader called it (OPML); None: the feed's own title
    tags: tuple[str, ...] = ()  # given to its items: the OPML folders it was in

    @property
    def label(self) -> str:
        return self.name or self.title or self.url

    @classmethod
    def from_row(cls, row: sqlite3.Row) -> Feed:
        return cls(
            id=row["id"],
            url=row["url"],
            title=row["title"],
            etag=row["etag"],
            last_modified=row["last_modified"],
            next_check_at=row["next_check_at"],
            last_checked_at=parse_datetime(row["last_checked_at"])
            if row["last_checked_at"]
            else None,
            error_count=row["error_count"],
            last_error=row["last_error"],
            active=bool(row["active"]),
            items=row["items"],
            name=row["name"],
            tags=split_tags(row["tags"]),
        )

    def to_dict(self) -> dict[str, Any]:
        """For JSON: every time an ISO-8601 UTC timestamp, like the stored ones."""
        data = asdict(self)
        data["next_check_at"] = iso(datetime.fromtimestamp(self.next_check_at, UTC))
        data["last_checked_at"] = iso(self.last_checked_at) if self.last_checked_at else None
        data["tags"] = list(self.tags)
        return data


SELECT = """SELECT f.*, (SELECT count(*) FROM articles WHERE source = 'feed:' || f.id)
            AS items FROM feeds AS f"""


class FeedRepository:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def add(
        self, url: str, title: str = "", *, name: str | None = None, tags: tuple[str, ...] = ()
    ) -> Feed:
        url = normalize_url(url)
        async with self._db.atomic() as conn:
            async with conn.execute("SELECT id FROM feeds WHERE url = ?", (url,)) as cursor:
                if await cursor.fetchone() is not None:
                    raise InvalidInput(N_("already following {url}"), url=url)
            feed_id = await scalar(
                conn,
                "INSERT INTO feeds (url, title, name, tags, created_at) VALUES (?, ?, ?, ?, ?) "
                "RETURNING id",
                *(url, title, name, join_tags(parse_tags(tags)), now_iso()),
            )
        return await self.get(int(feed_id))

    async def get(self, feed_id: int) -> Feed:
        row = await self._db.fetchone(f"{SELECT} WHERE f.id = ?", (feed_id,))
        if row is None:
            raise NotFound(N_("feed {id} not found"), id=feed_id)
        return Feed.from_row(row)

    async def all(self) -> list[Feed]:
        return [Feed.from_row(r) for r in await self._db.fetchall(f"{SELECT} ORDER BY f.id")]

    async def due(self, now: float) -> list[Feed]:
        rows = await self._db.fetchall(
            f"{SELECT} WHERE f.active = 1 AND f.next_check_at <= ? ORDER BY f.next_check_at",
            (now,),
        )
        return [Feed.from_row(r) for r in rows]

    async def next_due(self) -> float | None:
        value = await self._db.fetchval("SELECT min(next_check_at) FROM feeds WHERE active = 1")
        return None if value is None else float(value)

    async def remove(self, feed_id: int) -> None:
        """Stop following; the articles it brought stay in the archive."""
        await self._change(feed_id, "DELETE FROM feeds WHERE id = ?", (feed_id,))

    async def set_active(self, feed_id: int, active: bool) -> None:
        await self._change(
            feed_id,
            "UPDATE feeds SET active = ?, error_count = 0, next_check_at = 0 WHERE id = ?",
            (int(active), feed_id),
        )

    async def checked(
        self,
        feed_id: int,
        *,
        next_check_at: float,
        title: str | None = None,
        etag: str | None = None,
        last_modified: str | None = None,
    ) -> None:
        """A successful poll (including 304 Not Modified)."""
        await self._change(
            feed_id,
            """UPDATE feeds SET next_check_at = ?, last_checked_at = ?, error_count = 0,
                   last_error = NULL, title = coalesce(?, title),
                   etag = coalesce(?, etag), last_modified = coalesce(?, last_modified)
               WHERE id = ?""",
            (next_check_at, now_iso(), title, etag, last_modified, feed_id),
        )

    async def failed(self, feed_id: int, error: str, *, next_check_at: float, pause: bool) -> None:
        await self._change(
            feed_id,
            """UPDATE feeds SET next_check_at = ?, last_checked_at = ?,
                   error_count = error_count + 1, last_error = ?,
                   active = CASE WHEN ? = 1 THEN 0 ELSE active END
               WHERE id = ?""",
            (next_check_at, now_iso(), error[:500], int(pause), feed_id),
        )

    async def _change(self, feed_id: int, sql: str, params: tuple[object, ...]) -> None:
        async with self._db.atomic() as conn:
            cursor = await conn.execute(sql, params)
            if cursor.rowcount == 0:
                raise NotFound(N_("feed {id} not found"), id=feed_id)
