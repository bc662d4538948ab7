"""Replicas: several `articlebot run` on one database, one leader at a time. The lease's
rules in storage; then real processes against the stand-in: every card once, the leader
killed mid-broadcast and taken over, a paused leader that lost its lease stops, one answer
per update, and `articlebot health` saying who leads."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest

from bot.app import build_application
from bot.runtime.leadership import LEASE_SECONDS, RENEW_EVERY, STANDBY_EVERY
from bot.runtime.webhook import serving_webhook
from bot.sandbox import BotApiStandIn
from bot.sandbox.standin import MESSAGES
from storage import ChatInfo, Storage, clock
from storage.kinds import ChatType
from storage.replicas import FORGET_AFTER, UPDATES_KEPT, Replica
from tests.conftest import article
from tests.e2e import popen, wait_until
from tests.feedserver import FeedServer
from tests.test_broadcast import bot_env, settled, subscribe_private
from tests.test_webhook import (
    SECRET,
    SECRET_HEADER_NAME,
    free_port,
    latest_update,
    webhook_settings,
)

A = Replica("host-a:1:aa", "host-a", 1)
B = Replica("host-b:2:bb", "host-b", 2)
CHATS = range(50_000, 50_060)
ADMIN, READER = 7, 1


async def test_one_holder_at_a_time_until_its_lease_runs_out(
    storage: Storage, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert await storage.replicas.lead(A, 10)
    assert not await storage.replicas.lead(B, 10)  # held, and not expired
    assert await storage.replicas.lead(A, 10)  # renewed
    monkeypatch.setattr(clock, "_ahead", 11.0)
    assert await storage.replicas.lead(B, 10)  # A's lease ran out
    assert not await storage.replicas.lead(A, 10)  # A finds it taken
    lease = await storage.replicas.lease()
    assert lease is not None and lease.replica == B and not lease.expired
    roles = {seen.replica.holder: seen.role for seen in await storage.replicas.seen()}
    assert roles == {A.holder: "standby", B.holder: "leader"}


async def test_a_gone_holder_is_taken_over_at_once_and_leaving_frees_the_lease(
    storage: Storage, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert await storage.replicas.lead(A, 10)
    assert not await storage.replicas.lead(B, 10, take_from="someone-else")
    assert await storage.replicas.lead(B, 10, take_from=A.holder)  # A's process is gone
    await storage.replicas.leave(B)
    assert await storage.replicas.lead(A, 10)  # free at once, not in 10 s
    monkeypatch.setattr(clock, "_ahead", FORGET_AFTER + 1)
    assert await storage.replicas.lead(A, 10)
    assert [seen.replica for seen in await storage.replicas.seen()] == [A]  # B forgotten


async def test_an_update_is_taken_once_and_claims_are_kept_a_day(
    storage: Storage, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert await storage.replicas.take_update(7)
    assert not await storage.replicas.take_update(7)
    monkeypatch.setattr(clock, "_ahead", UPDATES_KEPT + 1)
    assert await storage.replicas.take_update(8)  # and the day-old claim of 7 is gone
    assert await storage.db.fetchval("SELECT count(*) FROM updates_taken") == 1


# -- real replicas -----------------------------------------------------------------------


def replica_env(api: BotApiStandIn, database: str | Path) -> dict[str, str]:
    # 60 cards in about 3 s: time to stop the leader mid-way.
    return bot_env(api, database, BROADCAST_RATE="20")


ARTICLEBOT = str(Path(sys.executable).with_name("articlebot"))
COMMAND = [ARTICLEBOT, "run"]
HOST = os.uname().nodename


async def health(env: dict[str, str]) -> str:
    done = await asyncio.to_thread(
        subprocess.run, [ARTICLEBOT, "health"], env=env, capture_output=True, text=True
    )
    return done.stdout + done.stderr


async def leader_pid(storage: Storage) -> int | None:
    lease = await storage.replicas.lease()
    return None if lease is None or lease.expired else lease.replica.pid


async def leads(storage: Storage, pid: int) -> bool:
    return await leader_pid(storage) == pid


def per_chat(api: BotApiStandIn) -> Counter[int]:
    return Counter(call["chat_id"] for call in api.delivered() if call["chat_id"] in CHATS)


@contextlib.asynccontextmanager
async def two_replicas(
    env: dict[str, str], storage: Storage
) -> AsyncIterator[tuple[subprocess.Popen[str], subprocess.Popen[str]]]:
    """Two `articlebot run` on one database, ended however the test leaves: (the one that
    leads, the standby)."""
    with popen(COMMAND, env=env) as first, popen(COMMAND, env=env) as second:
        await wait_until(lambda: leader_pid(storage), timeout=20)
        if await leader_pid(storage) == first.pid:
            yield first, second
        else:
            yield second, first


@contextlib.asynccontextmanager
async def replicas(
    env: dict[str, str], storage: Storage, count: int
) -> AsyncIterator[list[subprocess.Popen[str]]]:
    """`count` replicas on one database, ended however the test leaves; the leader first."""
    async with contextlib.AsyncExitStack() as stack:
        started = [stack.enter_context(popen(COMMAND, env=env)) for _ in range(count)]
        await wait_until(lambda: leader_pid(storage), timeout=20)
        pid = await leader_pid(storage)
        yield sorted(started, key=lambda process: process.pid != pid)


async def mid_broadcast(api: BotApiStandIn, storage: Storage) -> int:
    """An article to CHATS, once a quarter of its cards are out; its id."""
    stored = await storage.articles.add(article(1))
    await wait_until(lambda: len(per_chat(api)) >= 15, timeout=20)
    return stored.id


async def test_the_leader_killed_mid_broadcast_is_taken_over_and_each_card_goes_once(
    api: BotApiStandIn, storage: Storage, database: str | Path
) -> None:
    await subscribe_private(storage, *CHATS)
    env = replica_env(api, database)
    async with two_replicas(env, storage) as (leader, standby):
        roles = f"leader {HOST}:{leader.pid}, standby {HOST}:{standby.pid}"

        async def both_seen() -> bool:
            return roles in await health(env)

        await wait_until(both_seen, timeout=10)  # `articlebot health` says who leads

        mark = api.mark()
        api.push_command("/start", chat=api.private_chat(77))  # one consumer: one answer
        await api.wait_for("sendMessage", after=mark, chat_id=77, timeout=10)

        article_id = await mid_broadcast(api, storage)
        leader.kill()
        await asyncio.to_thread(leader.wait, 10)
        killed_at = time.monotonic()
        await wait_until(lambda: leads(storage, standby.pid), timeout=LEASE_SECONDS + 5)
        taken_over = time.monotonic() - killed_at
        await wait_until(lambda: settled(storage, article_id), timeout=30)

        mark = api.mark()
        api.push_command("/start", chat=api.private_chat(78))
        await api.wait_for("sendMessage", after=mark, chat_id=78, timeout=10)
        await asyncio.sleep(0.5)  # a second answer would be here by now
        standby.terminate()
        await asyncio.to_thread(standby.wait, 20)
    counts = per_chat(api)
    assert set(counts) == set(CHATS)  # every card, the rest sent by the new leader
    assert sum(n - 1 for n in counts.values()) <= 10  # at most the wave in flight (rate 20)
    assert len([c for c in api.calls_to("sendMessage") if c["chat_id"] == 77]) == 1
    assert len([c for c in api.calls_to("sendMessage") if c["chat_id"] == 78]) == 1
    assert taken_over < 5  # a process of this machine that is gone: at once, not in 10 s


async def test_three_replicas_lose_two_leaders_mid_broadcast_and_each_card_goes_once(
    api: BotApiStandIn, storage: Storage, database: str | Path
) -> None:
    """The leader killed, then the one that took over killed too: the third finishes."""
    await subscribe_private(storage, *CHATS)
    async with replicas(replica_env(api, database), storage, 3) as running:
        article_id = await mid_broadcast(api, storage)
        for _ in range(2):
            leader, *standbys = running
            leader.kill()
            await asyncio.to_thread(leader.wait, 10)

            async def taken(left: list[subprocess.Popen[str]] = standbys) -> bool:
                return await leader_pid(storage) in {p.pid for p in left}

            await wait_until(taken, timeout=LEASE_SECONDS)
            new = await leader_pid(storage)
            running = sorted(standbys, key=lambda p, new=new: p.pid != new)
            reached = len(per_chat(api))
            await wait_until(lambda r=reached: len(per_chat(api)) >= min(r + 5, 60), timeout=20)
        await wait_until(lambda: settled(storage, article_id), timeout=30)
        mark = api.mark()
        api.push_command("/start", chat=api.private_chat(79))
        await api.wait_for("sendMessage", after=mark, chat_id=79, timeout=10)
        await asyncio.sleep(0.5)  # a second answer would be here by now
    counts = per_chat(api)
    assert set(counts) == set(CHATS)
    assert sum(n - 1 for n in counts.values()) <= 20  # at most one wave (rate 20) per kill
    assert len([c for c in api.calls_to("sendMessage") if c["chat_id"] == 79]) == 1


async def test_a_paused_leader_loses_its_lease_and_stops_when_it_wakes(
    api: BotApiStandIn, storage: Storage, database: str | Path
) -> None:
    """SIGSTOP stands for a machine cut off: its process lives on, its lease runs out, a
    standby takes over; woken, the old leader claims nothing more and stops."""
    await subscribe_private(storage, *CHATS)
    env = replica_env(api, database)
    async with two_replicas(env, storage) as (leader, standby):
        article_id = await mid_broadcast(api, storage)
        leader.send_signal(signal.SIGSTOP)
        paused_at = time.monotonic()
        try:
            await wait_until(lambda: leads(storage, standby.pid), timeout=LEASE_SECONDS + 5)
            taken_over = time.monotonic() - paused_at
        finally:
            leader.send_signal(signal.SIGCONT)
        assert await asyncio.to_thread(leader.wait, 20) != 0  # deposed: it stops, saying so
        await wait_until(lambda: settled(storage, article_id), timeout=30)
        standby.terminate()
        await asyncio.to_thread(standby.wait, 20)
    counts = per_chat(api)
    assert set(counts) == set(CHATS)
    assert sum(n - 1 for n in counts.values()) <= 10  # at most the wave in flight
    # The lease's rest (renewed up to RENEW_EVERY before the pause), then a standby's look.
    assert LEASE_SECONDS - RENEW_EVERY - 1 < taken_over < LEASE_SECONDS + STANDBY_EVERY + 2


async def test_a_leader_stopped_cleanly_hands_the_lease_over_at_once(
    api: BotApiStandIn, storage: Storage, database: str | Path
) -> None:
    async with two_replicas(replica_env(api, database), storage) as (leader, standby):
        mark = api.mark()
        api.push_command("/start", chat=api.private_chat(79))  # answered: fully started
        await api.wait_for("sendMessage", after=mark, chat_id=79, timeout=20)
        leader.terminate()
        assert await asyncio.to_thread(leader.wait, 20) == 0
        stopped_at = time.monotonic()
        await wait_until(lambda: leads(storage, standby.pid), timeout=LEASE_SECONDS + 5)
        assert time.monotonic() - stopped_at < LEASE_SECONDS / 2  # not left to run out
        # It left: its lease freed and its row gone (one that died would stay an hour).
        assert leader.pid not in [seen.replica.pid for seen in await storage.replicas.seen()]
        standby.terminate()
        await asyncio.to_thread(standby.wait, 20)


async def test_an_update_sent_to_two_webhook_replicas_is_answered_once(
    api: BotApiStandIn, storage: Storage, database: str | Path
) -> None:
    """Behind a load balancer, Telegram's retry of an update may reach another replica."""
    ports = (free_port(), free_port())
    roles = []
    async with contextlib.AsyncExitStack() as stack:
        for port in ports:
            settings = webhook_settings(api, port)
            own = await stack.enter_async_context(await Storage.open(database))
            await stack.enter_async_context(
                serving_webhook(build_application(settings, own), settings)
            )
        update = latest_update(api)
        headers = {SECRET_HEADER_NAME: SECRET}
        async with aiohttp.ClientSession() as session:
            for port in ports:  # the same update, to each replica
                async with session.post(
                    f"http://127.0.0.1:{port}/telegram", json=update, headers=headers
                ) as response:
                    assert response.status == 200
            for port in ports:
                async with session.get(f"http://127.0.0.1:{port}/healthz") as response:
                    roles.append((await response.json())["role"])
        await api.wait_for("sendMessage", chat_id=42)
        await asyncio.sleep(0.5)  # a second answer would be here by now
    assert len(api.calls_to("sendMessage", chat_id=42)) == 1
    assert sorted(roles) == ["leader", "standby"]


