"""The running bot's lifecycle: what `post_init` opens and starts (the database, the
command menu, metrics, the CMS hooks, and the bid for the lead) and, once this replica
leads (bot.runtime.leadership), what runs once: the delivery worker, corrections, the
scheduler, the feed poller, heartbeats and, in polling mode, getUpdates; what
`post_shutdown` stops and closes; and the checks and helpers they use."""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable

from pydantic import SecretStr
from telegram import (
    Bot,
    BotCommand,
    BotCommandScope,
    BotCommandScopeChat,
    BotCommandScopeDefault,
    User,
)
from telegram.error import TelegramError

from bot import render
from bot.api.circuit import unavailable
from bot.api.transport import AiohttpRequest
from bot.app import ALLOWED_UPDATES
from bot.commands import menu
from bot.context import BotApplication
from bot.delivery.corrections import CorrectionWorker
from bot.delivery.scheduler import Scheduler
from bot.delivery.sending import BroadcastBot
from bot.delivery.worker import DeliveryWorker
from bot.handlers import dialogue
from bot.i18n import Texts
from bot.runtime.health import Heartbeat
from bot.runtime.hooks import HookEndpoint, serve_hooks
from bot.runtime.leadership import Leadership
from bot.runtime.metrics import serve_metrics
from bot.sources.feeds import FeedService
from bot.sources.hooks.desk import HookDesk
from config import Settings
from storage import Storage
from storage.errors import Explained
from storage.feeds import Feed
from storage.kinds import CardStyle

log = logging.getLogger(__name__)


async def post_init(application: BotApplication) -> None:
    data = application.bot_data
    settings = data.settings
    assert settings is not None
    assert data.catalog is not None
    if data.storage is None:
        data.storage = await Storage.open(
            settings.database, busy_timeout=settings.database_timeout
        )
    metrics = data.metrics
    assert metrics is not None
    data.storage.db.on_write_wait = metrics.write_wait.observe
    if not settings.admin_ids:
        log.warning("ADMIN_IDS is empty: nobody can publish, manage feeds or cancel broadcasts")
    await register_commands(application)
    leadership = Leadership(
        data.storage, lead=lambda: lead(application), deposed=data.request_stop
    )
    data.leadership = leadership
    data.worker = DeliveryWorker(
        await broadcast_bot(settings),
        data.storage,
        data.catalog,
        rate=settings.broadcast_rate,
        paid=settings.broadcast_paid,
        card_style=CardStyle(settings.card_style),
        concurrency=settings.broadcast_concurrency,
        progress_interval=settings.broadcast_progress_interval,
        retention_days=settings.delivery_retention_days,
        give_up_hours=settings.delivery_give_up_hours,
        circuit=data.circuit,
        on_fatal=data.request_stop,
        metrics=data.metrics,
        may_work=lambda: leadership.valid,
    )
    worker = data.worker
    data.corrections = CorrectionWorker(
        worker.bot,
        data.storage,
        data.catalog,
        limiter=worker.limiter,
        circuit=data.circuit,
        wave_size=worker.wave_size,
        may_work=lambda: leadership.valid,
    )
    updates = data.updates if settings.bot_mode == "polling" else None
    data.heartbeat = Heartbeat(data.storage, worker, updates)
    data.scheduler = Scheduler(
        data.storage, wake=worker.wake, end_idle=functools.partial(dialogue.end_idle, application)
    )

    async def tell_admins(feed: Feed, error: Explained) -> None:
        await notify_admins(application, lambda t: render.feed_paused(t, feed, error))

    data.feeds = FeedService(
        data.storage,
        interval=settings.feed_interval,
        allow_private=settings.allow_private_urls,
        wake=worker.wake,
        wake_corrections=data.corrections.wake,
        notify=tell_admins,
        on_poll=lambda result: metrics.feed_polls.labels(result).inc(),
    )
    if settings.hooks_enabled:
        await open_hooks(application, worker)
    if settings.bot_mode == "polling" and settings.metrics_port is not None:
        data.metrics_server = await serve_metrics(
            metrics, settings.metrics_listen, settings.metrics_port
        )
    await leadership.start()


async def lead(application: BotApplication) -> None:
    """This replica leads: start what must run once."""
    data = application.bot_data
    assert data.worker is not None
    assert data.corrections is not None
    assert data.heartbeat is not None
    assert data.scheduler is not None
    assert data.feeds is not None
    await data.worker.start()
    data.corrections.start()
    data.heartbeat.start()
    data.scheduler.start()
    data.feeds.start()
    if data.poll_timeout is not None:
        await start_polling(application, data.poll_timeout)


async def start_polling(application: BotApplication, timeout: int) -> None:
    updater = application.updater
    assert updater is not None
    circuit = application.bot_data.circuit

    def polling_failed(exc: TelegramError) -> None:
        """An outage is two lines (bot.api.circuit), not one per poll; other errors one."""
        if unavailable(exc):
            circuit.failed(exc, "polling")
        else:
            log.warning("getUpdates failed, retrying: %s: %s", type(exc).__name__, exc)

    await updater.start_polling(
        poll_interval=0,
        timeout=timeout,
        allowed_updates=ALLOWED_UPDATES,
        error_callback=polling_failed,
    )


