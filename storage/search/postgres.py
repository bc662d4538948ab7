"""PostgreSQL's index: the generated `articles.search` tsvector (GIN), weighted title A,
tags B, summary C, body D, in the `articlebot` configuration that unaccents every word
(storage.engines.pg_schema). Passages by ts_headline.

Ranked by ts_rank over `articles.heading`, the same words without the body: ranking reads
each match's vector whole, and a body's is a hundred times a card's, which made a common
word's ranking take tens of milliseconds more. So where bm25 gives the body a weight of 1
against the title's 10, here the body decides whether an article matches, not its place;
ties go newest first.

The planner takes `@@` for cheap, but on a table row it unpacks the article's whole
vector: a scan of the table that stops after enough matches (a count's bound) cost 217 ms
for a common word at 100k articles, where the GIN index and the rows it names cost 7 ms.
So counts, and whatever reads every match, are planned off the index (`steered`); a page
of the newest of very many matches walks the ids backwards.

Queries are built from the search's tokens, which are letters and digits only, so no word
can be read as a tsquery operator.
"""

from __future__ import annotations

from storage.db import Database
from storage.engines.postgres import PostgresDatabase
from storage.models import columns
from storage.search import CLOSE, OPEN, SNIPPET_TOKENS, Found, Query, prefixed
from storage.text import fold

# ts_rank's weights, in its order {D, C, B, A}: (body), summary, tags, title, as bm25's.
WEIGHTS = "{0.1, 0.4, 0.6, 1.0}"
HEADLINE = (
    f"StartSel={OPEN}, StopSel={CLOSE}, MaxWords={SNIPPET_TOKENS}, MinWords=6, "
    "ShortWord=0, MaxFragments=1, FragmentDelimiter=…"
)
# ts_headline drops what reads as an HTML tag (`<script>` in a summary about scripts):
# the text is given it with < and > as two control characters no article has
# (storage.text.clean_text), and they are turned back after.
UNTAGGED = "translate({}, '<>', chr(4) || chr(5))"


def _tagged(passage: str) -> str:
    return passage.replace("\x04", "<").replace("\x05", ">")


# Off the table scan, and off the walk of the ids, each of which would unpack a vector
# per article it passes: the GIN index, then only the rows it names.
FROM_THE_INDEX = {"enable_seqscan": "off", "enable_indexscan": "off"}


class PostgresIndex:
    # Intersecting words reads each word's list in the GIN index once, however common:
    # no need to count each word first, as FTS5 does.
    counts_words_first = False

    def __init__(self, db: Database) -> None:
        assert isinstance(db, PostgresDatabase)
        self._db = db

    def query(self, tokens: list[str]) -> Query:
        words = [
            fold(token) + (":*" if prefix else "")
            for token, prefix in zip(tokens, prefixed(tokens), strict=True)
        ]
        return Query(
            whole=" & ".join(words),
            words=tuple(words),
            title=" & ".join(f"{fold(token)}:A" for token in tokens),
        )

    async def count(self, match: str, cap: int) -> int:
        async with self._db.steered(**FROM_THE_INDEX) as reads:
            return int(
                await reads.fetchval(
                    """SELECT count(*) FROM (SELECT 1 FROM articles
                       WHERE search @@ to_tsquery('articlebot', ?) LIMIT ?) AS matching""",
                    (match, cap),
                )
            )

    async def ranked(
        self, query: Query, limit: int, offset: int, *, by_relevance: bool, counted: bool
    ) -> list[tuple[int, float | None]]:
        if by_relevance:
            # Titles with the words whole first, then ts_rank (negated: lower is better, as
            # bm25's); ties newest first.
            async with self._db.steered(**FROM_THE_INDEX) as reads:
                rows = await reads.fetchall(
                    f"""SELECT id, -ts_rank('{WEIGHTS}', heading, q) AS score,
                               heading @@ to_tsquery('articlebot', ?) AS in_title
                        FROM articles, to_tsquery('articlebot', ?) AS q
                        WHERE search @@ q
                        ORDER BY in_title DESC, score, id DESC LIMIT ? OFFSET ?""",
                    (query.title, query.whole, limit, offset),
                )
            return [(row[0], row[1]) for row in rows]
        newest = """SELECT id, NULL AS score FROM articles
                    WHERE search @@ to_tsquery('articlebot', ?)
                    ORDER BY id DESC LIMIT ? OFFSET ?"""
        params = (query.whole, limit, offset)
        if counted:  # few enough to read them all
            async with self._db.steered(**FROM_THE_INDEX) as reads:
                rows = await reads.fetchall(newest, params)
        else:  # so many that the newest come soon, walking the ids backwards
            rows = await self._db.fetchall(newest, params)
        return [(row[0], row[1]) for row in rows]

    async def found(self, query: Query, ids: list[int]) -> dict[int, Found]:
        """The articles with their summary's passage; the body's only for those whose
        summary lacks the words (ts_headline reads the whole text it is given)."""
        rows = await self._db.fetchall(
            f"""SELECT {columns()},
                       ts_headline('articlebot', {UNTAGGED.format("summary")}, q, '{HEADLINE}')
                       AS in_summary
                FROM articles, to_tsquery('articlebot', ?) AS q
                WHERE id = ANY(?::bigint[])""",
            (query.whole, ids),
        )
        bare = [row["id"] for row in rows if OPEN not in row["in_summary"]]
        in_body = {}
        if bare:
            passages = await self._db.fetchall(
                f"""SELECT id,
                           ts_headline('articlebot', {UNTAGGED.format("body")}, q, '{HEADLINE}')
                    FROM articles, to_tsquery('articlebot', ?) AS q
                    WHERE id = ANY(?::bigint[])""",
                (query.whole, bare),
            )
            in_body = {row[0]: _tagged(row[1]) for row in passages}
        return {
            row["id"]: Found(row, _tagged(row["in_summary"]), in_body.get(row["id"], ""))
            for row in rows
        }

    async def count_about(self, topics: tuple[str, ...], since: str) -> int:
        """Articles published since `since` whose title, tags or summary (weights A, B, C)
        have one of the (folded, single-word) topics."""
        match = " | ".join(f"{topic}:ABC" for topic in topics)
        return int(
            await self._db.fetchval(
                """SELECT count(*) FROM articles
                   WHERE search @@ to_tsquery('articlebot', ?) AND published_at >= ?""",
                (match, since),
            )
        )
