from __future__ import annotations

import pytest

from storage import ChatInfo, InvalidInput, NotFound, Storage, SubscriptionChange
from storage.text import parse_topics, terms
from tests.conftest import article

ALICE = ChatInfo(1, "private", "Alice")
GROUP = ChatInfo(-100, "supergroup", "Group", is_forum=True)


async def recipients(storage: Storage, *texts: str) -> set[tuple[int, int]]:
    found: set[tuple[int, int]] = set()
    words = set().union(*(terms(t) for t in texts))
    async for batch in storage.chats.recipients(words):
        assert not found & set(batch), "a recipient appears twice"
        found |= set(batch)
    return found


def test_topics_are_folded_bounded_and_plain_words() -> None:
    assert parse_topics(["Perú", "#peru", "CASTILLO"]) == ("peru", "castillo")
    for bad in (["C++"], ["a OR b"], ["<b>x</b>"], ['"x'], ["x" * 65], ["e-mail"]):
        with pytest.raises(InvalidInput):
            parse_topics(bad)
    with pytest.raises(InvalidInput, match="at most 20"):
        parse_topics([f"t{i}" for i in range(1000)])


async def test_subscribe_everything_then_topics(storage: Storage) -> None:
    change, sub = await storage.chats.subscribe(ALICE)
    assert change is SubscriptionChange.CREATED
    assert sub.everything
    change, _ = await storage.chats.subscribe(ALICE)
    assert change is SubscriptionChange.UNCHANGED
    change, sub = await storage.chats.subscribe(ALICE, topics=("peru",))
    assert change is SubscriptionChange.NARROWED  # said so to the user
    assert sub.topics == ("peru",)
    change, sub = await storage.chats.subscribe(ALICE, topics=("lima", "peru"))
    assert change is SubscriptionChange.CHANGED
    assert sub.topics == ("lima", "peru")
    change, sub = await storage.chats.subscribe(ALICE)
    assert change is SubscriptionChange.CHANGED
    assert sub.everything


async def test_unsubscribe_topics_and_all(storage: Storage) -> None:
    await storage.chats.subscribe(ALICE, topics=("lima", "peru"))
    remaining = await storage.chats.unsubscribe(ALICE.chat_id, topics=("peru",))
    assert remaining is not None
    assert remaining.topics == ("lima",)
    with pytest.raises(NotFound):
        await storage.chats.unsubscribe(ALICE.chat_id, topics=("cusco",))
    assert await storage.chats.unsubscribe(ALICE.chat_id, topics=("lima",)) is None
    with pytest.raises(NotFound):
        await storage.chats.unsubscribe(ALICE.chat_id)


async def test_topic_limit_across_calls(storage: Storage) -> None:
    await storage.chats.subscribe(ALICE, topics=tuple(f"a{i}" for i in range(15)))
    with pytest.raises(InvalidInput):
        await storage.chats.subscribe(ALICE, topics=tuple(f"b{i}" for i in range(10)))
    sub = await storage.chats.subscription(ALICE.chat_id)
    assert sub is not None
    assert len(sub.topics) == 15


async def test_recipients_match_topics_ignoring_accents(storage: Storage) -> None:
    await storage.chats.subscribe(ALICE)  # everything
    await storage.chats.subscribe(ChatInfo(2, "private"), topics=("peru", "lima"))
    await storage.chats.subscribe(ChatInfo(3, "private"), topics=("bolivia",))
    await storage.chats.subscribe(GROUP, thread_id=7, topics=("economia",))
    assert await recipients(storage, "Elecciones en Perú", "Lima vota") == {(1, 0), (2, 0)}
    assert await recipients(storage, "La economía crece") == {(1, 0), (-100, 7)}
    assert await recipients(storage, "Nothing relevant") == {(1, 0)}


async def test_inactive_chats_keep_subscriptions_but_receive_nothing(storage: Storage) -> None:
    await storage.chats.subscribe(ALICE)
    assert await storage.chats.deactivate(ALICE.chat_id, "blocked")
    assert await recipients(storage, "x") == set()
    state = await storage.chats.get(ALICE.chat_id)
    assert state is not None
    assert (state.active, state.deactivated_reason) == (False, "blocked")
    assert await storage.chats.subscription(ALICE.chat_id) is not None
    assert await storage.chats.reactivate(ALICE)
    assert await recipients(storage, "x") == {(1, 0)}


async def test_migration_moves_subscriptions_once(storage: Storage) -> None:
    old = ChatInfo(-5, "group", "Old group")
    await storage.chats.subscribe(old, topics=("peru",))
    await storage.chats.migrate(-5, -1005)
    await storage.chats.migrate(-5, -1005)  # repeated: harmless
    assert await storage.chats.get(-5) is None
    moved = await storage.chats.subscription(-1005)
    assert moved is not None
    assert moved.topics == ("peru",)
    assert await recipients(storage, "Perú") == {(-1005, 0)}


async def test_migration_into_a_chat_already_known(storage: Storage) -> None:
    await storage.chats.subscribe(ChatInfo(-5, "group"), topics=("peru",))
    await storage.chats.remember(ChatInfo(-1005, "supergroup"))
    await storage.chats.migrate(-5, -1005)
    moved = await storage.chats.subscription(-1005)
    assert moved is not None
    assert moved.topics == ("peru",)
    assert await storage.chats.get(-5) is None


async def test_weekly_estimate_counts_matching_articles(storage: Storage) -> None:
    await storage.articles.add(article(1, title="Perú"))
    await storage.articles.add(article(2, title="Chile", tags=("peru",)))
    await storage.articles.add(article(3, title="Bolivia", body="peru only in the body"))
    assert await storage.articles.count_about_since(("peru",), days=28) == 2
    assert await storage.articles.count_about_since((), days=28) == 3


async def test_channel_subscriptions_by_title_with_topics(storage: Storage) -> None:
    await storage.chats.subscribe(ChatInfo(-3, "channel", "beta"), topics=("lima", "peru"))
    await storage.chats.subscribe(ChatInfo(-2, "channel", "Alpha"))
    await storage.chats.subscribe(ALICE)
    await storage.chats.subscribe(GROUP)
    listed = await storage.chats.channel_subscriptions(10)
    assert [(c.channel.title, c.subscription.topics) for c in listed] == [
        ("Alpha", ()),
        ("beta", ("lima", "peru")),
    ]
    assert [c.channel.chat_id for c in await storage.chats.channel_subscriptions(1, 1)] == [-3]
