"""Verbs on what the CMS pushed: `hooks log`."""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

from bot.cli.base import cli, print_json, with_storage

if TYPE_CHECKING:
    from storage import Storage


@cli.group()
def hooks() -> None:
    """The CMS hooks the running bot received (README "CMS hooks")."""


@hooks.command()
@click.option("--limit", default=50, show_default=True, type=click.IntRange(1, 1000))
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@with_storage
async def log(storage: Storage, limit: int, as_json: bool) -> None:
    """The latest hooks, newest first: time, endpoint, event, post, outcome."""
    records = await storage.hooks.log(limit)
    if as_json:
        print_json([record.to_dict() for record in records])
        return
    if not records:
        click.echo("no hook has come in", err=True)
    for record in records:
        article = f" #{record.article_id}" if record.article_id else ""
        detail = f" ({record.detail})" if record.detail else ""
        click.echo(
            f"{record.received_at:%Y-%m-%d %H:%M:%S}  {record.endpoint:<8}  {record.event:<22}"
            f"  {record.outcome}{article}{detail}  {record.post}  {record.title}"
        )
