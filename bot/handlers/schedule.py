"""Time zones (/timezone) and publishing later: ⏰ Schedule in the /add preview, /scheduled
with a ✖ for each waiting article (admin commands and buttons pass the admin gate)."""

from __future__ import annotations

from datetime import UTC, datetime

from telegram import Message, Update
from telegram.ext import ConversationHandler

from bot import render
from bot.api import replies
from bot.context import BotContext
from bot.handlers import admin
from bot.handlers.subscriptions import chat_info, target
from bot.sources.extract import Draft
from storage import DuplicateArticle, InvalidInput, NotFound
from storage.timing import parse_when, parse_zone


async def timezone_command(update: Update, context: BotContext) -> None:
    """`/timezone` shows the chat's; `/timezone America/Lima` or `-05:00` sets it (in
    groups, admins only); `/timezone @channel ZONE` a channel's."""
    message = update.effective_message
    assert message is not None
    t = context.texts(update)
    where = await target(update, context)
    if where is None:
        return
    now = datetime.now(UTC)
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


async def when_button(update: Update, context: BotContext) -> int:
    """⏰ Schedule under a draft: ask when, in the admin's time zone."""
    query = update.callback_query
    assert query is not None
    await replies.answer(query)
    if not isinstance(query.message, Message) or "draft" not in context.session:
        return ConversationHandler.END
    await admin.drop_buttons(query)
    zone = await context.storage.chats.timezone(query.message.chat.id)
    t = context.texts(update)
    await admin.send_prompt(query.message, render.ask_when(t, zone, datetime.now(UTC)))
    return admin.WHEN


async def got_when(update: Update, context: BotContext) -> int:
    message = update.effective_message
    assert message is not None
    draft = context.session.get("draft")
    if not isinstance(draft, Draft):
        return ConversationHandler.END
    t = context.texts(update)
    zone = await context.storage.chats.timezone(message.chat.id)
    try:
        moment = parse_when(message.text or "", zone, datetime.now(UTC))
        item = await context.storage.scheduled.add(
            admin.new_article(draft), moment, zone, notify_chat_id=message.chat.id
        )
    except InvalidInput as exc:  # ask again: the question, and its ✖ Cancel, are above
        await message.reply_text(render.not_accepted(t, exc))
        return admin.WHEN
    except DuplicateArticle as exc:
        context.session.clear()
        await message.reply_text(render.already_here(t, exc.existing_id))
        return ConversationHandler.END
    context.session.clear()
    await context.storage.chats.remember(chat_info(message.chat, update))  # progress language
    if context.bot_data.scheduler is not None:
        context.bot_data.scheduler.wake()
    await message.reply_text(render.scheduled_done(t, item))
    return ConversationHandler.END


async def scheduled_command(update: Update, context: BotContext) -> None:
    message = update.effective_message
    assert message is not None
    reply = await scheduled_list(update, context, message.chat.id)
    await message.reply_text(reply.text, reply_markup=reply.markup)


async def unschedule_button(update: Update, context: BotContext) -> None:
    query = update.callback_query
    assert query is not None
    t = context.texts(update)
    if not isinstance(query.message, Message):
        await replies.answer(query, render.expired_button(t), alert=True)
        return
    try:
        item = await context.storage.scheduled.cancel(int((query.data or "")[2:]))
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
    await query.edit_message_text(reply.text, reply_markup=reply.markup)


async def scheduled_list(update: Update, context: BotContext, chat_id: int) -> render.Reply:
    zone = await context.storage.chats.timezone(chat_id)
    items = await context.storage.scheduled.all()
    return render.scheduled_list(context.texts(update), items, zone)
