"""Running the real bot against the Bot API stand-in, as the end-to-end tests do."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from bot.app import ALLOWED_UPDATES, build_application
from bot.context import BotApplication
from bot.sandbox import BotApiStandIn
from config import Settings
from storage import Storage


def settings_for(api: BotApiStandIn, **overrides: Any) -> Settings:
    values: dict[str, Any] = {"bot_token": api.token, "telegram_api_url": api.base_url}
    values.update(overrides)
    return Settings(_env_file=None, **values)  # type: ignore[call-arg]


@asynccontextmanager
async def running_bot(
    api: BotApiStandIn, storage: Storage, **overrides: Any
) -> AsyncIterator[BotApplication]:
    """The bot polling the stand-in, with the same start and stop steps as `run_polling`."""
    application = build_application(settings_for(api, **overrides), storage)
    async with application:
        assert application.post_init is not None
        await application.post_init(application)
        await application.start()
        assert application.updater is not None
        await application.updater.start_polling(
            poll_interval=0, timeout=1, allowed_updates=ALLOWED_UPDATES
        )
        try:
            yield application
        finally:
            api.drain()
            await application.updater.stop()
            await application.stop()
    assert application.post_shutdown is not None
    await application.post_shutdown(application)
