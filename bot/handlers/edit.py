"""The /edit dialogue: an article's title, summary or tags, one at a time."""

from __future__ import annotations

from telegram import Message, Update
from telegram.ext import ConversationHandler

from bot import callbacks, render
from bot.api import replies
from bot.callbacks import ArticleField
from bot.context import BotContext
from bot.handlers.common import (
    EDIT_CHOICE,
    EDIT_FIELD,
    NO_IMAGE,
    article_number,
    ask_field,
    send,
    show,
)
from bot.i18n import Texts
from storage import InvalidInput, NotFound
from storage.corrections import Correction
from storage.text import parse_tags


async def edit_start(update: Update, context: BotContext) -> int:
    message = update.effective_message
    assert message is not None
    t = context.texts(update)
    article_id = article_number(context.args)
    if article_id is None:
        await message.reply_text(t.gettext("Usage: /edit <i>number</i>"))
        return ConversationHandler.END
    context.session.start_over()  # a new /edit (or /add) replaces an open one
    try:
        article = await context.storage.articles.get(article_id, with_body=False)
    except NotFound:
        await message.reply_text(render.not_found(t, article_id))
        return ConversationHandler.END
    context.session.editing = article.id
    await show(message, render.edit_menu(t, article, context.bot.username), context)
    return EDIT_CHOICE


async def edit_button(update: Update, context: BotContext) -> int:
    query = update.callback_query
    assert query is not None
    await replies.answer(query)
    if not isinstance(query.message, Message):
        return ConversationHandler.END
    edit = callbacks.parse(query.data)
    assert isinstance(edit, callbacks.EditField)
    context.session.editing = edit.article_id
    await ask_field(query.message, context.texts(update), edit.field, context)
    return EDIT_FIELD


async def got_edit(update: Update, context: BotContext) -> int:
    message = update.effective_message
    assert message is not None
    t = context.texts(update)
    article_id, field = context.session.editing, context.session.field
    if article_id is None:
        return ConversationHandler.END
    value = (message.text or "").strip()
    try:
        edit = await context.storage.articles.update(
            article_id,
            title=value if field is ArticleField.TITLE else None,
            summary=value if field is ArticleField.SUMMARY else None,
            tags=parse_tags(value) if field is ArticleField.TAGS else None,
            image=("" if value == NO_IMAGE else value) if field is ArticleField.IMAGE else None,
            notify_chat_id=message.chat_id,
        )
    except InvalidInput as exc:
        await message.reply_text(render.not_accepted(t, exc))
        return EDIT_FIELD
    except NotFound:
        await message.reply_text(render.not_found(t, article_id))
        return ConversationHandler.END
    context.session.start_over()
    await message.reply_text(t.gettext("Updated:"))
    await send(message, render.article_card(edit.article, t, context.bot.username))
    if edit.correction is not None:
        await start_correction(message, context, edit.correction, edit.article.title, t)
    return ConversationHandler.END


async def start_correction(
    message: Message, context: BotContext, correction: Correction, title: str, t: Texts
) -> None:
    """Tell the admin how many cards already sent are being corrected; the correction
    worker edits this message as it goes."""
    progress = await send(message, render.correction_progress(t, correction, title))
    await context.storage.corrections.noted(
        correction.article_id, correction.revision, progress.message_id
    )
    if context.bot_data.corrections is not None:
        context.bot_data.corrections.wake()
