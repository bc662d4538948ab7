"""Webhook mode: Telegram POSTs updates to us; an aiohttp server takes them.

Only requests carrying our `X-Telegram-Bot-Api-Secret-Token` are accepted (403 otherwise).
Telegram may deliver an update again when an answer is slow, and behind a load balancer
the repeat may reach another replica: an update is taken for the handlers by claiming its
`update_id` in the database (storage.replicas), and a repeated one is acknowledged and
dropped, whichever replica took it. An update python-telegram-bot cannot parse is logged and
acknowledged (bot.api.updates), never retried forever. `GET /healthz` answers load balancers:
healthy while the bot runs and its delivery worker works.
"""

from __future__ import annotations

import hmac
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from urllib.parse import urlsplit

from aiohttp import web
from telegram import Update

from bot.api.updates import parsed
from bot.app import ALLOWED_UPDATES
from bot.context import BotApplication
from bot.runtime.http import (
    BODY_SECONDS,
    IDLE_SECONDS,
    MAX_BODY,
    SlowBody,
    json_object,
    read_body,
    too_slow,
)
from bot.runtime.running import started
from config import Settings
from storage import StorageError
from storage.kinds import Role

log = logging.getLogger(__name__)
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"


class WebhookReceiver:
    def __init__(self, application: BotApplication, secret: str) -> None:
        self.application = application
        self._secret = secret.encode()

    async def receive(self, request: web.Request) -> web.Response:
        given = request.headers.get(SECRET_HEADER, "").encode()
        if not hmac.compare_digest(given, self._secret):
            log.warning("webhook request refused: wrong or missing secret token")
            return web.Response(status=403, text="forbidden")
        try:
            body = await read_body(request, BODY_SECONDS)
        except SlowBody:
            return too_slow()
        data = json_object(body)
        try:
            update_id = int((data or {})["update_id"])
        except (KeyError, TypeError, ValueError):
            return web.Response(status=400, text="not an update")
        assert data is not None
        # Parsed once: one that cannot be is reduced to its id (acknowledged, skipped).
        # Claimed just before it is handed to the handlers: an update that failed before
        # that is answered 500 and comes again, instead of being dropped as a repeat.
        update = parsed(data, self.application.bot) or Update(update_id=update_id)
        storage = self.application.bot_data.storage
        assert storage is not None
        try:
            taken = await storage.replicas.take_update(update_id)
        except StorageError as exc:  # Telegram sends it again
            log.warning("update_id=%s not taken, the database did not answer: %s", update_id, exc)
            return web.Response(status=503, text="busy")
        if not taken:
            log.info("repeated update_id=%s ignored", update_id)
            return web.Response(text="ok")
        await self.application.update_queue.put(update)
        return web.Response(text="ok")

    async def health(self, request: web.Request) -> web.Response:
        """Healthy while the bot runs and, on the leader, its delivery worker works; says
        which this replica is (a standby serves updates too)."""
        data = self.application.bot_data
        role = Role.LEADER if data.leadership is None else data.leadership.role
        worker_ok = role is Role.STANDBY or data.worker is None or data.worker.healthy
        healthy = self.application.running and worker_ok
        return web.json_response({"ok": healthy, "role": role}, status=200 if healthy else 503)


@asynccontextmanager
async def serving_webhook(application: BotApplication, settings: Settings) -> AsyncIterator[int]:
    """The bot started, its webhook registered and the server listening; yields the port."""
    assert settings.webhook_url is not None
    assert settings.webhook_secret is not None
    secret = settings.webhook_secret.get_secret_value()
    receiver = WebhookReceiver(application, secret)
    server = web.Application(client_max_size=MAX_BODY)
    server.router.add_post(urlsplit(settings.webhook_url).path or "/", receiver.receive)
    server.router.add_get("/healthz", receiver.health)
    if application.bot_data.metrics is not None:
        server.router.add_get("/metrics", application.bot_data.metrics.handle)
    runner = web.AppRunner(server, access_log=None, keepalive_timeout=IDLE_SECONDS)
    async with started(application):
        if application.bot_data.hooks is not None:
            application.bot_data.hooks.add_routes(server)
        await runner.setup()
        try:
            site = web.TCPSite(runner, settings.webhook_listen, settings.webhook_port)
            await site.start()
            port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
            await application.bot.set_webhook(
                settings.webhook_url, secret_token=secret, allowed_updates=ALLOWED_UPDATES
            )
            log.info("webhook mode: listening on %s:%s", settings.webhook_listen, port)
            yield port
        finally:
            await runner.cleanup()
