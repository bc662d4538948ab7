"""Reply latency and CPU per command: the real bot against a bare python-telegram-bot.

    python bench/commands.py [--articles 100000] [--runs 200]

Baselines: a bare python-telegram-bot handler replying a constant text, as PTB comes
(httpx, asyncio) and on articlebot's own transport and runtime ("bare/ours"). All bots run
as subprocesses polling the Bot API stand-in on 127.0.0.1 (served by this process). For
each command class the bench pushes one update at a time and measures the
time from the update being available to the reply reaching the stand-in; the bot process's
CPU time (user + system, from /proc) is read before and after each class. The archive is
the 100k-article store of bench/search.py (built on first use).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import median, percentile, table, vocabulary
from bench.search import CACHE, VOCAB_SIZE, build
from bot.sandbox import BotApiStandIn, Call

ROOT = Path(__file__).resolve().parent.parent
TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int, thread: int | None = None) -> float:
    """CPU time (user + system) of a process, or of one of its threads."""
    stat = Path(f"/proc/{pid}/task/{thread}/stat" if thread else f"/proc/{pid}/stat")
    fields = stat.read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS


async def start_bot(
    api: BotApiStandIn, command: list[str], db: Path
) -> asyncio.subprocess.Process:
    env = {
        **os.environ,
        "BOT_TOKEN": api.token,
        "TELEGRAM_API_URL": api.base_url,
        "DATABASE_PATH": str(db),
        "LOG_LEVEL": "WARNING",
    }
    mark = api.mark()
    process = await asyncio.create_subprocess_exec(*command, env=env, cwd=ROOT)
    await api.wait_for("deleteWebhook", after=mark, timeout=30)  # polling is about to start
    await asyncio.sleep(0.5)
    return process


async def measure(
    api: BotApiStandIn, pid: int, runs: int, step: Callable[[int], tuple[str, int]]
) -> tuple[list[float], float]:
    """`step(i)` pushes one update and says which method answers it; returns latencies (ms)
    and CPU milliseconds per command."""
    latencies = []
    cpu_before = cpu_seconds(pid)
    for i in range(runs):
        mark = api.mark()
        started = time.perf_counter()
        method, chat_id = step(i)
        await api.wait_for(method, after=mark, chat_id=chat_id, timeout=10)
        latencies.append((time.perf_counter() - started) * 1000)
    cpu_ms = (cpu_seconds(pid) - cpu_before) * 1000 / runs
    return latencies, cpu_ms


async def run_bot(
    api: BotApiStandIn, command: list[str], db: Path, runs: int, words: list[str]
) -> dict[str, tuple[list[float], float]]:
    process = await start_bot(api, command, db)
    try:
        mark = api.mark()
        api.push_command("/latest", chat=api.private_chat(7), user=api.user(7))
        listing: Call = await api.wait_for("sendMessage", after=mark, chat_id=7, timeout=10)

        def latest(i: int) -> tuple[str, int]:
            api.push_command("/latest", chat=api.private_chat(1), user=api.user(1))
            return "sendMessage", 1

        def search(i: int) -> tuple[str, int]:
            api.push_command(f"/search {words[i % len(words)]}", user=api.user(2))
            return "sendMessage", 2

        def page(i: int) -> tuple[str, int]:
            api.push_callback(f"L{5 * (1 + i % 20)}", message=listing, user=api.user(7))
            return "editMessageText", 7

        results = {}
        for label, step in (("/latest", latest), ("/search", search), ("page turn", page)):
            await measure(api, process.pid, 10, step)  # warm up
            results[label] = await measure(api, process.pid, runs, step)
        return results
    finally:
        api.drain()
        process.terminate()
        await asyncio.wait_for(process.wait(), 30)


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=200)
    args = parser.parse_args()
    CACHE.mkdir(exist_ok=True)
    vocab = vocabulary(VOCAB_SIZE)
    db = CACHE / f"search-{args.articles}.db"
    await build(db, args.articles, vocab)
    words = vocab[300:20_000:97]  # medium and rare words: ranked searches
    articlebot = [str(Path(sys.executable).with_name("articlebot")), "run"]
    bare = [sys.executable, str(ROOT / "bench" / "bare_bot.py")]
    async with BotApiStandIn() as api:
        ours = await run_bot(api, articlebot, db, args.runs, words)
    async with BotApiStandIn() as api:
        baseline = await run_bot(api, [*bare, "default"], db, args.runs, words)
    async with BotApiStandIn() as api:
        same_runtime = await run_bot(api, [*bare, "ours"], db, args.runs, words)
    rows = []
    for label, (latencies, cpu) in ours.items():
        base_latencies, base_cpu = baseline[label]
        same_latencies, same_cpu = same_runtime[label]
        rows.append(
            [
                label,
                len(latencies),
                median(latencies),
                percentile(latencies, 99),
                cpu,
                median(base_latencies),
                base_cpu,
                median(latencies) / median(base_latencies),
                median(same_latencies),
                same_cpu,
                median(latencies) / median(same_latencies),
            ]
        )
    print(f"\n{args.articles:,} articles; each figure over {args.runs} commands, one at a time")
    print(
        table(
            [
                "command",
                "n",
                "p50 ms",
                "p99 ms",
                "CPU ms",
                "bare p50",
                "bare CPU",
                "ratio",
                "bare/ours p50",
                "bare/ours CPU",
                "ratio",
            ],
            rows,
        )
    )


if __name__ == "__main__":
    asyncio.run(main())
