"""The baseline for bench/broadcast.py: a plain python-telegram-bot loop sending one message
to each chat with the same concurrency, no outbox, no database. Prints JSON figures."""

from __future__ import annotations

import asyncio
import json
import os
import sys
import time

from telegram import Bot
from telegram.request import HTTPXRequest


async def main(first_chat: int, count: int, concurrency: int) -> None:
    bot = Bot(
        os.environ["BOT_TOKEN"],
        base_url=os.environ["TELEGRAM_API_URL"],
        request=HTTPXRequest(connection_pool_size=concurrency + 2),
    )
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
    asyncio.run(main(int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])))
