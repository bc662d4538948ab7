"""Who may change what: group admins manage their group, bot admins the bot."""

from __future__ import annotations

import logging

from telegram import Chat, Update, User
from telegram.constants import ChatMemberStatus, ChatType
from telegram.error import BadRequest, Forbidden, TelegramError

from bot.context import BotContext

log = logging.getLogger(__name__)
ADMIN_STATUSES = frozenset({ChatMemberStatus.OWNER, ChatMemberStatus.ADMINISTRATOR})


def is_bot_admin(user: User | None, context: BotContext) -> bool:
    """Admins are the numeric ids of ADMIN_IDS; usernames are never trusted."""
    return user is not None and user.id in context.settings.admin_ids


async def administers(chat_id: int | str, user_id: int, context: BotContext) -> bool:
    try:
        member = await context.bot.get_chat_member(chat_id, user_id)
    except TelegramError as exc:  # not a member, no access, or a Bot API that failed us
        level = logging.INFO if isinstance(exc, BadRequest | Forbidden) else logging.WARNING
        log.log(level, "cannot check membership chat_id=%s user_id=%s: %s", chat_id, user_id, exc)
        return False
    return member.status in ADMIN_STATUSES


async def may_manage_chat(update: Update, context: BotContext) -> bool:
    """Anyone in their private chat; in a group, its administrators, including anonymous
    ones (who write as the group itself)."""
    chat: Chat | None = update.effective_chat
    if chat is None:
        return False
    if chat.type == ChatType.PRIVATE:
        return True
    message = update.effective_message
    if message is not None and message.sender_chat is not None:
        return message.sender_chat.id == chat.id
    user = update.effective_user
    return user is not None and await administers(chat.id, user.id, context)
