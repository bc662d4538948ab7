"""Selecting the recipients of one article among 10k / 100k / 1M subscriptions.

    python bench/recipients.py [--sizes 10000,100000,1000000]

Half the subscriptions take every article, half filter on 1-5 topics drawn from a Zipf
vocabulary of 5,000 words; a tenth of the chats are inactive. The article's terms are ~80
words of the same vocabulary. Each measurement runs in a fresh child process so that its
peak memory (VmHWM) is its own, three times (the median is shown):

- in SQLite: the statement run to its last row inside SQLite, as the outbox's
  INSERT ... SELECT runs it when an article is published (no row reaches Python);
- streamed: `ChatRepository.recipients`, every row into Python in batches;
- fetchall: the baseline, the same rows at once.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import TextGenerator, table, vocabulary
from storage import Storage
from storage.chats import RECIPIENTS_SQL
from storage.db import Connection
from storage.engines.postgres import PostgresConnection
from storage.text import fold, now_iso

CACHE = Path(__file__).resolve().parent / ".cache"
TOPICS = 5_000


async def build(path: Path | str, size: int) -> None:
    """`size` chats and their subscriptions, in a new SQLite file (kept: built once) or an
    empty PostgreSQL database."""
    if isinstance(path, Path) and path.exists():
        return
    rng = random.Random(size)
    gen = TextGenerator([fold(w) for w in vocabulary(TOPICS)], seed=size)
    store = await Storage.open(path)
    now = now_iso()
    try:
        async with store.db.atomic() as conn:
            chats = [
                (chat_id, "private", 0 if rng.random() < 0.1 else 1, now, now)
                for chat_id in range(1, size + 1)
            ]
            await insert(
                conn, "chats", ("chat_id", "type", "active", "created_at", "updated_at"), chats
            )
            everything = [rng.random() < 0.5 for _ in range(size)]
            active = {chat_id: flag for chat_id, _, flag, _, _ in chats}
            await insert(
                conn,
                "subscriptions",
                ("chat_id", "thread_id", "everything", "active", "created_at", "updated_at"),
                [(i + 1, 0, int(e), active[i + 1], now, now) for i, e in enumerate(everything)],
            )
            topics = [
                (i + 1, 0, topic, active[i + 1])
                for i, e in enumerate(everything)
                if not e
                for topic in set(gen.words(rng.randint(1, 5)))
            ]
            await insert(
                conn, "subscription_topics", ("chat_id", "thread_id", "topic", "active"), topics
            )
        if isinstance(path, str):  # the planner's statistics, as autovacuum soon takes them
            await store.db.fetchall("ANALYZE")
    finally:
        await store.close()


async def insert(
    conn: Connection, table: str, columns: tuple[str, ...], rows: list[tuple[object, ...]]
) -> None:
    """Rows in bulk: PostgreSQL's COPY (its triggers run as for INSERT), SQLite's
    executemany."""
    if isinstance(conn, PostgresConnection):
        await conn.raw.copy_records_to_table(table, records=rows, columns=columns)
        return
    marks = ", ".join("?" * len(columns))
    await conn.executemany(f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})", rows)


def article_terms(seed: int) -> list[str]:
    gen = TextGenerator([fold(w) for w in vocabulary(TOPICS)], seed=seed)
    return sorted(set(gen.words(80)))


async def measure_child(path: Path, mode: str, terms: list[str]) -> dict[str, float]:
    store = await Storage.open(path)
    try:
        started = time.perf_counter()
        count = 0
        if mode == "streamed":
            async for batch in store.chats.recipients(terms):
                count += len(batch)
        elif mode == "in_sqlite":  # both columns of every row read, as INSERT ... SELECT does
            count = await store.db.fetchval(
                f"SELECT count(*), sum(chat_id + thread_id) FROM ({RECIPIENTS_SQL})",
                (json.dumps(terms),),
            )
        else:
            rows = await store.db.fetchall(RECIPIENTS_SQL, (json.dumps(terms),))
            count = len(rows)
        seconds = time.perf_counter() - started
    finally:
        await store.close()
    return {"seconds": seconds, "recipients": count, "peak_mib": peak_rss_mib()}


def peak_rss_mib() -> float:
    """This process's own high-water mark (ru_maxrss would count the parent's, from fork)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmHWM in /proc/self/status")


def run_child(path: Path, mode: str, seed: int, runs: int = 3) -> dict[str, float]:
    """The median run's figures, each run in a process of its own."""
    results = [
        json.loads(
            subprocess.run(
                [sys.executable, __file__, "--child", str(path), mode, str(seed)],
                check=True,
                capture_output=True,
                text=True,
            ).stdout
        )
        for _ in range(runs)
    ]
    return dict(sorted(results, key=lambda r: r["seconds"])[runs // 2])


def main() -> None:
    if sys.argv[1:2] == ["--child"]:
        path, mode, seed = Path(sys.argv[2]), sys.argv[3], int(sys.argv[4])
        print(json.dumps(asyncio.run(measure_child(path, mode, article_terms(seed)))))
        return
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10000,100000,1000000")
    parser.add_argument("--articles", type=int, default=5, help="articles per size")
    args = parser.parse_args()
    CACHE.mkdir(exist_ok=True)
    rows = []
    for size in (int(s) for s in args.sizes.split(",")):
        path = CACHE / f"recipients-{size}.db"
        started = time.perf_counter()
        asyncio.run(build(path, size))
        print(f"{size:,} subscriptions ready in {time.perf_counter() - started:.1f} s", flush=True)
        for seed in range(args.articles):
            inside = run_child(path, "in_sqlite", seed)
            ours = run_child(path, "streamed", seed)
            base = run_child(path, "fetchall", seed)
            assert inside["recipients"] == ours["recipients"] == base["recipients"]
            rows.append(
                [
                    f"{size:,}",
                    seed,
                    int(ours["recipients"]),
                    inside["seconds"] * 1000,
                    ours["seconds"] * 1000,
                    ours["peak_mib"],
                    base["seconds"] * 1000,
                    base["peak_mib"],
                    ours["peak_mib"] / base["peak_mib"],
                ]
            )
    print()
    print(
        table(
            [
                "subscriptions",
                "article",
                "recipients",
                "in SQLite ms",
                "streamed ms",
                "streamed MiB",
                "fetchall ms",
                "fetchall MiB",
                "MiB ratio",
            ],
            rows,
        )
    )


if __name__ == "__main__":
    main()
