from __future__ import annotations

import asyncio
import os
import sqlite3
from datetime import UTC, datetime
from pathlib import Path

import pytest

from storage import (
    DatabaseUnavailable,
    DuplicateArticle,
    InvalidInput,
    NewArticle,
    NotFound,
    Storage,
)
from storage import search as search_module
from storage.migrations import LATEST_VERSION
from storage.search import Search
from storage.text import parse_datetime
from tests.conftest import article

HOSTILE_QUERIES = [
    '"',
    '"unbalanced',
    "(x",
    "x)",
    "C++",
    "don't",
    "AND",
    "a OR",
    "NOT",
    "-foo",
    "e-mail",
    "foo:bar",
    "*",
    "NEAR(a b)",
    "^x",
    "",
    "   \t ",
    "x" * 10_000,
    "perú " * 2_000,
    "😀🔥🇵🇪",
    "Перу 秘鲁 بيرو perú",
    "title:peru",
    "{title summary}: peru",
    "peru*",
    "'; DROP TABLE articles; --",
]


async def test_add_and_get(storage: Storage) -> None:
    stored = await storage.articles.add(
        article(1, tags=("Perú", "economía"), author="Ana", body="Long body")
    )
    assert stored.id == 1
    loaded = await storage.articles.get(stored.id)
    assert loaded.title == "Article number 1"
    assert loaded.tags == ("Perú", "economía")
    assert loaded.body == "Long body"
    assert loaded.created_at.tzinfo == UTC
    assert loaded.to_dict()["created_at"].endswith("Z")


async def test_duplicate_url_is_refused_and_changes_nothing(storage: Storage) -> None:
    first = await storage.articles.add(article(1, url="https://News.example/a/?utm_source=tw"))
    with pytest.raises(DuplicateArticle) as caught:
        await storage.articles.add(article(2, url="https://news.example/a"))
    assert caught.value.existing_id == first.id
    assert await storage.articles.count() == 1


async def test_duplicate_guid_is_refused(storage: Storage) -> None:
    await storage.articles.add(article(1, guid="feed-item-1"))
    with pytest.raises(DuplicateArticle):
        await storage.articles.add(article(2, guid="feed-item-1"))


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"title": "  "}, "title is empty"),
        ({"title": "x" * 257}, "title is longer than 256"),
        ({"summary": "x" * 2001}, "summary is longer than 2000"),
        ({"url": "mailto:a@b.c"}, "not a web address"),
    ],
)
def test_invalid_articles_are_refused(fields: dict[str, object], message: str) -> None:
    with pytest.raises(InvalidInput, match=message):
        article(1, **fields)


async def test_unknown_ids_are_not_found(storage: Storage) -> None:
    with pytest.raises(NotFound):
        await storage.articles.get(999)
    with pytest.raises(NotFound):
        await storage.articles.delete(999)
    with pytest.raises(NotFound):
        await storage.articles.update(999, title="x")


async def test_latest_orders_by_publication_date(storage: Storage) -> None:
    for n, day in [(1, "2026-01-02"), (2, "2026-01-03"), (3, "2026-01-01")]:
        await storage.articles.add(article(n, published_at=parse_datetime(day)))
    newest = await storage.articles.latest(limit=2)
    assert [a.id for a in newest] == [2, 1]
    assert [a.id for a in await storage.articles.latest(limit=2, offset=2)] == [3]


async def test_search_ignores_accents_both_ways(storage: Storage) -> None:
    await storage.articles.add(article(1, title="Elecciones en Perú", summary="Mariátegui"))
    await storage.articles.add(article(2, title="Peru exports", summary="mariategui"))
    for query in ("peru", "PERÚ", "mariategui", "Mariátegui"):
        page = await storage.articles.search(query)
        assert {hit.article.id for hit in page.hits} == {1, 2}, query


async def test_search_prefix_on_last_word(storage: Storage) -> None:
    await storage.articles.add(article(1, title="Pedro Castillo speaks"))
    await storage.articles.add(article(2, title="A castle in Spain"))
    page = await storage.articles.search("castil")
    assert [hit.article.id for hit in page.hits] == [1]
    # Earlier words must match whole: "castil" alone as a first word finds nothing.
    assert (await storage.articles.search("castil speaks")).hits == []


