"""The article archive: add, read, edit, delete, list the latest, and full-text search.
How an article enters, changes and leaves the store is in storage.publishing."""

from __future__ import annotations

import html
import json
import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import timedelta

from storage import clock, corrections
from storage.corrections import Correction
from storage.db import Database, scalar
from storage.errors import N_, NotFound
from storage.kinds import SearchOrder
from storage.models import (
    Article,
    NewArticle,
    SearchHit,
    SearchPage,
    join_tags,
    published_or_now,
)
from storage.publishing import Change, card_fields, insert, remove, rewrite
from storage.text import (
    fts_query,
    iso,
    now_iso,
    parse_datetime,
    query_tokens,
    title_query,
)

COLUMN_NAMES = (
    "id, url, title, summary, author, tags, published_at, created_at, source, guid, link, "
    "image, image_refused, revision"
).split(", ")
READABLE = "({a}body != '' OR {a}body_html != '') AS readable"  # 📖: a text to read


def columns(alias: str = "") -> str:
    """What an Article is read from, of `articles` (or its alias)."""
    prefix = f"{alias}." if alias else ""
    return ", ".join([*(prefix + name for name in COLUMN_NAMES), READABLE.format(a=prefix)])


COLUMNS = columns()

# Search ranks by bm25 only while that is cheap. bm25 costs time in proportion to how many
# articles contain each query word (its IDF is counted over the whole index) and how many
# match; past these bounds a query is served newest first, straight off the index's rowid
# order, which costs the same at a million matches as at ten. Counting is bounded the same
# way. See README "Search".
RELEVANCE_MAX_MATCHES = 5_000
RELEVANCE_MAX_TERM_ARTICLES = 20_000
BM25_WEIGHTS = "10.0, 4.0, 1.0, 6.0"  # title, summary, body, tags
SNIPPET_TOKENS = 16
ESTIMATE_DAYS = 28.0  # the weeks a subscription's "about N a week" is measured over
_OPEN, _CLOSE = "\x02", "\x03"  # never stored: clean_text strips control characters


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
                          image_refused = image_refused AND image = ?, image = ?
                   WHERE id = ? AND (title, summary, tags, image) IS NOT (?, ?, ?, ?)""",
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
        match = "{title summary tags} : (" + " OR ".join(f'"{t}"' for t in topics) + ")"
        return int(
            await self._db.fetchval(
                """SELECT count(*) FROM articles_fts JOIN articles AS a
                   ON a.id = articles_fts.rowid
                   WHERE articles_fts MATCH ? AND a.published_at >= ?""",
                (match, since),
            )
        )

    async def latest(self, limit: int = 10, offset: int = 0) -> list[Article]:
        rows = await self._db.fetchall(
            f"""SELECT {COLUMNS} FROM articles
                ORDER BY published_at DESC, id DESC LIMIT ? OFFSET ?""",
            (limit, offset),
        )
        return [Article.from_row(row) for row in rows]

    async def search(self, words: str, limit: int = 10, offset: int = 0) -> SearchPage:
        """Ranked, diacritics-insensitive search; never raises on what a user typed."""
        tokens = query_tokens(words)
        match = fts_query(words)
        empty = SearchPage([], 0, True, SearchOrder.RELEVANCE, words, tokens)
        if match is None or limit <= 0:
            return empty
        total = await self._bounded_total(match)
        if total == 0:
            return empty
        exact = total is not None and total <= RELEVANCE_MAX_TERM_ARTICLES
        by_relevance = exact and total is not None and total <= RELEVANCE_MAX_MATCHES
        if by_relevance:
            # Titles with the words whole first, then bm25; ties newest first.
            order = f"bm25(articles_fts, {BM25_WEIGHTS})"
            ranked = await self._db.fetchall(
                f"""SELECT rowid, {order} AS score,
                           rowid IN (SELECT rowid FROM articles_fts WHERE articles_fts MATCH ?)
                           AS in_title
                    FROM articles_fts WHERE articles_fts MATCH ?
                    ORDER BY in_title DESC, score, rowid DESC LIMIT ? OFFSET ?""",
                (title_query(words), match, limit + 1, offset),
            )
        else:
            ranked = await self._db.fetchall(
                """SELECT rowid, NULL AS score FROM articles_fts
                   WHERE articles_fts MATCH ? ORDER BY rowid DESC LIMIT ? OFFSET ?""",
                (match, limit + 1, offset),
            )
        hits = await self._hits(match, ranked[:limit], offset)
        if total is None and not hits and offset == 0:
            return empty
        return SearchPage(
            hits=hits,
            total=total,
            total_is_exact=exact,
            ordered_by=SearchOrder.RELEVANCE if by_relevance else SearchOrder.RECENCY,
            query=words,
            tokens=tokens,
            has_more=len(ranked) > limit,
        )

    async def _bounded_total(self, match: str) -> int | None:
        """How many articles match, counting at most RELEVANCE_MAX_TERM_ARTICLES + 1; None
        when a word is that common and other words narrow it: then counting the
        intersection means walking the common word's whole index, so it is not done."""
        cap = RELEVANCE_MAX_TERM_ARTICLES + 1
        phrases = match.split(" ")
        counts = [await self._count_matches(phrase, cap) for phrase in phrases]
        if len(phrases) == 1:
            return counts[0]
        if max(counts) >= cap:
            return None
        return await self._count_matches(match, cap)

    async def _count_matches(self, match: str, cap: int) -> int:
        return int(
            await self._db.fetchval(
                """SELECT count(*) FROM
                   (SELECT 1 FROM articles_fts WHERE articles_fts MATCH ? LIMIT ?)""",
                (match, cap),
            )
        )

    async def _hits(self, match: str, ranked: list[sqlite3.Row], offset: int) -> list[SearchHit]:
        if not ranked:
            return []
        # One point lookup per ranked id (CROSS JOIN fixes the loop order): with `rowid IN
        # (...)` instead, FTS5 would walk every match of the query to find these few.
        rows = await self._db.fetchall(
            f"""SELECT {columns("a")},
                       snippet(articles_fts, 1, char(2), char(3), '…', {SNIPPET_TOKENS})
                       AS in_summary,
                       snippet(articles_fts, 2, char(2), char(3), '…', {SNIPPET_TOKENS})
                       AS in_body
                FROM json_each(?) AS wanted
                     CROSS JOIN articles_fts
                     CROSS JOIN articles AS a ON a.id = articles_fts.rowid
                WHERE articles_fts MATCH ? AND articles_fts.rowid = wanted.value""",
            (json.dumps([row["rowid"] for row in ranked]), match),
        )
        by_id = {row["id"]: row for row in rows}
        return [
            SearchHit(
                article=Article.from_row(by_id[row["rowid"]]),
                snippet=highlight(best_snippet(by_id[row["rowid"]])),
                rank=offset + position,
                score=row["score"],
            )
            for position, row in enumerate(ranked, start=1)
            if row["rowid"] in by_id
        ]


def best_snippet(row: sqlite3.Row) -> str:
    """The summary's passage, unless only the body has the words highlighted: the title is
    shown anyway, so a snippet that repeats it says nothing."""
    summary, body = row["in_summary"] or "", row["in_body"] or ""
    return body if _OPEN not in summary and _OPEN in body else summary


def highlight(snippet: str) -> str:
    """Escape the article text, then turn the match markers into the only tags."""
    return html.escape(snippet, quote=False).replace(_OPEN, "<b>").replace(_CLOSE, "</b>")
