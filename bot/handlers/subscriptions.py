"""Subscribing private chats, groups, forum topics and channels; the chat lifecycle."""

from __future__ import annotations

import contextlib
import logging

from telegram import ChatFullInfo, Message, MessageOriginChannel, Update
from telegram.constants import ChatMemberStatus, ChatType
from telegram.error import TelegramError

from bot import callbacks, permissions, render
from bot.api import replies
from bot.context import BotContext
from bot.handlers.common import (
    CHANNEL,
    channel_name,
    channel_target,
    chat_info,
    managed_channel,
    send,
    show_in_place,
    thread_of,
)
from bot.i18n import Texts
from storage import ChatInfo, InvalidInput, NotFound, SubscriptionChange
from storage.digests import DAILY_AT_8, INSTANT, WEEKLY_ON_MONDAY_AT_8
from storage.text import parse_topics

log = logging.getLogger(__name__)
CADENCES = {
    callbacks.SubscriptionAction.DAILY: DAILY_AT_8,
    callbacks.SubscriptionAction.WEEKLY: WEEKLY_ON_MONDAY_AT_8,
    callbacks.SubscriptionAction.INSTANT: INSTANT,
}
GONE = frozenset({ChatMemberStatus.LEFT, ChatMemberStatus.BANNED})


async def subscribe(update: Update, context: BotContext) -> None:
    message, chat = update.effective_message, update.effective_chat
    assert message is not None
    assert chat is not None
    args = context.args or []
    if args and CHANNEL.match(args[0]):
        await subscribe_channel(update, context, channel_target(args[0]), args[1:])
        return
    topics = await allowed_topics(message, update, context, args)
    if topics is not None:
        await apply_subscribe(
            message, context, update, chat_info(chat, update), thread_of(message), topics
        )


async def allowed_topics(
    message: Message, update: Update, context: BotContext, words: list[str]
) -> tuple[str, ...] | None:
    """The topics of a /subscribe or /unsubscribe if they are valid and the sender may change
    this chat's subscription; otherwise None, after saying why."""
    t = context.texts(update)
    try:
        topics = parse_topics(words)
    except InvalidInput as exc:
        await message.reply_text(render.bad_topics(t, exc))
        return None
    if not await permissions.may_manage_chat(update, context):
        await replies.refuse(update, render.admins_only(t))
        return None
    return topics


async def apply_subscribe(
    message: Message,
    context: BotContext,
    update: Update,
    chat: ChatInfo,
    thread_id: int,
    topics: tuple[str, ...],
) -> None:
    t = context.texts(update)
    try:
        change, subscription = await context.storage.chats.subscribe(chat, thread_id, topics)
    except InvalidInput as exc:
        await message.reply_text(render.bad_topics(t, exc))
        return
    if change is SubscriptionChange.UNCHANGED:
        await message.reply_text(render.already_subscribed(t, subscription, chat))
        return
    estimate = await context.storage.articles.weekly_estimate(subscription.topics)
    reply = render.subscribed(t, subscription, estimate, chat, change)
    await send(message, reply)


async def unsubscribe(update: Update, context: BotContext) -> None:
    message, chat = update.effective_message, update.effective_chat
    assert message is not None
    assert chat is not None
    t = context.texts(update)
    args = context.args or []
    if args and CHANNEL.match(args[0]):
        await unsubscribe_channel(update, context, channel_target(args[0]), args[1:])
        return
    topics = await allowed_topics(message, update, context, args)
    if topics is None:
        return
    try:
        remaining = await context.storage.chats.unsubscribe(chat.id, thread_of(message), topics)
    except NotFound:
        await message.reply_text(render.not_subscribed(t, topics))
        return
    await message.reply_text(render.unsubscribed(t, remaining))


async def show_subscriptions(update: Update, context: BotContext) -> None:
    message, chat = update.effective_message, update.effective_chat
    assert message is not None
    assert chat is not None
    args = context.args or []
    if args and CHANNEL.match(args[0]):
        channel = await managed_channel(update, context, channel_target(args[0]))
        if channel is not None:
            state = await context.storage.chats.subscription(channel.id)
            t = context.texts(update)
            await message.reply_text(render.channel_state(t, chat_info(channel), state))
        return
    reply = await state_reply(context, context.texts(update), chat.id, thread_of(message))
    await send(message, reply)


async def state_reply(context: BotContext, t: Texts, chat_id: int, thread_id: int) -> render.Reply:
    subscription = await context.storage.chats.subscription(chat_id, thread_id)
    digest = await context.storage.digests.state(chat_id, thread_id)
    return render.subscription_state(t, subscription, digest)