async def test_search_ranks_title_matches_first(storage: Storage) -> None:
    await storage.articles.add(article(1, title="Markets", body="inflation " * 3))
    await storage.articles.add(article(2, title="Inflation hits record"))
    page = await storage.articles.search("inflation")
    assert page.ordered_by == "relevance"
    assert [hit.article.id for hit in page.hits] == [2, 1]
    assert [hit.rank for hit in page.hits] == [1, 2]
    assert page.hits[0].score is not None


async def test_search_puts_titles_with_the_whole_word_first(storage: Storage) -> None:
    """Seen: for `peru`, "La economía peruana…" above "Perú: el Congreso…"."""
    await storage.articles.add(article(1, title="Perú: el Congreso debate la reforma"))
    await storage.articles.add(article(2, title="La economía peruana crece"))
    page = await storage.articles.search("peru")
    assert [hit.article.id for hit in page.hits] == [1, 2]
    page = await storage.articles.search("economia peruana")  # every word whole: #2
    assert [hit.article.id for hit in page.hits] == [2]


async def test_search_ties_come_newest_first(storage: Storage) -> None:
    for n in range(1, 4):  # three articles alike but for their age
        day = parse_datetime(f"2026-11-0{n}T10:00:00+00:00")
        await storage.articles.add(article(n, title="Same words", published_at=day))
    page = await storage.articles.search("same words")
    assert page.ordered_by == "relevance"
    assert [hit.article.id for hit in page.hits] == [3, 2, 1]


async def test_short_words_match_whole_only(storage: Storage) -> None:
    await storage.articles.add(article(1, title="Cusco tourism"))
    await storage.articles.add(article(2, title="The ONU and the Cus festival"))
    assert [hit.article.id for hit in (await storage.articles.search("cus")).hits] == [2]
    assert [hit.article.id for hit in (await storage.articles.search("onu")).hits] == [2]
    assert [hit.article.id for hit in (await storage.articles.search("cusc")).hits] == [1]


async def test_search_searches_summary_body_and_tags(storage: Storage) -> None:
    await storage.articles.add(article(1, summary="about quinoa"))
    await storage.articles.add(article(2, body="the body mentions llamas"))
    await storage.articles.add(article(3, tags=("Amazonía",)))
    assert [h.article.id for h in (await storage.articles.search("quinoa")).hits] == [1]
    assert [h.article.id for h in (await storage.articles.search("llamas")).hits] == [2]
    assert [h.article.id for h in (await storage.articles.search("amazonia")).hits] == [3]


async def test_snippets_are_html_safe(storage: Storage) -> None:
    await storage.articles.add(
        article(1, title="x", summary='Tom & Jerry <script>alert("peru")</script> in Peru')
    )
    (hit,) = (await storage.articles.search("peru")).hits
    assert "<script>" not in hit.snippet
    assert "&lt;script&gt;" in hit.snippet
    assert "Tom &amp; Jerry" in hit.snippet
    assert "<b>Peru</b>" in hit.snippet
    without_markers = hit.snippet.replace("<b>", "").replace("</b>", "")
    assert "<" not in without_markers and ">" not in without_markers


@pytest.mark.parametrize("query", HOSTILE_QUERIES)
async def test_hostile_queries_never_raise(storage: Storage, query: str) -> None:
    await storage.articles.add(article(1, title="Perú e-mail foo bar NEAR x C++"))
    page = await storage.articles.search(query)
    assert isinstance(page.hits, list)
    assert await storage.articles.count() == 1


async def test_hostile_queries_still_find_their_words(storage: Storage) -> None:
    await storage.articles.add(article(1, title="Send an e-mail about foo and bar"))
    for query in ("e-mail", "foo:bar", "(foo", "bar)", '"foo', "foo AND", "-foo"):
        assert [h.article.id for h in (await storage.articles.search(query)).hits] == [1], query


async def test_search_pages(storage: Storage) -> None:
    for n in range(1, 8):
        await storage.articles.add(article(n, title=f"Lima story {n}"))
    first = await storage.articles.search("lima", limit=5)
    second = await storage.articles.search("lima", limit=5, offset=5)
    assert first.total == 7 and first.total_is_exact
    assert len(first.hits) == 5 and len(second.hits) == 2
    ids = [h.article.id for h in first.hits + second.hits]
    assert sorted(ids) == list(range(1, 8))
    assert [h.rank for h in second.hits] == [6, 7]


