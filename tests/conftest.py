from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from bot.context import BotApplication
from bot.sandbox import BotApiStandIn
from storage import NewArticle, Storage
from tests.e2e import running_bot
from tests.feedserver import FeedServer
from tests.postgres import BACKEND, Cluster


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    """An SQLite file: for the tests about SQLite itself (backups, pragmas, the file)."""
    return tmp_path / "articlebot.db"


@pytest.fixture(scope="session")
def cluster() -> Iterator[Cluster | None]:
    """This worker's PostgreSQL cluster in the PostgreSQL pass; None in the SQLite one."""
    if BACKEND != "postgresql":
        yield None
        return
    running = Cluster()
    try:
        running.start()
        yield running
    finally:
        running.stop()


@pytest.fixture
async def database(db_path: Path, cluster: Cluster | None) -> AsyncIterator[str | Path]:
    """Where the test's store lives: an SQLite file, or (PostgreSQL pass) a fresh
    PostgreSQL database's URL. What `Storage.open` and DATABASE_URL/PATH take."""
    if cluster is None:
        yield db_path
        return
    yield await cluster.fresh_database()


@pytest.fixture
async def storage(database: str | Path) -> AsyncIterator[Storage]:
    store = await Storage.open(database)
    try:
        yield store
    finally:
        await store.close()


@pytest.fixture
async def sqlite_storage(db_path: Path) -> AsyncIterator[Storage]:
    """A store on SQLite in either pass: for what only SQLite has (its file, pragmas, FTS5)."""
    store = await Storage.open(db_path)
    try:
        yield store
    finally:
        await store.close()


def article(n: int, **fields: object) -> NewArticle:
    """A valid article whose fields can be overridden."""
    values: dict[str, object] = {
        "url": f"https://news.example/{n}",
        "title": f"Article number {n}",
        "summary": "A summary.",
    }
    values.update(fields)
    return NewArticle(**values)  # type: ignore[arg-type]


@pytest.fixture
async def api() -> AsyncIterator[BotApiStandIn]:
    async with BotApiStandIn() as standin:
        yield standin


@pytest.fixture
async def server() -> AsyncIterator[FeedServer]:
    """Feeds and pages over HTTP on 127.0.0.1 (and 127.0.0.2, a second site)."""
    async with FeedServer() as running:
        yield running


@pytest.fixture
async def bot(api: BotApiStandIn, storage: Storage) -> AsyncIterator[BotApplication]:
    async with running_bot(api, storage) as application:
        yield application


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    if BACKEND == "postgresql":
        skip = pytest.mark.skip(reason="about SQLite's file; this is the PostgreSQL pass")
        for item in items:
            if item.get_closest_marker("sqlite_only"):
                item.add_marker(skip)


@pytest.fixture(autouse=True)
def no_unexpected_tracebacks(
    request: pytest.FixtureRequest, caplog: pytest.LogCaptureFixture
) -> Iterator[None]:
    """Any test fails when something logged a traceback it did not expect: a fault the bot
    handles is logged in one line, never as an unhandled error (mark a test that means to
    provoke one with `expect_tracebacks`)."""
    yield
    if request.node.get_closest_marker("expect_tracebacks"):
        return
    records = [*caplog.get_records("setup"), *caplog.get_records("call"), *caplog.records]
    tracebacks = [
        f"{r.name}: {r.getMessage()[:200]}"
        for r in records
        if r.exc_info and r.exc_info[0] is not None and r.levelno >= logging.WARNING
    ]
    assert not tracebacks, f"unexpected tracebacks logged: {tracebacks}"
