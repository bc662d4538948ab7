"""The publisher's side of a broadcast: its progress message and the Cancel button."""

from __future__ import annotations

import logging

from telegram import Update

from bot import callbacks, permissions
from bot.context import BotContext

log = logging.getLogger(__name__)


async def cancel_button(update: Update, context: BotContext) -> None:
    query = update.callback_query
    assert query is not None
    action = callbacks.parse(query.data)
    assert isinstance(action, callbacks.CancelBroadcast)
    t = context.texts(update)
    if not permissions.is_bot_admin(update.effective_user, context):
        user_id = update.effective_user.id if update.effective_user else None
        log.warning("refused broadcast cancel user_id=%s article_id=%s", user_id,
                    action.article_id)  # fmt: skip
        await query.answer(t.gettext("Only the bot's admins can do that."), show_alert=True)
        return
    cancelled = await context.storage.deliveries.cancel(action.article_id)
    await query.answer(t.gettext("Cancelled: {count} messages will not be sent.", count=cancelled))
    progress = await context.storage.deliveries.progress(action.article_id)
    worker = context.bot_data.worker
    if progress is not None and worker is not None:
        await worker.report(progress)
