from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

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
    progress = await storage.broadcasts.progress(article_id)
    assert progress is not None
    assert progress.count("pending") == 5


async def test_settle_records_outcomes_and_retry_times(storage: Storage) -> None:
    await queue(storage, 3)
    first, second, third = await storage.deliveries.claim(3)
    later = time.time() + 60
    await storage.deliveries.settle(
        [
            Outcome(first.id, "sent", message_id=99),
            Outcome(second.id, "pending", error="NetworkError: boom", retry_at=later),
            Outcome(third.id, "failed", error="BadRequest: no"),
        ]
    )
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
    assert await storage.broadcasts.cancel(article_id) == 3
    await storage.deliveries.settle([Outcome(claimed.id, "sent", message_id=1)])
    progress = await storage.broadcasts.progress(article_id)
    assert progress is not None
    assert (progress.cancelled, progress.pending, progress.count("cancelled")) == (True, 0, 3)
    assert [p.article_id for p in await storage.broadcasts.running()] == [article_id]
    await storage.broadcasts.finish(article_id)
    assert await storage.broadcasts.running() == []


async def test_an_article_nobody_wants_is_finished_when_its_walk_finds_nobody(
    storage: Storage,
) -> None:
    article_id = (await storage.articles.add(article(1))).id
    assert await storage.deliveries.claim(10) == []
    progress = await storage.broadcasts.progress(article_id)
    assert progress is not None
    assert (progress.total, progress.pending, progress.finished) == (0, 0, True)


async def test_deleting_an_article_drops_its_outbox(storage: Storage) -> None:
    article_id = await queue(storage, 2)
    await storage.articles.delete(article_id)
    assert await storage.deliveries.claim(10) == []
    assert await storage.broadcasts.progress(article_id) is None


async def walk_all(storage: Storage) -> list[int]:
    """Claim until nothing is left, recording every claimed delivery as sent."""
    chats: list[int] = []
    while claimed := await storage.deliveries.claim(2):
        chats += [d.chat_id for d in claimed]
        await storage.deliveries.settle([Outcome(d.id, "sent", message_id=1) for d in claimed])
    return chats


async def test_recipients_are_the_subscriptions_made_before_publication(
    storage: Storage,
) -> None:
    for chat_id in (1, 2, 3, 4):
        await storage.chats.subscribe(ChatInfo(chat_id, "private"))
    article_id = (await storage.articles.add(article(1))).id
    assert len(await storage.deliveries.claim(2)) == 2  # the walk is under way
    await storage.chats.subscribe(ChatInfo(5, "private"))  # after publication: not a recipient
    await storage.chats.unsubscribe(4)  # before the walk reaches it: not either
    await storage.chats.unsubscribe(3)
    await storage.chats.subscribe(ChatInfo(3, "private"))  # again, after: a new subscription
    assert await walk_all(storage) == []  # 1 and 2 were claimed above; nobody else
    progress = await storage.broadcasts.progress(article_id)
    assert progress is not None and (progress.total, progress.walked) == (2, True)
    later = (await storage.articles.add(article(2))).id
    assert sorted(await walk_all(storage)) == [1, 2, 3, 5]
    assert (await storage.broadcasts.progress(later)).total == 4  # type: ignore[union-attr]


async def test_topic_subscribers_are_walked_in_order_without_duplicates(
    storage: Storage,
) -> None:
    await storage.chats.subscribe(ChatInfo(30, "private"), topics=("lima", "peru"))
    await storage.chats.subscribe(ChatInfo(10, "private"), topics=("peru",))
    await storage.chats.subscribe(ChatInfo(20, "private"))
    await storage.chats.subscribe(ChatInfo(40, "private"), topics=("chile",))
    await storage.articles.add(article(1, title="Lima, Perú"))
    assert await walk_all(storage) == [10, 20, 30]


async def test_counting_and_cancelling_an_unwalked_broadcast(storage: Storage) -> None:
    article_id = await queue(storage, 5)
    await storage.broadcasts.count_recipients()
    progress = await storage.broadcasts.progress(article_id)
    assert progress is not None and (progress.total, progress.pending) == (5, 5)
    await storage.deliveries.claim(2)
    assert await storage.broadcasts.cancel(article_id) == 3  # none pending, three unwalked
    assert await walk_all(storage) == []


async def test_pruning_keeps_what_is_needed_and_day_counts(storage: Storage) -> None:
    """Sent rows stay for the recall window, the others for the retention; counts per day
    stay after both. The clock is moved, not waited for."""
    article_id = await queue(storage, 3)
    first, second, third = await storage.deliveries.claim(3)
    await storage.deliveries.settle(
        [
            Outcome(first.id, "sent", message_id=7),
            Outcome(second.id, "sent", message_id=8),
            Outcome(third.id, "failed", error="BadRequest: no"),
        ]
    )
    await storage.broadcasts.finish(article_id)
    rows = "SELECT status FROM deliveries ORDER BY id"
    now = datetime.now(UTC)
    assert await storage.deliveries.prune(now + timedelta(hours=47)) == 0
    assert await storage.deliveries.sent_messages(article_id, "") == [(1, 7), (2, 8)]
    assert await storage.deliveries.prune(now + timedelta(hours=49), batch=1) == 1
    assert await storage.deliveries.prune(now + timedelta(hours=49), batch=1) == 1
    assert [r[0] for r in await storage.db.fetchall(rows)] == ["failed"]
    assert await storage.deliveries.prune(now + timedelta(days=29)) == 0
    assert await storage.deliveries.prune(now + timedelta(days=31)) == 1
    assert await storage.db.fetchall(rows) == []
    today = now.date().isoformat()
    assert await storage.deliveries.days(today) == {today: {"sent": 2, "failed": 1}}
    assert await storage.deliveries.prune(now + timedelta(days=401)) == 0
    assert await storage.deliveries.days(today) == {}  # day counts have a retention too
