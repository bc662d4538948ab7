"""Taking sent cards back: deleted from the chats they reached, at a pace Telegram allows.

Telegram lets a bot delete its messages for 48 hours (storage.deliveries.RECALL_WINDOW);
the caller passes the cards sent within it. A card already gone, too old, or in a chat
that is gone is counted as not removed, and the others go on.
"""

from __future__ import annotations

import logging

from aiolimiter import AsyncLimiter
from telegram import Bot
from telegram.error import TelegramError

log = logging.getLogger(__name__)
RECALL_RATE = 20  # deletions per second, beside whatever else the bot sends


async def recall_cards(bot: Bot, sent: list[tuple[int, int]]) -> int:
    """Delete these (chat_id, message_id); returns how many Telegram removed."""
    limiter, removed = AsyncLimiter(1, 1 / RECALL_RATE), 0
    for chat_id, message_id in sent:
        await limiter.acquire()
        try:
            if await bot.delete_message(chat_id, message_id):
                removed += 1
        except TelegramError as exc:
            log.info("could not delete chat_id=%s message_id=%s: %s", chat_id, message_id, exc)
    return removed