async def test_common_terms_are_served_newest_first(
    storage: Storage, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(search_module.RELEVANCE_MAX_MATCHES, storage.db.dialect, 3)
    for n in range(1, 6):
        await storage.articles.add(article(n, title=f"Lima {n}"))
    page = await storage.articles.search("lima", limit=3)
    assert page.ordered_by == "recency"
    assert page.total == 5 and page.total_is_exact
    assert page.has_more
    assert [h.article.id for h in page.hits] == [5, 4, 3]
    assert all(h.score is None for h in page.hits)
    last = await storage.articles.search("lima", limit=3, offset=3)
    assert [h.article.id for h in last.hits] == [2, 1]
    assert not last.has_more


async def test_counting_is_bounded(storage: Storage, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(search_module.RELEVANCE_MAX_TERM_ARTICLES, storage.db.dialect, 3)
    for n in range(1, 6):
        await storage.articles.add(article(n, title=f"Lima {'cusco' if n == 5 else ''}"))
    common = await storage.articles.search("lima")
    assert (common.total, common.total_is_exact, common.ordered_by) == (4, False, "recency")
    narrowed = await storage.articles.search("lima cusco")
    if words_counted_first(storage):  # FTS5: the common word's whole list is not walked
        assert (narrowed.total, narrowed.total_is_exact) == (None, False)
    else:  # PostgreSQL's GIN intersects the lists at once
        assert (narrowed.total, narrowed.total_is_exact) == (1, True)
    assert [h.article.id for h in narrowed.hits] == [5]
    assert (await storage.articles.search("lima zzzz")).hits == []


def words_counted_first(storage: Storage) -> bool:
    return Search(storage.db).index.counts_words_first


async def test_a_common_word_in_a_rare_query_switches_to_recency_where_counted_first(
    storage: Storage, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(search_module.RELEVANCE_MAX_TERM_ARTICLES, storage.db.dialect, 2)
    for n in range(1, 5):
        await storage.articles.add(article(n, title=f"Lima {'castillo' if n < 3 else ''}"))
    page = await storage.articles.search("lima castillo")
    expected = "recency" if words_counted_first(storage) else "relevance"
    assert (page.ordered_by, page.total) == (expected, None if expected == "recency" else 2)
    assert [h.article.id for h in page.hits] == [2, 1]


async def test_many_matches_counted_exactly_are_served_newest_first(
    storage: Storage, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Past the ranking bound but within the counting one: every match is read (on
    PostgreSQL off the index), the newest first."""
    monkeypatch.setitem(search_module.RELEVANCE_MAX_MATCHES, storage.db.dialect, 2)
    for n in range(1, 6):
        await storage.articles.add(article(n, title=f"Lima {'castillo' if n % 2 else ''}"))
    page = await storage.articles.search("lima castillo", limit=2)
    assert (page.ordered_by, page.total, page.total_is_exact) == ("recency", 3, True)
    assert [h.article.id for h in page.hits] == [5, 3] and page.has_more
    rest = await storage.articles.search("lima castillo", limit=2, offset=2)
    assert [h.article.id for h in rest.hits] == [1] and not rest.has_more


async def test_index_follows_update_and_delete(storage: Storage) -> None:
    stored = await storage.articles.add(article(1, title="Old headline"))
    await storage.articles.update(stored.id, title="Fresh headline", tags=("Cusco",))
    assert (await storage.articles.search("old")).hits == []
    assert [h.article.id for h in (await storage.articles.search("fresh")).hits] == [1]
    assert [h.article.id for h in (await storage.articles.search("cusco")).hits] == [1]
    await storage.articles.delete(stored.id)
    assert (await storage.articles.search("fresh")).hits == []


async def test_fts5_index_stays_consistent(sqlite_storage: Storage) -> None:
    stored = await sqlite_storage.articles.add(article(1, title="Old headline"))
    await sqlite_storage.articles.update(stored.id, title="Fresh headline")
    await sqlite_storage.articles.add(article(2))
    await sqlite_storage.articles.delete(stored.id)
    integrity = await sqlite_storage.db.fetchall(
        "INSERT INTO articles_fts(articles_fts) VALUES ('integrity-check')"
    )
    assert integrity == []


async def test_deleted_ids_are_never_reused(storage: Storage) -> None:
    first = await storage.articles.add(article(1))
    await storage.articles.delete(first.id)
    second = await storage.articles.add(article(2))
    assert second.id == first.id + 1


async def test_pragmas(sqlite_storage: Storage) -> None:
    assert await sqlite_storage.db.fetchval("PRAGMA journal_mode") == "wal"
    assert await sqlite_storage.db.fetchval("PRAGMA foreign_keys") == 1
    assert await sqlite_storage.db.fetchval("PRAGMA busy_timeout") == 5000
    assert await sqlite_storage.schema_version() == LATEST_VERSION


async def test_failed_transaction_rolls_back(storage: Storage) -> None:
    with pytest.raises(RuntimeError):
        async with storage.db.atomic() as conn:
            await conn.execute(
                "INSERT INTO articles (url, title, published_at, created_at) "
                "VALUES ('https://x.example', 't', 'now', 'now')"
            )
            raise RuntimeError("boom")
    assert await storage.articles.count() == 0
    # The connection is usable again afterwards.
    await storage.articles.add(article(1))
    assert await storage.articles.count() == 1


async def test_concurrent_adds_are_serialised(storage: Storage) -> None:
    stored = await asyncio.gather(*(storage.articles.add(article(n)) for n in range(50)))
    assert len({a.id for a in stored}) == 50
    assert await storage.articles.count() == 50


async def test_migrates_a_version_1_database_in_place(db_path: Path) -> None:
    old = await Storage.open(db_path, migrate=False)
    await old.migrate(target=1)
    assert await old.schema_version() == 1
    async with old.db.atomic() as conn:  # a row as version 1 wrote it
        await conn.execute(
            """INSERT INTO articles (url, title, published_at, created_at)
               VALUES ('https://news.example/1', 'Written by version 1',
                       '2026-11-01T10:00:00Z', '2026-11-01T10:00:00Z')"""
        )
    await old.close()

    store = await Storage.open(db_path)
    try:
        assert await store.schema_version() == LATEST_VERSION
        old_article = await store.articles.get(1)
        assert old_article.title == "Written by version 1"
        assert old_article.link == "https://news.example/1"  # no link stored: the URL
        assert [h.article.id for h in (await store.articles.search("version")).hits] == [1]
        tables = {row[0] for row in await store.db.fetchall("SELECT name FROM sqlite_schema")}
        assert {"chats", "subscriptions", "deliveries", "feeds"} <= tables
        assert await store.migrate() == []  # idempotent
    finally:
        await store.close()


async def test_refuses_a_database_from_a_newer_version(db_path: Path) -> None:
    await (await Storage.open(db_path)).close()
    conn = sqlite3.connect(db_path)
    conn.execute(f"PRAGMA user_version = {LATEST_VERSION + 1}")
    conn.close()
    with pytest.raises(DatabaseUnavailable, match="newer articlebot"):
        await Storage.open(db_path)


async def test_too_old_sqlite_is_named(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sqlite3, "sqlite_version_info", (3, 31, 1))
    monkeypatch.setattr(sqlite3, "sqlite_version", "3.31.1")
    with pytest.raises(DatabaseUnavailable, match=r"needs SQLite 3\.39\.0 or later; .* 3\.31\.1"):
        await Storage.open(tmp_path / "x.db")
    assert not (tmp_path / "x.db").exists()


async def test_not_a_database_is_left_untouched(tmp_path: Path) -> None:
    path = tmp_path / "notes.txt"
    path.write_bytes(b"these are my notes, not a database\n" * 100)
    before = path.read_bytes()
    with pytest.raises(DatabaseUnavailable, match="not an articlebot database"):
        await Storage.open(path)
    assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["notes.txt"]


async def test_locked_past_the_timeout(db_path: Path) -> None:
    await (await Storage.open(db_path)).close()
    blocker = sqlite3.connect(db_path, isolation_level=None)
    blocker.execute("BEGIN EXCLUSIVE")
    try:
        store = await Storage.open(db_path, busy_timeout=0.2, migrate=False)
        try:
            with pytest.raises(DatabaseUnavailable, match="locked by another process"):
                await store.articles.add(article(1))
        finally:
            await store.close()
    finally:
        blocker.execute("ROLLBACK")
        blocker.close()


def test_read_only_errors_are_explained(db_path: Path) -> None:
    sqlite3.connect(db_path).execute("CREATE TABLE t (x)").connection.close()
    conn = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True)
    try:
        with pytest.raises(sqlite3.OperationalError) as caught:
            conn.execute("INSERT INTO t VALUES (1)")
    finally:
        conn.close()
    from storage.errors import explain

    assert "is read-only" in str(explain(caught.value, db_path))


async def test_backup_while_writing(sqlite_storage: Storage, tmp_path: Path) -> None:
    for n in range(20):
        await sqlite_storage.articles.add(article(n, body="words " * 500))
    target = tmp_path / "backup.db"
    writer = asyncio.gather(*(sqlite_storage.articles.add(article(100 + n)) for n in range(20)))
    await sqlite_storage.backup(target)
    await writer
    copy = await Storage.open(target)
    try:
        assert await copy.articles.count() >= 20
        assert (await copy.articles.search("words")).total >= 20
    finally:
        await copy.close()
    with pytest.raises(Exception, match="already exists"):
        await sqlite_storage.backup(target)


async def test_new_article_normalises_fields() -> None:
    new = NewArticle(
        url="HTTPS://A.example/x/", title="  Two\n lines ", summary=" s ", tags=("a", "A")
    )
    assert (new.url, new.title, new.summary, new.tags) == (
        "https://a.example/x",
        "Two lines",
        "s",
        ("a",),
    )


async def test_add_many_skips_known_urls_and_indexes(storage: Storage) -> None:
    await storage.articles.add(article(1))
    added = await storage.articles.add_many(
        [article(1), article(2, title="Bulk Cusco"), article(3), article(2)]
    )
    assert added == 2
    assert await storage.articles.count() == 3
    (hit,) = (await storage.articles.search("cusco")).hits
    assert hit.article.url == "https://news.example/2"
    # A skipped duplicate uses up no article number: the next one follows on.
    ids = sorted(a.id for a in await storage.articles.latest(limit=10))
    assert ids == [1, 2, 3]
    assert (await storage.articles.add(article(4))).id == 4


async def test_invisible_and_bidi_characters_are_not_stored(storage: Storage) -> None:
    """A title that reads backwards (U+202E) or hides characters cannot spoof a reader."""
    spoof = "Invoice\u202egnp.exe\u2066x\u2069\u200b\u200e\ufeff\u00ad"
    stored = await storage.articles.add(
        article(1, title=spoof, summary=spoof, author=spoof, tags=(spoof, "👨\u200d👩"))
    )
    for value in (stored.title, stored.summary, stored.author, *stored.tags):
        assert value in ("Invoicegnp.exex", "👨\u200d👩")  # ZWJ sequences survive


async def test_the_database_its_log_and_backups_are_private(tmp_path: Path) -> None:
    """They hold chat ids and usernames: readable by their owner only, whatever the umask."""
    old = os.umask(0o022)
    try:
        store = await Storage.open(tmp_path / "bot.db")
        try:
            await store.articles.add(article(1))
            await store.backup(tmp_path / "copy.db")
            files = [tmp_path / name for name in ("bot.db", "bot.db-wal", "bot.db-shm", "copy.db")]
            assert {oct(path.stat().st_mode & 0o777) for path in files} == {"0o600"}
        finally:
            await store.close()
    finally:
        os.umask(old)


async def test_migration_12_repairs_dates_and_makes_guids_per_feed(db_path: Path) -> None:
    old = await Storage.open(db_path, migrate=False)
    await old.migrate(target=11)
    stored = ("103-12-13T18:30:02Z", "2103-12-13T18:30:02Z", "1984-01-01T00:00:00Z")
    async with old.db.atomic() as conn:
        for n, published in enumerate((*stored, "2026-11-28T10:00:00Z")):
            await conn.execute(
                "INSERT INTO articles (url, title, published_at, created_at, source, guid) "
                "VALUES (?, 't', ?, '2026-12-01T08:00:00Z', 'feed:1', ?)",
                (f"https://site.example/{n}", published, str(n)),
            )
    await old.close()

    store = await Storage.open(db_path)
    try:
        dates = [
            a.published_at for a in sorted(await store.articles.latest(10), key=lambda a: a.id)
        ]
        discovered = datetime(2026, 12, 1, 8, tzinfo=UTC)
        assert dates == [
            discovered,
            discovered,
            discovered,
            datetime(2026, 11, 28, 10, tzinfo=UTC),
        ]
        other_feed = article(9, url="https://other.example/0", source="feed:2", guid="0")
        assert (await store.articles.add(other_feed)).guid == "0"  # its own feed's guid 0
        with pytest.raises(DuplicateArticle):
            await store.articles.add(
                article(10, url="https://site.example/new", source="feed:1", guid="0")
            )
    finally:
        await store.close()
