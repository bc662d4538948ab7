"""Verbs of the running service: run, sandbox, health."""

from __future__ import annotations

import asyncio
import gc
import logging
from typing import TYPE_CHECKING

import click

from bot.cli.base import Context, cli
from storage import StorageError, clock

if TYPE_CHECKING:
    from bot.context import BotApplication
    from config import Settings

GC_YOUNG_THRESHOLD = 10_000  # allocations between young collections; Python's default: 700


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
    from telegram.error import InvalidToken, NetworkError, TelegramError

    from bot.app import build_application
    from bot.runtime import logs
    from bot.runtime.lifecycle import check_token

    logs.configure(settings.log_level, settings.log_format)
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
        raise click.ClickException(f"cannot reach the Bot API: {exc}") from None
    except TelegramError as exc:  # a 403, say, from a proxy in front of the Bot API
        raise click.ClickException(f"the Bot API refused us: {exc.message}") from None
    except StorageError as exc:
        raise click.ClickException(str(exc)) from None
    if reason is not None:  # exit non-zero, so a restart policy and the health check see it
        raise click.ClickException(f"stopped: {reason}")


@cli.command()
@click.option(
    "--subscribers",
    default=20,
    type=click.IntRange(0, 10_000),
    show_default=True,
    help="Simulated subscribers, to watch a broadcast's progress.",
)
@click.option(
    "--lang",
    "language",
    default="en",
    show_default=True,
    help="The language your Telegram is set to (en, es, ...): the bot answers in it.",
)
def sandbox(subscribers: int, language: str) -> None:
    """Try the bot offline: a stand-in Telegram, demo articles, a chat in this terminal."""
    start_sandbox(subscribers, language)


def start_sandbox(subscribers: int, language: str = "en") -> None:
    from bot.sandbox.terminal import run_sandbox

    # The sandbox is a conversation: what the bot logs as routine (a refused stranger, a
    # retried send) would interleave with it. Errors still show.
    logging.basicConfig(level=logging.ERROR, format="(log) %(levelname)s %(name)s: %(message)s")
    try:
        asyncio.run(run_sandbox(subscribers, language))
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
    from bot.runtime.running import polling, until_stopped

    if settings.bot_mode == "webhook":
        from bot.runtime.webhook import serving_webhook

        async with serving_webhook(application, settings):
            return await until_stopped(application)
    async with polling(application):
        return await until_stopped(application)


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
                answer = await response.json(content_type=None)
            return f"ok: {url} ({answer.get('role', 'leader')})"
        from bot.runtime.health import problems, replicas

        storage = await ctx.open_storage(migrate=False)
        async with storage:
            found = problems(await storage.heartbeats(), clock.time())
            running = replicas(await storage.replicas.seen(), clock.time())
        if found:
            raise click.ClickException(f"unhealthy: {'; '.join(found)}")
        return f"ok: receiving updates and sending; {running}"

    try:
        click.echo(asyncio.run(check()))
    except (StorageError, OSError) as exc:  # refused connections and timeouts are OSErrors
        raise click.ClickException(f"unhealthy: {exc}") from None
