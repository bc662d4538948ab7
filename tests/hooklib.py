"""Hooks as a CMS sends them: Ghost's payloads (built on tests/fixtures/hooks, shaped as
Ghost's documented webhook payload) and articlebot's signed JSON, signed and POSTed."""

from __future__ import annotations

import copy
import json
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import aiohttp

from bot.sources.hooks.signing import GHOST_HEADER, SIGNED_HEADER, sign, sign_ghost

GHOST_SECRET = "ghost-secret-0123456789abcdef"
HOOKS_SECRET = "hooks-secret-0123456789abcdef"
POST = json.loads((Path(__file__).parent / "fixtures/hooks/ghost_post.json").read_text())


def stamp(moment: datetime) -> str:
    """As Ghost writes its dates."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z")


def ghost_post(minutes_ago: float = 1, **fields: Any) -> dict[str, Any]:
    """The fixture post, last changed `minutes_ago`, with `fields` changed."""
    post = copy.deepcopy(POST)
    changed = datetime.now(UTC) - timedelta(minutes=minutes_ago)
    post.update(updated_at=stamp(changed), published_at=stamp(changed))
    post.update(fields)
    return post


def ghost_payload(current: dict[str, Any], previous: dict[str, Any]) -> dict[str, Any]:
    return {"post": {"current": current, "previous": previous}}


def published(post: dict[str, Any]) -> dict[str, Any]:
    """post.published: the status changed from draft."""
    return ghost_payload(post, {"status": "draft", "updated_at": post["updated_at"]})


def edited(post: dict[str, Any], **before: Any) -> dict[str, Any]:
    """post.published.edited: `before` holds the changed fields' old values."""
    return ghost_payload(
        post, {"updated_at": stamp(datetime.now(UTC) - timedelta(hours=1)), **before}
    )


def unpublished(post: dict[str, Any]) -> dict[str, Any]:
    return ghost_payload({**post, "status": "draft"}, {"status": "published"})


def deleted(post: dict[str, Any]) -> dict[str, Any]:
    return ghost_payload({}, post)


class HookClient:
    """POSTs hooks to a running bot's endpoint."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.session = aiohttp.ClientSession()

    async def close(self) -> None:
        await self.session.close()

    async def ghost(
        self, payload: dict[str, Any], *, secret: str = GHOST_SECRET, at_ms: int | None = None
    ) -> tuple[int, dict[str, Any]]:
        body = json.dumps(payload).encode()
        signature = sign_ghost(body, secret.encode(), at_ms or int(time.time() * 1000))
        return await self.post("/hooks/ghost", body, {GHOST_HEADER: signature})

    async def signed(
        self, payload: dict[str, Any], *, secret: str = HOOKS_SECRET, at: int | None = None
    ) -> tuple[int, dict[str, Any]]:
        body = json.dumps(payload).encode()
        signature = sign(body, secret.encode(), at or int(time.time()))
        return await self.post("/hooks/articles", body, {SIGNED_HEADER: signature})

    async def post(
        self,
        path: str,
        body: Any,  # bytes, a file or an async iterator of bytes
        headers: dict[str, str],
        content_type: str = "application/json",
    ) -> tuple[int, dict[str, Any]]:
        async with self.session.post(
            self.base + path, data=body, headers={"Content-Type": content_type, **headers}
        ) as response:
            try:
                answer = await response.json(content_type=None)
            except ValueError:
                answer = {"text": await response.text()}
            return response.status, answer
