"""Webhook mode end to end: the stand-in POSTs updates to the bot's aiohttp server."""

from __future__ import annotations

import asyncio
import io
import os
import signal
import socket
import sys
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from bot.app import build_application
from bot.runtime.webhook import serving_webhook
from bot.sandbox import BotApiStandIn
from config import Settings, SettingsError, load_settings
from storage import Storage
from tests.e2e import settings_for

SECRET = "s3cret-token_value"
SECRET_HEADER_NAME = "X-Telegram-Bot-Api-Secret-Token"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def webhook_settings(api: BotApiStandIn, port: int, **overrides: Any) -> Settings:
    return settings_for(
        api,
        bot_mode="webhook",
        webhook_url=f"http://127.0.0.1:{port}/telegram",
        webhook_secret=SECRET,
        webhook_listen="127.0.0.1",
        webhook_port=port,
        **overrides,
    )


@pytest.fixture
async def webhook(api: BotApiStandIn, storage: Storage) -> AsyncIterator[str]:
    port = free_port()
    settings = webhook_settings(api, port)
    async with serving_webhook(build_application(settings, storage), settings):
        yield f"http://127.0.0.1:{port}"


def latest_update(api: BotApiStandIn) -> dict[str, object]:
    message = {
        "message_id": 1,
        "date": 0,
        "chat": api.private_chat(42),
        "from": api.user(),
        "text": "/latest",
        "entities": [{"type": "bot_command", "offset": 0, "length": 7}],
    }
    return api.update("message", message)


async def test_registers_the_webhook_with_its_secret(api: BotApiStandIn, webhook: str) -> None:
    (call,) = api.calls_to("setWebhook")
    assert call["url"] == f"{webhook}/telegram"
    assert call["secret_token"] == SECRET
    assert "my_chat_member" in call["allowed_updates"]


async def test_updates_with_the_secret_are_processed_once(
    api: BotApiStandIn, webhook: str
) -> None:
    update = latest_update(api)
    assert await api.deliver_to_webhook(update) == 200
    await api.wait_for("sendMessage", chat_id=42)
    assert await api.deliver_to_webhook(update) == 200  # Telegram retried it
    # A later update, answered after the repeat had its chance to be (wrongly) processed:
    assert (
        await api.deliver_to_webhook(
            api.update(
                "message",
                {
                    "message_id": 2,
                    "date": 0,
                    "chat": api.private_chat(42),
                    "from": api.user(),
                    "text": "/help",
                    "entities": [{"type": "bot_command", "offset": 0, "length": 5}],
                },
            )
        )
        == 200
    )
    await api.wait_for("sendMessage", where=lambda c: "What I can do" in c["text"])
    latest_replies = [c for c in api.calls_to("sendMessage") if "no articles yet" in c["text"]]
    assert len(latest_replies) == 1


@pytest.mark.parametrize("secret", ["", "wrong-secret"])
async def test_requests_without_the_secret_get_403(
    api: BotApiStandIn, webhook: str, secret: str
) -> None:
    assert await api.deliver_to_webhook(latest_update(api), secret=secret) == 403
    assert api.calls_to("sendMessage") == []


async def test_health_and_garbage(webhook: str) -> None:
    async with aiohttp.ClientSession() as session:
        async with session.get(f"{webhook}/healthz") as response:
            assert response.status == 200
            assert await response.json() == {"ok": True, "role": "leader"}
        async with session.get(f"{webhook}/metrics") as response:
            assert response.status == 200
            assert "articlebot_updates_total" in await response.text()
        headers = {"X-Telegram-Bot-Api-Secret-Token": SECRET}
        async with session.post(f"{webhook}/telegram", data=b"{nope", headers=headers) as bad:
            assert bad.status == 400


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"webhook_url": "https://bot.example/tg"}, "WEBHOOK_SECRET is required"),
        ({"webhook_secret": "abc"}, "WEBHOOK_URL"),
        (
            {"webhook_url": "https://b.example/t", "webhook_secret": "has space"},
            'A-Z, a-z, 0-9, "_" and "-"; generate one with:',
        ),
    ],
)
def test_webhook_settings_are_checked(values: dict[str, str], message: str) -> None:
    with pytest.raises(SettingsError) as caught:
        load_settings(_env_file=None, bot_mode="webhook", **values)
    assert message in str(caught.value)
    assert "has space" not in str(caught.value)  # secrets never echoed
    if "SECRET is required" in message:
        assert "secrets.token_urlsafe" in str(caught.value)


