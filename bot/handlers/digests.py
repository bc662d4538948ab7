"""When articles arrive: /digest (each at once, or a daily or weekly digest) and /quiet
(hours without instant cards). In groups only admins change them; `/digest @channel …` and
`/quiet @channel …` are for a channel's administrators."""

from __future__ import annotations

from dataclasses import dataclass

from telegram import Update

from bot import permissions, render, replies
from bot.context import BotContext
from bot.handlers.subscriptions import (
    CHANNEL,
    channel_target,
    chat_info,
    managed_channel,
    thread_of,
)
from storage import ChatInfo, InvalidInput, NotFound
from storage.digests import parse_cadence
from storage.quiet import parse_quiet


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


async def digest_command(update: Update, context: BotContext) -> None:
    message = update.effective_message
    assert message is not None
    t = context.texts(update)
    where = await target(update, context)
    if where is None:
        return
    store = context.storage.digests
    if not where.words:
        state = await store.state(where.chat.chat_id, where.thread_id)
        if state is None:
            await message.reply_text(render.not_subscribed(t, (), where.channel))
            return
        text = render.cadence_text(t, state.cadence, state.timezone, state.next_at)
        await message.reply_text(text + "\n" + render.digest_usage(t))
        return
    try:
        cadence = parse_cadence(where.words)
        state = await store.set_cadence(where.chat.chat_id, where.thread_id, cadence)
    except InvalidInput as exc:
        await message.reply_text(render.not_accepted(t, exc) + "\n" + render.digest_usage(t))
        return
    except NotFound:
        await message.reply_text(render.not_subscribed(t, (), where.channel))
        return
    await message.reply_text(render.cadence_set(t, state))


async def quiet_command(update: Update, context: BotContext) -> None:
    """`/quiet 22:00-07:00` (local time), `/quiet off`, `/quiet` to see them."""
    message = update.effective_message
    assert message is not None
    t = context.texts(update)
    where = await target(update, context)
    if where is None:
        return
    if where.words:
        try:
            hours = parse_quiet(" ".join(where.words))
        except InvalidInput as exc:
            await message.reply_text(render.not_accepted(t, exc))
            return
        await context.storage.chats.remember(where.chat)  # a chat not seen before
        await context.storage.quiet.set_hours(where.chat.chat_id, hours)
    hours = await context.storage.quiet.hours(where.chat.chat_id)
    zone = await context.storage.chats.timezone(where.chat.chat_id)
    await message.reply_text(render.quiet_state(t, hours, zone))
