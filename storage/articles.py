"""The article archive: add, read, edit, delete, list the latest, and full-text search.
How an article enters, changes and leaves the store is in storage.publishing."""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import timedelta

from storage import clock, corrections
from storage.corrections import Correction
from storage.db import Database, scalar
from storage.errors import N_, NotFound
from storage.models import Article, NewArticle, SearchPage, columns, join_tags, published_or_now
from storage.publishing import Change, card_fields, insert, remove, rewrite
from storage.search import Search
from storage.text import iso, now_iso, parse_datetime

COLUMNS = columns()
ESTIMATE_DAYS = 28.0  # the weeks a subscription's "about N a week" is measured over


@dataclass(frozen=True, slots=True)
class Edit:
    article: Article
    changed: bool
    correction: Correction | None  # of its cards already sent, when it opened one


@dataclass(frozen=True, slots=True)
class Estimate:
    per_week: float
    ever: bool  # whether any article in the archive has matched


class ArticleRepository:
    def __init__(self, db: Database) -> None:
        self._db = db
        self._search = Search(db)

    async def add(
        self, article: NewArticle, *, announce: bool = True, notify_chat_id: int | None = None
    ) -> Article:
        """Store a new article and, with `announce`, queue its card for every matching
        subscriber in the same transaction (the outbox). `DuplicateArticle` if its URL (or
        feed guid) is already stored; then nothing is written."""
        async with self._db.atomic() as conn:
            article_id = await insert(conn, article, announce, notify_chat_id)
        return await self.get(article_id, with_body=False)

    async def add_many(self, articles: Iterable[NewArticle]) -> int:
        """Bulk import in one transaction, skipping URLs and guids already stored; returns
        how many were added. For imports and benchmarks: no per-article round trip."""
        now = now_iso()
        rows = [
            {
                "url": a.url,
                "title": a.title,
                "summary": a.summary,
                "body": a.body,
                "author": a.author,
                "tags": join_tags(a.tags),
                "published_at": published_or_now(a, now),
                "created_at": now,
                "source": a.source,
                "guid": a.guid,
                "link": a.link,
                "image": a.image,
                "body_html": a.body_html,
            }
            for a in articles
        ]
        async with self._db.atomic() as conn:
            before = await scalar(conn, "SELECT coalesce(max(id), 0) FROM articles")
            # Named parameters, and duplicates skipped by the SELECT rather than by ON
            # CONFLICT: a conflicting insert would still use up an AUTOINCREMENT id.
            await conn.executemany(
                """INSERT INTO articles
                   (url, title, summary, body, author, tags, published_at, created_at,
                    source, guid, link, image, body_html)
                   SELECT :url, :title, :summary, :body, :author, :tags, :published_at,
                          :created_at, :source, :guid, :link, :image, :body_html
                   WHERE NOT EXISTS (SELECT 1 FROM articles WHERE url = :url)
                     AND NOT EXISTS (SELECT 1 FROM articles
                                     WHERE source = :source AND guid = :guid)
                   ON CONFLICT DO NOTHING""",
                rows,
            )
            return int(await scalar(conn, "SELECT count(*) FROM articles WHERE id > ?", before))

    async def known(
        self, source: str, urls: list[str], guids: list[str]
    ) -> tuple[set[str], set[str]]:
        """Which of these (normalised) URLs, and guids of `source` (a feed's guids are its
        own: two feeds may both number their items 1, 2, 3), are already stored."""
        found_urls: set[str] = set()
        found_guids: set[str] = set()
        for start in range(0, max(len(urls), len(guids)), 400):
            url_part, guid_part = urls[start : start + 400], guids[start : start + 400]
            rows = await self._db.fetchall(
                f"""SELECT url, guid, source FROM articles
                    WHERE url IN ({", ".join("?" * len(url_part)) or "NULL"})
                       OR (guid IN ({", ".join("?" * len(guid_part)) or "NULL"})
                           AND source = ?)""",
                (*url_part, *guid_part, source),
            )
            found_urls.update(row[0] for row in rows)
            found_guids.update(row[1] for row in rows if row[1] and row[2] == source)
        return found_urls, found_guids

    async def get(self, article_id: int, *, with_body: bool = True) -> Article:
        wanted = COLUMNS + (", body, body_html" if with_body else "")
        row = await self._db.fetchone(f"SELECT {wanted} FROM articles WHERE id = ?", (article_id,))
        if row is None:
            raise NotFound(N_("article {id} not found"), id=article_id)
        return Article.from_row(row)

    async def find_by_url(self, url: str) -> Article | None:
        row = await self._db.fetchone(f"SELECT {COLUMNS} FROM articles WHERE url = ?", (url,))
        return None if row is None else Article.from_row(row)

    async def update(
        self,
        article_id: int,
        *,
        title: str | None = None,
        summary: str | None = None,
        tags: tuple[str, ...] | None = None,
        image: str | None = None,
        correct: bool = True,
        notify_chat_id: int | None = None,
    ) -> Edit:
        """Change what a card shows; the FTS triggers re-index the row in the same step.
        With `correct`, a change opens the correction of its cards already sent
        (storage.corrections), in the same transaction."""
        current = await self.get(article_id)
        edited = NewArticle(
            url=current.url,
            title=current.title if title is None else title,
            summary=current.summary if summary is None else summary,
            tags=current.tags if tags is None else tags,
            image=current.image if image is None else image,
        )
        correction = None
        async with self._db.atomic() as conn:
            cursor = await conn.execute(
                """UPDATE articles SET title = ?, summary = ?, tags = ?,
                          image_refused = CASE WHEN image = ? THEN image_refused ELSE 0 END,
                          image = ?
                   WHERE id = ?
                     AND (title, summary, tags, image) IS DISTINCT FROM (?, ?, ?, ?)""",
                (
                    *(edited.title, edited.summary, join_tags(edited.tags)),
                    *(edited.image, edited.image, article_id),
                    *(edited.title, edited.summary, join_tags(edited.tags), edited.image),
                ),
            )
            if cursor.rowcount and correct:
                media = edited.image != current.image
                correction = await corrections.begin(conn, article_id, notify_chat_id, media=media)
        return Edit(await self.get(article_id, with_body=False), bool(cursor.rowcount), correction)

    async def revise(self, source: str, items: list[NewArticle]) -> list[int]:
        """Of a source's items (a feed's), those stored already whose title, summary, tags
        or picture changed: rewritten, and their cards already sent corrected. Returns
        their ids."""
        changed: list[tuple[int, NewArticle]] = []
        for start in range(0, len(items), 400):
            part = items[start : start + 400]
            stored = await self._db.fetchall(
                f"""SELECT id, guid, url, json_array(title, summary, tags, image) FROM articles
                    WHERE source = ? AND (guid IN ({", ".join("?" * len(part))})
                                          OR url IN ({", ".join("?" * len(part))}))""",
                (source, *(i.guid for i in part), *(i.url for i in part)),
            )
            by_key = {key: row for row in stored for key in (row[1], row[2]) if key}
            for item in part:
                row = by_key.get(item.guid or "") or by_key.get(item.url)
                if row is not None and json.loads(row[3]) != card_fields(item):
                    changed.append((row[0], item))
        if not changed:
            return []
        async with self._db.atomic() as conn:
            for article_id, item in changed:
                change = await rewrite(conn, article_id, item)
                if change in (Change.CARDS, Change.PICTURE):
                    await corrections.begin(conn, article_id, media=change is Change.PICTURE)
        return [article_id for article_id, _ in changed]

    async def refuse_image(self, article_id: int, image: str) -> None:
        """Telegram would not show this picture: the article's cards go out as text."""
        async with self._db.atomic() as conn:
            await conn.execute(
                "UPDATE articles SET image_refused = 1 WHERE id = ? AND image = ?",
                (article_id, image),
            )

    async def delete(self, article_id: int) -> None:
        async with self._db.atomic() as conn:
            await remove(conn, article_id)

    async def count(self) -> int:
        return int(await self._db.fetchval("SELECT count(*) FROM articles"))

    async def count_since(self, days: float) -> int:
        since = iso(clock.now() - timedelta(days=days))
        return int(
            await self._db.fetchval(
                "SELECT count(*) FROM articles WHERE published_at >= ?", (since,)
            )
        )

    async def weekly_estimate(self, topics: tuple[str, ...]) -> Estimate:
        """How many articles a week match `topics` (every article, with none): over the
        last ESTIMATE_DAYS, or over the archive's age when it is younger."""
        oldest = await self._db.fetchval("SELECT min(published_at) FROM articles")
        if oldest is None:
            return Estimate(per_week=0.0, ever=False)
        age = (clock.now() - parse_datetime(oldest)).total_seconds() / 86400
        days = min(ESTIMATE_DAYS, max(1.0, age))
        recent = await self.count_about_since(topics, days)
        ever = recent > 0 or await self.count_about_since(topics, max(age, 1.0) + 1) > 0
        return Estimate(per_week=recent * 7 / days, ever=ever)

    async def count_about_since(self, topics: tuple[str, ...], days: float) -> int:
        """Articles of the last `days` whose title, summary or tags mention one of the
        (folded) topics: the same rule subscriptions are matched by."""
        since = iso(clock.now() - timedelta(days=days))
        if not topics:
            return await self.count_since(days)
        return await self._search.index.count_about(topics, since)

    async def latest(self, limit: int = 10, offset: int = 0) -> list[Article]:
        rows = await self._db.fetchall(
            f"""SELECT {COLUMNS} FROM articles
                ORDER BY published_at DESC, id DESC LIMIT ? OFFSET ?""",
            (limit, offset),
        )
        return [Article.from_row(row) for row in rows]

    async def search(self, words: str, limit: int = 10, offset: int = 0) -> SearchPage:
        """Ranked, diacritics-insensitive search (storage.search); never raises on what a
        user typed."""
        return await self._search.search(words, limit, offset)
