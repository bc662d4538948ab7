"""CMS hooks end to end: signed hooks POSTed to the running bot's endpoint, cards and
recalls seen at the Bot API stand-in, rows in the store."""

from __future__ import annotations

import asyncio
import io
import json
import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from bot.app import build_application
from bot.context import BotApplication
from bot.runtime.webhook import serving_webhook
from bot.sandbox import BotApiStandIn
from bot.sandbox.standin import MESSAGES
from bot.sources.hooks.signing import GHOST_HEADER, sign_ghost
from storage import ChatInfo, Storage
from tests.e2e import running_bot, settings_for, wait_until
from tests.hooklib import (
    GHOST_SECRET,
    HOOKS_SECRET,
    HookClient,
    deleted,
    edited,
    ghost_payload,
    ghost_post,
    published,
    stamp,
    unpublished,
)
from tests.test_broadcast import settled
from tests.test_webhook import free_port

ADMIN = 7
GHOST_IMAGE = "https://news.example/content/images/2026/12/congreso.jpg"  # the fixture's
HOOKS = {"ghost_webhook_secret": GHOST_SECRET, "hooks_secret": HOOKS_SECRET, "hooks_port": 0}


@pytest.fixture
async def hooked(
    api: BotApiStandIn, storage: Storage
) -> AsyncIterator[tuple[BotApplication, HookClient]]:
    async with running_bot(api, storage, admin_ids=frozenset({ADMIN}), **HOOKS) as app:
        runner = app.bot_data.hooks_server
        assert runner is not None
        client = HookClient(f"http://127.0.0.1:{runner.addresses[0][1]}")
        try:
            yield app, client
        finally:
            await client.close()


@pytest.fixture
def client(hooked: tuple[BotApplication, HookClient]) -> HookClient:
    return hooked[1]


async def subscribers(storage: Storage, *chat_ids: int) -> None:
    for chat_id in chat_ids:
        await storage.chats.subscribe(ChatInfo(chat_id, "private"))


async def test_ghost_publish_edit_and_unpublish_act_as_the_bot_s_own_commands(
    api: BotApiStandIn, storage: Storage, client: HookClient
) -> None:
    await subscribers(storage, 101, 102)
    post = ghost_post(minutes_ago=2)

    status, answer = await client.ghost(published(post))
    assert (status, answer["outcome"]) == (200, "published")
    cards = [await api.wait_for(MESSAGES, chat_id=chat) for chat in (101, 102)]
    assert all("Perú: el Congreso aprueba la reforma" in card.text for card in cards)
    # Ghost's feature_image: a photo card, with 📖 for the post's HTML.
    assert all(card["photo"] == GHOST_IMAGE for card in cards)
    assert "📖 Read here" in cards[0].button_texts()
    article = await storage.articles.get(answer["article_id"])
    assert (article.source, article.guid) == ("ghost", f"ghost:{post['id']}")
    assert (article.author, article.tags) == ("Ana Quispe", ("Perú", "Política"))
    assert article.summary == "La reforma de pensiones pasa con 80 votos."
    assert "Las pensiones" in (article.body or "") and "<" not in (article.body or "")

    # Corrected in Ghost: the archive follows, and nothing new is sent.
    mark = api.mark()
    newer = ghost_post(minutes_ago=1, title="Perú: el Congreso aprueba la reforma de pensiones")
    status, answer = await client.ghost(edited(newer, title=post["title"]))
    assert (status, answer["outcome"]) == (200, "updated")
    assert (await storage.articles.get(article.id)).title.endswith("de pensiones")
    assert (await storage.articles.search("pensiones")).total == 1

    # Taken down: gone from the archive and search, and both cards recalled.
    status, answer = await client.ghost(unpublished(ghost_post(minutes_ago=0)))
    assert (status, answer["outcome"]) == (200, "withdrawn")
    for chat in (101, 102):
        await api.wait_for("deleteMessage", chat_id=chat)
    assert await storage.articles.count() == 0
    assert (await storage.articles.search("reforma")).total == 0
    assert not [c for c in api.calls[mark:] if c.method in {"sendMessage", "sendPhoto"}]
    events = [(r.event, r.outcome) for r in await storage.hooks.log()]
    assert events == [
        ("post.unpublished", "withdrawn"),
        ("post.published.edited", "updated"),
        ("post.published", "published"),
    ]


async def test_ghost_retrying_a_delivery_stores_one_article_and_sends_one_card(
    api: BotApiStandIn, storage: Storage, client: HookClient
) -> None:
    """Ghost sends the same request again when it had no answer within 2 s."""
    await subscribers(storage, 101)
    body = json.dumps(published(ghost_post())).encode()
    header = {GHOST_HEADER: sign_ghost(body, GHOST_SECRET.encode(), int(time.time() * 1000))}
    first = await client.post("/hooks/ghost", body, header)
    again = await client.post("/hooks/ghost", body, header)
    assert first[1]["outcome"] == "published"
    assert again == (200, {"outcome": "repeated", "article_id": None})
    await api.wait_for(MESSAGES, chat_id=101)
    await wait_until(lambda: settled(storage, first[1]["article_id"]))
    assert len(api.delivered(101)) == 1
    assert await storage.articles.count() == 1


