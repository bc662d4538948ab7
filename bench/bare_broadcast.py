"""The baseline for bench/broadcast.py: a plain python-telegram-bot loop sending one message
to each chat with the same concurrency, no outbox, no database. The transport is PTB's
default (httpx) or the project's AiohttpRequest. Prints JSON figures."""

from __future__ import annotations

import asyncio
import json
import os
import sys
import time
from pathlib import Path

from telegram import Bot
from telegram.request import BaseRequest, HTTPXRequest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.transport import AiohttpRequest


async def main(first_chat: int, count: int, concurrency: int, transport: str) -> None:
    request: BaseRequest = (
        AiohttpRequest(connection_pool_size=concurrency + 2)
        if transport == "aiohttp"
        else HTTPXRequest(connection_pool_size=concurrency + 2)
    )
    bot = Bot(os.environ["BOT_TOKEN"], base_url=os.environ["TELEGRAM_API_URL"], request=request)
    async with bot:
        semaphore = asyncio.Semaphore(concurrency)

        async def send(chat_id: int) -> None:
            async with semaphore:
                await bot.send_message(chat_id, "<b>Title</b>\nA summary.", parse_mode="HTML")

        started = time.perf_counter()
        cpu = time.process_time()
        await asyncio.gather(*(send(c) for c in range(first_chat, first_chat + count)))
        print(json.dumps({
            "seconds": time.perf_counter() - started,
            "cpu_seconds": time.process_time() - cpu,
        }))  # fmt: skip


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]))
