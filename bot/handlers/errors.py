"""The one place unexpected errors end up: logged (never with the token), user told."""

from __future__ import annotations

import logging

from telegram import Update
from telegram.error import RetryAfter, TelegramError

from bot import render
from bot.api.circuit import unavailable
from bot.api.replies import chat_is_gone, retry_after_seconds
from bot.commands import command_of
from bot.context import BotContext

log = logging.getLogger(__name__)


async def log_update(update: object, context: BotContext) -> None:
    """One line per incoming update, before any handler runs."""
    if not isinstance(update, Update):
        return
    chat, user, message = update.effective_chat, update.effective_user, update.effective_message
    command = ""
    if (name := command_of(message)) is not None:
        command = f"/{name}"
    elif update.callback_query is not None:
        command = f"button:{(update.callback_query.data or '')[:16]}"
    elif update.inline_query is not None:
        command = "inline"
    log.info(
        "update update_id=%s chat_id=%s user_id=%s command=%s",
        update.update_id,
        chat.id if chat else None,
        user.id if user else None,
        command or "-",
    )


async def on_error(update: object, context: BotContext) -> None:
    """Log the error once and tell the user something went wrong; never raises, because
    python-telegram-bot has nowhere left to send an error raised here. A reply Telegram
    refused (bot.api.replies.ReplyGuard has dealt with its chat) is one line, not an error."""
    update_id = update.update_id if isinstance(update, Update) else None
    error = context.error
    if isinstance(error, TelegramError) and chat_is_gone(error):
        chat = update.effective_chat if isinstance(update, Update) else None
        log.info(
            "reply not delivered update_id=%s chat_id=%s, the chat is gone: %s",
            update_id,
            chat.id if chat else None,
            error.message,
        )
        return
    if isinstance(error, TelegramError) and unavailable(error):  # logged once per outage
        context.bot_data.circuit.failed(error, "replies")
        return
    if isinstance(error, RetryAfter):
        log.warning(
            "reply given up update_id=%s: flood control asks to wait %.0f s",
            update_id,
            retry_after_seconds(error),
        )
        return
    log.error("unhandled error update_id=%s", update_id, exc_info=error)
    if not isinstance(update, Update):
        return
    try:
        text = render.something_went_wrong(context.texts(update))
        if update.callback_query is not None:
            await update.callback_query.answer(text, show_alert=True)
        elif update.effective_message is not None and update.inline_query is None:
            await update.effective_message.reply_text(text)
    except TelegramError as exc:  # telling the user failed too; the log has the cause
        log.warning("could not report the error to the user: %s", exc)
    except Exception as exc:
        log.warning("could not report the error to the user: %s: %s", type(exc).__name__, exc)
