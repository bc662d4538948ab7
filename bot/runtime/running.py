"""Running a built bot: every part started in order, and every part stopped, whatever failed
before it (a polling loop that ended on a rejected token, a database that is locked), so
the database is always closed and the process can always exit.

`run_polling` of python-telegram-bot does the same steps but installs its own signal
handlers and skips the rest of shutdown when one step raises; it is not used.
"""

from __future__ import annotations

import asyncio
import logging
import signal
from collections.abc import AsyncIterator, Awaitable
from contextlib import asynccontextmanager

from bot.context import BotApplication
from bot.runtime.lifecycle import post_init, post_shutdown

log = logging.getLogger(__name__)
POLL_TIMEOUT = 10  # seconds Telegram holds a getUpdates open when nothing comes


@asynccontextmanager
async def started(application: BotApplication) -> AsyncIterator[None]:
    """The bot initialised, its resources opened (bot.runtime.lifecycle.post_init) and its handlers
    running."""
    try:
        await application.initialize()
        await post_init(application)
        await application.start()
        yield
    finally:
        if application.running:
            await attempt("stopping the handlers", application.stop())
        await attempt("shutting down", application.shutdown())
        await attempt("closing resources", post_shutdown(application))


@asynccontextmanager
async def polling(
    application: BotApplication, poll_timeout: int = POLL_TIMEOUT
) -> AsyncIterator[None]:
    """The bot started; it polls for updates while it leads (bot.runtime.lifecycle.lead)."""
    application.bot_data.poll_timeout = poll_timeout
    async with started(application):
        try:
            yield
        finally:
            if application.bot_data.updates is not None:
                application.bot_data.updates.closing()
            updater = application.updater
            if updater is not None and updater.running:
                await attempt("stopping polling", updater.stop())


async def attempt(step: str, action: Awaitable[object]) -> None:
    """Run one step of a shutdown; a failure is logged and the next step still runs."""
    try:
        await action
    except Exception as exc:
        log.error("%s failed: %s: %s", step, type(exc).__name__, exc)


async def until_stopped(application: BotApplication) -> str | None:
    """Wait for SIGTERM or SIGINT (None), or for the bot to ask to stop (its reason)."""
    loop = asyncio.get_running_loop()
    stop = application.bot_data.stop_requested
    for signal_number in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signal_number, stop.set)
    await stop.wait()
    for signal_number in (signal.SIGTERM, signal.SIGINT):
        loop.remove_signal_handler(signal_number)
    return application.bot_data.stop_reason
