"""Typed dependencies for handlers: `context.storage`, `context.settings`, `context.texts()`."""

from __future__ import annotations

import asyncio
import time
from typing import TYPE_CHECKING, Any

from telegram import Update
from telegram.ext import Application, CallbackContext, ExtBot

from bot.api.circuit import Circuit
from bot.runtime.budgets import Budgets

if TYPE_CHECKING:  # the services themselves are built by bot.runtime.lifecycle
    from aiohttp import web

    from bot.api.updates import UpdatesRequest
    from bot.delivery.corrections import CorrectionWorker
    from bot.delivery.scheduler import Scheduler
    from bot.delivery.worker import DeliveryWorker
    from bot.handlers.dialogue import Session
    from bot.i18n import Catalog, Texts
    from bot.runtime.health import Heartbeat
    from bot.runtime.hooks import HookEndpoint
    from bot.runtime.leadership import Leadership
    from bot.runtime.metrics import Metrics
    from bot.sources.feeds import FeedService
    from config import Settings
    from storage import Storage


class BotData:
    """What the whole application shares; filled by `build_application` and `post_init`."""

    def __init__(self) -> None:
        self.settings: Settings | None = None
        self.storage: Storage | None = None
        self.catalog: Catalog | None = None
        self.owns_storage = False
        self.worker: DeliveryWorker | None = None
        self.corrections: CorrectionWorker | None = None  # edits cards already sent
        self.feeds: FeedService | None = None
        self.scheduler: Scheduler | None = None
        self.updates: UpdatesRequest | None = None  # the polling connection
        self.heartbeat: Heartbeat | None = None
        self.leadership: Leadership | None = None  # which replica runs what runs once
        self.poll_timeout: int | None = None  # set when polling (not webhook)
        self.metrics: Metrics | None = None
        self.metrics_server: web.AppRunner | None = None  # polling mode, METRICS_PORT set
        self.hooks: HookEndpoint | None = None  # a hook secret set
        self.hooks_server: web.AppRunner | None = None  # HOOKS_PORT set
        self.rich_messages = True  # until the Bot API says it has no sendRichMessage
        self.circuit = Circuit()  # whether Telegram answers at all (bot.api.circuit)
        self.budgets = Budgets()  # each reader's share of the bot (bot.runtime.budgets)
        self.stop_requested = asyncio.Event()
        self.stop_reason: str | None = None

    def request_stop(self, reason: str) -> None:
        """Something the bot cannot go on without failed: stop the process, saying why."""
        if self.stop_reason is None:
            self.stop_reason = reason
        self.stop_requested.set()


class BotContext(CallbackContext[ExtBot[None], dict[Any, Any], dict[Any, Any], BotData]):
    # What the chat chose (/language, /timezone), read for each update
    # (bot.handlers.preferences.recall_choices).
    chosen_language: str | None = None
    chosen_zone: str | None = None

    @property
    def storage(self) -> Storage:
        if self.bot_data.storage is None:
            raise RuntimeError("storage is not open: post_init has not run")
        return self.bot_data.storage

    @property
    def settings(self) -> Settings:
        assert self.bot_data.settings is not None
        return self.bot_data.settings

    _session: Session | None = None

    @property
    def session(self) -> Session:
        """The admin's session, held while a step of their dialogue runs
        (bot.handlers.dialogue)."""
        if self._session is None:
            raise RuntimeError("no dialogue step is running for this update")
        return self._session

    @session.setter
    def session(self, session: Session) -> None:
        self._session = session

    def language(self, update: object) -> str | None:
        """The language the chat chose (/language), else that of the user behind `update`."""
        user = update.effective_user if isinstance(update, Update) else None
        return self.chosen_language or (user.language_code if user else None)

    def texts(self, update: object) -> Texts:
        """The bot's words in `language(update)`; dates in the chat's time zone."""
        assert self.bot_data.catalog is not None
        return self.bot_data.catalog.for_reader(self.language(update), self.chosen_zone)


class BotApplication(
    Application[ExtBot[None], BotContext, dict[Any, Any], dict[Any, Any], BotData, Any]
):
    """The bot's Application: each update's processing is timed and counted by outcome
    (bot.runtime.metrics)."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._failed: set[int] = set()  # updates whose handler raised, while processed

    async def process_update(self, update: object) -> None:
        started = time.perf_counter()
        try:
            await super().process_update(update)
        finally:
            failed = id(update) in self._failed
            self._failed.discard(id(update))
            if self.bot_data.metrics is not None:
                outcome = "error" if failed else "ok"
                self.bot_data.metrics.observe_update(
                    update, outcome, time.perf_counter() - started
                )

    async def process_error(
        self, update: object | None, error: Exception, *args: Any, **kwargs: Any
    ) -> bool:
        if update is not None:
            self._failed.add(id(update))
        return await super().process_error(update, error, *args, **kwargs)
