"""The `articlebot` command: run the bot, and manage the archive without Telegram.

Every verb opens the store, does one thing, and closes it. Expected failures (bad input,
unknown ids, a locked or foreign database file, bad settings) print one line on stderr and
exit non-zero; usage errors exit 2. No traceback ever reaches the user.
"""

from __future__ import annotations

import asyncio
import dataclasses
import functools
import gc
import html
import json
import re
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, Concatenate, ParamSpec, TypeVar

import click

from bot.feeds import FeedError, FeedService
from bot.fetch import FetchError
from bot.opml import OpmlError, document, feed_urls
from config import Settings, SettingsError, load_settings
from storage import Article, NewArticle, SearchPage, Storage, StorageError
from storage.text import parse_datetime, parse_tags

if TYPE_CHECKING:
    from bot.context import BotApplication

P = ParamSpec("P")
MAX_OPML_BYTES = 2 * 2**20
GC_YOUNG_THRESHOLD = 10_000  # allocations between young collections; Python's default: 700
# What a verb can expect to go wrong; anything else is a bug and still gets one line (main).
EXPECTED_ERRORS = (StorageError, FeedError, FetchError, OpmlError)
T = TypeVar("T")


class Context:
    """What every verb gets: the settings, read once."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    async def open_storage(self, *, migrate: bool = True) -> Storage:
        return await Storage.open(
            self.settings.database_path,
            busy_timeout=self.settings.database_timeout,
            migrate=migrate,
        )


def with_storage(
    func: Callable[Concatenate[Storage, P], Awaitable[None]],
) -> Callable[P, None]:
    """Run an async verb with an open store, turning expected failures into one line."""

    @click.pass_obj
    @functools.wraps(func)
    def wrapper(ctx: Context, /, *args: P.args, **kwargs: P.kwargs) -> None:
        run_with_storage(ctx, lambda storage: func(storage, *args, **kwargs))

    return wrapper


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--db",
    "database",
    type=click.Path(dir_okay=False, path_type=Path),
    help="SQLite file (default: DATABASE_PATH, or data/articlebot.db).",
)
@click.version_option(package_name="articlebot")
@click.pass_context
def cli(click_ctx: click.Context, database: Path | None) -> None:
    """articlebot: distribute a publication's articles on Telegram."""
    overrides: dict[str, Any] = {"database_path": database} if database else {}
    try:
        click_ctx.obj = Context(load_settings(**overrides))
    except SettingsError as exc:
        raise click.ClickException(str(exc)) from None


@cli.command()
@click.option(
    "--sandbox-if-no-token",
    is_flag=True,
    help="Without BOT_TOKEN, start the offline sandbox instead of failing (make run).",
)
@click.pass_obj
def run(ctx: Context, sandbox_if_no_token: bool) -> None:
    """Run the bot (polling or webhook, as configured)."""
    settings = ctx.settings
    if settings.bot_token is None and sandbox_if_no_token:
        click.echo(
            "No BOT_TOKEN set: starting the offline sandbox (a stand-in Telegram on "
            "127.0.0.1, demo articles, you chat here). To run on Telegram, put BOT_TOKEN "
            "in .env and run `make run` again."
        )
        start_sandbox(subscribers=20)
        return
    if settings.bot_token is None:
        raise click.ClickException(
            "BOT_TOKEN is not set: get one from @BotFather and put it in .env (see .env.example)"
        )
    # Imported here so that the archive verbs never pay for loading the Telegram stack.
    import uvloop  # an event loop that costs less per callback and per socket read
    from telegram.error import InvalidToken, NetworkError

    from bot import logs
    from bot.app import build_application, check_token

    secrets = [settings.bot_token.get_secret_value()]
    if settings.webhook_secret is not None:
        secrets.append(settings.webhook_secret.get_secret_value())
    logs.configure(settings.log_level, settings.log_format, secrets)
    try:
        me = asyncio.run(check_token(settings))
        click.echo(f"articlebot: running as @{me.username} ({settings.bot_mode})", err=True)
        application = build_application(settings)
        tune_runtime()
        reason = uvloop.run(serve(application, settings))
    except InvalidToken as exc:
        raise click.ClickException(
            f"Telegram refused BOT_TOKEN ({exc.message}): check it with @BotFather, and "
            "TELEGRAM_API_URL if you set it"
        ) from None
    except NetworkError as exc:
        raise click.ClickException(f"cannot reach the Bot API: {logs.redact(str(exc))}") from None
    except StorageError as exc:
        raise click.ClickException(str(exc)) from None
    if reason is not None:  # exit non-zero, so a restart policy and the health check see it
        raise click.ClickException(f"stopped: {logs.redact(reason)}")


