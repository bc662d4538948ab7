"""What readers do: start, help, latest, search, open an article, and page with buttons."""

from __future__ import annotations

import logging

from telegram import LinkPreviewOptions, Message, Update
from telegram.constants import ChatType
from telegram.error import BadRequest

from bot import callbacks, permissions, render
from bot.api import replies
from bot.api.rich import RichMessagesUnknown, send_rich_message
from bot.context import BotContext
from bot.handlers.common import article_number, chat_info, pressed_on, send, turn_page
from bot.render import PAGE_SIZE, Reply
from storage import NotFound

log = logging.getLogger(__name__)
NO_PREVIEW = LinkPreviewOptions(is_disabled=True)


async def start(update: Update, context: BotContext) -> None:
    message = update.effective_message
    assert message is not None
    payload = context.args[0] if context.args else ""
    if payload[:1] == render.OPEN_LINK and payload[1:].isdigit():
        await show_article(message, context, int(payload[1:]), update)
        return
    if payload[:1] == render.READ_LINK and payload[1:].isdigit():
        await read_article(message, context, int(payload[1:]), update)
        return
    if message.chat.type == ChatType.PRIVATE:  # a user who unblocked us writes /start
        await context.storage.chats.reactivate(chat_info(message.chat, update))
    t = context.texts(update)
    private = message.chat.type == ChatType.PRIVATE
    welcome = render.welcome(t, context.bot.first_name, context.bot.username, private=private)
    await send(message, welcome)


async def help_command(update: Update, context: BotContext) -> None:
    assert update.effective_message is not None
    admin = permissions.is_bot_admin(update.effective_user, context)
    t = context.texts(update)
    await send(update.effective_message, render.help_text(t, context.bot.username, admin=admin))


async def latest(update: Update, context: BotContext) -> None:
    assert update.effective_message is not None
    await send(update.effective_message, await latest_reply(context, update, offset=0))


async def search(update: Update, context: BotContext) -> None:
    message = update.effective_message
    assert message is not None
    words = " ".join(context.args or [])
    query = callbacks.compact_query(words)
    if not query:
        t = context.texts(update)
        text = render.usage(t, "search") if not words else render.nothing_found(words, t).text
        await message.reply_text(text)
        return
    await send(message, await search_reply(context, update, query, offset=0))


async def search_text(update: Update, context: BotContext) -> None:
    """Plain text in a private chat is a search."""
    message = update.effective_message
    assert message is not None
    assert message.text is not None
    query = callbacks.compact_query(message.text)
    if not query:
        await message.reply_text(render.usage(context.texts(update), "search"))
        return
    await send(message, await search_reply(context, update, query, offset=0))


async def article(update: Update, context: BotContext) -> None:
    message = update.effective_message
    assert message is not None
    article_id = article_number(context.args)
    if article_id is None:
        await message.reply_text(render.usage(context.texts(update), "article"))
        return
    await show_article(message, context, article_id, update)


async def latest_button(update: Update, context: BotContext) -> None:
    query = update.callback_query
    assert query is not None
    page = callbacks.parse(query.data)
    assert isinstance(page, callbacks.LatestPage)
    await turn_page(query, await latest_reply(context, update, page.offset), context.texts(update))


async def search_button(update: Update, context: BotContext) -> None:
    query = update.callback_query
    assert query is not None
    page = callbacks.parse(query.data)
    assert isinstance(page, callbacks.SearchResults)
    reply = await search_reply(context, update, page.query, page.offset)
    await turn_page(query, reply, context.texts(update))


async def article_button(update: Update, context: BotContext) -> None:
    query = update.callback_query
    assert query is not None
    target = callbacks.parse(query.data)
    assert isinstance(target, callbacks.OpenArticle)
    message = pressed_on(query)
    if message is None:  # a button on an inline or very old message
        await replies.answer(query, render.expired_button(context.texts(update)), alert=True)
        return
    await replies.answer(query)
    await show_article(message, context, target.article_id, update)


async def read_button(update: Update, context: BotContext) -> None:
    """📖 Read here, under an article's card in a private chat."""
    query = update.callback_query
    assert query is not None
    target = callbacks.parse(query.data)
    assert isinstance(target, callbacks.ReadArticle)
    message = pressed_on(query)
    if message is None:
        await replies.answer(query, render.expired_button(context.texts(update)), alert=True)
        return
    await replies.answer(query)
    await read_article(message, context, target.article_id, update)


async def unknown_button(update: Update, context: BotContext) -> None:
    """Data we never produced (forged, or from an older version): say so, change nothing."""
    assert update.callback_query is not None
    await replies.answer(update.callback_query, render.expired_button(context.texts(update)))


async def unknown_command(update: Update, context: BotContext) -> None:
    assert update.effective_message is not None
    t = context.texts(update)
    await update.effective_message.reply_text(t.gettext("I don't know that command. /help"))


# -- shared steps ---------------------------------------------------------------------


async def latest_reply(context: BotContext, update: Update, offset: int) -> Reply:
    articles = await context.storage.articles.latest(PAGE_SIZE + 1, offset)
    has_more = len(articles) > PAGE_SIZE
    return render.latest_page(articles[:PAGE_SIZE], offset, has_more, context.texts(update))


async def search_reply(context: BotContext, update: Update, query: str, offset: int) -> Reply:
    page = await context.storage.articles.search(query, PAGE_SIZE, offset)
    return render.search_page(page, query, offset, context.texts(update))


async def show_article(
    message: Message, context: BotContext, article_id: int, update: Update
) -> None:
    t = context.texts(update)
    try:
        found = await context.storage.articles.get(article_id, with_body=False)
    except NotFound:
        await message.reply_text(render.not_found(t, article_id))
        return
    private = message.chat.type == ChatType.PRIVATE
    await send(message, render.article_card(found, t, context.bot.username, in_private=private))


async def read_article(
    message: Message, context: BotContext, article_id: int, update: Update
) -> None:
    """The whole article in this chat: a rich message, or where the Bot API has none (or
    refuses ours), a few HTML messages."""
    t = context.texts(update)
    try:
        found = await context.storage.articles.get(article_id)
    except NotFound:
        await message.reply_text(render.not_found(t, article_id))
        return
    if not found.readable:
        await message.reply_text(t.gettext("This article has no text to read here."))
        await send(message, render.article_card(found, t, context.bot.username))
        return
    copy = render.reading_copy(found, t)
    if context.bot_data.rich_messages:
        try:
            await send_rich_message(
                context.bot, message.chat_id, copy.rich, thread_id=message.message_thread_id
            )
            return
        except RichMessagesUnknown:
            log.warning("this Bot API has no rich messages: articles go as HTML messages")
            context.bot_data.rich_messages = False
        except BadRequest as exc:
            log.warning("a rich message was refused, article %s as HTML: %s", article_id, exc)
    for part in copy.parts:
        await message.reply_text(part, link_preview_options=NO_PREVIEW)
