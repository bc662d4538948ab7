from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.context import BotApplication
from bot.sandbox import BotApiStandIn
from storage import NewArticle, Storage
from tests.e2e import running_bot


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "articlebot.db"


@pytest.fixture
async def storage(db_path: Path) -> AsyncIterator[Storage]:
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
async def bot(api: BotApiStandIn, storage: Storage) -> AsyncIterator[BotApplication]:
    async with running_bot(api, storage) as application:
        yield application
