"""The `articlebot` command: run the bot, and manage the archive without Telegram.

Every verb opens the store, does one thing, and closes it. Expected failures (bad input,
unknown ids, a locked or foreign database file, bad settings) print one line on stderr and
exit non-zero; usage errors exit 2. No traceback ever reaches the user.
"""

from __future__ import annotations

import sys

import click

from bot.cli import (  # each registers its verbs on `cli`
    archive,
    edit,
    feeds,
    hooks,
    schedule,
    service,
)
from bot.cli.base import cli
from bot.cli.service import tune_runtime
from bot.runtime import logs

__all__ = [
    "archive",
    "cli",
    "edit",
    "feeds",
    "hooks",
    "main",
    "schedule",
    "service",
    "tune_runtime",
]


def main() -> None:
    """Console entry point: every error is one line, its secrets redacted (bot.runtime.logs), and
    no traceback ever reaches the user."""
    try:
        code = cli.main(prog_name="articlebot", standalone_mode=False)
    except click.UsageError as exc:  # says nothing secret, and shows the usage line
        exc.show()
        sys.exit(exc.exit_code)
    except click.ClickException as exc:
        click.echo(f"Error: {logs.redact(exc.format_message())}", err=True)
        sys.exit(exc.exit_code)
    except click.Abort:
        click.echo("Aborted!", err=True)
        sys.exit(1)
    except Exception as exc:  # anything unexpected still gets one line, not a traceback
        click.echo(logs.redact(f"error: unexpected {type(exc).__name__}: {exc}"), err=True)
        sys.exit(1)
    sys.exit(code if isinstance(code, int) else 0)
