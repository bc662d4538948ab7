"""`/metrics` after real traffic: the counters moved by exactly what happened, and no label
carries a token, an id or a user's text."""

from __future__ import annotations

import aiohttp
from prometheus_client.parser import text_string_to_metric_families

from bot.context import BotApplication
from bot.sandbox import BotApiStandIn, Fault
from storage import ChatInfo, Storage
from tests.conftest import article
from tests.e2e import running_bot, wait_until

READERS = (1001, 1002, 1003)


async def scrape(application: BotApplication) -> tuple[str, dict[tuple[str, str], float]]:
    server = application.bot_data.metrics_server
    assert server is not None
    host, port = server.addresses[0][:2]
    async with (
        aiohttp.ClientSession() as session,
        session.get(f"http://{host}:{port}/metrics") as response,
    ):
        assert response.status == 200
        text = await response.text()
    samples = {
        (sample.name, ",".join(f"{k}={v}" for k, v in sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }
    return text, samples


async def test_metrics_count_updates_and_deliveries_exactly(
    api: BotApiStandIn, storage: Storage
) -> None:
    for chat_id in READERS:
        await storage.chats.subscribe(ChatInfo(chat_id, "private"))
    api.inject(
        Fault("sendMessage", 403, "Forbidden: bot was blocked by the user", chat_id=READERS[2])
    )
    async with running_bot(api, storage, metrics_port=0) as app:
        _, before = await scrape(app)
        assert before.get(("articlebot_updates_total", "kind=command,outcome=ok"), 0) == 0
        for text in ("/start", "/latest", "/search secret words of a user"):
            mark = api.mark()
            api.push_command(text, user=api.user(4242))
            await api.wait_for("sendMessage", after=mark, chat_id=4242)
        stored = await storage.articles.add(article(1, title="Perú"))
        await wait_until(lambda: broadcast_done(storage, stored.id))
        await wait_until(lambda: counted(app))
        text, after = await scrape(app)
    assert after[("articlebot_updates_total", "kind=command,outcome=ok")] == 3
    assert after[("articlebot_handler_seconds_count", "command=latest")] == 1
    assert after[("articlebot_handler_seconds_count", "command=search")] == 1
    assert after[("articlebot_deliveries_total", "outcome=sent")] == 2
    assert after[("articlebot_deliveries_total", "outcome=skipped")] == 1
    assert after[("articlebot_db_write_wait_seconds_count", "")] > 0
    assert after[("articlebot_db_bytes", "")] > 0
    assert after[("articlebot_outbox_depth", "")] == 0
    labels = " ".join(key for _, key in after)
    for secret in (api.token, "4242", "1001", "secret", "Perú"):
        assert secret not in labels  # no token, id or typed word in any label
    for word in (api.token, "secret", "Perú"):
        assert word not in text  # nor anywhere (ids are left out here: values are numbers)


async def broadcast_done(storage: Storage, article_id: int) -> bool:
    progress = await storage.broadcasts.progress(article_id)
    return progress is not None and progress.pending == 0


async def counted(app: BotApplication) -> bool:
    """The outbox gauges are refreshed by the progress loop, every few seconds."""
    _, samples = await scrape(app)
    return (
        samples.get(("articlebot_db_bytes", ""), 0) > 0
        and samples.get(("articlebot_outbox_depth", ""), 1) == 0
    )
