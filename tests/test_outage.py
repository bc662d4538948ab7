"""Never lost when Telegram is down: an outage mid-broadcast (an HTML 502 page, connections
reset, calls that hang) pauses sending for everyone and counts against no delivery; after
it every subscriber has the card exactly once, and the outage took a few log lines."""

from __future__ import annotations

import logging
import time
from collections import Counter

import pytest

from bot import app as app_module
from bot.api import circuit
from bot.context import BotApplication
from bot.sandbox import BotApiStandIn
from storage import Storage
from tests.conftest import article
from tests.e2e import running_bot, wait_until
from tests.test_broadcast import settled, subscribe_private

SUBSCRIBERS = range(1, 61)
PUBLISHER = 1_000
OUTAGE = 3.0  # seconds; bench/outage.py measures a minute and ten


@pytest.fixture(autouse=True)
def quick(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(circuit, "FIRST_WAIT", 0.2)
    monkeypatch.setattr(app_module, "REQUEST_TIMEOUT", 1.0)


@pytest.mark.parametrize("kind", ["502", "reset", "hang"])
async def test_an_outage_mid_broadcast_loses_and_repeats_nothing(
    api: BotApiStandIn, storage: Storage, caplog: pytest.LogCaptureFixture, kind: str
) -> None:
    await subscribe_private(storage, *SUBSCRIBERS)
    async with running_bot(api, storage, admin_ids=str(PUBLISHER)) as application:
        stored = await storage.articles.add(article(1), notify_chat_id=PUBLISHER)
        await wait_until(lambda: len(api.delivered()) >= 10)
        caplog.clear()
        api.outage(kind, OUTAGE)
        await wait_until(lambda: application.bot_data.circuit.open, timeout=10)
        await wait_until(lambda: not api.down, timeout=10)
        await wait_until(lambda: settled(storage, stored.id), timeout=60)
        during = [r for r in caplog.records if r.levelno >= logging.INFO]
    received = Counter(c["chat_id"] for c in api.delivered() if c["chat_id"] != PUBLISHER)
    assert received == Counter(SUBSCRIBERS)  # each once
    progress = await storage.broadcasts.progress(stored.id)
    assert progress is not None and progress.count("failed") == 0
    assert len(during) <= 20, [r.getMessage() for r in during]
    assert any("Telegram is not answering" in r.getMessage() for r in during)
    assert any("Telegram answers again" in r.getMessage() for r in during)


async def test_two_days_down_fails_by_age_and_the_publisher_is_told(
    api: BotApiStandIn, storage: Storage
) -> None:
    await subscribe_private(storage, 1, 2, 3)
    async with running_bot(
        api, storage, admin_ids=str(PUBLISHER), broadcast_progress_interval=0.2
    ) as application:
        api.outage("502", 3600)
        stored = await storage.articles.add(article(1), notify_chat_id=PUBLISHER)
        worker = application.bot_data.worker
        assert worker is not None
        await wait_until(lambda: worker.circuit.open, timeout=10)
        progress = await storage.broadcasts.progress(stored.id)
        assert progress is not None and progress.count("failed") == 0  # an outage waits
        worker.clock = lambda: time.time() + 25 * 3600  # a day and an hour later
        api.end_outage()
        await wait_until(lambda: settled(storage, stored.id), timeout=15)

        def summaries() -> list[str]:  # sent as the first progress message, or edited into one
            return [
                c["text"]
                for c in api.calls
                if c.get("chat_id") == PUBLISHER
                and c.method in ("sendMessage", "editMessageText")
                and "could not be delivered" in c.get("text", "")
            ]

        await wait_until(summaries, timeout=20)
    assert "3 could not be delivered: not sent in time 3" in summaries()[-1]
    assert not api.delivered(1)
    rows = await storage.db.fetchall("SELECT status, attempts FROM deliveries")
    assert [tuple(row) for row in rows] == [("failed", 0)] * 3


async def test_a_reader_during_an_outage_costs_no_traceback(
    api: BotApiStandIn, bot: BotApplication
) -> None:
    api.outage("502", 2)
    await wait_until(lambda: bot.bot_data.circuit.open, timeout=10)  # polling met it
    api.end_outage()
    api.push_command("/help")
    await api.wait_for("sendMessage", where=lambda c: "What I can do" in c["text"])
    await wait_until(lambda: not bot.bot_data.circuit.open)