@cli.command()
@click.option(
    "--subscribers",
    default=20,
    type=click.IntRange(0, 10_000),
    show_default=True,
    help="Simulated subscribers, to watch a broadcast's progress.",
)
def sandbox(subscribers: int) -> None:
    """Try the bot offline: a stand-in Telegram, demo articles, a chat in this terminal."""
    start_sandbox(subscribers)


def start_sandbox(subscribers: int) -> None:
    from bot.sandbox.terminal import run_sandbox

    try:
        asyncio.run(run_sandbox(subscribers))
    except KeyboardInterrupt:
        click.echo("\nbye")


def tune_runtime() -> None:
    """For a long-lived process that allocates many short-lived objects for every update and
    delivery (measured with bench/broadcast.py): what start-up built is moved out of the
    garbage collector's sight, and the youngest generation is collected less often."""
    gc.freeze()
    gc.set_threshold(GC_YOUNG_THRESHOLD, 10, 10)


async def serve(application: BotApplication, settings: Settings) -> str | None:
    """Run until SIGTERM or SIGINT (None), or until the bot cannot go on (why)."""
    from bot.running import polling, until_stopped

    if settings.bot_mode == "webhook":
        from bot.webhook import serving_webhook

        async with serving_webhook(application, settings):
            return await until_stopped(application)
    async with polling(application):
        return await until_stopped(application)


@cli.command()
@click.option("--url", required=True, help="The article's address (http or https).")
@click.option("--title", required=True)
@click.option("--summary", default="", help="A short lead shown on cards.")
@click.option(
    "--body-file", type=click.File("r", encoding="utf-8"), help="Body text; - for stdin."
)
@click.option("--tags", default="", help="Comma-separated, e.g. 'peru, economy'.")
@click.option("--author", default="")
@click.option("--published", help="ISO-8601 date or time; default now.")
@click.option("--json", "as_json", is_flag=True, help="Print the stored article as JSON.")
@click.option(
    "--wait", is_flag=True, help="Follow the broadcast (sent by the running bot) until done."
)
@click.option("--no-broadcast", is_flag=True, help="Store only; announce to nobody.")
@with_storage
async def add(
    storage: Storage,
    url: str,
    title: str,
    summary: str,
    body_file: Any,
    tags: str,
    author: str,
    published: str | None,
    as_json: bool,
    wait: bool,
    no_broadcast: bool,
) -> None:
    """Add an article and announce it to its subscribers; prints its id."""
    article = await storage.articles.add(
        NewArticle(
            url=url,
            title=title,
            summary=summary,
            body=body_file.read() if body_file else "",
            tags=parse_tags(tags),
            author=author,
            published_at=parse_datetime(published) if published else None,
            source="cli",
        ),
        announce=not no_broadcast,
    )
    if as_json:
        print_json(article.to_dict())
    else:
        click.echo(article.id)
    if wait and not no_broadcast:
        await follow_broadcast(storage, article.id)


async def follow_broadcast(storage: Storage, article_id: int, interval: float = 1.0) -> None:
    """Print the broadcast's progress on stderr until nothing is pending."""
    while True:
        progress = await storage.deliveries.progress(article_id)
        if progress is None:
            return
        click.echo(
            f"broadcast #{article_id}: {progress.done}/{progress.total} done, "
            f"sent {progress.count('sent')}, failed {progress.count('failed')}, "
            f"skipped {progress.count('skipped')}, pending {progress.pending}",
            err=True,
        )
        if progress.pending == 0:
            return
        await asyncio.sleep(interval)


