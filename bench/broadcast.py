"""Broadcast throughput: the delivery engine against a plain python-telegram-bot loop.

    python bench/broadcast.py [--sizes 10000,100000] [--concurrency 32]
    python bench/broadcast.py --rates 2,5,25,1000

With --rates, the engine alone at each BROADCAST_RATE, to about 10 s of messages each: the
rate it keeps over its steady middle against the one it was set to (the baseline).

Both run as child processes sending to the Bot API stand-in (this process, 127.0.0.1, no
rate limit). The engine is the real `articlebot run` with BROADCAST_RATE=1000, draining an
outbox of one article to N subscribers; the baselines send the same N messages with the same
concurrency and nothing else, through PTB's default httpx transport and through the same
AiohttpRequest the engine uses (the ratio of the engine's CPU to the latter is what the
outbox costs). Reported: deliveries per second, the child's CPU milliseconds
per delivery (from /proc), the engine's peak memory (VmHWM), and the time from the article
being added to its first delivery. The engine's rate is given over the whole run and over
its steady middle (from 10% to 90% of the messages sent); it cannot exceed 1000/s, the
highest BROADCAST_RATE (Telegram's limit for paid broadcasts); "loop busy" is how much of
that time the event-loop thread spent on the CPU (below 100%: not its own CPU but the rate
limit, the database or the stand-in held the engine back).
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.commands import ROOT, cpu_seconds
from bench.common import table
from bot.sandbox import BotApiStandIn
from storage import NewArticle, Storage
from storage.text import now_iso

CACHE = Path(__file__).resolve().parent / ".cache"


async def prepare(path: Path | str, size: int) -> None:
    """A store (an SQLite file made anew, or an empty PostgreSQL database) with `size`
    private chats subscribed to everything."""
    if isinstance(path, Path):
        for old in path.parent.glob(path.name + "*"):
            old.unlink()
    store = await Storage.open(path)
    now = now_iso()
    try:
        async with store.db.atomic() as conn:
            await conn.executemany(
                "INSERT INTO chats (chat_id, type, created_at, updated_at) VALUES (?, ?, ?, ?)",
                [(chat_id, "private", now, now) for chat_id in range(1, size + 1)],
            )
            await conn.executemany(
                "INSERT INTO subscriptions (chat_id, created_at, updated_at) VALUES (?, ?, ?)",
                [(chat_id, now, now) for chat_id in range(1, size + 1)],
            )
    finally:
        await store.close()


def peak_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def engine_env(
    api: BotApiStandIn,
    path: Path | str,
    rate: float,
    concurrency: int = 32,
    log_level: str = "WARNING",
) -> dict[str, str]:
    """The environment of an `articlebot run` on the store at `path` (an SQLite file or a
    PostgreSQL URL), sending to the stand-in."""
    where = {"DATABASE_URL": path} if isinstance(path, str) else {"DATABASE_PATH": str(path)}
    return {
        **os.environ,
        "BOT_TOKEN": api.token,
        "TELEGRAM_API_URL": api.base_url,
        **where,
        "BROADCAST_RATE": str(rate),
        "LOG_LEVEL": log_level,
        "BROADCAST_CONCURRENCY": str(concurrency),
    }


async def start_engine(
    api: BotApiStandIn, path: Path | str, rate: float, concurrency: int
) -> asyncio.subprocess.Process:
    """The real `articlebot run` on the store at `path`, sending to the stand-in."""
    env = engine_env(api, path, rate, concurrency)
    return await asyncio.create_subprocess_exec(
        str(Path(sys.executable).with_name("articlebot")), "run", env=env, cwd=ROOT
    )


async def engine(
    size: int, concurrency: int, rate: float = 1000, database: Path | str | None = None
) -> dict[str, float]:
    """The real engine draining one article to `size` subscribers (on SQLite in the cache,
    unless `database` is given)."""
    path = CACHE / f"broadcast-{size}.db" if database is None else database
    await prepare(path, size)
    async with BotApiStandIn() as api:
        process = await start_engine(api, path, rate, concurrency)
        try:
            await api.wait_for("deleteWebhook", timeout=30)
            await asyncio.sleep(1.0)
            store = await Storage.open(path)
            try:
                added = time.perf_counter()
                await store.articles.add(
                    NewArticle(url="https://news.example/b", title="Title", summary="A summary.")
                )
            finally:
                await store.close()
            first = await api.wait_for("sendMessage", timeout=30)
            first_at = time.perf_counter()
            cpu_at_first = cpu_seconds(process.pid)
            loop_at_first = cpu_seconds(process.pid, thread=process.pid)
            marks: dict[float, float] = {}  # share of the messages sent -> when
            while api.messages_sent < size:
                for share in (0.1, 0.9):
                    if share not in marks and api.messages_sent >= share * size:
                        marks[share] = time.perf_counter()
                await asyncio.sleep(0.01)
            elapsed = time.perf_counter() - first_at
            cpu = cpu_seconds(process.pid) - cpu_at_first
            loop_cpu = cpu_seconds(process.pid, thread=process.pid) - loop_at_first
            memory = peak_mib(process.pid)
            assert first is not None
        finally:
            api.drain()
            process.terminate()
            await asyncio.wait_for(process.wait(), 30)
    return {
        "rate": (size - 1) / elapsed,
        "steady": 0.8 * size / (marks[0.9] - marks[0.1]),
        "cpu_ms": cpu * 1000 / size,
        "loop_busy": 100 * loop_cpu / elapsed,
        "peak_mib": memory,
        "first_ms": (first_at - added) * 1000,
    }


async def baseline(size: int, concurrency: int, transport: str) -> dict[str, float]:
    async with BotApiStandIn() as api:
        env = {**os.environ, "BOT_TOKEN": api.token, "TELEGRAM_API_URL": api.base_url}
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            str(ROOT / "bench" / "bare_broadcast.py"),
            "1",
            str(size),
            str(concurrency),
            transport,
            env=env,
            stdout=asyncio.subprocess.PIPE,
        )
        out, _ = await process.communicate()
    figures = json.loads(out)
    return {"rate": size / figures["seconds"], "cpu_ms": figures["cpu_seconds"] * 1000 / size}


async def main() -> None:
    # The stand-in (this process) keeps every call it answers; garbage collections over that
    # growing heap would pause its replies and measure this harness instead of the bot.
    gc.disable()
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10000,100000")
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument(
        "--httpx-up-to",
        type=int,
        default=10_000,
        help="run the (slow) httpx baseline only up to this many subscribers",
    )
    parser.add_argument("--rates", help="BROADCAST_RATE values to check, e.g. 2,5,25,1000")
    args = parser.parse_args()
    CACHE.mkdir(exist_ok=True)
    if args.rates:
        await rates([float(r) for r in args.rates.split(",")], args.concurrency)
        return
    rows = []
    for size in (int(s) for s in args.sizes.split(",")):
        ours = await engine(size, args.concurrency)
        skip = {"rate": float("nan"), "cpu_ms": float("nan")}
        httpx = (
            await baseline(size, args.concurrency, "httpx") if size <= args.httpx_up_to else skip
        )
        same = await baseline(size, args.concurrency, "aiohttp")
        rows.append(
            [
                f"{size:,}",
                ours["rate"],
                ours["steady"],
                ours["loop_busy"],
                ours["cpu_ms"],
                ours["peak_mib"],
                ours["first_ms"],
                httpx["rate"],
                httpx["cpu_ms"],
                same["rate"],
                same["cpu_ms"],
                ours["cpu_ms"] / same["cpu_ms"],
            ]
        )
        print(f"{size:,} subscribers measured", flush=True)
    print()
    print(
        table(
            [
                "subscribers",
                "engine msg/s",
                "10-90% msg/s",
                "loop busy %",
                "CPU ms/msg",
                "peak MiB",
                "add→first ms",
                "PTB+httpx msg/s",
                "CPU ms/msg",
                "PTB+aiohttp msg/s",
                "CPU ms/msg",
                "outbox CPU ratio",
            ],
            rows,
        )
    )


async def rates(wanted: list[float], concurrency: int) -> None:
    rows = []
    for rate in wanted:
        ours = await engine(max(20, round(rate * 10)), concurrency, rate)
        rows.append([f"{rate:g}", ours["steady"], f"{ours['steady'] / rate:.3f}×"])
    print(table(["BROADCAST_RATE", "10-90% msg/s", "kept / set"], rows))


if __name__ == "__main__":
    asyncio.run(main())
