"""The CMS hooks endpoint: `POST /hooks/ghost` (Ghost's webhooks) and `POST /hooks/articles`
(articlebot's signed JSON, for any other CMS). README "CMS hooks" says how to connect one.

A hook is checked before anything is read from it — JSON content type, a body of at most
1 MB arriving within BODY_SECONDS, a valid signature no more than 5 minutes old — and
refused otherwise with nothing stored (415, 413, 408, 401). Its JSON is then read (at most
MAX_DEPTH deep: 400 otherwise), stored and queued, and answered: 200 with what was done,
422 with why a signed hook is not a usable article. Ghost gives up on an answer after 2 s
and sends the hook again; one that takes longer to store (the database busy) is answered
503 and finishes anyway, so the retry finds it done.

Served on HOOKS_LISTEN:HOOKS_PORT, and in webhook mode on the webhook server too.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from aiohttp import web

from bot.runtime.http import (
    BODY_SECONDS,
    IDLE_SECONDS,
    MAX_BODY,
    SlowBody,
    json_object,
    read_body,
    too_slow,
)
from bot.sources.hooks import generic, ghost
from bot.sources.hooks.desk import HookDesk
from bot.sources.hooks.payload import Unusable
from bot.sources.hooks.signing import (
    GHOST_HEADER,
    SIGNED_HEADER,
    Refused,
    ghost_signed_at,
    signed_at,
)
from storage import StorageError
from storage.hooks import Hook

log = logging.getLogger(__name__)
ANSWER_SECONDS = 1.5  # under Ghost's 2 s, with the network's share


@dataclass(frozen=True, slots=True)
class Kind:
    """One endpoint: its path, its signature and how its JSON reads."""

    endpoint: str
    path: str
    header: str
    verify: Callable[[str | None, bytes, bytes, float], float]
    read: Callable[[dict[str, Any], float], Hook]


GHOST = Kind(ghost.ENDPOINT, "/hooks/ghost", GHOST_HEADER, ghost_signed_at, ghost.ghost_hook)
SIGNED = Kind(generic.ENDPOINT, "/hooks/articles", SIGNED_HEADER, signed_at, generic.signed_hook)


class HookEndpoint:
    def __init__(
        self,
        desk: HookDesk,
        *,
        ghost_secret: str | None,
        secret: str | None,
        now: Callable[[], float] = time.time,
    ) -> None:
        self.desk = desk
        self._kinds = [
            (kind, key.encode())
            for kind, key in ((GHOST, ghost_secret), (SIGNED, secret))
            if key is not None
        ]
        self._now = now

    def add_routes(self, server: web.Application) -> None:
        for kind, key in self._kinds:
            server.router.add_post(kind.path, self._receiver(kind, key))

    def _receiver(self, kind: Kind, key: bytes) -> Callable[[web.Request], Any]:
        async def receive(request: web.Request) -> web.Response:
            return await self.receive(request, kind, key)

        return receive

    async def receive(self, request: web.Request, kind: Kind, key: bytes) -> web.Response:
        if request.content_type != "application/json":
            return self._refused(kind, 415, "the body must be application/json")
        if (request.content_length or 0) > MAX_BODY:
            return self._refused(kind, 413, "the body is larger than 1 MB")
        try:
            body = await read_body(request, BODY_SECONDS)
        except SlowBody:
            return too_slow()
        try:
            signed = kind.verify(request.headers.get(kind.header), body, key, self._now())
        except Refused as exc:
            return self._refused(kind, 401, str(exc))
        data = json_object(body)
        if data is None:
            return self._refused(kind, 400, "the body is not a JSON object")
        try:
            hook = kind.read(data, signed)
        except Unusable as exc:
            await self.desk.refuse(kind.endpoint, _event_of(data), str(exc))
            return web.json_response({"error": str(exc)}, status=422)
        storing = self.desk.in_background(self.desk.take(hook))
        try:
            applied = await asyncio.wait_for(asyncio.shield(storing), ANSWER_SECONDS)
        except TimeoutError:
            log.warning("hook %s %s still being stored; answered 503", kind.endpoint, hook.post)
            return web.json_response({"error": "busy; send it again"}, status=503)
        except StorageError:  # logged by the desk
            return web.json_response({"error": "not stored; send it again"}, status=503)
        return web.json_response({"outcome": applied.outcome, "article_id": applied.article_id})

    def _refused(self, kind: Kind, status: int, reason: str) -> web.Response:
        log.warning("hook to %s refused (%d): %s", kind.path, status, reason)
        self.desk.turned_away(kind.endpoint)
        return web.json_response({"error": reason}, status=status)


def _event_of(data: dict[str, Any]) -> str:
    event = data.get("event")
    return event[:40] if isinstance(event, str) else "?"


async def serve_hooks(endpoint: HookEndpoint, host: str, port: int) -> web.AppRunner:
    """The hooks on a server of their own (HOOKS_PORT); the caller cleans it up."""
    server = web.Application(client_max_size=MAX_BODY)
    endpoint.add_routes(server)
    runner = web.AppRunner(server, access_log=None, keepalive_timeout=IDLE_SECONDS)
    await runner.setup()
    try:
        site = web.TCPSite(runner, host, port)
        await site.start()
    except BaseException:
        await runner.cleanup()
        raise
    log.info("CMS hooks: listening on %s:%s", host, runner.addresses[0][1])
    return runner
