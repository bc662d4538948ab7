"""What every dialogue (/add, /edit) shares: /cancel and ✖ Cancel, another command in the
middle (the draft is put aside), and the end of a dialogue left idle."""

from __future__ import annotations

from telegram import Update
from telegram.ext import ConversationHandler

from bot.api import replies
from bot.context import BotContext
from bot.handlers.common import begin, drop_buttons
from bot.sources.extract import Draft


async def cancel(update: Update, context: BotContext) -> int:
    begin(context)
    if update.effective_message is not None:
        t = context.texts(update)
        await update.effective_message.reply_text(t.gettext("Cancelled; nothing changed."))
    return ConversationHandler.END


async def cancel_button(update: Update, context: BotContext) -> int:
    """✖ Cancel under a question: the dialogue ends, nothing stored changes."""
    query = update.callback_query
    assert query is not None
    await replies.answer(query)
    await drop_buttons(query)
    return await cancel(update, context)


async def interrupted(update: Update, context: BotContext) -> int:
    """Another command in the middle of /add or /edit ends the dialogue, saying so: a
    draft is put aside for /add to bring back. The command itself is then answered by its
    own handler."""
    draft, editing = context.session.get("draft"), context.session.get("editing")
    begin(context)
    message = update.effective_message
    t = context.texts(update)
    if isinstance(draft, Draft) and message is not None:
        context.session["aside"] = draft
        await message.reply_text(t.gettext("📝 Draft put aside — /add brings it back."))
    elif isinstance(editing, int) and message is not None:
        await message.reply_text(
            t.gettext("Stopped editing article {id}; nothing changed.", id=editing)
        )
    return ConversationHandler.END


async def nothing_to_cancel(update: Update, context: BotContext) -> None:
    """/cancel, or the ✖ Cancel of a question, when no dialogue is open."""
    t = context.texts(update)
    if update.callback_query is not None:
        await replies.answer(update.callback_query, t.gettext("There is nothing to cancel."))
        await drop_buttons(update.callback_query)
    elif update.effective_message is not None:
        await update.effective_message.reply_text(t.gettext("There is nothing to cancel."))


async def timed_out(update: Update, context: BotContext) -> None:
    editing = "editing" in context.session
    begin(context)
    if update.effective_chat is not None:
        t = context.texts(update)
        text = (
            t.gettext("That took a while, so I stopped editing. Send /edit to start again.")
            if editing
            else t.gettext("That took a while, so I dropped the draft. Send /add to start again.")
        )
        await context.bot.send_message(update.effective_chat.id, text)
