"""The bot as a process: it never goes deaf, always stops, and says when it is unhealthy."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from subprocess import Popen

import pytest

from bot.runtime.health import STALE_AFTER, problems
from bot.sandbox import BotApiStandIn, Fault
from storage import ChatInfo, Storage
from tests.conftest import article
from tests.e2e import database_env, popen, wait_until

PROMPTLY = 20.0  # seconds a stop may take, whatever is failing, on a busy machine too


def start_bot(
    api: BotApiStandIn, database: str | Path, **env: str
) -> contextlib.AbstractContextManager[Popen[str]]:
    """`articlebot run` against the stand-in, ended however the test leaves."""
    environment = {
        **os.environ,
        "BOT_TOKEN": api.token,
        "TELEGRAM_API_URL": api.base_url,
        **database_env(database),
        "LOG_LEVEL": "WARNING",
        **env,
    }
    command = [str(Path(sys.executable).with_name("articlebot")), "run"]
    return popen(command, env=environment, stderr=subprocess.PIPE)


async def exit_of(process: subprocess.Popen[str], within: float = PROMPTLY) -> tuple[int, str]:
    started = time.monotonic()
    try:
        _, err = await asyncio.to_thread(process.communicate, timeout=within)
    finally:
        if process.poll() is None:
            process.kill()
    assert time.monotonic() - started < within
    return process.returncode, err


@pytest.mark.parametrize(
    ("status", "said"), [(401, "401 Unauthorized: check BOT_TOKEN"), (404, "404 Not Found")]
)
async def test_a_rejected_get_updates_stops_the_process_saying_why(
    api: BotApiStandIn, db_path: Path, status: int, said: str
) -> None:
    """A revoked token or a misrouted TELEGRAM_API_URL: python-telegram-bot's polling would
    end for good and leave the process up but deaf."""
    api.inject(
        Fault("getUpdates", status, "Not Found" if status == 404 else "Unauthorized", times=1_000)
    )
    with start_bot(api, db_path) as process:
        code, err = await exit_of(process)
    assert code == 1
    errors = [line for line in err.splitlines() if line.startswith("Error:")]
    assert len(errors) == 1 and said in errors[0], err
    assert "Traceback" not in err


@pytest.mark.parametrize("failing", ["getUpdates", "sendMessage", "database"])
async def test_sigterm_stops_promptly_whatever_is_failing(
    api: BotApiStandIn, storage: Storage, database: str | Path, failing: str
) -> None:
    """Telegram answering 502 to every poll, hanging on every card, or the database locked
    by another process: SIGTERM still ends the process, and its database is closed."""
    await storage.chats.subscribe(ChatInfo(5, "private"))
    if failing == "getUpdates":
        api.inject(Fault("getUpdates", 502, "Bad Gateway", times=1_000))
    if failing == "sendMessage":
        api.inject(Fault("sendMessage", 504, "Gateway Timeout", delay=6, times=1_000))
    with start_bot(api, database, DATABASE_TIMEOUT="1") as process:
        await wait_until(lambda: api.polls >= 2, timeout=PROMPTLY)
        if failing == "sendMessage":
            stored = await storage.articles.add(article(1))
            await wait_until(lambda: in_flight(storage, stored.id), timeout=PROMPTLY)
        async with contextlib.AsyncExitStack() as held:
            if failing == "database":  # this process's write transaction holds the writer lock
                await held.enter_async_context(storage.db.atomic())
            process.send_signal(signal.SIGTERM)
            code, err = await exit_of(process)
    assert code == 0, err
    assert "Traceback" not in err


async def test_a_running_bot_is_healthy(
    api: BotApiStandIn, storage: Storage, database: str | Path
) -> None:
    with start_bot(api, database) as process:
        await wait_until(lambda: heartbeats_written(storage), timeout=PROMPTLY)
        assert problems(await storage.heartbeats(), time.time()) == []
        health = await asyncio.create_subprocess_exec(
            str(Path(sys.executable).with_name("articlebot")),
            "health",
            env={**os.environ, **database_env(database)},
            stdout=asyncio.subprocess.PIPE,
        )
        out, _ = await health.communicate()
        assert health.returncode == 0
        assert out.decode().startswith("ok: receiving updates and sending")
        process.terminate()
        await exit_of(process)
    health = await asyncio.create_subprocess_exec(  # right after a clean stop: not "ok"
        str(Path(sys.executable).with_name("articlebot")),
        "health",
        env={**os.environ, **database_env(database)},
        stderr=asyncio.subprocess.PIPE,
    )
    _, err = await health.communicate()
    assert health.returncode == 1
    assert "unhealthy: the bot stopped" in err.decode()


async def in_flight(storage: Storage, article_id: int) -> bool:
    progress = await storage.broadcasts.progress(article_id)
    return progress is not None and progress.count("sending") > 0


async def heartbeats_written(storage: Storage) -> bool:
    return {"updates", "sending"} <= set(await storage.heartbeats())


def test_health_names_the_part_that_stopped_working() -> None:
    now = time.time()
    fresh = {"updates": now - 5, "sending": now - 5}
    assert problems(fresh, now) == []
    assert problems({**fresh, "updates": now - STALE_AFTER - 1}, now) == [
        f"no updates received for {STALE_AFTER + 1:.0f} s"
    ]
    assert problems({"updates": now}, now) == [
        "the delivery worker is not working (no heartbeat yet: is the bot running?)"
    ]
