"""/feeds for admins (the admin gate has checked): list, add, remove, pause, resume."""

from __future__ import annotations

import logging

from telegram import Update

from bot import render
from bot.context import BotContext
from bot.sources.errors import FeedError, FetchError
from storage import InvalidInput, NotFound

log = logging.getLogger(__name__)


async def feeds_command(update: Update, context: BotContext) -> None:
    message = update.effective_message
    assert message is not None
    t = context.texts(update)
    store, service = context.storage.feeds, context.bot_data.feeds
    assert service is not None
    args = context.args or []
    verb = args[0].lower() if args else "list"
    if verb == "list" and len(args) <= 1:
        await message.reply_text(render.feed_list(t, await store.all()))
        return
    if verb == "add" and len(args) in (2, 3) and (len(args) == 2 or args[2].isdigit()):
        newest = int(args[2]) if len(args) == 3 else 0
        try:
            result = await service.follow(args[1], announce_newest=min(newest, 20))
        except (FetchError, FeedError, InvalidInput) as exc:
            log.info("cannot follow %s: %s", args[1], exc)
            await message.reply_text(
                t.gettext("Cannot follow that feed: {error}", error=render.escape(t.explain(exc)))
            )
            return
        reply = render.feed_followed(t, result)
        await message.reply_text(reply)
        return
    if verb in ("remove", "pause", "resume") and len(args) == 2 and args[1].isdigit():
        feed_id = int(args[1])
        try:
            if verb == "remove":
                await store.remove(feed_id)
            else:
                await store.set_active(feed_id, verb == "resume")
        except NotFound:
            await message.reply_text(t.gettext("Feed {id} was not found.", id=feed_id))
            return
        await message.reply_text(render.feed_list(t, await store.all()))
        return
    await message.reply_text(
        t.gettext(
            "Usage: /feeds · /feeds add <i>URL</i> [<i>newest to announce</i>] · "
            "/feeds remove|pause|resume <i>number</i>"
        )
    )