def page_options(func: Callable[P, T]) -> Callable[P, T]:
    func = click.option("--json", "as_json", is_flag=True, help="Print JSON.")(func)
    func = click.option("--offset", default=0, type=click.IntRange(min=0), show_default=True)(func)
    return click.option(
        "-n", "--limit", default=10, type=click.IntRange(1, 1000), show_default=True
    )(func)


@cli.command()
@page_options
@with_storage
async def latest(storage: Storage, limit: int, offset: int, as_json: bool) -> None:
    """The newest articles, by publication date."""
    articles = await storage.articles.latest(limit, offset)
    if as_json:
        print_json([article.to_dict() for article in articles])
    else:
        for article in articles:
            click.echo(article_line(article))


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
        click.echo("nothing found", err=True)
        return
    for hit in page.hits:
        click.echo(article_line(hit.article))
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
    click.echo(article.url)
    byline = " · ".join(part for part in (article.author, article.published_at[:10]) if part)
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
@with_storage
async def stats(storage: Storage, as_json: bool) -> None:
    """Counts of articles, chats, subscriptions, deliveries and feeds."""
    figures = await storage.stats()
    if as_json:
        print_json(figures)
        return
    for key, value in figures.items():
        if isinstance(value, dict):
            value = ", ".join(f"{k} {v}" for k, v in value.items()) or "none"
        click.echo(f"{key.replace('_', ' ')}: {value}")


def feed_service(ctx: Context, storage: Storage) -> FeedService:
    return FeedService(storage, interval=ctx.settings.feed_interval,
                       allow_private=ctx.settings.allow_private_urls)  # fmt: skip


@cli.command("import")
@click.argument("source")
@click.pass_obj
def import_feed(ctx: Context, source: str) -> None:
    """Import the items of an RSS/Atom feed (URL or file) once, announcing none."""

    async def run(storage: Storage) -> None:
        added, feed = await feed_service(ctx, storage).import_once(source)
        click.echo(f"imported {added} new articles ({len(feed.items)} items read)")
        if feed.report():
            click.echo(f"not everything could be read: {feed.report()}", err=True)

    run_with_storage(ctx, run)


@cli.group()
def feeds() -> None:
    """Feeds followed by the running bot."""


@feeds.command("add")
@click.argument("url")
@click.option("--announce-newest", default=0, type=click.IntRange(0, 100),
              help="Also announce the newest N items present now.")  # fmt: skip
@click.pass_obj
def feeds_add(ctx: Context, url: str, announce_newest: int) -> None:
    """Follow a feed: its current items are archived, later ones announced."""

    async def run(storage: Storage) -> None:
        result = await feed_service(ctx, storage).follow(url, announce_newest)
        click.echo(f"following feed #{result.feed.id} {result.feed.title!r}: {result.stored} "
                   f"items archived, {result.announced} announced")  # fmt: skip
        if result.report:
            click.echo(f"not everything could be read: {result.report}", err=True)

    run_with_storage(ctx, run)


@feeds.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_obj
def feeds_list(ctx: Context, as_json: bool) -> None:
    """Followed feeds and their state."""

    async def run(storage: Storage) -> None:
        found = await storage.feeds.all()
        if as_json:
            print_json([dataclasses.asdict(feed) for feed in found])
            return
        for feed in found:
            state = "active" if feed.active else "paused"
            errors = (
                f", {feed.error_count} failures: {feed.last_error}" if feed.error_count else ""
            )
            click.echo(f"#{feed.id}  {state}  {feed.items} items  {feed.url}  "
                       f"{feed.title}{errors}")  # fmt: skip

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
    """Follow every feed listed in an OPML file."""
    try:
        urls = feed_urls(path.read(MAX_OPML_BYTES))
    except OpmlError as exc:
        raise click.ClickException(str(exc)) from None

    async def run(storage: Storage) -> None:
        service = feed_service(ctx, storage)
        for url in urls:
            try:
                result = await service.follow(url)
            except EXPECTED_ERRORS as exc:
                click.echo(f"skipped {url}: {exc}", err=True)
                continue
            click.echo(f"following feed #{result.feed.id} {url}")

    run_with_storage(ctx, run)


