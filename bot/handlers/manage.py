"""What admins do to what is already there: /delete (with recall), /stats, /channels. Who
is an admin is checked by the admin gate (bot.handlers.gate) before any of these run."""

from __future__ import annotations

import asyncio
import logging

from telegram import Update

from bot import callbacks, render
from bot.api import replies
from bot.context import BotContext
from bot.delivery.recall import recall_cards
from bot.handlers.common import article_number, send, turn_page
from bot.render import chart
from storage import NotFound, clock
from storage.deliveries import RECALL_WINDOW
from storage.kinds import ChatType
from storage.text import iso

log = logging.getLogger(__name__)

# -- /delete ------------------------------------------------------------------------------


async def delete_command(update: Update, context: BotContext) -> None:
    message = update.effective_message
    assert message is not None
    t = context.texts(update)
    article_id = article_number(context.args)
    if article_id is None:
        await message.reply_text(t.gettext("Usage: /delete <i>number</i>"))
        return
    try:
        article = await context.storage.articles.get(article_id, with_body=False)
    except NotFound:
        await message.reply_text(render.not_found(t, article_id))
        return
    reply = render.delete_confirmation(t, article)
    await send(message, reply)


async def delete_button(update: Update, context: BotContext) -> None:
    query = update.callback_query
    assert query is not None
    t = context.texts(update)
    choice = callbacks.parse(query.data)
    assert isinstance(choice, callbacks.DeleteArticle)
    await replies.answer(query)
    if choice.article_id is None:
        await query.edit_message_text(t.gettext("Kept; nothing was deleted."))
        return
    article_id, recall = choice.article_id, choice.recall
    since = iso(clock.now() - RECALL_WINDOW)
    sent = await context.storage.deliveries.sent_messages(article_id, since) if recall else []
    try:
        await context.storage.articles.delete(article_id)
    except NotFound:
        await query.edit_message_text(render.not_found(t, article_id))
        return
    await query.edit_message_text(t.gettext("Article {id} deleted.", id=article_id))
    if recall:
        removed = await recall_cards(context.bot, sent)
        await context.bot.send_message(
            query.from_user.id,
            t.ngettext(
                "Removed {removed} of {count} sent card.",
                "Removed {removed} of {count} sent cards.",
                len(sent),
                removed=removed,
            ),
        )


# -- /stats -------------------------------------------------------------------------------


async def stats_command(update: Update, context: BotContext) -> None:
    """The figures, as the caption of a chart of the last 30 days."""
    message = update.effective_message
    assert message is not None
    t = context.texts(update)
    text = render.stats(t, await context.storage.stats())
    daily = await chart.daily_figures(context.storage, clock.now().date())
    png = await asyncio.to_thread(chart.render_png, daily, render.chart_labels(t), t.day_month)
    await message.reply_photo(png, caption=render.caption(text))


# -- /channels ----------------------------------------------------------------------------


async def channels_command(update: Update, context: BotContext) -> None:
    """Bot admins (checked by the admin gate) see every subscribed channel."""
    assert update.effective_message is not None
    await send(update.effective_message, await channels_reply(context, update, offset=0))


async def channels_button(update: Update, context: BotContext) -> None:
    """A page of /channels, or ✖ on one: unsubscribe that channel and show the page again."""
    query = update.callback_query
    assert query is not None
    action = callbacks.parse(query.data)
    assert isinstance(action, callbacks.ChannelPage | callbacks.RemoveChannel)
    if isinstance(action, callbacks.RemoveChannel):
        await remove_channel(action.chat_id, update, context)
    reply = await channels_reply(context, update, action.offset)
    await turn_page(query, reply, context.texts(update))


async def remove_channel(chat_id: int, update: Update, context: BotContext) -> None:
    chat = await context.storage.chats.get(chat_id)
    if chat is None or chat.type != ChatType.CHANNEL:
        return  # forged data: this button only ever names channels
    try:
        await context.storage.chats.unsubscribe(chat_id)
    except NotFound:
        return  # a second tap, or another admin was quicker: the list shows it
    user = update.effective_user
    log.info(
        "channel unsubscribed chat_id=%s by admin user_id=%s", chat_id, user.id if user else None
    )


async def channels_reply(context: BotContext, update: Update, offset: int) -> render.Reply:
    size = render.CHANNEL_PAGE_SIZE
    channels = await context.storage.chats.channel_subscriptions(size + 1, offset)
    return render.channel_list(
        context.texts(update), channels[:size], offset, has_more=len(channels) > size
    )
