"""SQLite's index: FTS5 (`articles_fts`, unicode61 with remove_diacritics), ranked by bm25."""

from __future__ import annotations

import json

from storage.db import Database
from storage.models import columns
from storage.search import CLOSE, OPEN, SNIPPET_TOKENS, Found, Query
from storage.text import fts_query, title_query

BM25_WEIGHTS = "10.0, 4.0, 1.0, 6.0"  # title, summary, body, tags


class FTS5Index:
    # Counting an intersection walks the doclist of each word whole: a word too common
    # is counted alone first, and the intersection then not at all (storage.search).
    counts_words_first = True

    def __init__(self, db: Database) -> None:
        self._db = db

    def query(self, tokens: list[str]) -> Query:
        words = " ".join(tokens)
        whole, title = fts_query(words), title_query(words)
        assert whole is not None  # there are tokens
        assert title is not None
        return Query(whole=whole, words=tuple(whole.split(" ")), title=title)

    async def count(self, match: str, cap: int) -> int:
        return int(
            await self._db.fetchval(
                """SELECT count(*) FROM
                   (SELECT 1 FROM articles_fts WHERE articles_fts MATCH ? LIMIT ?) AS matching""",
                (match, cap),
            )
        )

    async def ranked(
        self, query: Query, limit: int, offset: int, *, by_relevance: bool, counted: bool
    ) -> list[tuple[int, float | None]]:
        """The page's ids and scores; FTS5 serves the newest off its index, however many
        match (`counted` does not matter)."""
        if by_relevance:
            # Titles with the words whole first, then bm25; ties newest first.
            rows = await self._db.fetchall(
                f"""SELECT rowid, bm25(articles_fts, {BM25_WEIGHTS}) AS score,
                           rowid IN (SELECT rowid FROM articles_fts WHERE articles_fts MATCH ?)
                           AS in_title
                    FROM articles_fts WHERE articles_fts MATCH ?
                    ORDER BY in_title DESC, score, rowid DESC LIMIT ? OFFSET ?""",
                (query.title, query.whole, limit, offset),
            )
        else:
            rows = await self._db.fetchall(
                """SELECT rowid, NULL AS score FROM articles_fts
                   WHERE articles_fts MATCH ? ORDER BY rowid DESC LIMIT ? OFFSET ?""",
                (query.whole, limit, offset),
            )
        return [(row[0], row[1]) for row in rows]

    async def found(self, query: Query, ids: list[int]) -> dict[int, Found]:
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
            (json.dumps(ids), query.whole),
        )
        assert (OPEN, CLOSE) == ("\x02", "\x03")  # char(2), char(3) above
        return {row["id"]: Found(row, row["in_summary"], row["in_body"]) for row in rows}

    async def count_about(self, topics: tuple[str, ...], since: str) -> int:
        """Articles published since `since` whose title, summary or tags have one of the
        (folded, single-word) topics."""
        match = "{title summary tags} : (" + " OR ".join(f'"{t}"' for t in topics) + ")"
        return int(
            await self._db.fetchval(
                """SELECT count(*) FROM articles_fts JOIN articles AS a
                   ON a.id = articles_fts.rowid
                   WHERE articles_fts MATCH ? AND a.published_at >= ?""",
                (match, since),
            )
        )
