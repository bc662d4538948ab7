"""`build_application`: the bot's one ordered list of handlers, and its lifecycle."""

from __future__ import annotations

import functools
import logging
import os
import warnings
from collections.abc import Callable, Coroutine
from typing import Any, cast

from telegram import (
    Bot,
    BotCommand,
    BotCommandScope,
    BotCommandScopeChat,
    BotCommandScopeDefault,
    LinkPreviewOptions,
    Update,
    User,
)
from telegram.constants import ParseMode
from telegram.error import TelegramError
from telegram.ext import (
    ApplicationBuilder,
    ApplicationHandlerStop,
    CallbackQueryHandler,
    ChatMemberHandler,
    CommandHandler,
    ContextTypes,
    ConversationHandler,
    Defaults,
    InlineQueryHandler,
    MessageHandler,
    TypeHandler,
    filters,
)

from bot import callbacks, render
from bot.broadcast import DeliveryWorker
from bot.context import BotApplication, BotContext, BotData
from bot.feeds import FeedService
from bot.handlers import (
    admin,
    broadcasts,
    digests,
    errors,
    feeds,
    inline,
    manage,
    reader,
    schedule,
    subscriptions,
)
from bot.health import Heartbeat
from bot.i18n import N_, Catalog, Texts
from bot.metrics import Metrics, serve_metrics
from bot.replies import ReplyGuard
from bot.scheduler import Scheduler
from bot.sending import BroadcastBot
from bot.transport import AiohttpRequest
from bot.updates import UpdatesRequest
from config import Settings
from storage import Storage
from storage.errors import Explained
from storage.feeds import Feed

log = logging.getLogger(__name__)

# Commands react to new messages only: an edited "/subscribe" must not act twice.
NEW_MESSAGES = filters.UpdateType.MESSAGE
PRIVATE_TEXT = NEW_MESSAGES & filters.ChatType.PRIVATE & filters.TEXT & ~filters.COMMAND
READER_COMMANDS = (
    ("latest", N_("The newest articles")),
    ("search", N_("Search the archive")),
    ("article", N_("Open an article by number")),
    ("subscribe", N_("Receive new articles here")),
    ("unsubscribe", N_("Stop receiving articles")),
    ("subscriptions", N_("What this chat receives")),
    ("digest", N_("Articles together, daily or weekly")),
    ("quiet", N_("Hours without cards")),
    ("timezone", N_("This chat's time zone")),
    ("help", N_("What this bot can do")),
)
ADMIN_MENU = (
    ("add", N_("Publish an article")),
    ("edit", N_("Edit an article")),
    ("delete", N_("Delete an article")),
    ("stats", N_("Statistics")),
    ("feeds", N_("Followed feeds")),
    ("channels", N_("Subscribed channels")),
    ("scheduled", N_("Articles waiting for their time")),
)
CONVERSATION_TIMEOUT = 600
REQUEST_TIMEOUT = 5.0  # seconds for one Bot API call (connect, write, and read each)
ALLOWED_UPDATES = [
    Update.MESSAGE,
    Update.CALLBACK_QUERY,
    Update.INLINE_QUERY,
    Update.MY_CHAT_MEMBER,
]


