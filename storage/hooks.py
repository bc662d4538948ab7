"""What the publication's CMS pushed (bot.sources.hooks), applied once.

A hook is recorded with its outcome in the same transaction as what it did to the archive,
so a CMS delivering it again (Ghost retries a hook it got no answer to within 2 s), or a
late retry arriving after a newer change of the same post, changes nothing twice. A post's
state is known by its version (when the CMS last changed it): one older than a state
already applied is stale. The record is also the admins' log (`articlebot hooks log`);
rows are kept LOG_DAYS days, far longer than a signed hook stays acceptable (5 minutes).
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from storage import clock, corrections
from storage.db import Connection, Database, scalar
from storage.deliveries import RECALL_WINDOW, SENT_CARDS_SQL
from storage.kinds import HookAction, HookOutcome
from storage.models import NewArticle
from storage.publishing import Change, find_post, insert, remove, rewrite
from storage.scheduled import schedule, unschedule
from storage.text import iso, now_iso, parse_datetime

LOG_DAYS = 30
PRUNED_PER_HOOK = 20  # old rows deleted with each new one: the log stays LOG_DAYS long
SCHEDULE_AHEAD = 60.0  # seconds: a publication time further ahead than this is scheduled


@dataclass(frozen=True, slots=True)
class Hook:
    """One verified hook, as bot.sources.hooks read it."""

    endpoint: str  # "ghost" or "articles"
    event: str  # what it means, in the CMS's words (post.published, deleted, ...)
    action: HookAction
    source: str  # the articles' `source`: the CMS's ids are unique within it
    guid: str | None  # the post's id in the CMS, as stored
    url: str | None  # the post's normalised URL, when known
    version: float  # unix time of this state of the post
    title: str = ""
    article: NewArticle | None = None  # PUBLISH and REVISE
    publish_at: datetime | None = None  # PUBLISH: its time; scheduled when SCHEDULE_AHEAD off
    reason: str = ""  # IGNORE: why

    @property
    def post(self) -> str:
        return self.guid or self.url or "?"


@dataclass(frozen=True, slots=True)
class Applied:
    outcome: HookOutcome
    article_id: int | None = None
    recall: list[tuple[int, int]] = field(default_factory=list)  # (chat, message) sent
    correcting: bool = False  # an edit of what its cards show: they are being corrected


@dataclass(frozen=True, slots=True)
class HookRecord:
    received_at: datetime
    endpoint: str
    event: str
    post: str
    title: str
    outcome: str
    article_id: int | None
    detail: str

    @classmethod
    def from_row(cls, row: sqlite3.Row) -> HookRecord:
        return cls(
            received_at=parse_datetime(row["received_at"]),
            endpoint=row["endpoint"],
            event=row["event"],
            post=row["post"],
            title=row["title"],
            outcome=row["outcome"],
            article_id=row["article_id"],
            detail=row["detail"],
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "received_at": iso(self.received_at),
            "endpoint": self.endpoint,
            "event": self.event,
            "post": self.post,
            "title": self.title,
            "outcome": self.outcome,
            "article_id": self.article_id,
            "detail": self.detail,
        }


class HookRepository:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def apply(self, hook: Hook) -> Applied:
        """Do what the hook says, once, and record it: one short transaction."""
        async with self._db.atomic() as conn:
            applied = await _seen_before(conn, hook) or await _act(conn, hook)
            await _record(conn, hook, applied.outcome, applied.article_id, hook.reason)
        return applied

    async def refused(self, endpoint: str, event: str, post: str, detail: str) -> None:
        """A signed hook whose content could not be used: in the log, as no state of the
        post (version 0)."""
        async with self._db.atomic() as conn:
            await conn.execute(
                """INSERT INTO hook_events (received_at, endpoint, event, post, version,
                                            outcome, detail)
                   VALUES (?, ?, ?, ?, 0, ?, ?)""",
                (now_iso(), endpoint, event, post, HookOutcome.INVALID, detail),
            )

    async def log(self, limit: int = 50) -> list[HookRecord]:
        """The latest hooks, newest first."""
        rows = await self._db.fetchall(
            "SELECT * FROM hook_events ORDER BY id DESC LIMIT ?", (limit,)
        )
        return [HookRecord.from_row(row) for row in rows]

    async def counts(self, days: float = 1.0) -> dict[str, int]:
        """Hooks of the last `days` by outcome."""
        since = iso(clock.now() - timedelta(days=days))
        rows = await self._db.fetchall(
            """SELECT outcome, count(*) FROM hook_events WHERE received_at >= ?
               GROUP BY outcome ORDER BY outcome""",
            (since,),
        )
        return {row[0]: row[1] for row in rows}


async def _seen_before(conn: Connection, hook: Hook) -> Applied | None:
    """REPEATED when this very state came before, STALE when a newer one did."""
    newest = await scalar(
        conn,
        "SELECT max(version) FROM hook_events WHERE endpoint = ? AND post = ?",
        hook.endpoint,
        hook.post,
    )
    if newest is None or newest < hook.version:
        return None
    if newest > hook.version:
        return Applied(HookOutcome.STALE)
    repeated = await scalar(
        conn,
        """SELECT 1 FROM hook_events
           WHERE endpoint = ? AND post = ? AND version = ? AND event = ?""",
        hook.endpoint,
        hook.post,
        hook.version,
        hook.event,
    )
    return Applied(HookOutcome.REPEATED) if repeated else None


async def _act(conn: Connection, hook: Hook) -> Applied:
    if hook.action is HookAction.IGNORE:
        return Applied(HookOutcome.IGNORED)
    existing = await find_post(conn, hook.source, hook.guid, hook.url)
    if hook.action is HookAction.WITHDRAW:
        return await _withdraw(conn, hook, existing)
    article = hook.article
    assert article is not None
    if existing is not None:
        change = await rewrite(conn, existing, article)
        if change is Change.NOTHING:
            return Applied(HookOutcome.UNCHANGED, existing)
        correcting = change in (Change.CARDS, Change.PICTURE)
        if correcting:  # the cards already sent are corrected
            await corrections.begin(conn, existing, media=change is Change.PICTURE)
        return Applied(HookOutcome.UPDATED, existing, correcting=correcting)
    if await unschedule(conn, article.url):  # a scheduled post changed: this version counts
        return await _publish(conn, article, hook.publish_at)
    if hook.action is HookAction.REVISE:  # an edit of a post from before the bot knew the CMS
        return Applied(HookOutcome.ARCHIVED, await insert(conn, article, announce=False))
    return await _publish(conn, article, hook.publish_at)


async def _publish(conn: Connection, article: NewArticle, when: datetime | None) -> Applied:
    if when is not None and when.timestamp() > clock.time() + SCHEDULE_AHEAD:
        await schedule(conn, article, when, "UTC")
        return Applied(HookOutcome.SCHEDULED)
    return Applied(HookOutcome.PUBLISHED, await insert(conn, article, announce=True))


async def _withdraw(conn: Connection, hook: Hook, existing: int | None) -> Applied:
    if existing is None:
        gone = hook.url is not None and await unschedule(conn, hook.url)
        return Applied(HookOutcome.UNSCHEDULED if gone else HookOutcome.NOT_FOUND)
    since = iso(clock.now() - RECALL_WINDOW)
    async with conn.execute(SENT_CARDS_SQL, (existing, since)) as cursor:
        sent = [(row[0], row[1]) for row in await cursor.fetchall()]
    await remove(conn, existing)
    return Applied(HookOutcome.WITHDRAWN, existing, sent)


async def _record(
    conn: Connection,
    hook: Hook,
    outcome: HookOutcome,
    article_id: int | None,
    detail: str,
) -> None:
    now = clock.now()
    await conn.execute(
        """DELETE FROM hook_events WHERE id IN (
               SELECT id FROM hook_events WHERE received_at < ? ORDER BY id LIMIT ?)""",
        (iso(now - timedelta(days=LOG_DAYS)), PRUNED_PER_HOOK),
    )
    await conn.execute(
        """INSERT INTO hook_events (received_at, endpoint, event, post, version, title,
                                    outcome, article_id, detail)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)""",
        (
            iso(now),
            hook.endpoint,
            hook.event,
            hook.post,
            hook.version,
            hook.title[:200],
            outcome,
            article_id,
            detail,
        ),
    )
