"""What the bot's HTTP endpoints (Telegram's webhook, the CMS hooks) share: how long a
stranger may take, how much a body may weigh, and JSON read without trusting it."""

from __future__ import annotations

import asyncio
import json
from typing import Any

from aiohttp import web

# A connection that sends no complete request in this long is closed (aiohttp's keep-alive
# timer also runs before the first request), and a body must arrive within BODY_SECONDS:
# a stranger cannot hold connections open by sending nothing, or a byte a second.
IDLE_SECONDS = 15.0
BODY_SECONDS = 10.0
MAX_BODY = 1024**2  # aiohttp's own limit, said here: an update or a post is far smaller
MAX_DEPTH = 64  # JSON nesting; an update nests about ten deep, a Ghost post six


class SlowBody(Exception):
    """The body did not arrive in time."""


async def read_body(request: web.Request, seconds: float) -> bytes:
    """The whole body within `seconds` (`SlowBody`); one over the server's `client_max_size`
    is answered 413 by aiohttp."""
    try:
        async with asyncio.timeout(seconds):
            return await request.read()
    except TimeoutError:
        raise SlowBody from None


def too_slow() -> web.Response:
    slow = web.Response(status=408, text="the body came too slowly")
    slow.force_close()  # the rest of that body is not waited for
    return slow


def json_object(body: bytes) -> dict[str, Any] | None:
    """A JSON object nested at most MAX_DEPTH deep, or None (not JSON, or an attack)."""
    try:
        data = json.loads(body)
    except (ValueError, RecursionError):  # 100,000 `[` exhaust the parser's stack
        return None
    if not isinstance(data, dict):
        return None
    levels: list[tuple[dict[str, Any] | list[Any], int]] = [(data, 1)]
    while levels:
        value, depth = levels.pop()
        if depth > MAX_DEPTH:
            return None
        children = value.values() if isinstance(value, dict) else value
        levels.extend((child, depth + 1) for child in children if isinstance(child, dict | list))
    return data
