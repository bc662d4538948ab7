"""One user's flood against everyone else's reply: the other user's /latest latency while
one user sends 600 searches at once, with the per-reader budget (bot.runtime.budgets) and, as
baseline in the same run, without it.

    python bench/flood.py [--articles 30000] [--flood 600] [--runs 5]

The real bot polls the Bot API stand-in on 127.0.0.1 in this process; the archive is the
store of bench/search.py at that size (built on first use).
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import median, standin_bot, table, vocabulary
from bench.search import CACHE, VOCAB_SIZE, build
from bot.runtime.budgets import Budgets
from bot.runtime.running import polling
from bot.sandbox import BotApiStandIn
from storage import Storage

FLOODER, OTHER = 66, 77


async def latest_latency(api: BotApiStandIn, flood: int, words: list[str]) -> float:
    """ms from OTHER's /latest being queued (behind `flood` searches) to its answer."""
    mark = api.mark()
    for n in range(flood):
        api.push_message(f"{words[n % len(words)]}", user=api.user(FLOODER))
    started = time.perf_counter()
    api.push_message("/latest", user=api.user(OTHER))
    await api.wait_for("sendMessage", after=mark, chat_id=OTHER, timeout=120)
    elapsed = (time.perf_counter() - started) * 1000
    # Let the flood's answers finish before the next run.
    while True:
        count = len(api.calls)
        await asyncio.sleep(0.3)
        if len(api.calls) == count:
            return elapsed


async def scenario(store: Storage, budget: bool, flood: int, runs: int) -> float:
    async with BotApiStandIn() as api:
        application = standin_bot(api, store)
        if not budget:
            application.bot_data.budgets = Budgets(burst=10**9)
        words = vocabulary(VOCAB_SIZE)[:200]
        async with polling(application, poll_timeout=1):
            samples = []
            for _ in range(runs):
                samples.append(await latest_latency(api, flood, words))
                application.bot_data.budgets.forget_drained()
                await asyncio.sleep(budget * 21.0 / 20)  # the flooder's bucket drains
            api.drain()
    return median(samples)


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--articles", type=int, default=30_000)
    parser.add_argument("--flood", type=int, default=600)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    path = CACHE / f"search-{args.articles}.db"
    CACHE.mkdir(parents=True, exist_ok=True)
    await build(path, args.articles, vocabulary(VOCAB_SIZE))
    store = await Storage.open(path)
    try:
        quiet = await scenario(store, budget=True, flood=0, runs=args.runs)
        without = await scenario(store, budget=False, flood=args.flood, runs=args.runs)
        within = await scenario(store, budget=True, flood=args.flood, runs=args.runs)
    finally:
        await store.close()
    rows = [
        ["no flood", f"{quiet:.0f}", "1.00×"],
        [
            f"{args.flood} searches, no budget (baseline)",
            f"{without:.0f}",
            f"{without / quiet:.1f}×",
        ],
        [f"{args.flood} searches, per-reader budget", f"{within:.0f}", f"{within / quiet:.1f}×"],
    ]
    print(f"Another user's /latest, median of {args.runs}, {args.articles:,} articles")
    print(table(["while", "latency ms", "vs no flood"], rows))


if __name__ == "__main__":
    asyncio.run(main())
