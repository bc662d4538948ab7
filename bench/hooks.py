"""From a CMS hook's arrival to the first card: the hook path against the bot's own publish.

    python bench/hooks.py [--runs 30] [--subscribers 100] [--burst 50]

The real bot polls the Bot API stand-in on 127.0.0.1 in this process, with the hooks
endpoint on a loopback port. Each run publishes one new article and measures, at an idle
bot, the time until the stand-in receives the first card (sendMessage):
- "hook": a signed POST /hooks/articles (the Ghost endpoint takes the same path after its
  own signature check); also the time until the CMS had its answer;
- "publish" (the baseline, same run): the article added to the store and the worker woken,
  as /add's Publish button does.
Then a burst of `--burst` hooks at once: how long until all were answered and stored.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import tempfile
import time
from pathlib import Path

import aiohttp

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import median, percentile, table
from bot.app import build_application
from bot.runtime.running import polling
from bot.sandbox import BotApiStandIn
from bot.sources.hooks.signing import SIGNED_HEADER, sign
from config import Settings
from storage import ChatInfo, NewArticle, Storage

SECRET = "bench-hooks-secret-0123456789"


async def post_hook(session: aiohttp.ClientSession, base: str, n: int) -> float:
    """POST one signed `published` hook; returns when its answer came (monotonic)."""
    body = json.dumps(
        {
            "event": "published",
            "article": {
                "id": f"bench-{n}",
                "url": f"https://news.example/h{n}",
                "title": f"H {n}",
            },
        }
    ).encode()
    headers = {
        "Content-Type": "application/json",
        SIGNED_HEADER: sign(body, SECRET.encode(), int(time.time())),
    }
    async with session.post(base + "/hooks/articles", data=body, headers=headers) as response:
        assert response.status == 200, await response.text()
    return time.monotonic()


async def first_card(api: BotApiStandIn, mark: int, title: str) -> float:
    call = await api.wait_for(
        "sendMessage", after=mark, timeout=10, where=lambda c: title in c.params.get("text", "")
    )
    return call.at


async def idle(storage: Storage) -> None:
    """Wait until every card of the last broadcast is out and each chat may have another
    (Telegram allows a chat one message a second), so each run starts at an idle bot."""
    for _ in range(1000):  # at most 10 s
        if all(p.pending == 0 for p in await storage.broadcasts.running()):
            break
        await asyncio.sleep(0.01)
    await asyncio.sleep(1.05)


async def bench(runs: int, subscribers: int, burst: int) -> None:
    with tempfile.TemporaryDirectory() as folder:
        async with (
            BotApiStandIn() as api,
            await Storage.open(Path(folder) / "bench.db") as storage,
        ):
            for chat_id in range(1, subscribers + 1):
                await storage.chats.subscribe(ChatInfo(chat_id, "private"))
            settings = Settings(  # type: ignore[call-arg]
                _env_file=None,
                bot_token=api.token,
                telegram_api_url=api.base_url,
                hooks_secret=SECRET,
                hooks_port=0,
                log_level="WARNING",
                broadcast_rate=1000,
            )
            application = build_application(settings, storage)
            async with (
                polling(application, poll_timeout=1),
                aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=10)) as session,
            ):
                runner = application.bot_data.hooks_server
                assert runner is not None
                base = f"http://127.0.0.1:{runner.addresses[0][1]}"
                hook_card, hook_answer, own_card = [], [], []
                for n in range(runs):
                    await idle(storage)
                    mark, started = api.mark(), time.monotonic()
                    answered = await post_hook(session, base, n)
                    hook_card.append(await first_card(api, mark, f"H {n}") - started)
                    hook_answer.append(answered - started)

                    await idle(storage)
                    mark, started = api.mark(), time.monotonic()
                    await storage.articles.add(
                        NewArticle(url=f"https://news.example/p{n}", title=f"P {n}")
                    )
                    assert application.bot_data.worker is not None
                    application.bot_data.worker.wake()
                    own_card.append(await first_card(api, mark, f"P {n}") - started)

                await idle(storage)
                started = time.monotonic()
                await asyncio.gather(*(post_hook(session, base, runs + n) for n in range(burst)))
                burst_seconds = time.monotonic() - started
                stored = await storage.articles.count()
            api.drain()

    ms = 1000.0
    rows = [
        [
            "hook → CMS answered",
            median(hook_answer) * ms,
            percentile(hook_answer, 95) * ms,
            max(hook_answer) * ms,
            "",
        ],
        [
            "hook → first card",
            median(hook_card) * ms,
            percentile(hook_card, 95) * ms,
            max(hook_card) * ms,
            median(hook_card) / median(own_card),
        ],
        [
            "publish → first card (baseline)",
            median(own_card) * ms,
            percentile(own_card, 95) * ms,
            max(own_card) * ms,
            1.0,
        ],
    ]
    print(f"{runs} runs, {subscribers} subscribers, idle bot\n")
    print(table(["path", "p50 ms", "p95 ms", "max ms", "p50 / baseline"], rows))
    print(f"\n{burst} hooks at once: all answered in {burst_seconds * ms:,.0f} ms;", end=" ")
    print(f"{stored} articles stored in all")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--subscribers", type=int, default=100)
    parser.add_argument("--burst", type=int, default=50)
    args = parser.parse_args()
    asyncio.run(bench(args.runs, args.subscribers, args.burst))


if __name__ == "__main__":
    main()
