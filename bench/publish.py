"""Publishing to many subscribers: the write it costs, the writers it holds up, the file it grows.

    python bench/publish.py [--sizes 10000,100000,1000000]
                            [--days 30] [--per-day 10] [--audience 10000]

Subscriptions are those of bench/recipients.py (half to everything, half to 1-5 topics of a
Zipf vocabulary, a tenth of the chats inactive; about three quarters of them want the test
article). The baseline is the outbox as it was before broadcasts were walked: the article's
transaction inserted one delivery row per recipient (`INSERT ... SELECT`), kept here.

1. publish: wall time of adding one article (its write transaction holds the lock for all
   of it), new against baseline.
2. stall: while an article is published and its broadcast drained at 1,000 deliveries/s for
   a few seconds (claim and settle as the worker does them, 32 a wave), another connection
   makes a subscribe-style write every 50 ms: the latency of each (p50, p99, max), and
   whether any met "database is locked".
3. size: `--days` days of `--per-day` articles to `--audience` subscriptions, each drained,
   the clock moved a day at a time and the outbox pruned as the worker prunes it; the file
   size each 10 days, against the baseline, which keeps every row.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import shutil
import sqlite3
import statistics
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import table
from bench.recipients import CACHE, article_terms, build
from storage import NewArticle, Storage
from storage.chats import RECIPIENTS_SQL
from storage.deliveries import Outcome
from storage.text import iso, now_iso, terms

WAVE = 32
DRAIN_SECONDS = 5.0


def test_article(n: int) -> NewArticle:
    """An article whose words are the recipients bench's article terms."""
    words = article_terms(seed=n)
    return NewArticle(
        url=f"https://bench.example/{n}", title=" ".join(words[:10]), summary=" ".join(words[10:])
    )


async def publish_baseline(store: Storage, article: NewArticle) -> None:
    """The old path: the article and one delivery row per recipient, in one transaction."""
    now = now_iso()
    terms = json.dumps(article_terms_of(article))
    async with store.db.atomic() as conn:
        cursor = await conn.execute(
            "INSERT INTO articles (url, title, summary, published_at, created_at) "
            "VALUES (?, ?, ?, ?, ?)",
            (article.url, article.title, article.summary, now, now),
        )
        article_id = cursor.lastrowid
        cursor = await conn.execute(
            f"""INSERT INTO deliveries (article_id, chat_id, thread_id, status,
                                        next_attempt_at, created_at, updated_at)
                SELECT :article_id, chat_id, thread_id, 'pending', 0, :now, :now
                FROM ({RECIPIENTS_SQL})""",
            {"article_id": article_id, "now": now, "terms": terms},
        )
        await conn.execute(
            "INSERT INTO broadcasts (article_id, total, started_at, walked, counted) "
            "VALUES (?, ?, ?, 1, 1)",
            (article_id, cursor.rowcount, now),
        )


def article_terms_of(article: NewArticle) -> list[str]:
    return sorted(terms(f"{article.title} {article.summary}"))


async def publish(store: Storage, article: NewArticle, baseline: bool) -> float:
    started = time.perf_counter()
    if baseline:
        await publish_baseline(store, article)
    else:
        await store.articles.add(article)
    return (time.perf_counter() - started) * 1000


def working_copy(size: int, folder: Path) -> Path:
    source = CACHE / f"recipients-{size}.db"
    asyncio.run(build(source, size))
    target = folder / f"work-{size}.db"
    shutil.copyfile(source, target)
    return target


class Writer(threading.Thread):
    """Another connection (a user's /subscribe) writing every 50 ms; records latencies."""

    def __init__(self, path: Path) -> None:
        super().__init__(daemon=True)
        self.path = path
        self.latencies: list[float] = []
        self.locked = 0
        self.stop = threading.Event()

    def run(self) -> None:
        conn = sqlite3.connect(self.path, timeout=10, isolation_level=None)
        chat_id = 10**12
        while not self.stop.is_set():
            chat_id += 1
            started = time.perf_counter()
            try:
                conn.execute("BEGIN IMMEDIATE")
                conn.execute(
                    "INSERT INTO chats (chat_id, type, created_at, updated_at) "
                    "VALUES (?, 'private', 'now', 'now')",
                    (chat_id,),
                )
                conn.execute(
                    "INSERT INTO subscriptions (chat_id, created_at, updated_at) "
                    "VALUES (?, 'now', 'now')",
                    (chat_id,),
                )
                conn.execute("COMMIT")
            except sqlite3.OperationalError:
                self.locked += 1
                conn.execute("ROLLBACK")
            self.latencies.append((time.perf_counter() - started) * 1000)
            self.stop.wait(0.05)
        conn.close()


