"""Verbs on the archive: add, latest, search, show, delete, stats, and db maintenance."""

from __future__ import annotations

import asyncio
import html
import re
import shutil
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from bot.cli.base import (
    cli,
    counted,
    creating_storage,
    page_options,
    print_json,
    with_storage,
)
from storage import NewArticle, clock, timing
from storage.kinds import DeliveryStatus
from storage.text import parse_datetime, parse_tags
from storage.timing import parse_when, parse_zone

if TYPE_CHECKING:
    from storage import Article, SearchPage, Storage


@cli.command()
@click.option("--url", required=True, help="The article's address (http or https).")
@click.option("--title", required=True)
@click.option("--summary", default="", help="A short lead shown on cards.")
@click.option(
    "--body-file", type=click.File("r", encoding="utf-8"), help="Body text; - for stdin."
)
@click.option(
    "--html-file",
    type=click.File("r", encoding="utf-8"),
    help="The text as HTML (headings, lists, quotes, pictures): what 📖 shows; - for stdin.",
)
@click.option("--image", default="", help="The picture of its photo cards (http or https).")
@click.option("--tags", default="", help="Comma-separated, e.g. 'peru, economy'.")
@click.option("--author", default="")
@click.option("--published", help="ISO-8601 date or time; default now.")
@click.option("--json", "as_json", is_flag=True, help="Print the stored article as JSON.")
@click.option(
    "--wait", is_flag=True, help="Follow the broadcast (sent by the running bot) until done."
)
@click.option("--no-broadcast", is_flag=True, help="Store only; announce to nobody.")
@click.option("--at", "at", help="Publish later: 'YYYY-MM-DD HH:MM' (or just 'HH:MM') in --tz.")
@click.option("--tz", "zone", default="UTC", show_default=True, help="The time zone of --at.")
@creating_storage
async def add(
    storage: Storage,
    url: str,
    title: str,
    summary: str,
    body_file: Any,
    html_file: Any,
    image: str,
    tags: str,
    author: str,
    published: str | None,
    as_json: bool,
    wait: bool,
    no_broadcast: bool,
    at: str | None,
    zone: str,
) -> None:
    """Add an article and announce it to its subscribers; prints its id. With --at, keep
    it unseen until then (prints the scheduled number; `articlebot scheduled` lists them)."""
    from bot.sources.entries import html_text

    markup = html_file.read() if html_file else ""
    new = NewArticle(
        url=url,
        title=title,
        summary=summary,
        body=body_file.read() if body_file else html_text(markup),
        body_html=markup,
        image=image,
        tags=parse_tags(tags),
        author=author,
        published_at=parse_datetime(published) if published else None,
        source="cli",
    )
    if at is not None:
        await schedule(storage, new, at, zone, as_json)
        return
    article = await storage.articles.add(new, announce=not no_broadcast)
    if as_json:
        print_json(article.to_dict())
    else:
        click.echo(article.id)
    if wait and not no_broadcast:
        await follow_broadcast(storage, article.id)


async def schedule(storage: Storage, new: NewArticle, at: str, zone: str, as_json: bool) -> None:
    zone = parse_zone(zone)
    item = await storage.scheduled.add(new, parse_when(at, zone, clock.now()), zone)
    if as_json:
        print_json(item.to_dict())
    else:
        local = item.publish_at.astimezone(timing.zone(zone)).strftime("%Y-%m-%d %H:%M")
        click.echo(f"scheduled {item.id} for {local} {zone}")


async def follow_broadcast(storage: Storage, article_id: int, interval: float = 1.0) -> None:
    """Print the broadcast's progress on stderr until nothing is pending, or until it is
    clear that no bot is sending it."""
    from bot.runtime.health import STALE_AFTER

    while True:
        progress = await storage.broadcasts.progress(article_id)
        if progress is None:
            return
        sending = (await storage.heartbeats()).get("sending")
        if progress.pending and (sending is None or clock.time() - sending > STALE_AFTER):
            click.echo(
                f"broadcast #{article_id}: no bot is sending (is `articlebot run` running?); "
                "the cards wait and go out once one runs",
                err=True,
            )
            return
        sent, failed, skipped = (
            progress.count(status)
            for status in (DeliveryStatus.SENT, DeliveryStatus.FAILED, DeliveryStatus.SKIPPED)
        )
        click.echo(
            f"broadcast #{article_id}: {progress.done}/{progress.total} done, "
            f"sent {sent}, failed {failed}, skipped {skipped}, pending {progress.pending}",
            err=True,
        )
        if progress.pending == 0:
            return
        await asyncio.sleep(interval)


