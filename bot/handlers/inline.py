"""Inline mode: `@bot words` in any chat lists matching articles; choosing one sends its card."""

from __future__ import annotations

from telegram import Update

from bot import render
from bot.context import BotContext

INLINE_PAGE = 20  # Telegram allows 50; 20 keeps each answer small and quick
CACHE_SECONDS = 30
MAX_INLINE_OFFSET = 1_000


async def inline_query(update: Update, context: BotContext) -> None:
    query = update.inline_query
    assert query is not None
    offset = int(query.offset) if query.offset.isdigit() else 0
    if offset > MAX_INLINE_OFFSET:
        await query.answer([], cache_time=CACHE_SECONDS)
        return
    words = query.query.strip()
    if words:
        page = await context.storage.articles.search(words, INLINE_PAGE, offset)
        articles = [hit.article for hit in page.hits]
    else:
        articles = await context.storage.articles.latest(INLINE_PAGE, offset)
    t = context.texts(update)
    results = render.inline_results(articles, t, context.bot.username)
    more = len(articles) == INLINE_PAGE
    await query.answer(
        results,
        cache_time=CACHE_SECONDS,
        is_personal=False,
        next_offset=str(offset + INLINE_PAGE) if more else None,
    )
