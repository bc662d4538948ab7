"""SQLite and PostgreSQL side by side, in one run: what DATABASE_URL costs, or saves.

    python bench/engines.py [--articles 10000,100000] [--subscribers 10000,100000]
                            [--broadcast 10000] [--kills 10]

PostgreSQL is a throw-away cluster this bench starts (tests/postgres.py: initdb on this
machine, loopback, fsync off as in the tests: figures of the engine, not of a disk);
SQLite is a file in bench/.cache. The same operation runs through the same repository on
both; the baseline is SQLite, the ratio PostgreSQL's figure over SQLite's.

1. search: p50 and p99 of `ArticleRepository.search` over the query classes of
   bench/search.py, at each --articles size (the same generated articles in both).
2. publish: adding one article at each --subscribers size (bench/recipients.py's
   subscriptions; median of 5), then draining its recipients as the worker does, waves of
   32 claimed and settled: deliveries per second of the storage alone (over the first
   100,000 deliveries).
3. broadcast: the real `articlebot run` at BROADCAST_RATE=1000 to --broadcast subscribers
   (bench/broadcast.py): msg/s over its steady middle, CPU ms per message of the bot
   process, and of the database server (PostgreSQL's processes; SQLite has none).
4. failover: --kills SIGKILLs of the leader of two replicas (bench/failover.py): takeover
   and its first card, medians.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gc
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import broadcast, failover, recipients
from bench.common import TextGenerator, median, percentile, table, vocabulary
from bench.search import VOCAB_SIZE, generated, query_classes
from storage import NewArticle, Storage
from storage.deliveries import Outcome
from storage.kinds import DeliveryStatus
from tests.postgres import Cluster

CACHE = Path(__file__).resolve().parent / ".cache"
BATCH = 2_000
WAVE = 32
DRAIN_AT_MOST = 100_000  # deliveries: a rate, not the whole of five broadcasts to 1M


def ratio(postgres: float, sqlite: float) -> str:
    return f"{postgres / sqlite:.2f}×"


async def fill(targets: dict[str, Path | str], size: int, vocab: list[str]) -> dict[str, float]:
    """`size` articles as bench/search.py makes them, the same in every target (generated
    once); the seconds each target took to store them. PostgreSQL's search index is built
    after the load, as `db copy` builds it (inserting into it row by row is three times slower):
    that changes how long a store takes to build, not what a search costs."""
    gen = TextGenerator(vocab)
    spent = dict.fromkeys(targets, 0.0)
    async with contextlib.AsyncExitStack() as stack:
        stores = {
            name: await stack.enter_async_context(await Storage.open(target))
            for name, target in targets.items()
        }
        searching = {}
        for name, store in stores.items():
            if isinstance(targets[name], str):
                searching[name] = await store.db.fetchval(
                    "SELECT pg_get_indexdef('articles_search'::regclass)"
                )
                await store.db.fetchall("DROP INDEX articles_search")
        for first in range(0, size, BATCH):
            batch = generated(gen, range(first, min(size, first + BATCH)))
            for name, store in stores.items():
                started = time.perf_counter()
                await store.articles.add_many(batch)
                spent[name] += time.perf_counter() - started
        for name, definition in searching.items():
            started = time.perf_counter()
            await stores[name].db.fetchall(definition)
            await stores[name].db.fetchall("ANALYZE articles")  # as autovacuum soon does
            spent[name] += time.perf_counter() - started
    return spent


async def search_samples(target: Path | str, vocab: list[str]) -> list[float]:
    samples: list[float] = []
    async with await Storage.open(target) as store:
        classes = query_classes(vocab)
        for queries in classes.values():
            for query in queries[:3]:  # warm the caches
                await store.articles.search(query)
        for _ in range(3):
            for queries in classes.values():
                for query in queries:
                    started = time.perf_counter()
                    await store.articles.search(query)
                    samples.append((time.perf_counter() - started) * 1000)
    return samples


async def search(cluster: Cluster, sizes: list[int]) -> list[list[object]]:
    vocab = vocabulary(VOCAB_SIZE)
    rows: list[list[object]] = []
    for size in sizes:
        lite_path = CACHE / f"engines-search-{size}.db"
        for old in CACHE.glob(lite_path.name + "*"):
            old.unlink()
        targets = {"SQLite": lite_path, "PostgreSQL": await cluster.create(f"search_{size}")}
        seconds = await fill(targets, size, vocab)
        figures = {}
        for engine, target in targets.items():
            figures[engine] = (seconds[engine], await search_samples(target, vocab))
            print(f"  search: {engine} {size:,} articles in {seconds[engine]:.0f} s", flush=True)
        lite, pg = figures["SQLite"][1], figures["PostgreSQL"][1]
        rows.append(
            [
                f"{size:,}",
                len(lite),
                median(lite),
                percentile(lite, 99),
                median(pg),
                percentile(pg, 99),
                ratio(percentile(pg, 99), percentile(lite, 99)),
                size / figures["SQLite"][0],
                size / figures["PostgreSQL"][0],
            ]
        )
    return rows


async def publish_and_drain(target: Path | str, size: int) -> tuple[float, float]:
    """Median ms to add one article; deliveries per second to drain one."""
    await recipients.build(target, size)
    async with await Storage.open(target) as store:
        adds = []
        for n in range(5):
            words = recipients.article_terms(seed=n)
            article = NewArticle(url=f"https://bench.example/{n}", title=" ".join(words[:12]))
            started = time.perf_counter()
            await store.articles.add(article)
            adds.append((time.perf_counter() - started) * 1000)
        drained, started, settle = 0, time.perf_counter(), None
        while drained < DRAIN_AT_MOST and (
            claimed := await store.deliveries.claim(WAVE, settle=settle)
        ):
            drained += len(claimed)
            settle = [Outcome(d.id, DeliveryStatus.SENT, message_id=d.id) for d in claimed]
        await store.deliveries.settle(settle or [])
        return statistics.median(adds), drained / (time.perf_counter() - started)


async def publish(cluster: Cluster, sizes: list[int]) -> list[list[object]]:
    rows: list[list[object]] = []
    for size in sizes:
        lite_path = CACHE / f"engines-publish-{size}.db"
        for old in CACHE.glob(lite_path.name + "*"):
            old.unlink()
        lite = await publish_and_drain(lite_path, size)
        pg = await publish_and_drain(await cluster.create(f"publish_{size}"), size)
        print(f"  publish: {size:,} subscriptions", flush=True)
        rows.append(
            [
                f"{size:,}",
                lite[0],
                pg[0],
                ratio(pg[0], lite[0]),
                lite[1],
                pg[1],
                ratio(pg[1], lite[1]),
            ]
        )
    return rows


async def sends(cluster: Cluster, size: int) -> list[list[object]]:
    rows: list[list[object]] = []
    lite = await broadcast.engine(size, 32)
    before = cluster.server_cpu()
    pg = await broadcast.engine(size, 32, database=await cluster.create(f"broadcast_{size}"))
    server_ms = (cluster.server_cpu() - before) * 1000 / size
    rows.append(["SQLite", f"{size:,}", lite["steady"], lite["cpu_ms"], 0.0, lite["first_ms"]])
    rows.append(["PostgreSQL", f"{size:,}", pg["steady"], pg["cpu_ms"], server_ms, pg["first_ms"]])
    rows.append(
        [
            "ratio",
            "",
            ratio(pg["steady"], lite["steady"]),
            ratio(pg["cpu_ms"], lite["cpu_ms"]),
            "",
            ratio(pg["first_ms"], lite["first_ms"]),
        ]
    )
    return rows


async def takeovers(cluster: Cluster, kills: int) -> list[list[object]]:
    rows: list[list[object]] = []
    lite = await failover.rounds(kills, 0)
    pg = await failover.rounds(kills, 0, database=await cluster.create("failover"))
    for engine, figures in (("SQLite", lite), ("PostgreSQL", pg)):
        rows.append(
            [
                engine,
                len(figures["kill"]),
                statistics.median(figures["kill"]),
                max(figures["kill"]),
                statistics.median(figures["kill card"]),
                statistics.median(figures["baseline"]),
            ]
        )
    kill = ratio(statistics.median(pg["kill"]), statistics.median(lite["kill"]))
    card = ratio(statistics.median(pg["kill card"]), statistics.median(lite["kill card"]))
    rows.append(["ratio", "", kill, "", card, ""])
    return rows


async def main() -> None:
    gc.disable()  # the stand-in keeps every call: collections would measure this harness
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", default="10000,100000")
    parser.add_argument("--subscribers", default="10000,100000")
    parser.add_argument("--broadcast", type=int, default=10_000)
    parser.add_argument("--kills", type=int, default=10)
    parser.add_argument("--parts", default="publish,search,broadcast,failover")
    args = parser.parse_args()
    parts = args.parts.split(",")
    CACHE.mkdir(exist_ok=True)
    cluster = Cluster()
    published: list[list[object]] = []
    searched: list[list[object]] = []
    sent: list[list[object]] = []
    taken: list[list[object]] = []
    try:
        cluster.start()
        if "publish" in parts:
            published = await publish(cluster, [int(s) for s in args.subscribers.split(",")])
        if "search" in parts:
            searched = await search(cluster, [int(s) for s in args.articles.split(",")])
        if "broadcast" in parts:
            sent = await sends(cluster, args.broadcast)
        if "failover" in parts:
            taken = await takeovers(cluster, args.kills)
    finally:
        cluster.stop()
    print()
    print("publish one article, then drain its recipients (storage only)")
    print(
        table(
            [
                *("subscriptions", "SQLite add ms", "PG add ms", "ratio"),
                *("SQLite drain/s", "PG drain/s", "ratio"),
            ],
            published,
        )
    )
    print()
    print("search (ArticleRepository.search, a page of 10 with snippets)")
    print(
        table(
            [
                *("articles", "queries", "SQLite p50 ms", "p99 ms", "PG p50 ms", "p99 ms"),
                *("p99 ratio", "SQLite insert/s", "PG insert/s"),
            ],
            searched,
        )
    )
    print()
    print("broadcast: articlebot run at BROADCAST_RATE=1000 against the stand-in")
    print(
        table(
            [
                *("engine", "subscribers", "10-90% msg/s", "bot CPU ms/msg"),
                *("server CPU ms/msg", "add→first ms"),
            ],
            sent,
        )
    )
    print()
    print("failover: the leader of two replicas SIGKILLed")
    print(table(["engine", "kills", "taken over s", "max s", "first card s", "baseline s"], taken))


if __name__ == "__main__":
    asyncio.run(main())
