"""What several handlers share: the chat a command acts on (its own, or a channel named
after the command), an article's number, the ways a `Reply` reaches the user, and the
admins' dialogues' states and session."""

from __future__ import annotations

import functools
import logging
import re
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from typing import Any

from telegram import CallbackQuery, Chat, ChatFullInfo, Message, Update
from telegram.constants import ChatType as TelegramChatType
from telegram.error import BadRequest, TelegramError

from bot import permissions, render
from bot.api import replies
from bot.callbacks import ArticleField
from bot.context import BotContext
from bot.i18n import Texts
from storage import ChatInfo
from storage.kinds import ChatType

log = logging.getLogger(__name__)
CHANNEL = re.compile(r"^(@\w{4,32}|-100\d{1,13})$")  # @username, or the id of one without

# -- the chat a command acts on -----------------------------------------------------------


def chat_info(chat: Chat | ChatFullInfo, update: Update | None = None) -> ChatInfo:
    """The chat as storage keeps it. With the update of someone acting for it (subscribing,
    starting, publishing), the chat takes that person's language: the one its cards,
    progress and notices are written in."""
    user = update.effective_user if update is not None else None
    language_code = user.language_code if user is not None else None
    return ChatInfo(
        chat_id=chat.id,
        type=ChatType(chat.type),
        title=chat.title or chat.full_name or "",
        username=chat.username,
        is_forum=bool(chat.is_forum),
        language_code=language_code,
    )


def thread_of(message: Message | None) -> int:
    """The forum topic a message was written in; 0 outside forum topics."""
    if message is None or not message.is_topic_message or message.message_thread_id is None:
        return 0
    return message.message_thread_id


@dataclass(frozen=True)
class Target:
    chat: ChatInfo
    thread_id: int
    words: list[str]  # the command's arguments after the channel, if one was named
    channel: str | None  # as it was named


async def target(update: Update, context: BotContext) -> Target | None:
    """The chat (or named channel) a command acts on, if the sender may change it; else
    None, after saying why. Anyone may look (no arguments)."""
    message, chat = update.effective_message, update.effective_chat
    assert message is not None
    assert chat is not None
    args = context.args or []
    if args and CHANNEL.match(args[0]):
        channel = await managed_channel(update, context, channel_target(args[0]))
        if channel is None:
            return None
        return Target(chat_info(channel, update), 0, args[1:], args[0])
    if args and not await permissions.may_manage_chat(update, context):
        await replies.refuse(update, render.admins_only(context.texts(update)))
        return None
    return Target(chat_info(chat, update), thread_of(message), args, None)


async def managed_channel(
    update: Update, context: BotContext, target: str | int
) -> ChatFullInfo | None:
    """The channel, if it exists and the requester administers it (or is a bot admin),
    asked in a private chat; otherwise None, after saying why."""
    message, user = update.effective_message, update.effective_user
    assert message is not None
    assert user is not None
    t = context.texts(update)
    if update.effective_chat is None or update.effective_chat.type != TelegramChatType.PRIVATE:
        await message.reply_text(render.channels_from_private_chat(t))
        return None
    channel = await find_channel(target, context)
    if channel is None:
        await message.reply_text(render.channel_not_found(t, str(target)))
        return None
    if not (
        permissions.is_bot_admin(user, context)
        or await permissions.administers(channel.id, user.id, context)
    ):
        log.warning("refused channel request user_id=%s channel=%s", user.id, channel.id)
        await replies.refuse(update, render.not_channel_admin(t, channel_name(channel)))
        return None
    return channel


def channel_target(word: str) -> str | int:
    return word if word.startswith("@") else int(word)


async def find_channel(target: str | int, context: BotContext) -> ChatFullInfo | None:
    try:
        chat = await context.bot.get_chat(target)
    except TelegramError as exc:  # unknown, no access, or a Bot API that failed us
        log.info("cannot look up channel %s: %s", target, exc)
        return None
    return chat if chat.type == TelegramChatType.CHANNEL else None


def channel_name(channel: ChatFullInfo) -> str:
    return render.channel_label(channel.username, channel.title, channel.id)


# -- arguments ----------------------------------------------------------------------------


def article_number(args: list[str] | None) -> int | None:
    """The one argument of /article, /edit or /delete: an article's number, "#12" too."""
    if not args or len(args) != 1 or not args[0].lstrip("#").isdigit():
        return None
    return int(args[0].lstrip("#"))


