"""The broadcast engine end to end: outbox rows in, Bot API calls out, faults injected."""

from __future__ import annotations

import asyncio
import logging
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from bot.api import circuit
from bot.delivery.sending import Pacer
from bot.sandbox import BotApiStandIn, Fault
from storage import ChatInfo, Storage
from tests.conftest import article
from tests.e2e import child, database_env, running_bot, wait_until

ADMIN = 7


async def subscribe_private(
    storage: Storage, *chat_ids: int, topics: tuple[str, ...] = ()
) -> None:
    for chat_id in chat_ids:
        await storage.chats.subscribe(ChatInfo(chat_id, "private"), topics=topics)


async def statuses(storage: Storage, article_id: int) -> dict[int, str]:
    rows = await storage.db.fetchall(
        "SELECT chat_id, status FROM deliveries WHERE article_id = ?", (article_id,)
    )
    return {row[0]: row[1] for row in rows}


async def settled(storage: Storage, article_id: int) -> bool:
    """Every recipient walked, and every delivery ended."""
    progress = await storage.broadcasts.progress(article_id)
    return progress is not None and progress.pending == 0


async def test_publishing_records_the_broadcast_and_claims_walk_its_recipients(
    storage: Storage,
) -> None:
    await subscribe_private(storage, 1, 2)
    await subscribe_private(storage, 3, topics=("bolivia",))
    await subscribe_private(storage, 4, topics=("peru", "lima"))
    await storage.chats.deactivate(2, "blocked")
    stored = await storage.articles.add(article(1, title="Perú"))
    assert await statuses(storage, stored.id) == {}  # O(1): no row per recipient
    progress = await storage.broadcasts.progress(stored.id)
    assert progress is not None and progress.pending >= 1  # not walked yet
    claimed = await storage.deliveries.claim(10)
    assert [d.chat_id for d in claimed] == [1, 4]
    progress = await storage.broadcasts.progress(stored.id)
    assert progress is not None
    assert (progress.total, progress.pending, progress.walked) == (2, 2, True)
    silent = await storage.articles.add(article(2), announce=False)
    assert await storage.broadcasts.progress(silent.id) is None


async def test_fan_out_to_every_kind_of_chat_with_filters(
    api: BotApiStandIn, storage: Storage
) -> None:
    await subscribe_private(storage, 1)
    await subscribe_private(storage, 2, topics=("peru",))
    await subscribe_private(storage, 3, topics=("chile",))
    await storage.chats.subscribe(ChatInfo(-100_1, "supergroup", "G"), topics=("economia",))
    await storage.chats.subscribe(ChatInfo(-100_2, "channel", "C", "news"))
    await storage.chats.subscribe(ChatInfo(-100_3, "supergroup", "F", is_forum=True), 77)
    async with running_bot(api, storage) as app:
        stored = await storage.articles.add(
            article(
                1,
                title="Perú: la economía crece",
                summary="First. Second sentence.",
                tags=("Perú",),
            )
        )
        await wait_until(lambda: settled(storage, stored.id))
        assert await statuses(storage, stored.id) == {
            1: "sent",
            2: "sent",
            -100_1: "sent",
            -100_2: "sent",
            -100_3: "sent",
        }
        assert api.delivered(3) == []
        forum = api.delivered(-100_3)[0]
        assert forum["message_thread_id"] == 77
        card = api.delivered(1)[0]
        assert card["text"].startswith("<b>Perú: la economía crece</b>\n")
        assert "#Perú" in card["text"]
        read, open_in_bot = card.buttons[0]
        assert read["url"] == "https://news.example/1"
        assert open_in_bot["url"] == f"https://t.me/{app.bot.username}?start=a{stored.id}"
        row = await storage.db.fetchone(
            "SELECT message_id, attempts FROM deliveries WHERE chat_id = 1"
        )
        assert row is not None
        assert row[0] == card["_result"]["message_id"]
        assert row[1] == 1


async def test_429_pauses_and_the_delivery_stays_pending(
    api: BotApiStandIn, storage: Storage
) -> None:
    await subscribe_private(storage, 1, 2)
    api.inject(Fault("sendMessage", 429, "Too Many Requests", retry_after=1, chat_id=1))
    async with running_bot(api, storage):
        started = time.monotonic()
        stored = await storage.articles.add(article(1))
        await wait_until(lambda: settled(storage, stored.id))
        assert time.monotonic() - started >= 1.0
    assert await statuses(storage, stored.id) == {1: "sent", 2: "sent"}
    assert len(api.delivered(1)) == 1


