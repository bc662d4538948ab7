"""The `articlebot` command: run the bot, and manage the archive without Telegram.

Every verb opens the store, does one thing, and closes it. Expected failures (bad input,
unknown ids, a locked or foreign database file, bad settings) print one line on stderr and
exit non-zero; usage errors exit 2. No traceback ever reaches the user.
"""

from __future__ import annotations

import sys

import click

from bot.cli import archive, feeds, schedule, service  # each registers its verbs on `cli`
from bot.cli.base import cli
from bot.cli.service import tune_runtime

__all__ = ["archive", "cli", "feeds", "main", "schedule", "service", "tune_runtime"]


def main() -> None:
    """Console entry point: a last guard so no traceback ever reaches the user."""
    try:
        cli.main(prog_name="articlebot")
    except SystemExit:
        raise
    except Exception as exc:  # anything unexpected still gets one line, not a traceback
        click.echo(f"error: unexpected {type(exc).__name__}: {exc}", err=True)
        sys.exit(1)