# -- replies ------------------------------------------------------------------------------


async def send(message: Message, reply: render.Reply) -> Message:
    """The reply, in the chat of `message`; a card with a picture as a photo with its
    caption, or as text when Telegram would not show the picture."""
    if reply.photo is not None:
        try:
            return await message.reply_photo(
                reply.photo, caption=render.caption(reply.text), reply_markup=reply.markup
            )
        except BadRequest as exc:
            if not replies.photo_refused(exc):
                raise
            log.info("a picture was refused, the card goes as text: %s", exc)
    return await message.reply_text(
        reply.text, reply_markup=reply.markup, link_preview_options=reply.link_preview
    )


async def show_in_place(query: CallbackQuery, reply: render.Reply) -> None:
    """The reply, in place of the message whose button was pressed; pressing the same
    button twice changes nothing and is not an error."""
    try:
        await query.edit_message_text(
            reply.text, reply_markup=reply.markup, link_preview_options=reply.link_preview
        )
    except TelegramError as exc:
        if not replies.not_modified(exc):
            raise


async def turn_page(query: CallbackQuery, reply: render.Reply, t: Texts) -> None:
    """Turn the page in place. Where the message cannot be edited (deleted, too old, a Bot
    API that refuses), the page comes as a new message instead; a press that carries no
    message it could be sent to (too old to be shown, or none at all) is told the button no
    longer works."""
    if query.inline_message_id is None and pressed_on(query) is None:
        await replies.answer(query, render.expired_button(t), alert=True)
        return
    await replies.answer(query)
    try:
        await show_in_place(query, reply)
    except TelegramError as exc:
        if replies.chat_is_gone(exc) or not isinstance(query.message, Message):
            raise
        log.warning("could not turn a page in place, sending it anew: %s", exc)
        await send(query.message, reply)


def pressed_on(query: CallbackQuery) -> Message | None:
    """The message a button was pressed on, while the bot can still reach it: Telegram
    sends one too old to be shown with date 0 (python-telegram-bot: not `is_accessible`)."""
    message = query.message
    if isinstance(message, Message) and message.is_accessible:
        return message
    return None


async def drop_buttons(query: CallbackQuery) -> None:
    """A message that has been acted on keeps its text, not its buttons."""
    try:
        await query.edit_message_reply_markup(None)
    except TelegramError as exc:  # too old, or already without them: nothing to undo
        log.info("could not remove a message's buttons: %s", exc)


# -- dialogues ----------------------------------------------------------------------------
# /add and /edit (bot.handlers.add, bot.handlers.edit): the states of their one
# dialogue (bot.handlers.dialogue), and what both do with the admin's session (context.session).

LINK, TITLE, SUMMARY, REVIEW, FIELD, WHEN, EDIT_CHOICE, EDIT_FIELD = range(8)
NO_IMAGE = "-"  # the answer to "send the picture's address" that means none
SHOWN_KEPT = 20  # the dialogue's own messages whose buttons still count


async def show(message: Message, reply: render.Reply, context: BotContext) -> None:
    """A message of the dialogue: its buttons count until the dialogue ends."""
    sent = await send(message, reply)
    shown = context.session.shown
    shown.append(sent.message_id)
    del shown[:-SHOWN_KEPT]


async def ask_field(message: Message, t: Texts, field: ArticleField, context: BotContext) -> None:
    context.session.field = field
    await show(message, render.ask_field(t, field), context)


def from_this_dialogue(
    callback: Callable[[Update, BotContext], Coroutine[Any, Any, int]],
) -> Callable[[Update, BotContext], Coroutine[Any, Any, int | None]]:
    """A button of the open dialogue acts; one left on a message of an earlier dialogue
    (a stale ✖ Cancel or ✅ Publish) says so and changes nothing."""

    @functools.wraps(callback)
    async def pressed(update: Update, context: BotContext) -> int | None:
        query = update.callback_query
        assert query is not None
        message = pressed_on(query)
        if message is None or message.message_id not in context.session.shown:
            t = context.texts(update)
            await replies.answer(query, t.gettext("That button is from an earlier dialogue."))
            await drop_buttons(query)
            return None  # the open dialogue stays where it is
        return await callback(update, context)

    return pressed