async def test_an_add_whose_steps_land_on_different_replicas_publishes_once(
    api: BotApiStandIn, storage: Storage, database: str | Path
) -> None:
    """Behind a load balancer each step of /add may reach another replica; Publish tapped
    twice at once, on both, publishes once and says so to the second tap."""
    await storage.chats.subscribe(ChatInfo(READER, ChatType.PRIVATE))
    admin = api.user(ADMIN)
    urls = []
    async with contextlib.AsyncExitStack() as stack:
        pages = await stack.enter_async_context(FeedServer())
        for port in (free_port(), free_port()):
            settings = webhook_settings(api, port, admin_ids=str(ADMIN), allow_private_urls=True)
            own = await stack.enter_async_context(await Storage.open(database))
            await stack.enter_async_context(
                serving_webhook(build_application(settings, own), settings)
            )
            urls.append(f"http://127.0.0.1:{port}/telegram")
        http = await stack.enter_async_context(
            aiohttp.ClientSession(headers={SECRET_HEADER_NAME: SECRET})
        )

        async def to(replica: int, kind: str, payload: dict[str, object]) -> None:
            async with http.post(urls[replica], json=api.update(kind, payload)) as response:
                assert response.status == 200

        async def step(replica: int, text: str) -> str:
            mark = api.mark()
            await to(replica, "message", api.message(text, user=admin))
            return (await api.wait_for(MESSAGES, after=mark, chat_id=ADMIN)).text

        assert "Send me the link" in await step(0, "/add")
        assert "title" in await step(1, pages.url("page/bare"))  # it has none to read
        assert "summary" in await step(0, "Reforma aprobada")
        mark = api.mark()
        await to(1, "message", api.message("El Congreso la aprobó.", user=admin))
        preview = await api.wait_for(MESSAGES, after=mark, chat_id=ADMIN)
        assert preview.text.startswith("<b>Reforma aprobada</b>")

        mark = api.mark()
        tap = [api.callback_query("Dp", message=preview, user=admin) for _ in range(2)]
        await asyncio.gather(*(to(replica, "callback_query", tap[replica]) for replica in (0, 1)))

        def answers() -> list[str]:
            calls = api.calls[mark:]
            return [c.get("text", "") for c in calls if c.method == "answerCallbackQuery"]

        await wait_until(lambda: len(answers()) == 2)
        card = await api.wait_for(MESSAGES, chat_id=READER, timeout=10)
    assert sorted(answers()) == ["", "Already published as No. 1."]
    said = [c["text"] for c in api.calls[mark:] if c.method == "sendMessage"]
    assert [text for text in said if "Published" in text] == [
        "Published as article 1; the broadcast starts now."
    ]
    assert card.text.startswith("<b>Reforma aprobada</b>")
    assert await storage.articles.count() == 1
