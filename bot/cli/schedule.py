"""Verbs on articles scheduled for later (`add --at` schedules): scheduled, unschedule."""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

from bot.cli.base import cli, print_json, with_storage
from storage import timing

if TYPE_CHECKING:
    from storage import Storage


@cli.command()
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@with_storage
async def scheduled(storage: Storage, as_json: bool) -> None:
    """Articles waiting for their time, the soonest first."""
    items = await storage.scheduled.all()
    if as_json:
        print_json([item.to_dict() for item in items])
        return
    if not items:
        click.echo("nothing is scheduled", err=True)
    for item in items:
        local = item.publish_at.astimezone(timing.zone(item.timezone))
        click.echo(f"{item.id}  {local:%Y-%m-%d %H:%M} {item.timezone}  {item.title}")


@cli.command()
@click.argument("scheduled_id", type=int)
@with_storage
async def unschedule(storage: Storage, scheduled_id: int) -> None:
    """Cancel a scheduled article: it is not published."""
    item = await storage.scheduled.cancel(scheduled_id)
    click.echo(f"unscheduled {item.id}: {item.title}")