def build_application(settings: Settings, storage: Storage | None = None) -> BotApplication:
    """The bot, ready to run. With `storage`, the caller owns it; else post_init opens it."""
    if settings.bot_token is None:
        raise ValueError("BOT_TOKEN is required to build the bot")
    # Opt in to python-telegram-bot's coming timedelta durations (RetryAfter.retry_after),
    # instead of a deprecation warning on every flood-control answer.
    os.environ.setdefault("PTB_TIMEDELTA", "1")
    # A rejected token or API address stops the whole bot (the closure reads `application`
    # once it is built).
    updates = UpdatesRequest(on_rejected=lambda reason: application.bot_data.request_stop(reason))
    builder = (
        ApplicationBuilder()
        .application_class(BotApplication)
        .token(settings.bot_token.get_secret_value())
        .base_url(settings.telegram_api_url)
        .context_types(ContextTypes(context=BotContext, bot_data=BotData))
        .defaults(
            Defaults(
                parse_mode=ParseMode.HTML,
                link_preview_options=LinkPreviewOptions(is_disabled=True),
            )
        )
        .request(
            AiohttpRequest(
                connection_pool_size=32,
                read_timeout=REQUEST_TIMEOUT,
                write_timeout=REQUEST_TIMEOUT,
                connect_timeout=REQUEST_TIMEOUT,
            )
        )
        .get_updates_request(updates)
        .rate_limiter(ReplyGuard(storage=lambda: application.bot_data.storage))
        .concurrent_updates(16)
    )
    application = cast(BotApplication, builder.build())
    data = application.bot_data
    data.settings = settings
    data.updates = updates
    data.metrics = Metrics(
        name for name, _ in (*READER_COMMANDS, *ADMIN_MENU, ("start", ""), ("cancel", ""))
    )
    data.catalog = Catalog.load()
    data.storage = storage
    data.owns_storage = storage is None

    application.add_handler(TypeHandler(Update, errors.log_update), group=-2)
    application.add_handler(TypeHandler(Update, admin.gate), group=-1)
    # The /add and /edit dialogue has a group of its own, before everything else: an update
    # it takes goes no further; a command it does not know ends it and goes on.
    application.add_handler(admin_conversation(), group=0)
    application.add_handlers(
        [
            CommandHandler("cancel", admin.nothing_to_cancel, filters=NEW_MESSAGES),
            CommandHandler("delete", manage.delete_command, filters=NEW_MESSAGES),
            CommandHandler("stats", manage.stats_command, filters=NEW_MESSAGES),
            CommandHandler("channels", manage.channels_command, filters=NEW_MESSAGES),
            CommandHandler("scheduled", schedule.scheduled_command, filters=NEW_MESSAGES),
            CommandHandler("timezone", schedule.timezone_command, filters=NEW_MESSAGES),
            CommandHandler("digest", digests.digest_command, filters=NEW_MESSAGES),
            CommandHandler("quiet", digests.quiet_command, filters=NEW_MESSAGES),
            CommandHandler("start", reader.start, filters=NEW_MESSAGES),
            CommandHandler("help", reader.help_command, filters=NEW_MESSAGES),
            CommandHandler("latest", reader.latest, filters=NEW_MESSAGES),
            CommandHandler("search", reader.search, filters=NEW_MESSAGES),
            CommandHandler("article", reader.article, filters=NEW_MESSAGES),
            CommandHandler("feeds", feeds.feeds_command, filters=NEW_MESSAGES),
            CommandHandler("subscribe", subscriptions.subscribe, filters=NEW_MESSAGES),
            CommandHandler("unsubscribe", subscriptions.unsubscribe, filters=NEW_MESSAGES),
            CommandHandler(
                "subscriptions", subscriptions.show_subscriptions, filters=NEW_MESSAGES
            ),
            MessageHandler(
                NEW_MESSAGES & filters.StatusUpdate.MIGRATE, subscriptions.chat_migrated
            ),
            MessageHandler(
                NEW_MESSAGES & filters.ChatType.PRIVATE & filters.FORWARDED,
                subscriptions.forwarded_channel_post,
            ),
            ChatMemberHandler(subscriptions.membership_changed, ChatMemberHandler.MY_CHAT_MEMBER),
            MessageHandler(PRIVATE_TEXT, reader.search_text),
            MessageHandler(
                NEW_MESSAGES & filters.ChatType.PRIVATE & filters.COMMAND, reader.unknown_command
            ),
            CallbackQueryHandler(reader.latest_button, pattern=callbacks.LATEST_PATTERN),
            CallbackQueryHandler(reader.search_button, pattern=callbacks.SEARCH_PATTERN),
            CallbackQueryHandler(reader.article_button, pattern=callbacks.ARTICLE_PATTERN),
            CallbackQueryHandler(
                subscriptions.subscription_button, pattern=callbacks.SUBSCRIPTION_PATTERN
            ),
            CallbackQueryHandler(
                broadcasts.cancel_button, pattern=callbacks.CANCEL_BROADCAST_PATTERN
            ),
            CallbackQueryHandler(manage.delete_button, pattern=callbacks.DELETE_PATTERN),
            CallbackQueryHandler(manage.channels_button, pattern=callbacks.CHANNELS_PATTERN),
            CallbackQueryHandler(schedule.unschedule_button, pattern=callbacks.UNSCHEDULE_PATTERN),
            CallbackQueryHandler(
                admin.nothing_to_cancel, pattern=f"^{callbacks.CANCEL_DIALOGUE}$"
            ),
            CallbackQueryHandler(reader.unknown_button),
            InlineQueryHandler(inline.inline_query),
        ],
        group=1,
    )
    application.add_error_handler(errors.on_error)
    return application


def admin_conversation() -> ConversationHandler[BotContext]:
    """/add and /edit: a few questions in a private chat, then Publish or the change. Each
    step keeps its update from the handlers after it (the search of a private chat's text,
    the answer to unknown commands and buttons)."""
    private = NEW_MESSAGES & filters.ChatType.PRIVATE
    text = private & filters.TEXT & ~filters.COMMAND
    with warnings.catch_warnings():
        # Buttons are tracked per chat and user, not per message: intended here.
        warnings.filterwarnings("ignore", message=".*per_message=False.*")
        return ConversationHandler(
            entry_points=[
                CommandHandler("add", step(admin.add_start), filters=private),
                CommandHandler("edit", step(admin.edit_start), filters=private),
            ],
            states={
                admin.LINK: [MessageHandler(text, step(admin.got_link))],
                admin.TITLE: [MessageHandler(text, step(admin.got_title))],
                admin.SUMMARY: [MessageHandler(text, step(admin.got_summary))],
                admin.REVIEW: [
                    CallbackQueryHandler(
                        step(schedule.when_button), pattern=f"^{callbacks.SCHEDULE_DRAFT}$"
                    ),
                    CallbackQueryHandler(
                        step(admin.review_button), pattern=callbacks.DRAFT_PATTERN
                    ),
                ],
                admin.EDIT_CHOICE: [
                    CallbackQueryHandler(step(admin.edit_button), pattern=callbacks.EDIT_PATTERN)
                ],
                admin.FIELD: [MessageHandler(text, step(admin.got_edit))],
                admin.WHEN: [MessageHandler(text, step(schedule.got_when))],
                ConversationHandler.TIMEOUT: [TypeHandler(Update, admin.timed_out)],
            },
            fallbacks=[
                CommandHandler("cancel", step(admin.cancel)),
                CallbackQueryHandler(
                    step(admin.cancel_button), pattern=f"^{callbacks.CANCEL_DIALOGUE}$"
                ),
                MessageHandler(NEW_MESSAGES & filters.COMMAND, admin.interrupted),
            ],
            allow_reentry=True,  # /add or /edit during a dialogue starts a new one
            conversation_timeout=CONVERSATION_TIMEOUT,
            name="admin",
        )


