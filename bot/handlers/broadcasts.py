"""The publisher's side of a broadcast: the Cancel button (admins only, checked by the
admin gate) of its progress message."""

from __future__ import annotations

from telegram import Update

from bot import callbacks
from bot.api import replies
from bot.context import BotContext
from storage.kinds import DeliveryStatus


async def cancel_button(update: Update, context: BotContext) -> None:
    query = update.callback_query
    assert query is not None
    action = callbacks.parse(query.data)
    assert isinstance(action, callbacks.CancelBroadcast)
    t = context.texts(update)
    cancelled = await context.storage.broadcasts.cancel(action.article_id)
    if cancelled is None:
        await replies.answer(query, t.gettext("This broadcast has already ended."))
    else:
        if context.bot_data.metrics is not None:
            context.bot_data.metrics.deliveries.labels(DeliveryStatus.CANCELLED).inc(cancelled)
        await replies.answer(
            query,
            t.ngettext(
                "Cancelled: {count} message will not be sent.",
                "Cancelled: {count} messages will not be sent.",
                cancelled,
            ),
        )
    progress = await context.storage.broadcasts.progress(action.article_id)
    worker = context.bot_data.worker
    if progress is not None and worker is not None:
        await worker.progress.report(progress)
