"""Every update is processed or acknowledged, never lost and never looped on: one that
python-telegram-bot cannot parse is logged once and skipped; one whose hand-over failed is
taken when Telegram sends it again."""

from __future__ import annotations

from typing import Any

import pytest
from telegram import Bot, Update

from bot.context import BotApplication
from bot.runtime import webhook as webhook_module
from bot.sandbox import BotApiStandIn
from tests.test_webhook import latest_update
from tests.test_webhook import webhook as webhook

UNREADABLE_MESSAGE = {"message_id": 1, "date": "soon", "chat": 42, "text": "/latest"}


def skipped(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if "cannot be read" in r.getMessage()]


async def test_polling_skips_an_unreadable_update_once_and_goes_on(
    api: BotApiStandIn, bot: BotApplication, caplog: pytest.LogCaptureFixture
) -> None:
    unreadable = api.push("message", UNREADABLE_MESSAGE)
    api.push_command("/help")
    await api.wait_for("sendMessage", chat_id=42, where=lambda c: "What I can do" in c["text"])
    polls = api.polls
    api.push_command("/latest")  # later polls do not bring the unreadable update again
    await api.wait_for("sendMessage", chat_id=42, where=lambda c: "no articles" in c["text"])
    assert api.polls > polls
    (line,) = skipped(caplog)
    assert f"update_id={unreadable} (" in line and "bytes" in line


async def test_a_webhook_update_that_cannot_be_read_is_acknowledged(
    api: BotApiStandIn, webhook: str, caplog: pytest.LogCaptureFixture
) -> None:
    update = api.update("message", UNREADABLE_MESSAGE)
    assert await api.deliver_to_webhook(update) == 200  # Telegram stops sending it
    assert await api.deliver_to_webhook(latest_update(api)) == 200
    await api.wait_for("sendMessage", chat_id=42)
    (line,) = skipped(caplog)
    assert f"update_id={update['update_id']} (" in line


@pytest.mark.expect_tracebacks  # the failed hand-over is logged by aiohttp
async def test_a_webhook_update_whose_hand_over_failed_is_taken_when_resent(
    api: BotApiStandIn,
    webhook: str,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    original, failures = webhook_module.parsed, [RuntimeError("the queue is gone")]

    def fails_once(update: dict[str, Any], bot: Bot | None) -> Update | None:
        if failures:
            raise failures.pop()
        return original(update, bot)

    monkeypatch.setattr(webhook_module, "parsed", fails_once)
    update = latest_update(api)
    assert await api.deliver_to_webhook(update) == 500  # so Telegram sends it again
    assert await api.deliver_to_webhook(update) == 200
    await api.wait_for("sendMessage", chat_id=42)
    assert not any("repeated" in r.getMessage() for r in caplog.records if r.levelno > 0)