async def test_ghost_deleted_post_is_withdrawn_and_a_late_older_edit_is_stale(
    storage: Storage, client: HookClient
) -> None:
    post = ghost_post(minutes_ago=10)
    assert (await client.ghost(published(post)))[1]["outcome"] == "published"
    status, answer = await client.ghost(deleted(ghost_post(minutes_ago=1)))
    assert (status, answer["outcome"]) == (200, "withdrawn")
    # An edit from before the deletion, delivered late, does not bring the post back.
    late = ghost_post(minutes_ago=5, title="Old title")
    assert (await client.ghost(edited(late, title="x")))[1]["outcome"] == "stale"
    assert await storage.articles.count() == 0


async def test_ghost_scheduling_drafts_and_pages_change_nothing(
    storage: Storage, client: HookClient
) -> None:
    """Ghost publishes a scheduled post itself (and sends post.published then)."""
    later = stamp(datetime.now(UTC) + timedelta(days=1))
    scheduled = ghost_payload(
        ghost_post(status="scheduled", published_at=later), {"status": "draft"}
    )
    draft = ghost_payload(ghost_post(status="draft"), {"title": "before"})
    page = {"page": {"current": ghost_post(), "previous": {}}}
    answers = [await client.ghost(payload) for payload in (scheduled, draft, page)]
    assert [a[1]["outcome"] for a in answers] == ["ignored"] * 3
    assert await storage.articles.count() == 0
    assert await storage.scheduled.all() == []
    assert [r.event for r in await storage.hooks.log()] == [
        "page.*",
        "post.edited",
        "post.scheduled",
    ]


async def test_an_edit_of_a_post_from_before_the_bot_is_archived_without_a_card(
    api: BotApiStandIn, storage: Storage, client: HookClient
) -> None:
    await subscribers(storage, 101)
    status, answer = await client.ghost(edited(ghost_post(), title="x"))
    assert (status, answer["outcome"]) == (200, "archived")
    assert await storage.articles.count() == 1
    assert await storage.broadcasts.running() == []
    assert not api.delivered(101)


BAD_REQUESTS = {
    "wrong secret": (401, {"secret": "another-secret-0123456789"}),
    "stale timestamp": (401, {"at_ms": int((time.time() - 360) * 1000)}),
    "future timestamp": (401, {"at_ms": int((time.time() + 360) * 1000)}),
}


@pytest.mark.parametrize("case", sorted(BAD_REQUESTS))
async def test_badly_signed_ghost_hooks_are_refused_and_store_nothing(
    case: str, storage: Storage, client: HookClient
) -> None:
    status, options = BAD_REQUESTS[case]
    if "at_ms" in options:  # computed when the test runs, not when it was collected
        skew = 360 if case == "future timestamp" else -360
        options = {"at_ms": int((time.time() + skew) * 1000)}
    answer = await client.ghost(published(ghost_post()), **options)
    assert answer[0] == status
    assert await storage.articles.count() == 0
    assert await storage.hooks.log() == []


async def test_unsigned_tampered_and_non_json_hooks_are_refused(
    storage: Storage, client: HookClient
) -> None:
    body = json.dumps(published(ghost_post())).encode()
    signature = sign_ghost(body, GHOST_SECRET.encode(), int(time.time() * 1000))
    tampered = body.replace(b"80 votos", b"81 votos")
    answers = [
        await client.post("/hooks/ghost", body, {}),  # no signature
        await client.post("/hooks/ghost", body, {GHOST_HEADER: "sha256=00, t=1"}),
        await client.post("/hooks/ghost", tampered, {GHOST_HEADER: signature}),
        await client.post("/hooks/ghost", body, {GHOST_HEADER: signature}, "text/plain"),
        await client.post("/hooks/ghost", b"[" * 100_000, {GHOST_HEADER: signature}),
    ]
    assert [status for status, _ in answers] == [401, 401, 401, 415, 401]
    assert await storage.articles.count() == 0
    assert await storage.hooks.log() == []


async def test_a_body_over_1_mb_is_refused_whether_announced_or_streamed(
    storage: Storage, client: HookClient
) -> None:
    huge = json.dumps({"post": {"current": {"html": "x" * 2_000_000}}}).encode()
    headers = {GHOST_HEADER: sign_ghost(huge, GHOST_SECRET.encode(), int(time.time() * 1000))}

    async def streamed() -> AsyncIterator[bytes]:  # chunked: no Content-Length to go by
        for start in range(0, len(huge), 65536):
            yield huge[start : start + 65536]

    announced = await client.post("/hooks/ghost", io.BytesIO(huge), headers)
    chunked = await client.post("/hooks/ghost", streamed(), headers)
    assert (announced[0], chunked[0]) == (413, 413)
    assert await storage.hooks.log() == []


async def test_deeply_nested_signed_json_is_refused(storage: Storage, client: HookClient) -> None:
    nested: dict[str, Any] = {}
    for _ in range(100):
        nested = {"a": nested}
    status, answer = await client.ghost(nested)
    assert (status, answer["error"]) == (400, "the body is not a JSON object")
    assert await storage.hooks.log() == []


