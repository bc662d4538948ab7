"""Verbs on feeds: a one-off import, and the feeds the running bot follows."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import click

from bot.cli.base import Context, cli, counted, expected_errors, print_json, run_with_storage
from bot.sources.errors import OpmlError
from storage.text import MAX_TAG, MAX_TAGS

if TYPE_CHECKING:
    from bot.sources.feeds import FeedService
    from storage import Storage

MAX_OPML_BYTES = 2 * 2**20


def feed_service(ctx: Context, storage: Storage) -> FeedService:
    from bot.sources.feeds import FeedService

    return FeedService(
        storage, interval=ctx.settings.feed_interval, allow_private=ctx.settings.allow_private_urls
    )


@cli.command("import")
@click.argument("source")
@click.pass_obj
def import_feed(ctx: Context, source: str) -> None:
    """Import the items of an RSS/Atom feed (URL or file) once, announcing none."""

    async def run(storage: Storage) -> None:
        added, feed = await feed_service(ctx, storage).import_once(source)
        click.echo(
            f"imported {counted(added, 'new article')} ({counted(len(feed.items), 'item')} read)"
        )
        if feed.report():
            click.echo(f"not everything could be read: {feed.report()}", err=True)

    run_with_storage(ctx, run, create=True)


@cli.group()
def feeds() -> None:
    """Feeds followed by the running bot."""


@feeds.command("add")
@click.argument("url")
@click.option(
    "--announce-newest",
    default=0,
    type=click.IntRange(0, 100),
    help="Also announce the newest N items present now.",
)
@click.pass_obj
def feeds_add(ctx: Context, url: str, announce_newest: int) -> None:
    """Follow a feed: its current items are archived, later ones announced."""

    async def run(storage: Storage) -> None:
        result = await feed_service(ctx, storage).follow(url, announce_newest)
        archived = counted(result.stored, "item")
        click.echo(
            f"following feed #{result.feed.id} {result.feed.title!r}: "
            f"{archived} archived, {result.announced} announced"
        )
        if result.report:
            click.echo(f"not everything could be read: {result.report}", err=True)

    run_with_storage(ctx, run, create=True)


@feeds.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_obj
def feeds_list(ctx: Context, as_json: bool) -> None:
    """Followed feeds and their state."""

    async def run(storage: Storage) -> None:
        found = await storage.feeds.all()
        if as_json:
            print_json([feed.to_dict() for feed in found])
            return
        if not found:
            click.echo("no feeds followed; add one with `articlebot feeds add URL`", err=True)
        for feed in found:
            state = "active" if feed.active else "paused"
            errors = (
                f", {counted(feed.error_count, 'failure')}: {feed.last_error}"
                if feed.error_count
                else ""
            )
            click.echo(
                f"#{feed.id}  {state}  {counted(feed.items, 'item')}  {feed.url}  "
                f"{feed.label}{errors}"
            )

    run_with_storage(ctx, run)


@feeds.command("remove")
@click.argument("feed_id", type=int)
@click.pass_obj
def feeds_remove(ctx: Context, feed_id: int) -> None:
    """Stop following a feed (its articles stay)."""
    run_with_storage(ctx, lambda storage: storage.feeds.remove(feed_id))
    click.echo(f"removed feed #{feed_id}")


@feeds.command("pause")
@click.argument("feed_id", type=int)
@click.pass_obj
def feeds_pause(ctx: Context, feed_id: int) -> None:
    """Stop checking a feed for now."""
    run_with_storage(ctx, lambda storage: storage.feeds.set_active(feed_id, False))
    click.echo(f"paused feed #{feed_id}")


@feeds.command("resume")
@click.argument("feed_id", type=int)
@click.pass_obj
def feeds_resume(ctx: Context, feed_id: int) -> None:
    """Check a paused feed again, starting now."""
    run_with_storage(ctx, lambda storage: storage.feeds.set_active(feed_id, True))
    click.echo(f"resumed feed #{feed_id}")


@feeds.command("import-opml")
@click.argument("path", type=click.File("rb"))
@click.pass_obj
def feeds_import_opml(ctx: Context, path: Any) -> None:
    """Follow every feed listed in an OPML file: the names it gives them are kept, and its
    folders become the tags of the feeds' articles."""
    from bot.sources.opml import feed_outlines

    try:
        outlines = feed_outlines(path.read(MAX_OPML_BYTES))
    except OpmlError as exc:
        raise click.ClickException(str(exc)) from None

    async def run(storage: Storage) -> None:
        service = feed_service(ctx, storage)
        for outline in outlines:
            tags = tuple(folder[:MAX_TAG] for folder in outline.folders)[:MAX_TAGS]
            try:
                result = await service.follow(outline.url, name=outline.name or None, tags=tags)
            except expected_errors() as exc:
                click.echo(f"skipped {outline.url}: {exc}", err=True)
                continue
            click.echo(f"following feed #{result.feed.id} {outline.url}")

    run_with_storage(ctx, run, create=True)


@feeds.command("export-opml")
@click.argument("path", type=click.File("wb"), default="-")
@click.pass_obj
def feeds_export_opml(ctx: Context, path: Any) -> None:
    """Write the followed feeds as OPML (to PATH, or standard output)."""

    from bot.sources.opml import document

    async def run(storage: Storage) -> None:
        path.write(document(await storage.feeds.all()) + b"\n")

    run_with_storage(ctx, run)
