"""`build_application`: the bot's one ordered list of handlers (its lifecycle:
bot.runtime.lifecycle)."""

from __future__ import annotations

import functools
import logging
import os
from collections.abc import Callable, Coroutine
from typing import Any, cast

from telegram import (
    LinkPreviewOptions,
    Update,
)
from telegram.constants import ParseMode
from telegram.ext import (
    ApplicationBuilder,
    ApplicationHandlerStop,
    BaseHandler,
    CallbackQueryHandler,
    ChatMemberHandler,
    CommandHandler,
    ContextTypes,
    Defaults,
    InlineQueryHandler,
    MessageHandler,
    TypeHandler,
    filters,
)

from bot import callbacks, commands
from bot.api import replies
from bot.api.replies import ReplyGuard
from bot.api.transport import AiohttpRequest
from bot.api.updates import UpdatesRequest
from bot.context import BotApplication, BotContext, BotData
from bot.handlers import (
    add,
    broadcasts,
    common,
    dialogue,
    digests,
    edit,
    errors,
    feeds,
    flood,
    gate,
    inline,
    manage,
    preferences,
    reader,
    schedule,
    subscriptions,
)
from bot.i18n import Catalog
from bot.runtime.metrics import Metrics
from config import Settings
from storage import Storage

log = logging.getLogger(__name__)

# Commands react to new messages only: an edited "/subscribe" must not act twice.
NEW_MESSAGES = filters.UpdateType.MESSAGE
PRIVATE_TEXT = NEW_MESSAGES & filters.ChatType.PRIVATE & filters.TEXT & ~filters.COMMAND
CANCEL = f"^{callbacks.CANCEL_DIALOGUE}$"
LINK = filters.Regex(r"^\s*https?://\S+\s*$")  # a message that is one link, nothing else
CONVERSATION_TIMEOUT = 600.0  # seconds an admin's dialogue waits for the next step
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
    updates = UpdatesRequest(
        on_rejected=lambda reason: application.bot_data.request_stop(reason),
        on_answer=lambda: application.bot_data.circuit.succeeded(),
    )
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
    data.metrics = Metrics()
    data.catalog = Catalog.load(link_params=settings.link_params)
    data.storage = storage
    data.owns_storage = storage is None

    add_handlers(application, settings.admin_ids)
    return application


def add_handlers(application: BotApplication, admin_ids: frozenset[int]) -> None:
    """The one ordered list: guards first (each in a group of its own), then the /add and
    /edit dialogue, then one handler per command, update kind and button."""
    application.add_handler(TypeHandler(Update, flood.guard), group=-4)
    application.add_handler(TypeHandler(Update, errors.log_update), group=-3)
    application.add_handler(TypeHandler(Update, preferences.recall_choices), group=-2)
    application.add_handler(TypeHandler(Update, gate.gate), group=-1)
    # Admin commands admit only ADMIN_IDS, whatever the gate decided: no spelling of a
    # command can reach them from anyone else.
    admins = filters.User(user_id=admin_ids)
    # The /add and /edit dialogue has a group of its own, before everything else: an update
    # it takes goes no further; a command it does not know ends it and goes on.
    application.add_handler(TypeHandler(Update, admin_dialogue(admins, admin_ids).route), group=0)
    application.add_handlers(
        [
            *command_handlers(admins),
            *update_handlers(),
            *button_handlers(),
            InlineQueryHandler(inline.inline_query),
        ],
        group=1,
    )
    application.add_error_handler(errors.on_error)


def update_handlers() -> list[BaseHandler[Update, BotContext, object]]:
    """What is not a command: service messages, forwarded posts, the bot's membership, and
    a private chat's plain text (a search) or unknown command. An admin's link, an offer
    to add it, is the dialogue's (`admin_dialogue`)."""
    return [
        MessageHandler(NEW_MESSAGES & filters.StatusUpdate.MIGRATE, subscriptions.chat_migrated),
        MessageHandler(
            NEW_MESSAGES & filters.ChatType.PRIVATE & filters.FORWARDED,
            subscriptions.forwarded_channel_post,
        ),
        ChatMemberHandler(subscriptions.membership_changed, ChatMemberHandler.MY_CHAT_MEMBER),
        MessageHandler(PRIVATE_TEXT, reader.search_text),
        MessageHandler(
            NEW_MESSAGES & filters.ChatType.PRIVATE & filters.COMMAND, reader.unknown_command
        ),
    ]


def button_handlers() -> list[BaseHandler[Update, BotContext, object]]:
    """A handler per kind of button payload (bot.callbacks), then one for any other."""
    return [
        CallbackQueryHandler(reader.latest_button, pattern=callbacks.LATEST_PATTERN),
        CallbackQueryHandler(reader.search_button, pattern=callbacks.SEARCH_PATTERN),
        CallbackQueryHandler(reader.article_button, pattern=callbacks.ARTICLE_PATTERN),
        CallbackQueryHandler(reader.read_button, pattern=callbacks.READ_PATTERN),
        CallbackQueryHandler(
            subscriptions.subscription_button, pattern=callbacks.SUBSCRIPTION_PATTERN
        ),
        CallbackQueryHandler(broadcasts.cancel_button, pattern=callbacks.CANCEL_BROADCAST_PATTERN),
        CallbackQueryHandler(manage.delete_button, pattern=callbacks.DELETE_PATTERN),
        CallbackQueryHandler(manage.channels_button, pattern=callbacks.CHANNELS_PATTERN),
        CallbackQueryHandler(schedule.unschedule_button, pattern=callbacks.UNSCHEDULE_PATTERN),
        CallbackQueryHandler(dialogue.nothing_to_cancel, pattern=f"^{callbacks.CANCEL_DIALOGUE}$"),
        CallbackQueryHandler(reader.unknown_button),
    ]