async def test_a_signed_hook_without_a_usable_article_is_answered_422_and_logged(
    storage: Storage, client: HookClient
) -> None:
    status, answer = await client.ghost(published(ghost_post(title="")))
    assert (status, answer["error"]) == (422, "the title is empty")
    status, answer = await client.signed({"event": "moved", "article": {}})
    assert status == 422 and "published, updated, deleted" in answer["error"]
    assert await storage.articles.count() == 0
    assert [(r.outcome, r.detail) for r in await storage.hooks.log()] == [
        ("invalid", answer["error"]),
        ("invalid", "the title is empty"),
    ]


def signed_article(n: int, **fields: Any) -> dict[str, Any]:
    return {
        "id": f"cms-{n}",
        "url": f"https://news.example/{n}",
        "title": f"Nota {n}",
        "summary": "Resumen",
        "tags": ["economía"],
        **fields,
    }


async def test_fifty_signed_hooks_at_once_are_fifty_articles(
    storage: Storage, client: HookClient
) -> None:
    answers = await asyncio.gather(
        *(client.signed({"event": "published", "article": signed_article(n)}) for n in range(50))
    )
    assert {status for status, _ in answers} == {200}
    assert {answer["outcome"] for _, answer in answers} == {"published"}
    assert await storage.articles.count() == 50


async def test_signed_hooks_schedule_update_and_delete(
    api: BotApiStandIn, storage: Storage, client: HookClient
) -> None:
    await subscribers(storage, 101)
    ahead = (datetime.now(UTC) + timedelta(hours=3)).isoformat()
    status, answer = await client.signed(
        {"event": "published", "article": signed_article(1, published_at=ahead)}
    )
    assert (status, answer["outcome"]) == (200, "scheduled")
    assert [s.title for s in await storage.scheduled.all()] == ["Nota 1"]
    gone = {"event": "deleted", "article": {"url": "https://news.example/1"}}
    assert (await client.signed(gone))[1]["outcome"] == "unscheduled"
    assert await storage.scheduled.all() == []

    later = int(time.time())
    await client.signed({"event": "published", "article": signed_article(2)}, at=later - 2)
    await api.wait_for(MESSAGES, chat_id=101)
    updated = {"event": "updated", "article": signed_article(2, title="Nota 2, corregida")}
    assert (await client.signed(updated, at=later - 1))[1]["outcome"] == "updated"
    same = await client.signed(updated, at=later)
    assert same[1]["outcome"] == "unchanged"
    assert (await client.signed({"event": "deleted", "article": {"id": "cms-2"}}))[1][
        "outcome"
    ] == "withdrawn"
    await api.wait_for("deleteMessage", chat_id=101)
    missing = await client.signed({"event": "deleted", "article": {"id": "cms-404"}})
    assert missing == (200, {"outcome": "not found", "article_id": None})


async def test_the_signed_endpoint_refuses_ghost_signatures_and_stale_times(
    storage: Storage, client: HookClient
) -> None:
    payload = {"event": "published", "article": signed_article(1)}
    assert (await client.signed(payload, secret=GHOST_SECRET))[0] == 401
    assert (await client.signed(payload, at=int(time.time()) - 301))[0] == 401
    assert await storage.articles.count() == 0


async def test_admins_see_hooks_in_stats_and_metrics(
    api: BotApiStandIn, hooked: tuple[BotApplication, HookClient], storage: Storage
) -> None:
    application, client = hooked
    await client.ghost(published(ghost_post()))
    await client.post("/hooks/ghost", b"{}", {})
    api.push_message("/stats", user=api.user(ADMIN), chat=api.private_chat(ADMIN))
    chart = await api.wait_for("sendPhoto", chat_id=ADMIN, timeout=15)  # a chart is drawn
    assert "CMS hooks in the last 24 h: published 1" in chart["caption"]
    metrics = application.bot_data.metrics
    assert metrics is not None
    exposition = metrics.exposition().decode()
    assert (
        'articlebot_hooks_total{endpoint="ghost",event="post.published",outcome="published"} 1.0'
        in exposition
    )
    assert 'endpoint="ghost",event="unknown",outcome="refused"} 1.0' in exposition


async def test_webhook_mode_serves_the_hooks_on_the_webhook_server(
    api: BotApiStandIn, storage: Storage
) -> None:
    port = free_port()
    settings = settings_for(
        api,
        bot_mode="webhook",
        webhook_url=f"http://127.0.0.1:{port}/telegram",
        webhook_secret="telegram-secret",
        webhook_port=port,
        ghost_webhook_secret=GHOST_SECRET,
    )
    async with serving_webhook(build_application(settings, storage), settings):
        client = HookClient(f"http://127.0.0.1:{port}")
        try:
            status, answer = await client.ghost(published(ghost_post()))
            refused = await client.signed({"event": "published", "article": signed_article(1)})
        finally:
            await client.close()
    assert (status, answer["outcome"]) == (200, "published")
    assert refused[0] == 404  # HOOKS_SECRET unset: /hooks/articles is not served
    assert await storage.articles.count() == 1
