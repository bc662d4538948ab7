"""What a chat sets for itself: /silent (cards without a sound), /cards (photo, preview or
text cards) and /language (its cards and replies in one language, whoever reads them). In
groups only admins change them; `/silent @channel on` is for a channel's administrators."""

from __future__ import annotations

from telegram import Update

from bot import render
from bot.context import BotContext
from bot.handlers.common import target
from storage.kinds import CardStyle

ON, OFF = ("on",), ("off",)


async def recall_choices(update: Update, context: BotContext) -> None:
    """Before any handler: the language and time zone the chat chose, so that every reply
    follows them (bot.context.BotContext.texts)."""
    if update.effective_chat is not None and context.bot_data.storage is not None:
        language, zone_name = await context.storage.chats.choices(update.effective_chat.id)
        context.chosen_language, context.chosen_zone = language, zone_name


async def silent_command(update: Update, context: BotContext) -> None:
    """`/silent on`, `/silent off`, `/silent` to see which."""
    message = update.effective_message
    assert message is not None
    t = context.texts(update)
    where = await target(update, context)
    if where is None:
        return
    words = tuple(t.in_english([word.lower() for word in where.words]))
    if words not in ((), ON, OFF):
        await message.reply_text(render.usage(t, "silent"))
        return
    if words:
        await context.storage.chats.set_silent(where.chat, words == ON)
    silent = await context.storage.chats.silent(where.chat.chat_id)
    await message.reply_text(render.silent_state(t, silent, where.channel))


async def cards_command(update: Update, context: BotContext) -> None:
    """`/cards photo|preview|text`, `/cards` to see which (a group's or channel's: its
    administrators)."""
    message = update.effective_message
    assert message is not None
    t = context.texts(update)
    where = await target(update, context)
    if where is None:
        return
    words = [word.lower() for word in where.words]
    styles = {str(style): style for style in CardStyle}
    if len(words) > 1 or (words and words[0] not in styles):
        await message.reply_text(render.usage(t, "cards"))
        return
    if words:
        await context.storage.chats.set_card_style(where.chat, styles[words[0]])
    chosen = await context.storage.chats.card_style(where.chat.chat_id)
    style = chosen or CardStyle(context.settings.card_style)
    await message.reply_text(render.card_style_state(t, style, chosen is not None))


async def language_command(update: Update, context: BotContext) -> None:
    """`/language es`, `/language off` (each reader's own again), `/language` to see it."""
    message = update.effective_message
    assert message is not None
    t = context.texts(update)
    where = await target(update, context)
    if where is None:
        return
    catalog = context.bot_data.catalog
    assert catalog is not None
    words = t.in_english([word.lower() for word in where.words])
    if len(words) > 1 or (words and words[0] not in (*catalog.languages, "off")):
        await message.reply_text(render.language_usage(t, catalog.languages))
        return
    if words:
        choice = None if words[0] == "off" else words[0]
        await context.storage.chats.choose_language(where.chat, choice)
        if where.channel is None:  # this chat's replies too, from this one on
            context.chosen_language = choice
            t = context.texts(update)
    choice, _ = await context.storage.chats.choices(where.chat.chat_id)
    await message.reply_text(render.language_state(t, choice, catalog.languages, where.channel))