def step(
    callback: Callable[[Update, BotContext], Coroutine[Any, Any, int]],
) -> Callable[[Update, BotContext], Coroutine[Any, Any, int]]:
    """A dialogue's step: its update stops here, with the state the step returns."""

    @functools.wraps(callback)
    async def taken(update: Update, context: BotContext) -> int:
        raise ApplicationHandlerStop(await callback(update, context))

    return taken


async def post_init(application: BotApplication) -> None:
    data = application.bot_data
    settings = data.settings
    assert settings is not None
    assert data.catalog is not None
    if data.storage is None:
        data.storage = await Storage.open(
            settings.database_path, busy_timeout=settings.database_timeout
        )
    metrics = data.metrics
    assert metrics is not None
    data.storage.db.on_write_wait = metrics.write_wait.observe
    if not settings.admin_ids:
        log.warning("ADMIN_IDS is empty: nobody can publish, manage feeds or cancel broadcasts")
    await register_commands(application)
    data.worker = DeliveryWorker(
        await broadcast_bot(settings),
        data.storage,
        data.catalog,
        rate=settings.broadcast_rate,
        paid=settings.broadcast_paid,
        concurrency=settings.broadcast_concurrency,
        progress_interval=settings.broadcast_progress_interval,
        retention_days=settings.delivery_retention_days,
        on_fatal=data.request_stop,
        metrics=data.metrics,
    )
    await data.worker.start()
    worker = data.worker
    updates = data.updates if settings.bot_mode == "polling" else None
    data.heartbeat = Heartbeat(data.storage, worker, updates)
    data.heartbeat.start()

    data.scheduler = Scheduler(data.storage, wake=worker.wake)
    data.scheduler.start()

    async def tell_admins(feed: Feed, error: Explained) -> None:
        await notify_admins(application, lambda t: render.feed_paused(t, feed, error))

    data.feeds = FeedService(
        data.storage,
        interval=settings.feed_interval,
        allow_private=settings.allow_private_urls,
        wake=worker.wake,
        notify=tell_admins,
        on_poll=lambda result: metrics.feed_polls.labels(result).inc(),
    )
    data.feeds.start()
    if settings.bot_mode == "polling" and settings.metrics_port is not None:
        data.metrics_server = await serve_metrics(
            metrics, settings.metrics_listen, settings.metrics_port
        )


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
    try:
        if data.metrics_server is not None:
            await data.metrics_server.cleanup()
            data.metrics_server = None
        if data.heartbeat is not None:
            await data.heartbeat.stop()
            data.heartbeat = None
        if data.feeds is not None:
            await data.feeds.stop()
            data.feeds = None
        if data.scheduler is not None:
            await data.scheduler.stop()
            data.scheduler = None
        if data.worker is not None:
            try:
                await data.worker.stop()
            finally:
                await data.worker.bot.shutdown()
                data.worker = None
    finally:
        if data.owns_storage and data.storage is not None:
            await data.storage.close()
            data.storage = None


async def check_token(settings: Settings) -> User:
    """Ask Telegram who we are before starting: a wrong token or an unreachable API becomes
    one clear error (InvalidToken / NetworkError) instead of a failed start-up."""
    assert settings.bot_token is not None
    request = AiohttpRequest(connection_pool_size=1)
    await request.initialize()
    try:
        bot = Bot(settings.bot_token.get_secret_value(), base_url=settings.telegram_api_url,
                  request=request)  # fmt: skip
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
    scopes: list[tuple[BotCommandScope, tuple[tuple[str, str], ...]]] = [
        (BotCommandScopeDefault(), READER_COMMANDS)
    ]
    scopes += [
        (BotCommandScopeChat(admin_id), READER_COMMANDS + ADMIN_MENU)
        for admin_id in sorted(data.settings.admin_ids)
    ]
    for scope, menu in scopes:
        for language in data.catalog.languages:
            t = data.catalog.for_language(language)
            try:
                await application.bot.set_my_commands(
                    [BotCommand(name, t.gettext(about)) for name, about in menu],
                    scope=scope,
                    language_code=None if language == "en" else language,
                )
            except TelegramError as exc:
                log.warning("could not register the command menu (%s): %s", scope.type, exc)
                break
