"""Corrections against sending, and the 📖 rich message's build time.

    python bench/corrections.py [--sizes 10000,100000] [--concurrency 32] [--words 3000]

Corrections: the real `articlebot run` (BROADCAST_RATE=1000, the highest) sends one article
to N subscribers of the Bot API stand-in (this process, 127.0.0.1, no rate limit); then this
process changes the article's title as `articlebot edit` does, and the running bot edits
each of the N cards in place (editMessageText). The sending phase of the same run is the
baseline: the ratios say what a correction costs against the broadcast it corrects, in rate
and in the child's CPU per message (from /proc). "edit→first ms" is the time from the
change being committed to the first card edited: a correction opened by another process is
noticed by polling (CorrectionWorker.IDLE_SECONDS).

Rich message: `reading_copy` of a --words article (headings, paragraphs, quotes, lists,
links, pictures; the structure trafilatura and feeds give), which builds both the rich
message and the fallback parts; against sanitising the same HTML with nh3 (`clean_html`,
what every stored article goes through once) as the baseline.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.broadcast import CACHE, peak_mib, prepare, start_engine
from bench.commands import cpu_seconds
from bench.common import TextGenerator, percentile, table, vocabulary
from bot.i18n import Catalog
from bot.render import reading_copy
from bot.sandbox import BotApiStandIn
from storage import Article, NewArticle, Storage, clock
from storage.text import clean_html


async def corrections(size: int, concurrency: int) -> dict[str, float]:
    path = CACHE / f"corrections-{size}.db"
    await prepare(path, size)
    async with BotApiStandIn() as api:
        process = await start_engine(api, path, 1000, concurrency)
        store = await Storage.open(path)
        try:
            await api.wait_for("deleteWebhook", timeout=30)
            await asyncio.sleep(1.0)
            added = await store.articles.add(
                NewArticle(url="https://news.example/c", title="Title", summary="A summary.")
            )
            sent = await phase(api, process.pid, "sendMessage", size)
            await asyncio.sleep(1.0)  # the worker's last deliveries settle
            mark = api.mark()
            changed = time.perf_counter()
            await store.articles.update(added.id, title="Title, corrected", correct=True)
            edited = await phase(api, process.pid, "editMessageText", size, after=mark)
            edited["first_ms"] = (edited["first_at"] - changed) * 1000
            memory = peak_mib(process.pid)
            new_messages = api.messages_sent - size
        finally:
            await store.close()
            api.drain()
            process.terminate()
            await asyncio.wait_for(process.wait(), 30)
    assert new_messages == 0, f"a correction sent {new_messages} new messages"
    return {
        "send_rate": sent["rate"],
        "send_cpu": sent["cpu_ms"],
        "edit_rate": edited["rate"],
        "edit_steady": edited["steady"],
        "edit_cpu": edited["cpu_ms"],
        "first_ms": edited["first_ms"],
        "peak_mib": memory,
    }


async def phase(
    api: BotApiStandIn, pid: int, method: str, size: int, after: int | None = None
) -> dict[str, float]:
    """Wait for `size` calls of `method` from `after` on, timing the 10-90% and
    reading the child's CPU from the first call to the last."""
    index = api.mark() if after is None else after
    seen = 0
    first_at = cpu_at_first = 0.0
    marks: dict[float, float] = {}
    deadline = time.perf_counter() + 60 + size / 200
    while seen < size:
        if time.perf_counter() > deadline:
            raise TimeoutError(f"{method}: {seen:,} of {size:,}")
        calls = api.calls[index:]
        index += len(calls)
        for call in calls:
            if call.method == method:
                seen += 1
                if seen == 1:
                    first_at, cpu_at_first = time.perf_counter(), cpu_seconds(pid)
        for share in (0.1, 0.9):
            if share not in marks and seen >= share * size:
                marks[share] = time.perf_counter()
        await asyncio.sleep(0.01)
    elapsed = time.perf_counter() - first_at
    return {
        "rate": (size - 1) / elapsed,
        "steady": 0.8 * size / (marks[0.9] - marks[0.1]),
        "cpu_ms": (cpu_seconds(pid) - cpu_at_first) * 1000 / size,
        "first_at": first_at,
    }


