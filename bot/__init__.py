"""Telegram transport: the bot, its delivery worker, and the `articlebot` command."""
