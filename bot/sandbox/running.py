"""Run a built bot against a stand-in, with the same start and stop steps as `run_polling`
(which also installs signal handlers, so it cannot be used inside tests or the sandbox)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from bot.app import ALLOWED_UPDATES
from bot.context import BotApplication
from bot.sandbox.standin import BotApiStandIn


@asynccontextmanager
async def polling(application: BotApplication, api: BotApiStandIn) -> AsyncIterator[None]:
    async with application:
        assert application.post_init is not None
        await application.post_init(application)
        await application.start()
        assert application.updater is not None
        await application.updater.start_polling(
            poll_interval=0, timeout=1, allowed_updates=ALLOWED_UPDATES
        )
        try:
            yield
        finally:
            api.drain()
            await application.updater.stop()
            await application.stop()
    assert application.post_shutdown is not None
    await application.post_shutdown(application)
