"""The admin gate: who is an admin is checked once, here, for every admin command and button,
in a handler group before all others; the admin handlers can assume it."""

from __future__ import annotations

import logging
import re

from telegram import Update
from telegram.ext import ApplicationHandlerStop

from bot import callbacks, permissions
from bot.api import replies
from bot.commands import ADMIN_COMMANDS, command_of
from bot.context import BotContext

log = logging.getLogger(__name__)


async def gate(update: Update, context: BotContext) -> None:
    """Stop any admin command or button from a non-admin, saying so, before it runs. The
    admin commands' handlers also admit only ADMIN_IDS (bot.app): this is the second line,
    and the one that answers."""
    query = update.callback_query
    command = None if query else command_of(update.effective_message, context.bot.username)
    wanted: str | None = None
    if query is not None and query.data and re.match(callbacks.ADMIN_PATTERN, query.data):
        wanted = f"button {query.data[:16]}"
    elif command in ADMIN_COMMANDS:
        wanted = f"/{command}"
    if wanted is None or permissions.is_bot_admin(update.effective_user, context):
        return
    user = update.effective_user
    log.warning("refused admin action %s user_id=%s", wanted, user.id if user else None)
    # `refuse` never raises: were it to, the update would go on to the admin handlers.
    refusal = context.texts(update).gettext("Only the bot's admins can do that.")
    await replies.refuse(update, refusal)
    raise ApplicationHandlerStop
