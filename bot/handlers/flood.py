"""One reader cannot starve the others: messages, button presses and inline queries from
one user id beyond their budget (bot.runtime.budgets) are dropped before any handler runs. The
first one dropped is told to slow down (in a private chat, or on the button); the rest go
quietly. Admins have no budget."""

from __future__ import annotations

import logging

from telegram import Update
from telegram.constants import ChatType
from telegram.ext import ApplicationHandlerStop

from bot import permissions
from bot.api import replies
from bot.context import BotContext

log = logging.getLogger(__name__)


async def guard(update: object, context: BotContext) -> None:
    """Drop a reader's update beyond their budget (see the module docstring)."""
    if not isinstance(update, Update):
        return
    if update.message is None and update.callback_query is None and update.inline_query is None:
        return
    user = update.effective_user
    if user is None or permissions.is_bot_admin(user, context):
        return
    budgets = context.bot_data.budgets
    if await budgets.take(user.id):
        return
    if budgets.first_refusal(user.id):
        log.warning("reader over budget, dropping updates user_id=%s", user.id)
        slow_down = context.texts(update).gettext(
            "You are sending a lot at once: I will answer again in a few seconds."
        )
        chat = update.effective_chat
        if update.callback_query is not None or (
            chat is not None and chat.type == ChatType.PRIVATE
        ):
            await replies.refuse(update, slow_down)
    raise ApplicationHandlerStop
