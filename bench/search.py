"""Search latency at 10k / 100k / 1M articles, against a naive LIKE scan in the same run.

    python bench/search.py                 # 10k, 100k and 1M (the 1M store takes a while)
    python bench/search.py --sizes 10000   # just one size

Stores are cached in bench/.cache/ (delete it to rebuild). Articles have ~10-word titles,
~60-word summaries and ~800-word bodies drawn from a Zipf vocabulary; queries are rare,
medium and very common words, multi-word mixes and prefixes as typed. Each query runs
through `ArticleRepository.search`, the path the bot and the CLI use (page of 10, with
snippets). The LIKE baseline asks the same words with `LIKE '%word%'` over title, summary,
body and tags, counting every match (as a search that ranks or counts must).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import itertools

from bench.common import TextGenerator, median, percentile, table, vocabulary
from storage import NewArticle, Storage

CACHE = Path(__file__).resolve().parent / ".cache"
VOCAB_SIZE = 60_000
BATCH = 2_000


def generated(gen: TextGenerator, numbers: range) -> list[NewArticle]:
    """Articles of ~10-word titles, ~60-word summaries and ~800-word bodies."""
    return [
        NewArticle(
            url=f"https://news.example/{n}",
            title=gen.sentence(10),
            summary=gen.sentence(60),
            body=gen.sentence(800),
            tags=tuple(gen.words(3)),
            source="bench",
        )
        for n in numbers
    ]


async def build(path: Path, size: int, vocab: list[str]) -> dict[str, float]:
    info_path = path.with_suffix(".json")
    if path.exists() and info_path.exists():
        return dict(json.loads(info_path.read_text()))
    for leftover in path.parent.glob(path.name + "*"):
        leftover.unlink()
    gen = TextGenerator(vocab)
    store = await Storage.open(path)
    started = time.perf_counter()
    try:
        # Generate the next batch while SQLite (in aiosqlite's thread) stores this one.
        pending: asyncio.Task[int] | None = None
        for first in range(0, size, BATCH):
            batch = generated(gen, range(first, min(size, first + BATCH)))
            if pending is not None:
                await pending
            pending = asyncio.create_task(store.articles.add_many(batch))
            done = min(size, first + BATCH)
            if done % 50_000 == 0:
                print(f"  {path.name}: {done:,} articles", file=sys.stderr)
        if pending is not None:
            await pending
    finally:
        await store.close()
    elapsed = time.perf_counter() - started
    size_bytes = sum(p.stat().st_size for p in path.parent.glob(path.name + "*"))
    info = {"insert_seconds": elapsed, "db_bytes": size_bytes}
    info_path.write_text(json.dumps(info))
    return info


def query_classes(vocab: list[str]) -> dict[str, list[str]]:
    rare = vocab[20_000:60_000:800]
    medium = vocab[300:3_000:54]
    common = vocab[0:10]
    return {
        "rare word": rare[:30],
        "medium word": medium[:30],
        "very common word": common,
        "common + rare": [f"{c} {r}" for c, r in zip(common * 3, rare, strict=False)][:20],
        "two medium": [f"{a} {b}" for a, b in itertools.pairwise(medium)][:20],
        "three common": [" ".join(vocab[i : i + 3]) for i in range(0, 20, 2)],
        "prefix of 4-5": [w[: 4 + i % 2] for i, w in enumerate(vocab[3_000:20_000:97])][:20],
        "prefix of 6+": [w[:6] for w in vocab[20_000:60_000:97] if len(w) >= 8][:20],
    }


async def timed(call: object) -> float:
    started = time.perf_counter()
    await call  # type: ignore[misc]
    return (time.perf_counter() - started) * 1000


async def like_search(store: Storage, words: str) -> int:
    """The naive way: scan every article for the words. Like our search it finds every
    match (a search must, to count or rank them); it returns how many."""
    terms = words.split()
    where = " AND ".join(
        "(title LIKE ? OR summary LIKE ? OR body LIKE ? OR tags LIKE ?)" for _ in terms
    )
    params = [f"%{t}%" for t in terms for _ in range(4)]
    return int(await store.db.fetchval(f"SELECT count(*) FROM articles WHERE {where}", params))


async def measure(size: int, vocab: list[str], baseline_runs: int) -> list[list[object]]:
    path = CACHE / f"search-{size}.db"
    info = await build(path, size, vocab)
    rows: list[list[object]] = []
    store = await Storage.open(path)
    try:
        for label, queries in query_classes(vocab).items():
            for query in queries[:3]:  # warm the page cache
                await store.articles.search(query)
            samples, orders = [], set()
            for _ in range(3):
                for query in queries:
                    samples.append(await timed(store.articles.search(query)))
            for query in queries:
                orders.add((await store.articles.search(query)).ordered_by)
            baseline = [await timed(like_search(store, q)) for q in queries[:baseline_runs]]
            p50, p99 = median(samples), percentile(samples, 99)
            rows.append(
                [
                    f"{size:,}",
                    label,
                    len(samples),
                    p50,
                    p99,
                    median(baseline),
                    percentile(baseline, 99),
                    median(baseline) / p50,
                    "/".join(sorted(orders)),
                ]
            )
    finally:
        await store.close()
    print(
        f"{size:,} articles: insert {info['insert_seconds']:.1f} s "
        f"({size / info['insert_seconds']:,.0f} articles/s), "
        f"database {info['db_bytes'] / 2**20:,.0f} MiB",
        flush=True,
    )
    return rows


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10000,100000,1000000")
    parser.add_argument("--baseline-runs", type=int, default=5, help="LIKE queries per class")
    args = parser.parse_args()
    CACHE.mkdir(exist_ok=True)
    vocab = vocabulary(VOCAB_SIZE)
    rows: list[list[object]] = []
    for size in (int(s) for s in args.sizes.split(",")):
        rows += await measure(size, vocab, args.baseline_runs)
    print()
    print(
        table(
            [
                "articles",
                "query class",
                "n",
                "p50 ms",
                "p99 ms",
                "LIKE p50",
                "LIKE p99",
                "LIKE/FTS p50",
                "ordered by",
            ],
            rows,
        )
    )


if __name__ == "__main__":
    asyncio.run(main())
