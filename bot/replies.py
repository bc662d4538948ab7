"""Telling a user something when the telling itself is not what matters.

A refusal is said after the decision is final, and answering a button press only stops its
spinner: neither may change what happens next, so their failures (the user blocked the bot,
the bot cannot write in the group, flood control, a timeout, "query is too old") are logged
here and never raised into the handler that decided.
"""

from __future__ import annotations

import logging

from telegram import CallbackQuery, Update
from telegram.error import TelegramError

log = logging.getLogger(__name__)


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
