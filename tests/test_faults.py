"""The outbox under faults: answers the bot cannot read, a database locked mid-broadcast.
Every card goes out once, or fails after its attempts; the worker never dies."""

from __future__ import annotations

import asyncio
import sqlite3
import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.delivery import worker
from bot.runtime import supervisor
from bot.sandbox import BotApiStandIn, Fault
from bot.sources.feeds import FeedService
from storage import ChatInfo, Storage
from storage.deliveries import MAX_ATTEMPTS
from storage.errors import DatabaseUnavailable
from storage.feeds import Feed
from tests.conftest import article
from tests.e2e import running_bot, wait_until

CHATS = range(1, 21)


async def rows(storage: Storage, article_id: int) -> dict[int, tuple[str, int, int | None, str]]:
    found = await storage.db.fetchall(
        "SELECT chat_id, status, attempts, message_id, coalesce(last_error, '') "
        "FROM deliveries WHERE article_id = ?",
        (article_id,),
    )
    return {r[0]: (r[1], r[2], r[3], r[4]) for r in found}


async def settled(storage: Storage, article_id: int) -> bool:
    progress = await storage.broadcasts.progress(article_id)
    return progress is not None and progress.pending == 0


def sends_to(api: BotApiStandIn, chat_id: int) -> int:
    return len(api.calls_to("sendMessage", chat_id=chat_id))


@pytest.fixture
async def subscribed(storage: Storage) -> Storage:
    for chat_id in CHATS:
        await storage.chats.subscribe(ChatInfo(chat_id, "private"))
    return storage


async def test_an_accepted_card_whose_answer_cannot_be_read_is_sent_once(
    api: BotApiStandIn, subscribed: Storage
) -> None:
    """`ok: true` with a Message this python-telegram-bot cannot parse (a newer Bot API):
    the card went out, so it is recorded as sent, with the message id of the raw answer."""
    unreadable = {"ok": True, "result": {"message_id": 4242, "date": "soon", "chat": 7}}
    api.inject(Fault("sendMessage", 200, "", body=unreadable, times=len(CHATS)))
    async with running_bot(api, subscribed, broadcast_rate=100):
        stored = await subscribed.articles.add(article(1))
        await wait_until(lambda: settled(subscribed, stored.id))
        await asyncio.sleep(0.3)  # a card that went out twice would show by now
    assert {chat: sends_to(api, chat) for chat in CHATS} == dict.fromkeys(CHATS, 1)
    assert {r[:3] for r in (await rows(subscribed, stored.id)).values()} == {("sent", 1, 4242)}


@pytest.mark.expect_tracebacks  # the first not-understood answer is logged with its trace
async def test_an_answer_not_understood_is_retried_with_backoff_then_fails(
    api: BotApiStandIn, subscribed: Storage, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`ok: true` without a result makes python-telegram-bot raise a KeyError inside the
    delivery: each delivery counts its attempts, backs off, and fails at the last one."""
    monkeypatch.setattr(worker, "BACKOFF_BASE", 0.05)
    api.inject(Fault("sendMessage", 200, "", body={"ok": True}, times=10_000))
    async with running_bot(api, subscribed, broadcast_rate=100):
        stored = await subscribed.articles.add(article(1))
        await wait_until(lambda: settled(subscribed, stored.id), timeout=20)
    assert {chat: sends_to(api, chat) for chat in CHATS} == dict.fromkeys(CHATS, MAX_ATTEMPTS)
    for status, attempts, _, error in (await rows(subscribed, stored.id)).values():
        assert (status, attempts) == ("failed", MAX_ATTEMPTS)
        assert error.startswith("KeyError")
    # Backed off: the retries of one chat took at least the shortest backoffs (with jitter).
    least = sum(0.5 * worker.BACKOFF_BASE * 2**n for n in range(MAX_ATTEMPTS - 1))
    for chat in CHATS:
        at = [c.at for c in api.calls_to("sendMessage", chat_id=chat)]
        assert at[-1] - at[0] >= least


def hold_write_lock(path: Path, seconds: float) -> None:
    """An operator's shell (or a long import) holding the database's write lock."""
    conn = sqlite3.connect(path, isolation_level=None)
    try:
        conn.execute("BEGIN IMMEDIATE")
        time.sleep(seconds)
        conn.execute("COMMIT")
    finally:
        conn.close()


@pytest.fixture
async def impatient_storage(db_path: Path) -> AsyncIterator[Storage]:
    """A store that gives up on a locked database after a tenth of a second."""
    async with await Storage.open(db_path, busy_timeout=0.1) as store:
        yield store


async def test_a_database_locked_mid_broadcast_delays_it_and_loses_nothing(
    api: BotApiStandIn,
    impatient_storage: Storage,
    db_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    monkeypatch.setattr(supervisor, "FIRST_RETRY", 0.05)
    storage = impatient_storage
    chats = range(1, 201)
    for chat_id in chats:
        await storage.chats.subscribe(ChatInfo(chat_id, "private"))
    async with running_bot(api, storage, broadcast_rate=200) as app:
        worker = app.bot_data.worker
        assert worker is not None
        stored = await storage.articles.add(article(1))
        await wait_until(lambda: len(api.delivered()) >= 40)
        locked = asyncio.create_task(asyncio.to_thread(hold_write_lock, db_path, 1.5))
        await wait_until(lambda: not worker.healthy)
        sent_while_locked = len(api.delivered())
        await locked
        await wait_until(lambda: settled(storage, stored.id), timeout=20)
        assert worker.healthy
    assert sent_while_locked < len(chats)
    assert {chat: len(api.delivered(chat)) for chat in chats} == dict.fromkeys(chats, 1)
    assert {r[0] for r in (await rows(storage, stored.id)).values()} == {"sent"}
    failed = [r.getMessage() for r in caplog.records if "failed, retrying" in r.getMessage()]
    assert failed and all("locked" in line for line in failed)
    assert any("works again" in r.getMessage() for r in caplog.records)


async def test_a_worker_that_cannot_send_is_unhealthy(
    api: BotApiStandIn, storage: Storage, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def broken(*args: object, **kwargs: object) -> None:
        raise DatabaseUnavailable("the database is busy")

    async with running_bot(api, storage) as app:
        worker = app.bot_data.worker
        assert worker is not None
        await wait_until(lambda: worker.healthy)
        monkeypatch.setattr(storage.deliveries, "claim", broken)
        worker.wake()
        await wait_until(lambda: not worker.healthy)
        monkeypatch.undo()
        worker.wake()
        await wait_until(lambda: worker.healthy)


async def test_the_feed_poller_outlives_a_busy_database(
    storage: Storage, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(supervisor, "FIRST_RETRY", 0.05)
    due, calls = storage.feeds.due, []

    async def busy_twice(now: float) -> list[Feed]:
        calls.append(now)
        if len(calls) <= 2:
            raise DatabaseUnavailable("the database is locked")
        return await due(now)

    monkeypatch.setattr(storage.feeds, "due", busy_twice)
    service = FeedService(storage, interval=600, allow_private=True)
    service.start()
    try:
        # healthy again once the third step has finished, not as soon as it began
        await wait_until(lambda: len(calls) >= 3 and service.poller_healthy)
    finally:
        await service.stop()