@feeds.command("export-opml")
@click.argument("path", type=click.File("wb"), default="-")
@click.pass_obj
def feeds_export_opml(ctx: Context, path: Any) -> None:
    """Write the followed feeds as OPML (to PATH, or standard output)."""

    async def run(storage: Storage) -> None:
        path.write(document(await storage.feeds.all()))

    run_with_storage(ctx, run)


def run_with_storage(ctx: Context, action: Callable[[Storage], Awaitable[object]]) -> None:
    """Open the store, run `action`, close; expected failures become one line."""

    async def run() -> None:
        storage = await ctx.open_storage()
        async with storage:
            await action(storage)

    try:
        asyncio.run(run())
    except EXPECTED_ERRORS as exc:
        raise click.ClickException(str(exc)) from None


@cli.command()
@click.pass_obj
def health(ctx: Context) -> None:
    """Exit 0 when the bot is healthy (for container health checks): in webhook mode its
    /healthz answers; in polling mode its heartbeats say it receives updates and sends."""
    settings = ctx.settings

    async def check() -> str:
        if settings.bot_mode == "webhook":
            import aiohttp

            url = f"http://127.0.0.1:{settings.webhook_port}/healthz"
            timeout = aiohttp.ClientTimeout(total=5)
            async with (
                aiohttp.ClientSession(timeout=timeout) as session,
                session.get(url) as response,
            ):
                if response.status != 200:
                    raise click.ClickException(f"unhealthy: {url} answered {response.status}")
            return f"ok: {url}"
        from bot.health import problems

        storage = await ctx.open_storage(migrate=False)
        async with storage:
            found = problems(await storage.heartbeats(), time.time())
        if found:
            raise click.ClickException(f"unhealthy: {'; '.join(found)}")
        return "ok: receiving updates and sending"

    try:
        click.echo(asyncio.run(check()))
    except (StorageError, OSError) as exc:  # refused connections and timeouts are OSErrors
        raise click.ClickException(f"unhealthy: {exc}") from None


@cli.group()
def db() -> None:
    """Database maintenance."""


@db.command()
@with_storage
async def migrate(storage: Storage) -> None:
    """Bring the schema up to date (also done on every start)."""
    # Storage.open has already applied what was pending; say where the schema stands.
    click.echo(f"schema is at version {await storage.schema_version()}")


@db.command()
@click.argument("target", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--force", is_flag=True, help="Overwrite TARGET if it exists.")
@with_storage
async def backup(storage: Storage, target: Path, force: bool) -> None:
    """Copy the database to TARGET, safely while the bot runs."""
    size = await storage.backup(target, overwrite=force)
    click.echo(f"backed up to {target} ({size:,} bytes)")


def article_line(article: Article) -> str:
    tags = f"  [{', '.join(article.tags)}]" if article.tags else ""
    return f"#{article.id}  {article.published_at[:10]}  {article.title}{tags}"


def terminal_snippet(snippet: str) -> str:
    """Bold the highlighted words on a terminal (click drops the styling when piped)."""
    parts = re.split(r"<b>(.*?)</b>", snippet)
    return "".join(
        click.style(html.unescape(part), bold=True) if index % 2 else html.unescape(part)
        for index, part in enumerate(parts)
    )


def search_footer(page: SearchPage, offset: int) -> str:
    if page.total is None:
        total = "many"
    else:
        total = f"{page.total}" if page.total_is_exact else f"more than {page.total - 1:,}"
    shown = f"{offset + 1}-{offset + len(page.hits)}"
    return f"{shown} of {total} results, by {page.ordered_by}"


def print_json(data: object) -> None:
    click.echo(json.dumps(data, ensure_ascii=False, indent=2))


def main() -> None:
    """Console entry point: a last guard so no traceback ever reaches the user."""
    try:
        cli.main(prog_name="articlebot")
    except SystemExit:
        raise
    except Exception as exc:  # anything unexpected still gets one line, not a traceback
        click.echo(f"error: unexpected {type(exc).__name__}: {exc}", err=True)
        sys.exit(1)


if __name__ == "__main__":
    main()