@cli.command()
@page_options
@with_storage
async def latest(storage: Storage, limit: int, offset: int, as_json: bool) -> None:
    """The newest articles, by publication date."""
    articles = await storage.articles.latest(limit, offset)
    if as_json:
        print_json([article.to_dict() for article in articles])
        return
    if not articles:
        click.echo("no articles" if offset == 0 else "no more articles", err=True)
    id_width = max((len(str(article.id)) for article in articles), default=1)
    for article in articles:
        click.echo(article_line(article, id_width))


# ignore_unknown_options: a search for "-foo" is a search, not an unknown option.
@cli.command(context_settings={"ignore_unknown_options": True})
@click.argument("words", nargs=-1, required=True)
@page_options
@with_storage
async def search(
    storage: Storage, words: tuple[str, ...], limit: int, offset: int, as_json: bool
) -> None:
    """Full-text search (accents and case ignored; the last word may be a prefix)."""
    page = await storage.articles.search(" ".join(words), limit, offset)
    if as_json:
        print_json([hit.to_dict() for hit in page.hits])
        return
    if not page.hits:
        click.echo("nothing found" if offset == 0 else "no more results", err=True)
        return
    id_width = max(len(str(hit.article.id)) for hit in page.hits)
    for hit in page.hits:
        click.echo(article_line(hit.article, id_width))
        click.echo("    " + terminal_snippet(hit.snippet))
    click.echo(search_footer(page, offset), err=True)


@cli.command()
@click.argument("article_id", type=int)
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@with_storage
async def show(storage: Storage, article_id: int, as_json: bool) -> None:
    """One article, with its body."""
    article = await storage.articles.get(article_id)
    if as_json:
        print_json(article.to_dict())
        return
    click.echo(click.style(article.title, bold=True))
    click.echo(article.link)
    day = f"{article.published_at:%Y-%m-%d}"
    byline = " · ".join(part for part in (article.author, day) if part)
    click.echo(byline)
    if article.tags:
        click.echo(" ".join("#" + tag for tag in article.tags))
    for text in (article.summary, article.body):
        if text:
            click.echo("\n" + text)


@cli.command()
@click.argument("article_id", type=int)
@with_storage
async def delete(storage: Storage, article_id: int) -> None:
    """Remove an article from the archive and from search."""
    await storage.articles.delete(article_id)
    click.echo(f"deleted #{article_id}")


@cli.command()
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.option(
    "--chart",
    "chart_path",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Also draw the last 30 days (subscriptions, deliveries) as a PNG here.",
)
@with_storage
async def stats(storage: Storage, as_json: bool, chart_path: Path | None) -> None:
    """Counts of articles, chats, subscriptions, deliveries and feeds."""
    figures = await storage.stats()
    if chart_path is not None:
        await write_chart(storage, chart_path)
    if as_json:
        print_json(figures)
        return
    for key, value in figures.items():
        if key == "broadcasts_in_progress":
            value = "; ".join(broadcast_line(b) for b in value) or "none"
        elif isinstance(value, dict):
            value = ", ".join(f"{k} {v}" for k, v in value.items()) or "none"
        click.echo(f"{key.replace('_', ' ')}: {value}")


def broadcast_line(broadcast: dict[str, Any]) -> str:
    """One broadcast of `stats`; one not begun says who begins it."""
    head = f"#{broadcast['article_id']} {broadcast['title']}"
    if broadcast["sent"] == 0 and broadcast["total"] == 0:
        return f"{head}: not started (the running bot, articlebot run, sends it)"
    return (
        f"{head}: {broadcast['sent']} of {broadcast['total']} sent, {broadcast['pending']} pending"
    )


