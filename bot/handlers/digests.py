"""/digest: a subscription's cadence, each article at once or a daily or weekly digest (in
groups, admins only; `/digest @channel …` for a channel's administrators)."""

from __future__ import annotations

from telegram import Update

from bot import permissions, render, replies
from bot.context import BotContext
from bot.handlers.subscriptions import CHANNEL, channel_target, managed_channel, thread_of
from storage import InvalidInput, NotFound
from storage.digests import parse_cadence


async def digest_command(update: Update, context: BotContext) -> None:
    message, chat = update.effective_message, update.effective_chat
    assert message is not None
    assert chat is not None
    t = context.texts(update)
    args = context.args or []
    channel_name: str | None = None
    if args and CHANNEL.match(args[0]):
        channel = await managed_channel(update, context, channel_target(args[0]))
        if channel is None:
            return
        chat_id, thread_id, args, channel_name = channel.id, 0, args[1:], args[0]
    else:
        chat_id, thread_id = chat.id, thread_of(message)
        if args and not await permissions.may_manage_chat(update, context):
            await replies.refuse(update, render.admins_only(t))
            return
    store = context.storage.digests
    if not args:
        state = await store.state(chat_id, thread_id)
        if state is None:
            await message.reply_text(render.not_subscribed(t, (), channel_name))
            return
        text = render.cadence_text(t, state.cadence, state.timezone, state.next_at)
        await message.reply_text(text + "\n" + render.digest_usage(t))
        return
    try:
        state = await store.set_cadence(chat_id, thread_id, parse_cadence(args))
    except InvalidInput as exc:
        await message.reply_text(render.not_accepted(t, exc) + "\n" + render.digest_usage(t))
        return
    except NotFound:
        await message.reply_text(render.not_subscribed(t, (), channel_name))
        return
    await message.reply_text(render.cadence_set(t, state))
