"""`articlebot db copy --to`: a store moved to another database and back is the same store,
and the copy goes on working there. In the PostgreSQL pass the middle stop is PostgreSQL
(the `database` fixture); otherwise it is another SQLite file."""

from __future__ import annotations

import asyncio
import json
import sqlite3
from datetime import timedelta
from pathlib import Path

from click.testing import CliRunner, Result

from bot.cli import cli
from storage import ChatInfo, Storage, clock
from storage.db import Dialect
from storage.deliveries import Outcome
from storage.digests import Cadence
from storage.kinds import DeliveryStatus
from storage.transfer import NOT_COPIED, TABLES
from tests.conftest import article


async def articlebot(*args: str) -> Result:
    return await asyncio.to_thread(CliRunner().invoke, cli, list(args))


async def a_lived_in_store(path: Path) -> None:
    """Some of everything a running publication keeps."""
    async with await Storage.open(path) as store:
        await store.articles.add(article(1, title="Perú elige", body="Una larga historia."))
        for chat in (10, 11, 12):
            await store.chats.subscribe(ChatInfo(chat, "private", language_code="es"))
        await store.chats.subscribe(ChatInfo(-100, "channel", title="News"), topics=("lima",))
        await store.digests.set_cadence(12, 0, Cadence("daily", 8 * 60))
        second = await store.articles.add(article(2, title="Lima tiene metro", tags=("Lima",)))
        claimed = await store.deliveries.claim(2)
        await store.deliveries.settle(
            [Outcome(d.id, DeliveryStatus.SENT, message_id=500 + d.id) for d in claimed]
        )
        await store.articles.update(second.id, title="Lima inaugura su metro")
        await store.feeds.add("https://news.example/feed.xml", name="News")
        later = clock.now() + timedelta(days=1)
        await store.scheduled.add(article(3), later, "America/Lima")
        await store.hooks.refused("ghost", "post.published", "p1", "bad signature")


def dump(path: Path) -> dict[str, list[tuple[object, ...]]]:
    with sqlite3.connect(path) as conn:
        return {
            table: sorted(conn.execute(f"SELECT * FROM {table}").fetchall(), key=repr)
            for table in TABLES
        }


async def test_a_store_copied_away_and_back_is_the_same_and_goes_on_working(
    tmp_path: Path, database: str | Path
) -> None:
    original, back = tmp_path / "original.db", tmp_path / "back.db"
    await a_lived_in_store(original)
    middle = str(database)
    away = await articlebot("--db", str(original), "db", "copy", "--to", middle, "--json")
    assert away.exit_code == 0, away.output
    report = json.loads(away.output)
    assert report["tables"]["articles"] == 2
    assert report["tables"]["subscriptions"] == 4
    assert report["tables"]["deliveries"] == 2
    home = await articlebot("--db", middle, "db", "copy", "--to", str(back))
    assert home.exit_code == 0, home.output
    assert "they agree" in home.output
    assert dump(back) == dump(original)
    async with await Storage.open(database) as moved:
        (hit,) = (await moved.articles.search("peru")).hits  # the index came along
        assert hit.article.title == "Perú elige"
        if moved.db.dialect is Dialect.POSTGRESQL:  # built again after the load
            indexes = await moved.db.fetchall("SELECT indexname FROM pg_indexes")
            assert "articles_search" in {row[0] for row in indexes}
        assert (await moved.articles.add(article(4))).id == 3  # ids go on after the copy
        await moved.chats.subscribe(ChatInfo(13, "private"))  # the counter came along: 4 + 1
        assert await moved.db.fetchval("SELECT since FROM subscriptions WHERE chat_id = 13") == 5
        assert (await moved.digests.state(12, 0)) is not None


async def test_a_copy_into_a_store_in_use_is_refused_and_changes_nothing(
    tmp_path: Path, database: str | Path
) -> None:
    source = tmp_path / "source.db"
    await a_lived_in_store(source)
    async with await Storage.open(database) as target:
        await target.articles.add(article(9, title="Already here"))
    refused = await articlebot("--db", str(source), "db", "copy", "--to", str(database))
    assert refused.exit_code == 1
    assert "already holds articles: copy into an empty database" in refused.output
    assert "Traceback" not in refused.output
    async with await Storage.open(database) as target:
        assert [a.title for a in await target.articles.latest()] == ["Already here"]


async def test_every_table_is_copied_or_said_not_to_be(storage: Storage) -> None:
    """A table added later cannot be forgotten by the copy."""
    if isinstance(storage.db.label, str) and storage.db.label.startswith("postgresql"):
        sql = "SELECT tablename FROM pg_tables WHERE schemaname = current_schema()"
        kept = {"schema_version"}
    else:
        sql = "SELECT name FROM sqlite_schema WHERE type = 'table'"
        kept = {"sqlite_sequence"}
    names = {row[0] for row in await storage.db.fetchall(sql)}
    tables = {name for name in names if not name.startswith("articles_fts")} - kept
    assert tables == set(TABLES) | set(NOT_COPIED)
