"""The baseline for bench/commands.py: a bare python-telegram-bot that answers every
message with a constant text. Same transport, same polling, no storage, no rendering."""

from __future__ import annotations

import os

from telegram import Update
from telegram.ext import ApplicationBuilder, CallbackQueryHandler, ContextTypes, MessageHandler
from telegram.ext import filters as f


async def reply(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    if update.callback_query is not None:
        await update.callback_query.answer()
        await update.callback_query.edit_message_text("constant")
    elif update.effective_message is not None:
        await update.effective_message.reply_text("constant")


def main() -> None:
    application = (
        ApplicationBuilder()
        .token(os.environ["BOT_TOKEN"])
        .base_url(os.environ["TELEGRAM_API_URL"])
        .concurrent_updates(16)
        .build()
    )
    application.add_handler(MessageHandler(f.ALL, reply))
    application.add_handler(CallbackQueryHandler(reply))
    application.run_polling()


if __name__ == "__main__":
    main()
