from __future__ import annotations

import time

from storage import ChatInfo, Storage
from storage.deliveries import Outcome
from tests.conftest import article


async def queue(storage: Storage, chats: int) -> int:
    for chat_id in range(1, chats + 1):
        await storage.chats.subscribe(ChatInfo(chat_id, "private"))
    return (await storage.articles.add(article(1))).id


async def test_claim_marks_sending_and_release_puts_back(storage: Storage) -> None:
    article_id = await queue(storage, 5)
    claimed = await storage.deliveries.claim(3)
    assert [d.chat_id for d in claimed] == [1, 2, 3]
    assert len(await storage.deliveries.claim(10)) == 2
    assert await storage.deliveries.claim(10) == []
    assert await storage.deliveries.release_claimed() == 5
    progress = await storage.deliveries.progress(article_id)
    assert progress is not None
    assert progress.count("pending") == 5


async def test_settle_records_outcomes_and_retry_times(storage: Storage) -> None:
    await queue(storage, 3)
    first, second, third = await storage.deliveries.claim(3)
    later = time.time() + 60
    await storage.deliveries.settle([
        Outcome(first.id, "sent", message_id=99),
        Outcome(second.id, "pending", error="NetworkError: boom", retry_at=later),
        Outcome(third.id, "failed", error="BadRequest: no"),
    ])  # fmt: skip
    rows = await storage.db.fetchall(
        "SELECT status, message_id, attempts, last_error FROM deliveries ORDER BY id"
    )
    assert [tuple(r) for r in rows] == [
        ("sent", 99, 1, None),
        ("pending", None, 1, "NetworkError: boom"),
        ("failed", None, 1, "BadRequest: no"),
    ]
    assert await storage.deliveries.claim(10) == []  # the retry is not due yet
    assert await storage.deliveries.next_due() == later
    assert len(await storage.deliveries.claim(10, now=later + 1)) == 1


async def test_cancel_and_finish(storage: Storage) -> None:
    article_id = await queue(storage, 4)
    (claimed,) = await storage.deliveries.claim(1)
    assert await storage.deliveries.cancel(article_id) == 3
    await storage.deliveries.settle([Outcome(claimed.id, "sent", message_id=1)])
    progress = await storage.deliveries.progress(article_id)
    assert progress is not None
    assert (progress.cancelled, progress.pending, progress.count("cancelled")) == (True, 0, 3)
    assert [p.article_id for p in await storage.deliveries.running()] == [article_id]
    await storage.deliveries.finish(article_id)
    assert await storage.deliveries.running() == []


async def test_an_article_nobody_wants_is_finished_at_once(storage: Storage) -> None:
    article_id = (await storage.articles.add(article(1))).id
    progress = await storage.deliveries.progress(article_id)
    assert progress is not None
    assert (progress.total, progress.finished) == (0, True)


async def test_deleting_an_article_drops_its_outbox(storage: Storage) -> None:
    article_id = await queue(storage, 2)
    await storage.articles.delete(article_id)
    assert await storage.deliveries.claim(10) == []
    assert await storage.deliveries.progress(article_id) is None