async def write_chart(storage: Storage, path: Path) -> None:
    if path.suffix.lower() != ".png":
        raise click.BadParameter(
            f"the chart is a PNG: name it {path.stem}.png", param_hint="--chart"
        )

    from bot import render
    from bot.i18n import Catalog
    from bot.render import chart

    daily = await chart.daily_figures(storage, clock.now().date())
    t = Catalog.load().for_language(None)
    png = await asyncio.to_thread(chart.render_png, daily, render.chart_labels(t), t.day_month)
    try:
        await asyncio.to_thread(path.write_bytes, png)
    except OSError as exc:
        raise click.ClickException(f"cannot write {path}: {exc.strerror}") from None
    click.echo(f"chart written to {path}", err=True)


@cli.group()
def db() -> None:
    """Database maintenance."""


@db.command()
@creating_storage
async def migrate(storage: Storage) -> None:
    """Bring the schema up to date (also done on every start)."""
    # Storage.open has already applied what was pending: say what it did.
    version = await storage.schema_version()
    applied = storage.migrated
    if applied and applied[0].version == 1:
        click.echo(f"created a new database at {storage.db.label} (schema version {version})")
    elif applied:
        first = applied[0].version - 1
        click.echo(f"migrated {storage.db.label} from schema version {first} to {version}")
    else:
        click.echo(f"schema is at version {version}, up to date")


@db.command()
@click.argument("target", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--force", is_flag=True, help="Overwrite TARGET if it exists.")
@with_storage
async def backup(storage: Storage, target: Path, force: bool) -> None:
    """Copy the database to TARGET, safely while the bot runs."""
    size = await storage.backup(target, overwrite=force)
    click.echo(f"backed up to {target} ({size:,} bytes)")


@db.command()
@click.option(
    "--to",
    "target",
    required=True,
    metavar="URL|PATH",
    help="An empty PostgreSQL database (postgresql://…) or a new SQLite file.",
)
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@with_storage
async def copy(storage: Storage, target: str, as_json: bool) -> None:
    """Copy the whole store (stop the bot first) into another database, and check it."""
    from config.settings import store_location
    from storage import Storage as Store  # at run time, not only for the types
    from storage.transfer import copy_store

    where = store_location(target)
    new_file = isinstance(where, Path) and not await asyncio.to_thread(where.exists)
    try:
        async with await Store.open(where) as destination:
            copied = await copy_store(storage, destination)
            label = destination.db.label
    except BaseException:
        if new_file:  # a file this verb made holds nothing worth keeping
            for suffix in ("", "-wal", "-shm"):
                await asyncio.to_thread(Path(f"{where}{suffix}").unlink, missing_ok=True)
        raise
    if as_json:
        tables = {c.table: c.rows for c in copied}
        print_json({"source": storage.db.label, "target": label, "tables": tables})
        return
    click.echo(f"copied {storage.db.label} to {label}")
    width = max(len(c.table) for c in copied)
    for c in copied:
        click.echo(f"  {c.table:<{width}}  {c.rows:>12,}")
    click.echo("every table's rows counted on both sides: they agree")


def article_line(article: Article, id_width: int) -> str:
    """`#  7  2026-11-28  Title  [tags]`, ids aligned, cut to the terminal's width."""
    tags = f"  [{', '.join(article.tags)}]" if article.tags else ""
    line = f"#{article.id:>{id_width}}  {article.published_at:%Y-%m-%d}  {article.title}{tags}"
    width = max(40, shutil.get_terminal_size((100, 24)).columns)
    return line if len(line) <= width else line[: width - 1] + "…"


def terminal_snippet(snippet: str) -> str:
    """Bold the highlighted words on a terminal (click drops the styling when piped)."""
    parts = re.split(r"<b>(.*?)</b>", snippet)
    return "".join(
        click.style(html.unescape(part), bold=True) if index % 2 else html.unescape(part)
        for index, part in enumerate(parts)
    )


def search_footer(page: SearchPage, offset: int) -> str:
    if page.total is None:
        total = "many results"
    elif page.total_is_exact:
        total = counted(page.total, "result")
    else:
        total = f"more than {counted(page.total - 1, 'result')}"
    shown = f"{offset + 1}-{offset + len(page.hits)}"
    return f"{shown} of {total}, by {page.ordered_by}"
