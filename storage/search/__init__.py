"""Full-text search over the archive, the same on both engines: every word required, the
last a prefix as the reader types, diacritics ignored (`peru` finds "Perú"), titles with
the words whole first, then by relevance, with the passage that matched.

Relevance ranks only while that is cheap. Ranking costs time in proportion to how many
articles contain each query word and how many match; past these bounds a query is served
newest first, straight off the index, which costs the same at a million matches as at ten.
Counting is bounded the same way. The bounds are each engine's: PostgreSQL visits a table
row per match it counts, where FTS5 reads its index alone, so its bounds are lower for the
same latency (bench/engines.py). See README "Search". Each engine's index (SQLite's FTS5,
PostgreSQL's tsvector) is behind `Index`: storage.search.fts5 and storage.search.postgres.
"""

from __future__ import annotations

import html
from dataclasses import dataclass
from typing import Any, Protocol

from storage.db import Database, Dialect
from storage.kinds import SearchOrder
from storage.models import Article, SearchHit, SearchPage
from storage.text import MIN_PREFIX, query_tokens

# Ranked by relevance up to this many matches; each word's articles counted up to this many.
RELEVANCE_MAX_MATCHES = {Dialect.SQLITE: 5_000, Dialect.POSTGRESQL: 1_000}
RELEVANCE_MAX_TERM_ARTICLES = {Dialect.SQLITE: 20_000, Dialect.POSTGRESQL: 2_000}
SNIPPET_TOKENS = 16
OPEN, CLOSE = "\x02", "\x03"  # never stored: clean_text strips control characters


@dataclass(frozen=True, slots=True)
class Query:
    """What a search asks of an index, in that index's query language."""

    whole: str  # every word, the last a prefix when long enough
    words: tuple[str, ...]  # each word alone (as `whole` has it), for bounded counts
    title: str  # every word whole, in the title


@dataclass(frozen=True, slots=True)
class Found:
    """A matching article as the index read it, with its passages (OPEN/CLOSE marked)."""

    row: Any  # the article's columns (storage.articles.COLUMNS)
    in_summary: str
    in_body: str


class Index(Protocol):
    # Whether each word is counted alone before their intersection (see _bounded_total).
    counts_words_first: bool

    def query(self, tokens: list[str]) -> Query: ...
    async def count(self, match: str, cap: int) -> int: ...
    async def ranked(
        self, query: Query, limit: int, offset: int, *, by_relevance: bool, counted: bool
    ) -> list[tuple[int, float | None]]: ...
    async def found(self, query: Query, ids: list[int]) -> dict[int, Found]: ...
    async def count_about(self, topics: tuple[str, ...], since: str) -> int: ...


def index_of(db: Database) -> Index:
    if db.dialect is Dialect.POSTGRESQL:
        from storage.search.postgres import PostgresIndex

        return PostgresIndex(db)
    from storage.search.fts5 import FTS5Index

    return FTS5Index(db)


def prefixed(tokens: list[str]) -> list[bool]:
    """Which tokens are searched as prefixes: the last, when long enough to be selective."""
    return [i == len(tokens) - 1 and len(t) >= MIN_PREFIX for i, t in enumerate(tokens)]


class Search:
    def __init__(self, db: Database) -> None:
        self.index = index_of(db)
        self.dialect = db.dialect

    async def search(self, words: str, limit: int = 10, offset: int = 0) -> SearchPage:
        """Ranked, diacritics-insensitive search; never raises on what a user typed."""
        tokens = query_tokens(words)
        empty = SearchPage([], 0, True, SearchOrder.RELEVANCE, words, tokens)
        if not tokens or limit <= 0:
            return empty
        query = self.index.query(tokens)
        total = await self._bounded_total(query)
        if total == 0:
            return empty
        counted = total if total is not None else RELEVANCE_MAX_TERM_ARTICLES[self.dialect] + 1
        exact = counted <= RELEVANCE_MAX_TERM_ARTICLES[self.dialect]
        by_relevance = exact and counted <= RELEVANCE_MAX_MATCHES[self.dialect]
        ranked = await self.index.ranked(
            query, limit + 1, offset, by_relevance=by_relevance, counted=exact
        )
        hits = await self._hits(query, ranked[:limit], offset)
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

    async def _bounded_total(self, query: Query) -> int | None:
        """How many articles match, counting at most RELEVANCE_MAX_TERM_ARTICLES + 1; None
        when a word is that common and other words narrow it, where the index would walk
        the common word's whole list to count the intersection (FTS5's): then that is
        not counted."""
        cap = RELEVANCE_MAX_TERM_ARTICLES[self.dialect] + 1
        if len(query.words) == 1 or not self.index.counts_words_first:
            return await self.index.count(query.whole, cap)
        counts = [await self.index.count(word, cap) for word in query.words]
        if max(counts) >= cap:
            return None
        return await self.index.count(query.whole, cap)

    async def _hits(
        self, query: Query, ranked: list[tuple[int, float | None]], offset: int
    ) -> list[SearchHit]:
        if not ranked:
            return []
        found = await self.index.found(query, [article_id for article_id, _ in ranked])
        return [
            SearchHit(
                article=Article.from_row(found[article_id].row),
                snippet=highlight(best_snippet(found[article_id])),
                rank=offset + position,
                score=score,
            )
            for position, (article_id, score) in enumerate(ranked, start=1)
            if article_id in found
        ]


def best_snippet(found: Found) -> str:
    """The summary's passage, unless only the body has the words highlighted: the title is
    shown anyway, so a snippet that repeats it says nothing."""
    summary, body = found.in_summary or "", found.in_body or ""
    return body if OPEN not in summary and OPEN in body else summary


def highlight(snippet: str) -> str:
    """Escape the article text, then turn the match markers into the only tags."""
    return html.escape(snippet, quote=False).replace(OPEN, "<b>").replace(CLOSE, "</b>")
