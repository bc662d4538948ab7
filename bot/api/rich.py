"""sendRichMessage (Bot API 10.1), which python-telegram-bot 22 has no method for: one
typed call through `Bot.do_api_request`, and the answer that says this Bot API lacks it."""

from __future__ import annotations

from telegram import Bot, InlineKeyboardMarkup
from telegram.error import BadRequest, EndPointNotFound


class RichMessagesUnknown(Exception):
    """The Bot API does not know sendRichMessage (an older or a local Bot API server)."""


async def send_rich_message(
    bot: Bot,
    chat_id: int,
    html: str,
    *,
    thread_id: int | None = None,
    reply_markup: InlineKeyboardMarkup | None = None,
) -> None:
    """Send `html` (rich HTML style) as a rich message; RichMessagesUnknown when the Bot
    API answers 404, or 400 "method not found", as one without the method does."""
    kwargs: dict[str, object] = {"chat_id": chat_id, "rich_message": {"html": html}}
    if thread_id:
        kwargs["message_thread_id"] = thread_id
    if reply_markup is not None:
        kwargs["reply_markup"] = reply_markup
    try:
        await bot.do_api_request("sendRichMessage", api_kwargs=kwargs)
    except EndPointNotFound as exc:
        raise RichMessagesUnknown(str(exc)) from None
    except BadRequest as exc:
        if "method not found" in exc.message.lower() or exc.message.lower() == "not found":
            raise RichMessagesUnknown(exc.message) from None
        raise