async def drain(store: Storage, seconds: float) -> int:
    """Claim and settle as the worker does, paced at 1,000 deliveries a second."""
    sent, started, settle = 0, time.perf_counter(), []
    while time.perf_counter() - started < seconds:
        wave = await store.deliveries.claim(WAVE, settle=settle)
        settle = [Outcome(d.id, "sent", message_id=1) for d in wave]
        sent += len(wave)
        await asyncio.sleep(max(0.0, sent / 1000 - (time.perf_counter() - started)))
    await store.deliveries.settle(settle)
    return sent


async def stall(path: Path, baseline: bool) -> tuple[float, list[float], int]:
    store = await Storage.open(path, busy_timeout=10)
    writer = Writer(path)
    writer.start()
    try:
        await asyncio.sleep(0.3)
        publish_ms = await publish(store, test_article(1), baseline)
        await drain(store, DRAIN_SECONDS)
    finally:
        writer.stop.set()
        await asyncio.to_thread(writer.join)
        await store.close()
    return publish_ms, writer.latencies, writer.locked


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


async def simulate_days(path: Path, days: int, per_day: int, baseline: bool) -> list[float]:
    """File size (MiB) after every 10th day."""
    store = await Storage.open(path)
    sizes, start = [], datetime.now(UTC)
    try:
        for day in range(days):
            for n in range(per_day):
                await publish(store, test_article(1000 + day * per_day + n), baseline)
                while wave := await store.deliveries.claim(5000):
                    await store.deliveries.settle(
                        [Outcome(d.id, "sent", message_id=1) for d in wave]
                    )
            async with store.db.atomic() as conn:  # the worker closes finished broadcasts
                await conn.execute(
                    "UPDATE broadcasts SET finished_at = ? WHERE finished_at IS NULL",
                    (iso(start + timedelta(days=day)),),
                )
            if not baseline:
                while await store.deliveries.prune(start + timedelta(days=day + 1), batch=500):
                    pass
            if (day + 1) % 10 == 0:
                await store.db.fetchall("PRAGMA wal_checkpoint(TRUNCATE)")
                sizes.append(path.stat().st_size / 2**20)
    finally:
        await store.close()
    return sizes


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10000,100000")
    parser.add_argument("--days", type=int, default=30)
    parser.add_argument("--per-day", type=int, default=10)
    parser.add_argument("--audience", type=int, default=10_000)
    args = parser.parse_args()
    CACHE.mkdir(exist_ok=True)
    publish_rows, stall_rows = [], []
    with tempfile.TemporaryDirectory() as folder:
        for size in (int(s) for s in args.sizes.split(",")):
            timings: dict[bool, tuple[float, list[float], int]] = {}
            for baseline in (True, False):
                path = working_copy(size, Path(folder))
                timings[baseline] = asyncio.run(stall(path, baseline))
                path.unlink()
            old, new = timings[True], timings[False]
            publish_rows.append((size, old[0], new[0], old[0] / new[0]))
            for name, (_, latencies, locked) in (("baseline", old), ("walked", new)):
                p50, p99 = statistics.median(latencies), percentile(latencies, 0.99)
                stall_rows.append((size, name, p50, p99, max(latencies), locked))
        print("publish one article (ms; the write lock is held throughout)\n")
        print(table(["subscriptions", "baseline ms", "walked ms", "× faster"], publish_rows))
        print(
            f"\na subscribe-style write every 50 ms while publishing and draining "
            f"{DRAIN_SECONDS:.0f} s at 1,000/s (ms)\n"
        )
        print(table(["subscriptions", "outbox", "p50", "p99", "max", "locked"], stall_rows))
        size_rows = []
        for baseline in (True, False):
            path = working_copy(args.audience, Path(folder))
            before = path.stat().st_size / 2**20
            sizes = asyncio.run(simulate_days(path, args.days, args.per_day, baseline))
            size_rows.append(("baseline" if baseline else "walked + pruned", before, *sizes))
            path.unlink()
    print(f"\nfile size (MiB), {args.per_day} articles a day to {args.audience:,} subscriptions\n")
    headers = ["outbox", "day 0", *(f"day {10 * (i + 1)}" for i in range(args.days // 10))]
    print(table(headers, size_rows))


if __name__ == "__main__":
    main()
