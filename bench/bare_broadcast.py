"""The baseline for bench/broadcast.py: a plain python-telegram-bot loop sending one message
to each chat with the same concurrency, no outbox, no database. The message is the same
card the engine sends (text, buttons, link preview), so that the two differ only by the
outbox. The transport is PTB's default (httpx) or the project's AiohttpRequest; the runtime
is `articlebot run`'s (uvloop, the same garbage-collector settings). Prints JSON figures."""

from __future__ import annotations

import asyncio
import json
import os
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

from telegram import Bot
from telegram.request import BaseRequest, HTTPXRequest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import uvloop

from bot import render
from bot.api.transport import AiohttpRequest
from bot.cli import tune_runtime
from bot.i18n import Catalog
from storage import Article

# What bench/broadcast.py publishes, as the engine reads it back.
ARTICLE = Article(
    id=1,
    url="https://news.example/b",
    title="Title",
    summary="A summary.",
    author="",
    tags=(),
    published_at=datetime(2026, 1, 1, tzinfo=UTC),
    created_at=datetime(2026, 1, 1, tzinfo=UTC),
    source="manual",
)


async def main(first_chat: int, count: int, concurrency: int, transport: str) -> None:
    request: BaseRequest = (
        AiohttpRequest(connection_pool_size=concurrency + 2)
        if transport == "aiohttp"
        else HTTPXRequest(connection_pool_size=concurrency + 2)
    )
    bot = Bot(os.environ["BOT_TOKEN"], base_url=os.environ["TELEGRAM_API_URL"], request=request)
    async with bot:
        card = render.broadcast_card(ARTICLE, Catalog.load().for_language(None), bot.username)
        semaphore = asyncio.Semaphore(concurrency)

        async def send(chat_id: int) -> None:
            async with semaphore:
                await bot.send_message(
                    chat_id,
                    card.text,
                    parse_mode="HTML",
                    reply_markup=card.markup,
                    link_preview_options=card.link_preview,
                )

        started = time.perf_counter()
        cpu = time.process_time()
        await asyncio.gather(*(send(c) for c in range(first_chat, first_chat + count)))
        print(
            json.dumps(
                {
                    "seconds": time.perf_counter() - started,
                    "cpu_seconds": time.process_time() - cpu,
                }
            )
        )


if __name__ == "__main__":
    tune_runtime()
    uvloop.run(main(int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]))