async def open_hooks(application: BotApplication, worker: DeliveryWorker) -> None:
    """The CMS hooks endpoint, and its own server when HOOKS_PORT is set (webhook mode also
    mounts it on the webhook server: bot.runtime.webhook)."""
    data = application.bot_data
    settings, metrics, storage = data.settings, data.metrics, data.storage
    assert settings is not None
    assert metrics is not None
    assert storage is not None
    assert data.scheduler is not None
    desk = HookDesk(
        storage,
        application.bot,
        wake_worker=worker.wake,
        wake_scheduler=data.scheduler.wake,
        wake_corrections=data.corrections.wake if data.corrections else None,
        on_hook=lambda endpoint, event, outcome: metrics.hooks.labels(
            endpoint, event, outcome
        ).inc(),
    )
    data.hooks = HookEndpoint(
        desk,
        ghost_secret=reveal(settings.ghost_webhook_secret),
        secret=reveal(settings.hooks_secret),
    )
    if settings.hooks_port is not None:
        data.hooks_server = await serve_hooks(
            data.hooks, settings.hooks_listen, settings.hooks_port
        )


def reveal(secret: SecretStr | None) -> str | None:
    return None if secret is None else secret.get_secret_value()


async def notify_admins(application: BotApplication, text: Callable[[Texts], str]) -> None:
    """A message to every admin; one who cannot be reached does not stop the others."""
    data = application.bot_data
    assert data.settings is not None
    assert data.catalog is not None
    assert data.storage is not None
    for admin_id in data.settings.admin_ids:
        texts = data.catalog.for_language(await data.storage.chats.language(admin_id))
        try:
            await application.bot.send_message(admin_id, text(texts))
        except TelegramError as exc:
            log.warning("could not notify admin user_id=%s: %s", admin_id, exc)


async def post_shutdown(application: BotApplication) -> None:
    """Stop the background work and close what post_init opened. Each step runs whatever
    the one before it raised: above all the database is closed, or its threads would keep
    the process alive."""
    data = application.bot_data
    led = data.leadership is not None and data.leadership.led
    try:
        if data.metrics_server is not None:
            await data.metrics_server.cleanup()
            data.metrics_server = None
        if data.hooks_server is not None:
            await data.hooks_server.cleanup()
            data.hooks_server = None
        if data.hooks is not None:
            await data.hooks.desk.stop()
            data.hooks = None
        try:
            if led:
                await stop_leading(application)
        finally:
            if data.worker is not None:
                await data.worker.bot.shutdown()
                data.worker = None
            if data.leadership is not None:  # last: handed over once the wave is settled
                await data.leadership.stop()
                data.leadership = None
    finally:
        if data.owns_storage and data.storage is not None:
            await data.storage.close()
            data.storage = None


async def stop_leading(application: BotApplication) -> None:
    """Stop what `lead` started; the worker lets its wave finish and settle."""
    data = application.bot_data
    if data.heartbeat is not None:
        await data.heartbeat.stop()
        data.heartbeat = None
    if data.feeds is not None:
        await data.feeds.stop()
        data.feeds = None
    if data.scheduler is not None:
        await data.scheduler.stop()
        data.scheduler = None
    if data.corrections is not None:
        await data.corrections.stop()
        data.corrections = None
    if data.worker is not None:
        await data.worker.stop()


async def check_token(settings: Settings) -> User:
    """Ask Telegram who we are before starting: a wrong token or an unreachable API becomes
    one clear error (InvalidToken / NetworkError) instead of a failed start-up."""
    assert settings.bot_token is not None
    request = AiohttpRequest(connection_pool_size=1)
    await request.initialize()
    try:
        bot = Bot(
            settings.bot_token.get_secret_value(),
            base_url=settings.telegram_api_url,
            request=request,
        )
        return await bot.get_me()
    finally:
        await request.shutdown()


async def broadcast_bot(settings: Settings) -> BroadcastBot:
    """A Bot with its own connection pool, so broadcasts never delay replies to readers."""
    assert settings.bot_token is not None
    bot = BroadcastBot(
        settings.bot_token.get_secret_value(),
        base_url=settings.telegram_api_url,
        request=AiohttpRequest(connection_pool_size=settings.broadcast_concurrency + 2),
    )
    await bot.initialize()
    return bot


async def register_commands(application: BotApplication) -> None:
    """The command menu in every language; admins also see the admin commands in their
    private chats. A failure here is a warning, never a stopped bot."""
    data = application.bot_data
    assert data.catalog is not None
    assert data.settings is not None
    scopes: list[tuple[BotCommandScope, list[tuple[str, str]]]] = [
        (BotCommandScopeDefault(), menu(admin=False))
    ]
    scopes += [
        (BotCommandScopeChat(admin_id), menu(admin=True))
        for admin_id in sorted(data.settings.admin_ids)
    ]
    for scope, commands in scopes:
        for language in data.catalog.languages:
            t = data.catalog.for_language(language)
            try:
                await application.bot.set_my_commands(
                    [BotCommand(name, t.gettext(about)) for name, about in commands],
                    scope=scope,
                    language_code=None if language == "en" else language,
                )
            except TelegramError as exc:
                log.warning("could not register the command menu (%s): %s", scope.type, exc)
                break
