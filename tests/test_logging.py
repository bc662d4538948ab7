"""Logs name the update, chat and command, and never contain the token or the secret."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator

import pytest

from bot.runtime import logs
from bot.sandbox import BotApiStandIn, Fault
from storage import ChatInfo, Storage
from tests.conftest import article
from tests.e2e import running_bot

WEBHOOK_SECRET = "webhook-secret-never-logged"


@pytest.fixture
def captured(api: BotApiStandIn) -> Iterator[io.StringIO]:
    """Every record, at DEBUG, through the production handler and formatter."""
    root = logging.getLogger()
    saved_handlers, saved_level = root.handlers[:], root.level
    stream = io.StringIO()
    logs.configure("DEBUG", "text", [api.token, WEBHOOK_SECRET], stream)
    try:
        yield stream
    finally:
        root.handlers[:] = saved_handlers
        root.setLevel(saved_level)


@pytest.mark.expect_tracebacks
async def test_a_whole_session_at_debug_leaks_no_secret(
    api: BotApiStandIn,
    storage: Storage,
    captured: io.StringIO,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    await storage.articles.add(article(1, title="Lima"))
    async with running_bot(api, storage, webhook_secret=WEBHOOK_SECRET) as app:
        for command in ("/start", "/latest", "/search lima", "/subscribe"):
            mark = api.mark()
            api.push_command(command)
            await api.wait_for("sendMessage", after=mark)

        async def leaky(*args: object, **kwargs: object) -> None:
            raise RuntimeError(
                f"failed calling {api.base_url}{api.token}/getMe with {WEBHOOK_SECRET}"
            )

        monkeypatch.setattr(storage.articles, "latest", leaky)
        mark = api.mark()
        api.push_command("/latest")
        await api.wait_for("sendMessage", after=mark, where=lambda c: "wrong" in c["text"])
        api.inject(Fault("sendMessage", 502, "Bad Gateway"))
        mark = api.mark()
        await storage.chats.subscribe(ChatInfo(5, "private"))
        await storage.articles.add(article(2))
        app.bot_data.worker.wake()  # type: ignore[union-attr]
        await api.wait_for("sendMessage", after=mark)
    text = captured.getvalue()
    assert "Traceback" in text  # the error above was logged with its traceback
    assert "update update_id=" in text and "command=/latest" in text and "chat_id=42" in text
    assert api.token not in text
    assert api.token.split(":")[1] not in text
    assert WEBHOOK_SECRET not in text
    assert logs.REDACTED in text


def test_json_format_is_one_object_per_line_and_redacted() -> None:
    stream = io.StringIO()
    root = logging.getLogger()
    saved = root.handlers[:], root.level
    try:
        logs.configure("INFO", "json", ["s3cr3t"], stream)
        try:
            raise ValueError("bad 123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw")
        except ValueError:
            logging.getLogger("t").exception("oops s3cr3t")
    finally:
        root.handlers[:], root.level = saved[0], saved[1]
    (line,) = stream.getvalue().splitlines()
    record = json.loads(line)
    assert record["message"] == f"oops {logs.REDACTED}"
    assert "AAHdq" not in record["traceback"]
    assert "s3cr3t" not in line