@pytest.mark.parametrize(
    ("code", "description"),
    [
        (403, "Forbidden: bot was blocked by the user"),
        (403, "Forbidden: bot was kicked from the supergroup chat"),
        (400, "Bad Request: chat not found"),
    ],
)
async def test_gone_chats_become_inactive_and_are_skipped(
    api: BotApiStandIn, storage: Storage, code: int, description: str
) -> None:
    await subscribe_private(storage, 1, 2)
    api.inject(Fault("sendMessage", code, description, chat_id=1, times=10))
    async with running_bot(api, storage):
        stored = await storage.articles.add(article(1))
        await wait_until(lambda: settled(storage, stored.id))
    assert await statuses(storage, stored.id) == {1: "skipped", 2: "sent"}
    state = await storage.chats.get(1)
    assert state is not None
    assert not state.active
    assert state.deactivated_reason is not None
    # python-telegram-bot drops the "Bad Request: " prefix and capitalises the rest
    assert state.deactivated_reason.lower() in description.lower()
    assert len(api.calls_to("sendMessage", chat_id=1)) == 1  # no retry
    assert await storage.chats.subscription(1) is not None  # kept for when it comes back


async def test_migrated_group_gets_the_card_at_its_new_id_once(
    api: BotApiStandIn, storage: Storage
) -> None:
    await storage.chats.subscribe(ChatInfo(-5, "group", "Old"))
    api.inject(
        Fault(
            "sendMessage",
            400,
            "Bad Request: group chat was upgraded to a supergroup chat",
            migrate_to_chat_id=-1005,
            chat_id=-5,
        )
    )
    async with running_bot(api, storage):
        stored = await storage.articles.add(article(1))
        await wait_until(lambda: len(api.delivered(-1005)) == 1)
        await wait_until(lambda: settled(storage, stored.id))
    assert await statuses(storage, stored.id) == {-1005: "sent"}
    assert await storage.chats.get(-5) is None
    assert len(api.delivered(-1005)) == 1


async def test_unparsable_html_is_resent_as_plain_text(
    api: BotApiStandIn, storage: Storage
) -> None:
    await subscribe_private(storage, 1)
    api.inject(
        Fault("sendMessage", 400, "Bad Request: can't parse entities: unexpected end", chat_id=1)
    )
    async with running_bot(api, storage):
        stored = await storage.articles.add(article(1, title="Tom & Jerry"))
        await wait_until(lambda: settled(storage, stored.id))
    (plain,) = api.delivered(1)
    assert "parse_mode" not in plain.params
    assert plain["text"].startswith("Tom & Jerry\n")
    assert await statuses(storage, stored.id) == {1: "sent"}
    state = await storage.chats.get(1)
    assert state is not None
    assert state.active


@pytest.mark.parametrize("status", [500, 502, 503])
async def test_server_errors_pause_and_count_no_attempt(
    api: BotApiStandIn, storage: Storage, monkeypatch: pytest.MonkeyPatch, status: int
) -> None:
    """A 5xx says nothing about the chat: the delivery waits for Telegram (bot.api.circuit),
    however many times it answers so, and keeps the error for whoever looks."""
    monkeypatch.setattr(circuit, "FIRST_WAIT", 0.05)
    await subscribe_private(storage, 1)
    api.inject(Fault("sendMessage", status, "Server Error", chat_id=1, times=5))
    async with running_bot(api, storage):
        stored = await storage.articles.add(article(1))
        await wait_until(lambda: settled(storage, stored.id), timeout=30)
    row = await storage.db.fetchone("SELECT status, attempts, last_error FROM deliveries")
    assert row is not None
    assert (row[0], row[1]) == ("sent", 1)
    assert "Server Error" in row[2]
    assert len(api.calls_to("sendMessage", chat_id=1)) == 6


