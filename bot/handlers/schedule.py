"""Time zones (/timezone) and what waits to be published: /scheduled with a ✖ for each
article (admin commands and buttons pass the admin gate). ⏰ Schedule itself is a step of
/add (bot.handlers.add)."""

from __future__ import annotations

from telegram import Message, Update

from bot import callbacks, render
from bot.api import replies
from bot.context import BotContext
from bot.handlers.common import send, show_in_place, target
from storage import InvalidInput, NotFound, clock
from storage.timing import parse_zone


async def timezone_command(update: Update, context: BotContext) -> None:
    """`/timezone` shows the chat's; `/timezone America/Lima` or `-05:00` sets it (in
    groups, admins only); `/timezone @channel ZONE` a channel's."""
    message = update.effective_message
    assert message is not None
    t = context.texts(update)
    where = await target(update, context)
    if where is None:
        return
    now = clock.now()
    if not where.words:
        zone = await context.storage.chats.timezone(where.chat.chat_id)
        await message.reply_text(render.timezone_state(t, zone, now))
        return
    try:
        zone = parse_zone(" ".join(where.words))
    except InvalidInput as exc:
        await message.reply_text(render.not_accepted(t, exc))
        return
    await context.storage.chats.set_timezone(where.chat, zone)
    await context.storage.digests.reschedule(where.chat.chat_id)  # same local time there
    await message.reply_text(render.timezone_set(t, zone, now))


async def scheduled_command(update: Update, context: BotContext) -> None:
    message = update.effective_message
    assert message is not None
    reply = await scheduled_list(update, context, message.chat.id)
    await send(message, reply)


async def unschedule_button(update: Update, context: BotContext) -> None:
    query = update.callback_query
    assert query is not None
    unschedule = callbacks.parse(query.data)
    assert isinstance(unschedule, callbacks.Unschedule)
    t = context.texts(update)
    if not isinstance(query.message, Message):
        await replies.answer(query, render.expired_button(t), alert=True)
        return
    try:
        item = await context.storage.scheduled.cancel(unschedule.item_id)
    except NotFound:
        await replies.answer(query, t.gettext("That one is no longer waiting."))
    else:
        await replies.answer(
            query,
            t.gettext(
                "Cancelled: {title} will not be published.", title=render.truncate(item.title, 60)
            ),
        )
    reply = await scheduled_list(update, context, query.message.chat.id)
    await show_in_place(query, reply)


async def scheduled_list(update: Update, context: BotContext, chat_id: int) -> render.Reply:
    zone = await context.storage.chats.timezone(chat_id)
    items = await context.storage.scheduled.all()
    return render.scheduled_list(context.texts(update), items, zone)
