"""When articles arrive: /digest (each at once, or a daily or weekly digest) and /quiet
(hours without instant cards). In groups only admins change them; `/digest @channel …` and
`/quiet @channel …` are for a channel's administrators."""

from __future__ import annotations

from telegram import Update

from bot import render
from bot.context import BotContext
from bot.handlers.common import target
from storage import InvalidInput, NotFound
from storage.digests import parse_cadence
from storage.quiet import parse_quiet


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
        cadence = parse_cadence(t.in_english(where.words))
        state = await store.set_cadence(where.chat.chat_id, where.thread_id, cadence)
    except InvalidInput as exc:
        await message.reply_text(render.not_accepted(t, exc) + "\n" + render.digest_usage(t))
        return
    except NotFound:
        await message.reply_text(render.not_subscribed(t, (), where.channel))
        return
    await message.reply_text(render.cadence_set(t, state, where.channel))


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
            hours = parse_quiet(" ".join(t.in_english(where.words)))
        except InvalidInput as exc:
            await message.reply_text(render.not_accepted(t, exc))
            return
        await context.storage.chats.remember(where.chat)  # a chat not seen before
        await context.storage.quiet.set_hours(where.chat.chat_id, hours)
    hours = await context.storage.quiet.hours(where.chat.chat_id)
    zone = await context.storage.chats.timezone(where.chat.chat_id)
    state = await context.storage.digests.state(where.chat.chat_id, where.thread_id)
    digest = state is not None and not state.cadence.instant
    await message.reply_text(render.quiet_state(t, hours, zone, digest=digest))