@pytest.mark.parametrize(("code", "description"), [(401, "Unauthorized"), (409, "Conflict")])
async def test_invalid_token_or_conflict_stops_the_worker_and_keeps_everything(
    api: BotApiStandIn,
    storage: Storage,
    caplog: pytest.LogCaptureFixture,
    code: int,
    description: str,
) -> None:
    await subscribe_private(storage, 1, 2, 3)
    api.inject(Fault("sendMessage", code, description, times=100))
    async with running_bot(api, storage) as app:
        stored = await storage.articles.add(article(1))
        worker = app.bot_data.worker
        assert worker is not None
        await wait_until(lambda: not worker.running or worker.fatal is not None)
        await asyncio.sleep(0.1)
    assert set((await statuses(storage, stored.id)).values()) == {"pending"}
    for chat_id in (1, 2, 3):
        state = await storage.chats.get(chat_id)
        assert state is not None
        assert state.active
    stops = [r for r in caplog.records if "delivery worker stopped" in r.getMessage()]
    assert len(stops) == 1


async def test_pacing_respects_telegram_limits(api: BotApiStandIn, storage: Storage) -> None:
    """The stand-in refuses what Telegram would (30/s overall, 1/s per chat): at the
    default rate, nothing is refused, and two articles reach one chat a second apart."""
    api.enforce_limits = True
    await subscribe_private(storage, *range(1, 61))
    async with running_bot(api, storage):
        first = await storage.articles.add(article(1))
        second = await storage.articles.add(article(2))
        started = time.monotonic()
        await wait_until(lambda: settled(storage, second.id), timeout=20)
        await wait_until(lambda: settled(storage, first.id), timeout=20)
        elapsed = time.monotonic() - started
    assert api.throttled == 0
    assert elapsed >= 120 / 25 - 1.5  # 120 messages at 25/s
    to_one = [c.at for c in api.delivered(1)]
    assert len(to_one) == 2
    assert to_one[1] - to_one[0] >= 0.95


async def test_readers_are_answered_during_a_broadcast(
    api: BotApiStandIn, storage: Storage
) -> None:
    await subscribe_private(storage, *range(1000, 1100))
    async with running_bot(api, storage, broadcast_rate=50):
        stored = await storage.articles.add(article(1))
        await wait_until(lambda: len(api.delivered()) >= 20)
        mark = api.mark()
        started = time.monotonic()
        api.push_command("/latest", user=api.user(42))
        await api.wait_for("sendMessage", after=mark, chat_id=42)
        assert time.monotonic() - started < 1.0
        assert not await settled(storage, stored.id)  # the broadcast was still going


async def test_progress_message_is_edited_and_cancel_stops_the_rest(
    api: BotApiStandIn, storage: Storage
) -> None:
    await subscribe_private(storage, *range(100, 160))
    async with running_bot(
        api, storage, broadcast_rate=10, broadcast_progress_interval=0.2, admin_ids=str(ADMIN)
    ):
        stored = await storage.articles.add(article(1), notify_chat_id=ADMIN)
        first = await api.wait_for("sendMessage", chat_id=ADMIN, timeout=5)
        assert "Broadcasting" in first["text"]
        assert "░" in first["text"]
        assert first.button_data() == [f"Bc{stored.id}"]
        edit = await api.wait_for(
            "editMessageText", chat_id=ADMIN, where=lambda c: "messages/s" in c["text"]
        )
        assert " left" in edit["text"]

        mark = api.mark()
        api.push_callback(f"Bc{stored.id}", message=first, user=api.user(99))
        refused = await api.wait_for("answerCallbackQuery", after=mark)
        assert "Only the bot's admins" in refused["text"]

        mark = api.mark()
        api.push_callback(f"Bc{stored.id}", message=first, user=api.user(ADMIN))
        await api.wait_for("answerCallbackQuery", after=mark)
        final = await api.wait_for(
            "editMessageText",
            after=mark,
            chat_id=ADMIN,
            where=lambda c: "cancelled" in c["text"],
        )
        assert final.button_data() == []
        assert "messages/s" not in final["text"] and "left" not in final["text"]
        assert "100%" not in final["text"]  # the bar stops where the broadcast was stopped
        await wait_until(lambda: settled(storage, stored.id))
        mark = api.mark()
        api.push_callback(f"Bc{stored.id}", message=first, user=api.user(ADMIN))
        again = await api.wait_for("answerCallbackQuery", after=mark)
        assert again["text"] == "This broadcast has already ended."
    progress = await storage.broadcasts.progress(stored.id)
    assert progress is not None
    assert progress.count("cancelled") > 0  # pending rows, and recipients never walked
    assert (progress.count("sent") + progress.count("cancelled"), progress.total) == (60, 60)
    assert len(api.delivered()) - 1 == progress.count("sent")  # minus the progress message
    last = api.calls_to("editMessageText", chat_id=ADMIN)[-1]["text"]
    assert f"{100 * progress.count('sent') // 60}%" in last


