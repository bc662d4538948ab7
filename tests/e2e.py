"""Running the real bot against the Bot API stand-in, as the end-to-end tests do."""

from __future__ import annotations

import asyncio
import inspect
import subprocess
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import asynccontextmanager, contextmanager
from pathlib import Path
from typing import Any

from bot.app import build_application
from bot.context import BotApplication
from bot.runtime.running import polling
from bot.sandbox import BotApiStandIn
from config import Settings
from storage import Storage


def database_env(database: str | Path) -> dict[str, str]:
    """The variables that point an `articlebot` process at the test's store (the
    `database` fixture: an SQLite file, or a PostgreSQL URL)."""
    if isinstance(database, str):
        return {"DATABASE_URL": database}
    return {"DATABASE_PATH": str(database)}


def settings_for(api: BotApiStandIn, **overrides: Any) -> Settings:
    values: dict[str, Any] = {"bot_token": api.token, "telegram_api_url": api.base_url}
    values.update(overrides)
    return Settings(_env_file=None, **values)  # type: ignore[call-arg]


@asynccontextmanager
async def running_bot(
    api: BotApiStandIn, storage: Storage, **overrides: Any
) -> AsyncIterator[BotApplication]:
    """The real bot polling the stand-in."""
    application = build_application(settings_for(api, **overrides), storage)
    async with polling(application, poll_timeout=1):
        try:
            yield application
        finally:
            api.drain()  # long polls answer at once, so the bot stops quickly


@asynccontextmanager
async def child(*command: str, **options: Any) -> AsyncIterator[asyncio.subprocess.Process]:
    """A process of the test's, ended (killed and waited for) however the test leaves."""
    process = await asyncio.create_subprocess_exec(*command, **options)
    try:
        yield process
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()


@contextmanager
def popen(command: list[str], **options: Any) -> Iterator[subprocess.Popen[str]]:
    """`subprocess.Popen`, ended however the test leaves (for tests that signal it)."""
    process = subprocess.Popen(command, text=True, **options)
    try:
        yield process
    finally:
        if process.poll() is None:
            process.kill()
        process.communicate()  # reaps it and closes its pipes


async def wait_until(
    check: Callable[[], Awaitable[bool]] | Callable[[], bool], timeout: float = 10.0
) -> None:
    """Poll `check` (sync or async) until it is true; fail after `timeout` seconds."""

    async def holds() -> bool:
        result = check()
        return bool(await result) if inspect.isawaitable(result) else bool(result)

    deadline = asyncio.get_running_loop().time() + timeout
    while not await holds():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"condition not met within {timeout} s")
        await asyncio.sleep(0.02)