async def subscription_button(update: Update, context: BotContext) -> None:
    """The buttons of /subscriptions and /start: subscribe, drop a topic, unsubscribe."""
    query = update.callback_query
    assert query is not None
    action = callbacks.parse(query.data)
    t = context.texts(update)
    if not isinstance(query.message, Message):
        await replies.answer(query, render.expired_button(t), alert=True)
        return
    if isinstance(action, callbacks.SubscribeChannel):
        channel = await managed_channel(update, context, action.chat_id)
        if channel is not None:
            await replies.answer(query)
            await query.edit_message_reply_markup(None)
            await subscribe_managed(update, context, channel, ())
        return
    assert isinstance(action, callbacks.SubscriptionAction)
    if not await permissions.may_manage_chat(update, context):
        await replies.refuse(update, render.admins_only(t))
        return
    await replies.answer(query)
    chat, thread_id = query.message.chat, thread_of(query.message)
    store = context.storage.chats
    if action.kind == callbacks.SubscriptionAction.SUBSCRIBE:
        info = chat_info(chat, update)
        await apply_subscribe(query.message, context, update, info, thread_id, ())
        return
    if action.kind in CADENCES:
        with contextlib.suppress(NotFound):  # unsubscribed meanwhile: the state says so
            await context.storage.digests.set_cadence(chat.id, thread_id, CADENCES[action.kind])
        reply = await state_reply(context, t, chat.id, thread_id)
        await show_in_place(query, reply)
        return
    current = await store.subscription(chat.id, thread_id)
    topics: tuple[str, ...] = ()
    if action.kind == callbacks.SubscriptionAction.DROP_TOPIC:
        topics = tuple(
            topic
            for topic in (current.topics if current else ())
            if callbacks.topic_key(topic) == action.topic_key
        )
        if not topics:
            await query.message.reply_text(render.expired_button(t))
            return
    with contextlib.suppress(NotFound):  # gone already: the state below says so
        await store.unsubscribe(chat.id, thread_id, topics)
    reply = await state_reply(context, t, chat.id, thread_id)
    await show_in_place(query, reply)


# -- channels -------------------------------------------------------------------------------


async def subscribe_channel(
    update: Update, context: BotContext, target: str | int, topic_words: list[str]
) -> None:
    """Subscribe a channel named by @username or id (or a forwarded post): the bot must be
    able to post there, and the requester must administer it (or be a bot admin)."""
    message = update.effective_message
    assert message is not None
    t = context.texts(update)
    try:
        topics = parse_topics(topic_words)
    except InvalidInput as exc:
        await message.reply_text(render.bad_topics(t, exc))
        return
    channel = await managed_channel(update, context, target)
    if channel is not None:
        await subscribe_managed(update, context, channel, topics)


async def subscribe_managed(
    update: Update, context: BotContext, channel: ChatFullInfo, topics: tuple[str, ...]
) -> None:
    """Subscribe a channel the requester may manage, if the bot can post there."""
    message = update.effective_message
    assert message is not None
    if not await can_post(channel, context):
        await message.reply_text(render.cannot_post(context.texts(update), channel_name(channel)))
        return
    await apply_subscribe(message, context, update, chat_info(channel, update), 0, topics)


async def unsubscribe_channel(
    update: Update, context: BotContext, target: str | int, topic_words: list[str]
) -> None:
    """Stop a channel's subscription, or drop some of its topics."""
    message = update.effective_message
    assert message is not None
    t = context.texts(update)
    try:
        topics = parse_topics(topic_words)
    except InvalidInput as exc:
        await message.reply_text(render.bad_topics(t, exc))
        return
    channel = await managed_channel(update, context, target)
    if channel is None:
        return
    try:
        remaining = await context.storage.chats.unsubscribe(channel.id, 0, topics)
    except NotFound:
        await message.reply_text(render.not_subscribed(t, topics, channel_name(channel)))
        return
    await message.reply_text(render.unsubscribed(t, remaining, channel_name(channel)))


async def forwarded_channel_post(update: Update, context: BotContext) -> None:
    """A channel post forwarded to the bot in private: offer to subscribe that channel."""
    message = update.effective_message
    assert message is not None
    origin = message.forward_origin
    if not isinstance(origin, MessageOriginChannel):
        return
    channel = await managed_channel(update, context, origin.chat.id)
    if channel is not None:
        reply = render.confirm_channel(context.texts(update), chat_info(channel))
        await send(message, reply)


async def can_post(channel: ChatFullInfo, context: BotContext) -> bool:
    try:
        me = await context.bot.get_chat_member(channel.id, context.bot.id)
    except TelegramError as exc:
        log.info("cannot check the bot's rights in chat_id=%s: %s", channel.id, exc)
        return False
    return me.status == ChatMemberStatus.OWNER or bool(getattr(me, "can_post_messages", False))


# -- lifecycle --------------------------------------------------------------------------------


async def membership_changed(update: Update, context: BotContext) -> None:
    """The bot was blocked, kicked or removed (chat inactive, subscriptions kept), or added
    back (active again)."""
    change = update.my_chat_member
    assert change is not None
    chat, status = change.chat, change.new_chat_member.status
    if status in GONE:
        if chat.type == ChatType.PRIVATE:
            reason = "blocked by the user"
        elif status == ChatMemberStatus.BANNED:
            reason = "bot kicked"
        else:
            reason = "bot removed"
        await context.storage.chats.deactivate(chat.id, reason)
        log.info("chat inactive chat_id=%s reason=%s", chat.id, reason)
    else:
        if await context.storage.chats.reactivate(chat_info(chat)):
            log.info("chat active again chat_id=%s", chat.id)


async def chat_migrated(update: Update, context: BotContext) -> None:
    """A group became a supergroup: both service messages (old and new chat) arrive."""
    message = update.effective_message
    assert message is not None
    if message.migrate_to_chat_id:
        await context.storage.chats.migrate(message.chat.id, message.migrate_to_chat_id)
    elif message.migrate_from_chat_id:
        await context.storage.chats.migrate(message.migrate_from_chat_id, message.chat.id)
