"""The aiohttp transport raises what python-telegram-bot's own transport raises."""

from __future__ import annotations

import pytest
from telegram import Bot
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TimedOut

from bot.api.transport import AiohttpRequest
from bot.sandbox import BotApiStandIn, Fault


async def test_calls_succeed_and_errors_map_to_ptb_exceptions(
    api: BotApiStandIn, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PTB_TIMEDELTA", "1")  # as build_application does
    async with Bot(api.token, base_url=api.base_url, request=AiohttpRequest()) as bot:
        message = await bot.send_message(5, "<b>hi</b>", parse_mode="HTML")
        assert message.chat.id == 5
        assert api.calls_to("sendMessage")[0]["text"] == "<b>hi</b>"
        for fault, error in [
            (Fault("sendMessage", 403, "Forbidden: bot was blocked by the user"), Forbidden),
            (Fault("sendMessage", 400, "Bad Request: message is too long"), BadRequest),
            (Fault("sendMessage", 429, "Too Many Requests", retry_after=3), RetryAfter),
            (Fault("sendMessage", 502, "Bad Gateway"), NetworkError),
        ]:
            api.inject(fault)
            with pytest.raises(error):
                await bot.send_message(5, "x")


async def test_slow_answers_time_out(api: BotApiStandIn) -> None:
    request = AiohttpRequest(read_timeout=0.2, write_timeout=0.1)
    async with Bot(api.token, base_url=api.base_url, request=request) as bot:
        api.delay = 1.0
        with pytest.raises(TimedOut):
            await bot.send_message(5, "x")


async def test_unreachable_server_is_a_network_error(api: BotApiStandIn) -> None:
    request = AiohttpRequest()
    await request.initialize()
    try:
        with pytest.raises(NetworkError):
            await request.post("http://127.0.0.1:9/bot123:abc/getMe")
    finally:
        await request.shutdown()
