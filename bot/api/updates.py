"""Updates as Telegram sends them: each is processed or acknowledged, never lost or looped on.

python-telegram-bot parses a batch of updates as a whole: one it cannot parse (a field newer
than the installed version, a malformed test server) fails the batch, which is then fetched
again and again while every later update waits. Here each update is checked on its own
before python-telegram-bot sees it; one that cannot be read is logged once, with its id and
size, and reduced to its id, so that it is acknowledged and the rest go on.

`UpdatesRequest` is the polling connection. It also notes when Telegram last answered (for
health checks) and turns a 401 or 404, which python-telegram-bot answers by ending its
polling loop for good and leaving the process up but deaf, into a request to stop the bot.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Callable
from typing import Any

from telegram import Bot, Update
from telegram._utils.types import ODVInput
from telegram.error import NetworkError
from telegram.request import BaseRequest, RequestData

from bot.api.transport import AiohttpRequest
from storage import clock

log = logging.getLogger(__name__)
NO_UPDATES = b'{"ok": true, "result": []}'
REJECTED = {
    401: "Unauthorized: check BOT_TOKEN",
    404: "Not Found: check BOT_TOKEN and TELEGRAM_API_URL",
}


def parsed(update: dict[str, Any], bot: Bot | None) -> Update | None:
    """The update as python-telegram-bot reads it, or None (logged once, with its id and
    size) when it cannot."""
    try:
        return Update.de_json(update, bot)
    except Exception as exc:
        size = len(json.dumps(update))
        log.warning(
            "update_id=%s (%d bytes) cannot be read, acknowledged and skipped: %s: %s",
            update.get("update_id"),
            size,
            type(exc).__name__,
            exc,
        )
        return None


def readable(update: dict[str, Any]) -> dict[str, Any]:
    """The update if python-telegram-bot can parse it; else only its id, so that it is
    acknowledged and skipped."""
    return update if parsed(update, None) is not None else {"update_id": update["update_id"]}


def readable_batch(body: bytes) -> bytes:
    """A getUpdates answer with each update made readable; unchanged when all are."""
    try:
        answer = json.loads(body)
        updates = answer["result"]
        checked = [readable(update) for update in updates]
    except (ValueError, KeyError, TypeError):
        return body  # not a batch of updates: python-telegram-bot reports it as it is
    if checked == updates:
        return body
    answer["result"] = checked
    return json.dumps(answer).encode()


class UpdatesRequest(AiohttpRequest):
    __slots__ = ("_closing", "_on_answer", "_on_rejected", "_rejected", "answered_at")

    def __init__(
        self, on_rejected: Callable[[str], None], on_answer: Callable[[], None] = lambda: None
    ) -> None:
        super().__init__(connection_pool_size=1)
        self._on_rejected = on_rejected
        self._on_answer = on_answer
        self._rejected = False
        self._closing = False
        self.answered_at = clock.time()  # wall clock: health checks read it from elsewhere

    def closing(self) -> None:
        """Polling stops: python-telegram-bot asks once more, only to confirm what it got. If
        that fails, those updates come again at the next start; one line says so, instead of
        python-telegram-bot's traceback."""
        self._closing = True

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        write_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        connect_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        pool_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
    ) -> tuple[int, bytes]:
        if self._rejected:
            # The bot is stopping: "no updates" keeps python-telegram-bot's loop quiet (it
            # would log a traceback for the same answer) until it is stopped.
            await asyncio.sleep(0.1)
            return 200, NO_UPDATES
        try:
            status, body = await super().do_request(
                url,
                method,
                request_data,
                read_timeout,
                write_timeout,
                connect_timeout,
                pool_timeout,
            )
        except NetworkError as exc:
            if not self._closing:
                raise
            status, body = 0, str(exc).encode()
        if self._closing and status != 200:
            log.warning(
                "could not confirm the last updates to Telegram (%s); they may come "
                "again at the next start",
                status or body.decode(),
            )
            return 200, NO_UPDATES
        if status in REJECTED:
            self._rejected = True
            self._on_rejected(f"the Bot API answered getUpdates with {status} {REJECTED[status]}")
            return 200, NO_UPDATES
        if status == 200:
            self.answered_at = clock.time()
            self._on_answer()
            return status, readable_batch(body)
        return status, body
