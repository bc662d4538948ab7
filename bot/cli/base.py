"""The `articlebot` command's group and what every verb shares.

Each verb imports what it uses when it runs, so that `--help` or a search in the archive
never pays for loading the Telegram stack, aiohttp or the feed and page readers.
"""

from __future__ import annotations

import asyncio
import functools
import json
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, Concatenate, ParamSpec, TypeVar

import click

from bot.runtime import logs

if TYPE_CHECKING:
    from config import Settings
    from storage import Storage

P = ParamSpec("P")
T = TypeVar("T")


def expected_errors() -> tuple[type[Exception], ...]:
    """What a verb can expect to go wrong; anything else is a bug and still gets one line
    (bot.cli.main)."""
    from bot.sources.errors import FeedError, FetchError, OpmlError
    from storage import StorageError

    return (StorageError, FeedError, FetchError, OpmlError)


class Context:
    """What every verb gets: the settings, read once."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    async def open_storage(self, *, migrate: bool = True, create: bool = False) -> Storage:
        """The store; only a verb that `create`s may start a new one (a mistyped --db must
        not silently give an empty archive)."""
        from storage import Storage
        from storage.errors import DatabaseUnavailable

        where = self.settings.database
        if isinstance(where, Path) and not create and not await asyncio.to_thread(where.exists):
            raise DatabaseUnavailable(
                f"there is no database at {where} (a typo in --db or DATABASE_PATH?); "
                "`articlebot db migrate` creates one"
            )
        return await Storage.open(
            where,
            busy_timeout=self.settings.database_timeout,
            migrate=migrate,
        )


def with_storage(
    func: Callable[Concatenate[Storage, P], Awaitable[None]],
) -> Callable[P, None]:
    """Run an async verb with the existing store, expected failures as one line."""
    return storage_verb(func, create=False)


def creating_storage(
    func: Callable[Concatenate[Storage, P], Awaitable[None]],
) -> Callable[P, None]:
    """As `with_storage`, for a verb that may start a new archive (add, db migrate)."""
    return storage_verb(func, create=True)


def storage_verb(
    func: Callable[Concatenate[Storage, P], Awaitable[None]], *, create: bool
) -> Callable[P, None]:
    @click.pass_obj
    @functools.wraps(func)
    def wrapper(ctx: Context, /, *args: P.args, **kwargs: P.kwargs) -> None:
        run_with_storage(ctx, lambda storage: func(storage, *args, **kwargs), create=create)

    return wrapper


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--db",
    "database",
    metavar="PATH|URL",
    help="SQLite file or postgresql:// URL (default: DATABASE_URL, else DATABASE_PATH, "
    "else data/articlebot.db).",
)
@click.version_option(package_name="articlebot")
@click.pass_context
def cli(click_ctx: click.Context, database: str | None) -> None:
    """articlebot: distribute a publication's articles on Telegram."""
    from config import SettingsError, load_settings  # pydantic: only once a verb runs
    from config.settings import store_location

    overrides: dict[str, Any] = {}
    where = store_location(database) if database else None
    if isinstance(where, str):
        overrides["database_url"] = where
    elif where is not None:
        overrides["database_path"], overrides["database_url"] = where, None

    try:
        settings = load_settings(**overrides)
    except SettingsError as exc:
        raise click.ClickException(str(exc)) from None
    logs.keep_secret(*settings.secrets)
    click_ctx.obj = Context(settings)


def run_with_storage(
    ctx: Context, action: Callable[[Storage], Awaitable[object]], *, create: bool = False
) -> None:
    """Open the store, run `action`, close; expected failures become one line."""

    async def run() -> None:
        storage = await ctx.open_storage(create=create)
        async with storage:
            await action(storage)

    try:
        asyncio.run(run())
    except expected_errors() as exc:
        raise click.ClickException(str(exc)) from None


def page_options(func: Callable[P, T]) -> Callable[P, T]:
    func = click.option("--json", "as_json", is_flag=True, help="Print JSON.")(func)
    func = click.option("--offset", default=0, type=click.IntRange(min=0), show_default=True)(func)
    return click.option(
        "-n", "--limit", default=10, type=click.IntRange(1, 1000), show_default=True
    )(func)


def counted(count: int, noun: str) -> str:
    """`1 item`, `2 items`: the command line speaks English only."""
    return f"{count:,} {noun}{'' if count == 1 else 's'}"


def print_json(data: object) -> None:
    click.echo(json.dumps(data, ensure_ascii=False, indent=2))
