"""Replies when Telegram says no.

`ReplyGuard` sits on python-telegram-bot's rate-limiter hook, which every call the handlers
make passes through, and treats a refused reply as the outbox treats a refused card: a chat
that blocked the bot, left or vanished is marked inactive (its subscriptions kept); a group
that became a supergroup moves to its new id and gets the reply there, once; flood control
is waited out once when it asks for a few seconds, else the reply is given up. The error
handler then logs such a reply in one line, without a traceback.

A refusal is said after the decision is final, and answering a button press only stops its
spinner: neither may change what happens next, so their failures (the user blocked the bot,
the bot cannot write in the group, flood control, a timeout, "query is too old") are logged
here and never raised into the handler that decided.
"""

from __future__ import annotations

import asyncio
import logging
import warnings
from collections.abc import Callable, Coroutine
from datetime import timedelta
from typing import Any

from telegram import CallbackQuery, Update
from telegram.error import BadRequest, ChatMigrated, Forbidden, RetryAfter, TelegramError
from telegram.ext import BaseRateLimiter
from telegram.warnings import PTBDeprecationWarning

from storage import Storage

log = logging.getLogger(__name__)
MAX_REPLY_WAIT = 5.0  # seconds of flood control a reply waits out, once
# 400s that mean "you can no longer write here", like a 403.
GONE_MARKERS = (
    "chat not found",
    "bot was kicked",
    "bot was blocked",
    "user is deactivated",
    "not enough rights",
    "need administrator rights",
    "chat_write_forbidden",
)
WRITES = ("send", "edit", "copy", "forward")  # methods whose refusal says the chat is gone


def chat_is_gone(exc: TelegramError) -> bool:
    """The bot can no longer write to the chat: blocked, kicked, no rights, deleted."""
    return isinstance(exc, Forbidden) or (
        isinstance(exc, BadRequest) and any(m in exc.message.lower() for m in GONE_MARKERS)
    )


# 400s that say Telegram could not take a picture by its URL (sendPhoto, editMessageMedia):
# not reachable, not an image, too big or of a size it refuses.
PHOTO_REFUSED_MARKERS = (
    "wrong file identifier/http url specified",
    "failed to get http url content",
    "wrong type of the web page content",
    "photo_invalid_dimensions",
    "photo_save_file_invalid",
    "image_process_failed",
    "file is too big",
    "webpage_media_empty",
)


def photo_refused(exc: TelegramError) -> bool:
    """Telegram would not show the picture: the card goes out as text instead."""
    return isinstance(exc, BadRequest) and any(
        marker in exc.message.lower() for marker in PHOTO_REFUSED_MARKERS
    )


def not_modified(exc: TelegramError) -> bool:
    """An edit that would change nothing (the same page pressed twice): not a failure."""
    return isinstance(exc, BadRequest) and "not modified" in exc.message.lower()


def retry_after_seconds(exc: RetryAfter) -> float:
    with warnings.catch_warnings():  # PTB is moving retry_after from int to timedelta
        warnings.simplefilter("ignore", PTBDeprecationWarning)
        value: int | timedelta = exc.retry_after
    return value.total_seconds() if isinstance(value, timedelta) else float(value)


class ReplyGuard(BaseRateLimiter[None]):
    def __init__(self, storage: Callable[[], Storage | None]) -> None:
        self._storage = storage

    async def initialize(self) -> None:
        pass

    async def shutdown(self) -> None:
        pass

    async def process_request(
        self,
        callback: Callable[..., Coroutine[Any, Any, bool | dict[str, Any] | list[dict[str, Any]]]],
        args: Any,
        kwargs: dict[str, Any],
        endpoint: str,
        data: dict[str, Any],
        rate_limit_args: None,
    ) -> bool | dict[str, Any] | list[dict[str, Any]]:
        target = data.get("chat_id")
        chat_id = target if isinstance(target, int) and endpoint.startswith(WRITES) else None
        try:
            return await callback(*args, **kwargs)
        except RetryAfter as exc:
            if retry_after_seconds(exc) > MAX_REPLY_WAIT:
                raise
            await asyncio.sleep(retry_after_seconds(exc))
            return await callback(*args, **kwargs)
        except ChatMigrated as exc:
            if chat_id is None or (storage := self._storage()) is None:
                raise
            await storage.chats.migrate(chat_id, exc.new_chat_id)
            log.info("chat migrated chat_id=%s new=%s", chat_id, exc.new_chat_id)
            data["chat_id"] = exc.new_chat_id  # `args` carries this same dict
            return await callback(*args, **kwargs)
        except TelegramError as exc:
            storage = self._storage()
            if chat_id is not None and chat_is_gone(exc) and storage is not None:
                await storage.chats.deactivate(chat_id, exc.message)
            raise


async def answer(query: CallbackQuery, text: str | None = None, *, alert: bool = False) -> None:
    """Answer a button press; the press acts whether or not Telegram takes the answer."""
    try:
        await query.answer(text, show_alert=alert)
    except TelegramError as exc:
        log.info("could not answer a button press: %s", exc)


async def refuse(update: Update, text: str) -> None:
    """Say no to whoever wrote or pressed: an alert on a button, else a reply."""
    query, message = update.callback_query, update.effective_message
    try:
        if query is not None:
            await query.answer(text, show_alert=True)
        elif message is not None:
            await message.reply_text(text)
    except TelegramError as exc:
        log.info("could not deliver a refusal: %s", exc)
    except Exception:  # the refusal stands whatever went wrong in saying it
        log.exception("could not deliver a refusal")