COMMAND_CALLBACKS: dict[str, Callable[[Update, BotContext], Coroutine[Any, Any, object]]] = {
    "cancel": dialogue.nothing_to_cancel,
    "delete": manage.delete_command,
    "stats": manage.stats_command,
    "channels": manage.channels_command,
    "scheduled": schedule.scheduled_command,
    "timezone": schedule.timezone_command,
    "silent": preferences.silent_command,
    "cards": preferences.cards_command,
    "language": preferences.language_command,
    "digest": digests.digest_command,
    "quiet": digests.quiet_command,
    "start": reader.start,
    "help": reader.help_command,
    "latest": reader.latest,
    "search": reader.search,
    "article": reader.article,
    "feeds": feeds.feeds_command,
    "subscribe": subscriptions.subscribe,
    "unsubscribe": subscriptions.unsubscribe,
    "subscriptions": subscriptions.show_subscriptions,
}
DIALOGUE_COMMANDS = {"add": add.add_start, "edit": edit.edit_start}


def command_handlers(admins: filters.BaseFilter) -> list[CommandHandler[BotContext, object]]:
    """A handler for each command of the table that is not a dialogue's entry."""
    assert {*COMMAND_CALLBACKS, *DIALOGUE_COMMANDS} == commands.NAMES, "bot.commands disagrees"
    return [
        CommandHandler(
            command.name,
            COMMAND_CALLBACKS[command.name],
            filters=NEW_MESSAGES & admins if command.admin else NEW_MESSAGES,
        )
        for command in commands.COMMANDS
        if command.name in COMMAND_CALLBACKS
    ]


def admin_dialogue(admins: filters.BaseFilter, admin_ids: frozenset[int]) -> dialogue.Dialogue:
    """/add and /edit: a few questions in a private chat, then Publish or the change. Each
    step keeps its update from the handlers after it (the search of a private chat's text,
    the answer to unknown commands and buttons)."""
    private = NEW_MESSAGES & filters.ChatType.PRIVATE
    text = private & filters.TEXT & ~filters.COMMAND
    entry = private & admins
    entries: list[BaseHandler[Update, BotContext, object]] = [
        CommandHandler(name, step(start), filters=entry)
        for name, start in DIALOGUE_COMMANDS.items()
    ]
    entries.append(CallbackQueryHandler(step(add.add_offered), pattern=callbacks.ADD_LINK_PATTERN))
    back_to_preview: BaseHandler[Update, BotContext, object] = CallbackQueryHandler(
        step(ours(add.back_to_preview)), pattern=CANCEL
    )
    return dialogue.Dialogue(
        admin_ids=admin_ids,
        entry_points=entries,  # also in a dialogue: /add or /edit starts a new one
        states={
            common.LINK: [MessageHandler(text, step(add.got_link))],
            common.TITLE: [MessageHandler(text, step(add.got_title))],
            common.SUMMARY: [MessageHandler(text, step(add.got_summary))],
            common.REVIEW: [
                CallbackQueryHandler(
                    step(ours(add.when_button)), pattern=f"^{callbacks.SCHEDULE_DRAFT}$"
                ),
                CallbackQueryHandler(
                    step(ours(add.review_button)), pattern=callbacks.DRAFT_PATTERN
                ),
            ],
            # ✖ under a question about the draft goes back to its preview
            common.FIELD: [MessageHandler(text, step(add.got_field)), back_to_preview],
            common.WHEN: [MessageHandler(text, step(add.got_when)), back_to_preview],
            common.EDIT_CHOICE: [
                CallbackQueryHandler(step(ours(edit.edit_button)), pattern=callbacks.EDIT_PATTERN)
            ],
            common.EDIT_FIELD: [MessageHandler(text, step(edit.got_edit))],
        },
        fallbacks=[
            CommandHandler("cancel", step(dialogue.cancel)),
            CallbackQueryHandler(step(ours(dialogue.cancel_button)), pattern=CANCEL),
            MessageHandler(NEW_MESSAGES & filters.COMMAND, dialogue.interrupted),
        ],
        outside=[  # in any state: what the session remembers beyond a dialogue
            MessageHandler(text & admins & LINK & ~filters.FORWARDED, step(add.offer_link)),
            CallbackQueryHandler(
                step(add.already_published), pattern=f"^{callbacks.PUBLISH_DRAFT}$"
            ),
        ],
        timeout=CONVERSATION_TIMEOUT,
    )


ours = common.from_this_dialogue  # a button of the open dialogue, not of an earlier one


def step(
    callback: Callable[[Update, BotContext], Coroutine[Any, Any, int | None]],
) -> Callable[[Update, BotContext], Coroutine[Any, Any, int]]:
    """A dialogue's step: its update stops here, with the state the step returns. A step
    that fails is answered once, and the dialogue (and its draft) stays where it was."""

    @functools.wraps(callback)
    async def taken(update: Update, context: BotContext) -> int:
        try:
            state = await callback(update, context)
        except Exception:  # the dialogue stays where it was, its draft with it
            log.exception("a step of /add or /edit failed")
            t = context.texts(update)
            await replies.refuse(update, t.gettext("Sorry, that step failed; your draft is kept."))
            raise ApplicationHandlerStop(None) from None
        raise ApplicationHandlerStop(state)

    return taken
