"""Digests due at the same minute: building and queueing them must never be the bottleneck.

    python bench/digests.py [--size 100000] [--articles 30]

`--size` subscriptions take a daily digest at 08:00 UTC (half to everything, half to 1-3
topics of a 200-word vocabulary); `--articles` articles were published since the last one.
The clock is moved to 08:00 and every digest is queued (`DigestRepository.schedule_due`:
the matching articles of each, its row in the outbox, its next time, 500 a transaction);
then each queued digest's messages are built as the delivery worker builds them (rendered
once per distinct content and language, reused for the rest).

The baseline is the fastest the bot may send: 1,000 messages/s (paid broadcasts). The ratio
says how many times faster digests are built than they could ever be sent; the target is
at least 10.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import table, vocabulary
from bot import render
from bot.delivery.sending import Card
from bot.i18n import Catalog
from storage import Article, NewArticle, Storage
from storage.deliveries import Digest
from storage.text import fold, now_iso

FASTEST_SEND = 1_000.0  # messages/s: paid broadcasts
EIGHT = datetime(2026, 12, 1, 8, tzinfo=UTC).timestamp()


async def build(store: Storage, size: int, articles: int) -> None:
    rng = random.Random(size)
    words = [fold(w) for w in vocabulary(200)]
    now = now_iso()
    async with store.db.atomic() as conn:
        await conn.executemany(
            """INSERT INTO chats (chat_id, type, created_at, updated_at)
               VALUES (?, 'private', ?, ?)""",
            [(chat, now, now) for chat in range(1, size + 1)],
        )
        everything = {chat: rng.random() < 0.5 for chat in range(1, size + 1)}
        await conn.executemany(
            """INSERT INTO subscriptions (chat_id, thread_id, everything, instant, digest_minute,
                                          next_digest_at, digest_from, created_at, updated_at)
               VALUES (?, 0, ?, 0, 480, ?, 0, ?, ?)""",
            [(chat, int(every), EIGHT, now, now) for chat, every in everything.items()],
        )
        await conn.executemany(
            """INSERT OR IGNORE INTO subscription_topics (chat_id, thread_id, topic, instant)
               VALUES (?, 0, ?, 0)""",
            [
                (chat, topic)
                for chat, every in everything.items()
                if not every
                for topic in rng.sample(words, rng.randint(1, 3))
            ],
        )
    for n in range(articles):
        title = " ".join(rng.sample(words, 8))
        await store.articles.add(
            NewArticle(
                url=f"https://bench.example/{n}",
                title=title,
                summary="A summary of the article. " * 4,
            )
        )


async def measure(size: int, articles: int) -> list[list[str]]:
    with tempfile.TemporaryDirectory() as folder:
        store = await Storage.open(Path(folder) / "bench.db")
        try:
            await build(store, size, articles)
            wall, cpu = time.perf_counter(), time.process_time()
            queued = await store.digests.schedule_due(EIGHT + 30)
            queue_wall, queue_cpu = time.perf_counter() - wall, time.process_time() - cpu
            rows = await store.db.fetchall("SELECT kind, articles FROM digests")
            by_id: dict[int, Article] = {a.id: a for a in await store.articles.latest(1000)}
        finally:
            await store.close()
    texts = Catalog.load().for_language("en")
    rendered: dict[tuple[Digest, str], list[Card]] = {}
    cpu = time.process_time()
    for kind, ids in rows:
        digest = Digest(kind, tuple(json.loads(ids)))
        key = (digest, texts.language)
        if key not in rendered:
            found = [by_id[i] for i in digest.articles]
            parts = render.digest(texts, kind, found, "articlebot")
            rendered[key] = [Card.of(part) for part in parts]
    render_cpu = time.process_time() - cpu
    rate = queued / queue_wall
    return [
        [
            f"{size:,}",
            f"{queued:,}",
            f"{queue_wall:.2f} s",
            f"{rate:,.0f}/s",
            f"{1e6 * queue_cpu / queued:.0f} µs",
            f"{len(rendered):,}",
            f"{1e6 * render_cpu / queued:.1f} µs",
            f"{rate / FASTEST_SEND:.1f}×",
        ],
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--size", type=int, default=100_000)
    parser.add_argument("--articles", type=int, default=30)
    args = parser.parse_args()
    rows = asyncio.run(measure(args.size, args.articles))
    print(
        table(
            [
                "subscriptions",
                "queued",
                "queue time",
                "queue rate",
                "CPU/digest (queue)",
                "distinct",
                "CPU/digest (build)",
                "rate vs 1,000/s",
            ],
            rows,
        )
    )


if __name__ == "__main__":
    main()
