"""The baselines for bench/commands.py: a bare python-telegram-bot that answers every
message with a constant text; same polling, no storage, no rendering.

    python bench/bare_bot.py default   # PTB as it comes: httpx, the asyncio event loop
    python bench/bare_bot.py ours      # on articlebot's transport and runtime (AiohttpRequest,
                                       # uvloop, the same garbage-collector settings)
"""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path

from telegram import Update
from telegram.ext import ApplicationBuilder, CallbackQueryHandler, ContextTypes, MessageHandler
from telegram.ext import filters as f

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


async def reply(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    if update.callback_query is not None:
        await update.callback_query.answer()
        await update.callback_query.edit_message_text("constant")
    elif update.effective_message is not None:
        await update.effective_message.reply_text("constant")


def main(runtime: str) -> None:
    builder = (
        ApplicationBuilder()
        .token(os.environ["BOT_TOKEN"])
        .base_url(os.environ["TELEGRAM_API_URL"])
        .concurrent_updates(16)
    )
    if runtime == "ours":
        import uvloop

        from bot.api.transport import AiohttpRequest
        from bot.cli import tune_runtime

        builder = builder.request(AiohttpRequest(connection_pool_size=32))
        builder = builder.get_updates_request(AiohttpRequest(connection_pool_size=1))
        tune_runtime()
        asyncio.set_event_loop(uvloop.new_event_loop())
    application = builder.build()
    application.add_handler(MessageHandler(f.ALL, reply))
    application.add_handler(CallbackQueryHandler(reply))
    application.run_polling()


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "default")
