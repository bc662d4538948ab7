"""Cards through a Telegram outage: 60 subscribers, one article, the Bot API down mid-way.

    python bench/outage.py [--seconds 60,600] [--kinds 502,reset] [--subscribers 60]

The real bot (BROADCAST_RATE 25) polls the Bot API stand-in on 127.0.0.1 in this process.
After 10 cards the stand-in goes down for each duration, as each kind of outage (an HTML
502 page, connections reset), then comes back. Reported: cards delivered (and twice),
failed deliveries, log lines during the outage and its recovery, and the seconds from
Telegram answering again to the last card. The baseline is the same broadcast with no
outage: its duration is what the outage should add to, and no more than a probe's wait.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import standin_bot, table
from bot.runtime.running import polling
from bot.sandbox import BotApiStandIn
from storage import ChatInfo, NewArticle, Storage


class Lines(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.INFO)
        self.count = 0

    def emit(self, record: logging.LogRecord) -> None:
        self.count += 1


async def until(check: object, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while not check():  # type: ignore[operator]
        if time.monotonic() > deadline:
            raise TimeoutError
        await asyncio.sleep(0.05)


async def broadcast(subscribers: int, kind: str | None, seconds: float) -> list[object]:
    with tempfile.TemporaryDirectory() as folder:
        store = await Storage.open(Path(folder) / "bench.db")
        for chat_id in range(1, subscribers + 1):
            await store.chats.subscribe(ChatInfo(chat_id, "private"))
        lines = Lines()
        logging.getLogger().addHandler(lines)
        try:
            async with BotApiStandIn() as api:
                application = standin_bot(api, store)
                async with polling(application, poll_timeout=1):
                    started = time.monotonic()
                    await store.articles.add(
                        NewArticle(url="https://news.example/1", title="Outage", summary="s")
                    )
                    await until(lambda: len(api.delivered()) >= 10, 60)
                    if kind is not None:
                        lines.count = 0
                        api.outage(kind, seconds)
                        await until(lambda: not api.down, seconds + 10)
                    back = time.monotonic()
                    await until(lambda: len(api.delivered()) >= subscribers, seconds + 600)
                    last = time.monotonic()
                    await asyncio.sleep(2)  # any card sent twice shows itself
                    received = Counter(call["chat_id"] for call in api.delivered())
                    api.drain()
            rows = await store.db.fetchall("SELECT count(*) FROM deliveries WHERE status='failed'")
        finally:
            logging.getLogger().removeHandler(lines)
            await store.close()
    twice = sum(1 for count in received.values() if count > 1)
    label = "no outage (baseline)" if kind is None else f"{kind}, {seconds:g} s"
    recovery, total = f"{last - back:.1f}", f"{last - started:.1f}"
    logged = lines.count if kind else "-"
    return [label, f"{len(received)}/{subscribers}", twice, rows[0][0], logged, recovery, total]


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", default="60,600")
    parser.add_argument("--kinds", default="502,reset")
    parser.add_argument("--subscribers", type=int, default=60)
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, stream=sys.stderr)  # the bot's default LOG_LEVEL
    rows = [await broadcast(args.subscribers, None, 0)]
    for seconds in (float(s) for s in args.seconds.split(",")):
        for kind in args.kinds.split(","):
            rows.append(await broadcast(args.subscribers, kind, seconds))
            print(table(HEADERS, rows[-1:]), file=sys.stderr)
    print(table(HEADERS, rows))


HEADERS = [
    "outage",
    "cards delivered",
    "twice",
    "failed",
    "log lines",
    "recovery to last card s",
    "publish to last card s",
]

if __name__ == "__main__":
    asyncio.run(main())
