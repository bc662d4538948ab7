"""Failover: how long broadcasts stop when the leading replica dies.

    python bench/failover.py [--kills 10] [--pauses 3]

Two real `articlebot run` replicas share one database and poll the Bot API stand-in (this
process, 127.0.0.1). Each round kills the leader (SIGKILL) and times, from the kill, until
the standby holds the lease (its pid in the lease row) and until the standby sends its first
card of an article added at the kill; then the killed replica is started again, as the new
standby. Pauses (SIGSTOP, then SIGCONT once taken over) stand for a leader cut off: alive,
its lease left to run out. Baseline: the same article sent by a replica that was leading
all along (the time from adding it to its first card: the worker's own look for work).
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import signal
import statistics
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.broadcast import CACHE, engine_env, prepare
from bench.commands import ROOT
from bench.common import table
from bot.sandbox import BotApiStandIn
from storage import NewArticle, Storage

COMMAND = [str(Path(sys.executable).with_name("articlebot")), "run"]


def start(env: dict[str, str]) -> subprocess.Popen[bytes]:
    return subprocess.Popen(COMMAND, env=env, cwd=ROOT)


async def leader(store: Storage) -> int | None:
    lease = await store.replicas.lease()
    return None if lease is None or lease.expired else lease.replica.pid


async def until(check: Callable[[], Awaitable[bool]], timeout: float = 30.0) -> float:
    """Seconds until the async `check` is true."""
    started = time.perf_counter()
    while not await check():
        if time.perf_counter() - started > timeout:
            raise TimeoutError("not within the timeout")
        await asyncio.sleep(0.01)
    return time.perf_counter() - started


async def rounds(
    kills: int, pauses: int, database: Path | str | None = None
) -> dict[str, list[float]]:
    """Kill (and pause) the leader of two replicas on `database` (by default an SQLite
    file in the cache)."""
    path = CACHE / "failover.db" if database is None else database
    await prepare(path, 20)
    figures: dict[str, list[float]] = {"baseline": [], "kill": [], "kill card": []}
    figures |= {"pause": [], "pause card": []}
    async with BotApiStandIn() as api:
        env = engine_env(api, path, 1000, log_level="ERROR")
        store = await Storage.open(path)
        processes = [start(env), start(env)]
        number = 0

        async def publish() -> int:
            nonlocal number
            number += 1
            mark = api.mark()
            await store.articles.add(NewArticle(url=f"https://news.example/{number}", title="T"))
            return mark

        async def card_after(mark: int) -> bool:
            return any(c.method == "sendMessage" for c in api.calls[mark:])

        try:
            await until(lambda: leader(store))
            for _ in range(max(3, kills)):  # its phase against the 1 s look varies
                mark = await publish()
                figures["baseline"].append(await until(lambda m=mark: card_after(m)))
            for kind in ["kill"] * kills + ["pause"] * pauses:
                pid = await leader(store)
                old = next(p for p in processes if p.pid == pid)
                standby = next(p for p in processes if p.pid != pid)

                async def taken(standby: subprocess.Popen[bytes] = standby) -> bool:
                    return await leader(store) == standby.pid

                await asyncio.sleep(2.5)  # the standby has looked; the lease renewed
                old.send_signal(signal.SIGKILL if kind == "kill" else signal.SIGSTOP)
                mark = await publish()
                stopped = time.perf_counter()
                figures[kind].append(await until(taken))
                await until(lambda m=mark: card_after(m))
                figures[f"{kind} card"].append(time.perf_counter() - stopped)
                if kind == "pause":
                    old.send_signal(signal.SIGCONT)  # it finds the lease taken and stops
                await asyncio.to_thread(old.wait, 30)
                processes[processes.index(old)] = start(env)
        finally:
            api.drain()
            for process in processes:
                process.send_signal(signal.SIGCONT)
                process.terminate()
            for process in processes:
                await asyncio.to_thread(process.wait, 30)
            await store.close()
    return figures


async def main() -> None:
    gc.disable()
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kills", type=int, default=10)
    parser.add_argument("--pauses", type=int, default=3)
    args = parser.parse_args()
    CACHE.mkdir(exist_ok=True)
    figures = await rounds(args.kills, args.pauses)
    base = statistics.median(figures["baseline"])
    rows = []
    for kind, label in (("kill", "leader SIGKILLed"), ("pause", "leader paused (SIGSTOP)")):
        if figures[kind]:
            rows.append(
                [
                    label,
                    len(figures[kind]),
                    statistics.median(figures[kind]),
                    max(figures[kind]),
                    statistics.median(figures[f"{kind} card"]),
                    base,
                    f"{statistics.median(figures[f'{kind} card']) / base:.1f}×",
                ]
            )
    print(
        table(
            ["leader", "rounds", "taken over s", "max s", "first card s", "baseline s", "ratio"],
            rows,
        )
    )


if __name__ == "__main__":
    asyncio.run(main())