def article_html(words: int) -> str:
    """A long read as a CMS gives it: sections under headings, a quote, a list and a
    picture every few paragraphs, links inside paragraphs."""
    gen = TextGenerator(vocabulary(20_000))
    parts: list[str] = []
    written = 0
    section = 0
    while written < words:
        section += 1
        parts.append(f"<h2>{gen.sentence(6)}</h2>")
        for paragraph in range(4):
            text = gen.sentence(70)
            if paragraph == 1:
                text += f' <a href="https://news.example/ref/{section}">{gen.sentence(3)}</a>.'
            parts.append(f"<p>{text} <strong>{gen.sentence(4)}</strong></p>")
            written += 77
        parts.append(f"<blockquote><p>{gen.sentence(25)}</p></blockquote>")
        parts.append("<ul>" + "".join(f"<li>{gen.sentence(8)}</li>" for _ in range(3)) + "</ul>")
        parts.append(f'<figure><img src="https://news.example/img/{section}.jpg"></figure>')
        written += 49
    return "".join(parts)


def timed(work: Callable[[], object], runs: int) -> list[float]:
    samples = []
    for _ in range(runs):
        started = time.perf_counter()
        work()
        samples.append((time.perf_counter() - started) * 1000)
    return samples


def rich_build(words: int, runs: int) -> list[object]:
    raw = article_html(words)
    body_html = clean_html(raw)
    texts = Catalog.load().for_language("en")
    article = Article(
        *(1, "https://news.example/long", "A long read", "A summary.", "A. Writer", ("news",)),
        *(clock.now(), clock.now(), "bench"),
        body_html=body_html,
        readable=True,
    )
    copy = reading_copy(article, texts)
    ours = timed(lambda: reading_copy(article, texts), runs)
    base = timed(lambda: clean_html(raw), runs)
    return [
        f"{words:,} words",
        f"{len(body_html):,}",
        statistics.median(ours),
        percentile(ours, 99),
        len(copy.parts),
        statistics.median(base),
        statistics.median(ours) / statistics.median(base),
    ]


async def main() -> None:
    gc.disable()  # the stand-in keeps every call; see bench/broadcast.py
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10000,100000")
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--words", type=int, default=3000)
    parser.add_argument("--runs", type=int, default=200)
    args = parser.parse_args()
    CACHE.mkdir(exist_ok=True)
    rows = []
    for size in (int(s) for s in args.sizes.split(",")):
        run = await corrections(size, args.concurrency)
        rows.append(
            [
                f"{size:,}",
                run["send_rate"],
                run["send_cpu"],
                run["edit_rate"],
                run["edit_steady"],
                run["edit_cpu"],
                run["first_ms"],
                run["peak_mib"],
                f"{run['edit_rate'] / run['send_rate']:.2f}×",
                f"{run['edit_cpu'] / run['send_cpu']:.2f}×",
            ]
        )
        print(f"{size:,} cards corrected", flush=True)
    print()
    print(
        table(
            [
                "cards",
                "send msg/s",
                "CPU ms/msg",
                "edit/s",
                "10-90% edit/s",
                "CPU ms/edit",
                "edit→first ms",
                "peak MiB",
                "rate ratio",
                "CPU ratio",
            ],
            rows,
        )
    )
    gc.enable()
    print()
    print(
        table(
            [
                "article",
                "HTML chars",
                "reading_copy ms",
                "p99 ms",
                "fallback parts",
                "nh3 clean ms",
                "ratio",
            ],
            [rich_build(args.words, args.runs)],
        )
    )


if __name__ == "__main__":
    asyncio.run(main())