async def test_a_second_broadcast_says_queued_and_cancel_after_the_end_changes_nothing(
    api: BotApiStandIn, storage: Storage
) -> None:
    await subscribe_private(storage, *range(100, 120))
    async with running_bot(
        api, storage, broadcast_rate=10, broadcast_progress_interval=0.2, admin_ids=str(ADMIN)
    ):
        first = await storage.articles.add(article(1), notify_chat_id=ADMIN)
        second = await storage.articles.add(article(2), notify_chat_id=ADMIN)
        queued = await api.wait_for(
            "sendMessage",
            chat_id=ADMIN,
            timeout=5,
            where=lambda c: "Article number 2" in c["text"],
        )
        assert queued["text"].startswith("⏳ Queued behind other broadcasts")
        assert "messages/s" not in queued["text"]
        await wait_until(lambda: settled(storage, first.id))
        finished = await api.wait_for(
            "editMessageText",
            chat_id=ADMIN,
            timeout=5,
            where=lambda c: c["text"].startswith("✅ Broadcast finished: <b>Article number 1"),
        )
        mark = api.mark()
        api.push_callback(f"Bc{first.id}", message=finished, user=api.user(ADMIN))
        late = await api.wait_for("answerCallbackQuery", after=mark)
        assert late["text"] == "This broadcast has already ended."
        await wait_until(lambda: settled(storage, second.id))
    progress = await storage.broadcasts.progress(first.id)
    assert progress is not None and not progress.cancelled
    assert progress.count("sent") == 20
    assert not [
        c for c in api.calls_to("editMessageText", chat_id=ADMIN) if "cancelled" in c["text"]
    ]


async def test_an_article_added_by_another_process_goes_out_at_the_next_poll(
    api: BotApiStandIn, storage: Storage, database: str | Path
) -> None:
    """Nothing wakes the worker from another process: its poll of the outbox (every second)
    finds the article. Timed from the article being stored, with room for a loaded
    machine, not from the CLI's start-up."""
    await subscribe_private(storage, 1)
    async with running_bot(api, storage):
        async with child(
            str(Path(sys.executable).with_name("articlebot")),
            "--db",
            str(database),
            "add",
            "--url",
            "https://news.example/cli",
            "--title",
            "From the CLI",
            "--wait",
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        ) as proc:
            await wait_until(lambda: storage.articles.count(), timeout=30)
            stored = time.monotonic()
            await wait_until(lambda: len(api.delivered(1)) == 1, timeout=30)
            _, err = await asyncio.wait_for(proc.communicate(), 30)
        assert proc.returncode == 0, err
    assert api.delivered(1)[0].at - stored < 1.0 + 4.0  # one poll, and a busy machine
    assert "sent 1" in err.decode()
    assert api.delivered(1)[0]["text"].startswith("<b>From the CLI</b>")


async def test_add_wait_without_a_running_bot_says_so_once(
    storage: Storage, database: str | Path
) -> None:
    await subscribe_private(storage, 1)
    async with child(
        str(Path(sys.executable).with_name("articlebot")),
        "--db",
        str(database),
        "add",
        "--url",
        "https://news.example/nobody",
        "--title",
        "Nobody sends",
        "--wait",
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    ) as proc:
        _, err = await asyncio.wait_for(proc.communicate(), 30)
    assert proc.returncode == 0
    assert err.decode().count("no bot is sending") == 1


def bot_env(api: BotApiStandIn, database: str | Path, **env: str) -> dict[str, str]:
    """The environment of an `articlebot run` on `database` against the stand-in."""
    return {
        **os.environ,
        "BOT_TOKEN": api.token,
        "TELEGRAM_API_URL": api.base_url,
        **database_env(database),
        "BROADCAST_RATE": "1000",
        "LOG_LEVEL": "WARNING",
        **env,
    }


def run_bot_process(
    api: BotApiStandIn, database: str | Path, **env: str
) -> subprocess.Popen[bytes]:
    command = [str(Path(sys.executable).with_name("articlebot")), "run"]
    return subprocess.Popen(command, env=bot_env(api, database, **env))


