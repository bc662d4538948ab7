"""The token and the webhook secret never reach the terminal: not when a proxy, a local Bot
API server or a wrong TELEGRAM_API_URL echoes the request back in its error."""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from urllib.parse import quote

import pytest
from aiohttp import web

from bot.sandbox.messages import BOT_USER

# Neither is shaped like a real token: only the registered secret can be redacted.
TOKEN = "42:short-token"
WEBHOOK_SECRET = "hook-secret-0123456789"


class EchoingApi:
    """A Bot API front that answers getMe with `status` (or succeeds, when None) and
    setWebhook with a 502 page, each echoing the request it got, URL and body."""

    def __init__(self) -> None:
        self.get_me_status: int | None = None
        self.port = 0

    async def handle(self, request: web.Request) -> web.Response:
        echo = f"{request.method} {request.raw_path} {await request.text()}"
        if request.path.endswith("/getMe"):
            if self.get_me_status is None:
                return web.json_response({"ok": True, "result": BOT_USER})
            if self.get_me_status >= 500:
                return web.Response(status=self.get_me_status, text=f"<html>{echo}</html>")
            return web.json_response(
                {"ok": False, "error_code": self.get_me_status, "description": f"Refused: {echo}"},
                status=self.get_me_status,
            )
        return web.Response(status=502, text=f"<html><h1>502 Bad Gateway</h1>{echo}</html>")


@pytest.fixture
async def echoing() -> AsyncIterator[EchoingApi]:
    api = EchoingApi()
    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", api.handle)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    api.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    try:
        yield api
    finally:
        await runner.cleanup()


def run_bot(api: EchoingApi, tmp_path: Path, **env: str) -> tuple[int, str]:
    environment = {
        **os.environ,
        "BOT_TOKEN": TOKEN,
        "WEBHOOK_SECRET": WEBHOOK_SECRET,
        "TELEGRAM_API_URL": f"http://127.0.0.1:{api.port}/bot",
        "DATABASE_PATH": str(tmp_path / "bot.db"),
        "LOG_LEVEL": "DEBUG",
        **env,
    }
    command = [str(Path(sys.executable).with_name("articlebot")), "run"]
    process = subprocess.Popen(
        command, env=environment, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    try:
        out, _ = process.communicate(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()
    return process.returncode, out


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def assert_no_secret(output: str) -> None:
    for secret in (TOKEN, WEBHOOK_SECRET):
        for form in (secret, quote(secret, safe=""), quote(secret)):
            assert form not in output, output
    assert "Traceback" not in output, output


@pytest.mark.parametrize("status", [401, 403, 404, 500, 502])
async def test_an_api_error_that_echoes_the_url_prints_no_token(
    echoing: EchoingApi, tmp_path: Path, status: int
) -> None:
    echoing.get_me_status = status
    code, output = await asyncio.to_thread(run_bot, echoing, tmp_path)
    assert code == 1
    assert "Error:" in output, output
    if status < 500:  # its JSON description quoted the URL; a page is never quoted
        assert "[REDACTED]" in output, output
    assert_no_secret(output)


async def test_a_failed_set_webhook_that_echoes_its_body_prints_no_secret(
    echoing: EchoingApi, tmp_path: Path
) -> None:
    code, output = await asyncio.to_thread(
        run_bot,
        echoing,
        tmp_path,
        BOT_MODE="webhook",
        WEBHOOK_URL="https://bot.example/hook",
        WEBHOOK_LISTEN="127.0.0.1",
        WEBHOOK_PORT=str(free_port()),
    )
    assert code == 1, output
    assert "Bad Gateway" in output
    assert_no_secret(output)