async def test_articlebot_run_serves_the_webhook_and_stops_on_sigterm(
    api: BotApiStandIn, db_path: Path
) -> None:
    """The real process: `articlebot run` in webhook mode, on its own event loop."""
    port = free_port()
    env = {
        **os.environ,
        "BOT_TOKEN": api.token,
        "TELEGRAM_API_URL": api.base_url,
        "DATABASE_PATH": str(db_path),
        "BOT_MODE": "webhook",
        "WEBHOOK_SECRET": SECRET,
        "WEBHOOK_URL": f"http://127.0.0.1:{port}/telegram",
        "WEBHOOK_LISTEN": "127.0.0.1",
        "WEBHOOK_PORT": str(port),
        "LOG_LEVEL": "WARNING",
    }
    process = await asyncio.create_subprocess_exec(
        str(Path(sys.executable).with_name("articlebot")), "run", env=env
    )
    try:
        await api.wait_for("setWebhook", timeout=30)  # registered once it listens
        assert await api.deliver_to_webhook(latest_update(api)) == 200
        await api.wait_for("sendMessage", chat_id=42)
        process.send_signal(signal.SIGTERM)
        started = time.monotonic()
        assert await asyncio.wait_for(process.wait(), 10) == 0
        assert time.monotonic() - started < 5
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()


@pytest.fixture
def quick_timeouts(monkeypatch: pytest.MonkeyPatch) -> None:
    from bot.runtime import webhook as webhook_module

    monkeypatch.setattr(webhook_module, "IDLE_SECONDS", 0.5)
    monkeypatch.setattr(webhook_module, "BODY_SECONDS", 0.5)


async def test_silent_and_half_sent_requests_are_dropped(
    quick_timeouts: None, api: BotApiStandIn, webhook: str
) -> None:
    """Connections that send nothing, half the headers, or a body a byte at a time (with
    the secret) are closed, not waited on forever."""
    port = int(webhook.rsplit(":", 1)[1])
    streams = [await asyncio.open_connection("127.0.0.1", port) for _ in range(3)]
    try:
        streams[1][1].write(b"POST /telegram HTTP/1.1\r\nHost: x\r\n")
        streams[2][1].write(
            f"POST /telegram HTTP/1.1\r\nHost: x\r\n{SECRET_HEADER_NAME}: {SECRET}\r\n"
            "Content-Type: application/json\r\nContent-Length: 1000\r\n\r\n{".encode()
        )
        # Closed (an empty read), or answered 408 with `Connection: close`.
        answers = [await asyncio.wait_for(reader.read(200), 5) for reader, _ in streams]
    finally:
        for _, writer in streams:
            writer.close()
    assert answers[0] == answers[1] == b""
    assert answers[2].startswith(b"HTTP/1.1 408") and b"Connection: close" in answers[2]


@pytest.mark.parametrize(
    ("body", "status"),
    [
        (b"[" * 100_000 + b"]" * 100_000, 400),
        (b'{"update_id": 1, "x": ' + b"[" * 100 + b"]" * 100 + b"}", 400),
        (b"not json", 400),
        (b'{"update_id": 1, "x": "' + b"a" * 2 * 1024**2 + b'"}', 413),
    ],
    ids=["100k deep", "100 deep", "not json", "2 MB"],
)
async def test_hostile_bodies_get_a_clear_answer_and_no_traceback(
    api: BotApiStandIn, webhook: str, body: bytes, status: int
) -> None:
    headers = {SECRET_HEADER_NAME: SECRET, "Content-Type": "application/json"}
    async with (
        aiohttp.ClientSession() as session,
        session.post(f"{webhook}/telegram", data=io.BytesIO(body), headers=headers) as response,
    ):
        assert response.status == status
    assert not api.calls_to("sendMessage")