async def test_sigkill_mid_broadcast_then_restart_delivers_each_card_once(
    api: BotApiStandIn, storage: Storage, database: str | Path
) -> None:
    chats = range(10_000, 12_000)
    await subscribe_private(storage, *chats)
    stored = await storage.articles.add(article(1))
    process = run_bot_process(api, database)
    try:
        await wait_until(lambda: len(api.delivered()) >= 400, timeout=30)
        process.kill()
        await asyncio.to_thread(process.wait, 10)
        sent_before = len(api.delivered())
        assert sent_before < 2000  # killed mid-broadcast
        process = run_bot_process(api, database)
        await wait_until(lambda: settled(storage, stored.id), timeout=60)
    finally:
        process.terminate()
        try:
            await asyncio.to_thread(process.wait, 20)
        finally:
            process.kill()  # a no-op once it has ended
            process.wait()
    per_chat = {chat_id: len(api.delivered(chat_id)) for chat_id in chats}
    assert min(per_chat.values()) == 1  # nobody missed
    twice = [chat_id for chat_id, n in per_chat.items() if n > 1]
    assert len(twice) <= 32  # at most the wave in flight at the kill (the concurrency)
    assert max(per_chat.values()) <= 2
    assert set((await statuses(storage, stored.id)).values()) == {"sent"}


async def test_sigterm_stops_promptly_and_leaves_nothing_in_flight(
    api: BotApiStandIn, storage: Storage, database: str | Path
) -> None:
    await subscribe_private(storage, *range(20_000, 20_500))
    stored = await storage.articles.add(article(1))
    process = run_bot_process(api, database, BROADCAST_RATE="100")
    try:
        await wait_until(lambda: len(api.delivered()) >= 50, timeout=30)
        process.terminate()
        started = time.monotonic()
        await asyncio.to_thread(process.wait, 20)
        assert time.monotonic() - started < 10  # it finishes its wave: a busy machine too
        assert process.returncode == 0
    finally:
        if process.poll() is None:
            process.kill()
        process.wait()
    found = await statuses(storage, stored.id)
    assert "sending" not in found.values()
    sent = [chat for chat, status in found.items() if status == "sent"]
    assert len(sent) == len(api.delivered())  # everything sent was recorded as sent
    progress = await storage.broadcasts.progress(stored.id)
    assert progress is not None and progress.pending > 0  # the rest waits for the next start


async def test_cli_stats_show_broadcasts_in_progress(storage: Storage) -> None:
    await subscribe_private(storage, 1, 2)
    await storage.articles.add(article(1, title="Going out"))
    figures = await storage.stats()
    (running,) = figures["broadcasts_in_progress"]
    assert (running["title"], running["total"], running["pending"]) == ("Going out", 2, 2)


async def test_no_stray_errors_in_a_clean_broadcast(
    api: BotApiStandIn, storage: Storage, caplog: pytest.LogCaptureFixture
) -> None:
    await subscribe_private(storage, 1, 2, 3)
    with caplog.at_level(logging.INFO):
        async with running_bot(api, storage, admin_ids=str(ADMIN)):
            stored = await storage.articles.add(article(1))
            await wait_until(lambda: settled(storage, stored.id))
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING]


def test_pacer_forgets_private_chats_after_a_second_and_groups_after_a_minute() -> None:
    pacer = Pacer()
    for n in range(20):
        pacer.record(-100, "supergroup", 1000.0 + n)
    pacer.record(7, "private", 1019.0)
    assert pacer.ready_at(-100, "supergroup") == 1060.0  # 20 in the last minute
    pacer.forget_past(1030.0)
    assert 7 not in pacer.last
    assert pacer.ready_at(7, "private") == 0.0
    assert pacer.ready_at(-100, "supergroup") == 1060.0  # still remembered
    pacer.forget_past(1080.0)
    assert pacer.groups == {}


@pytest.mark.parametrize(("rate", "subscribers"), [(2, 6), (5, 12)])
async def test_a_rate_below_ten_a_second_is_honoured(
    api: BotApiStandIn, storage: Storage, rate: int, subscribers: int
) -> None:
    """The bucket once held a tenth of a second's messages but never less than one, so any
    BROADCAST_RATE under 10 sent 10 a second. n cards now take at least (n - 1) / rate."""
    await subscribe_private(storage, *range(1, subscribers + 1))
    async with running_bot(api, storage, broadcast_rate=rate):
        stored = await storage.articles.add(article(1))
        await wait_until(lambda: settled(storage, stored.id), timeout=30)
    sends = [call.at for call in api.delivered()]
    assert len(sends) == subscribers
    assert max(sends) - min(sends) >= 0.9 * (subscribers - 1) / rate
