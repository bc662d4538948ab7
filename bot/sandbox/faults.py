"""What goes wrong, as the stand-in plays it: injected errors (Fault), Telegram's limits,
a Bot API that falls short of the documentation, and outages. Mixed into the stand-in
(bot.sandbox.standin)."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections import deque
from dataclasses import dataclass
from typing import Any

from aiohttp import web

IMPERFECT = {
    "setMyCommands": 404,
    "setChatMenuButton": 404,
    "getChatMember": "ok false",
    "answerCallbackQuery": 404,
    "editMessageText": "ok false",
    "deleteMessage": 404,
}
OUTAGES = frozenset({"502", "reset", "hang"})
BAD_GATEWAY_PAGE = (
    "<html><head><title>502 Bad Gateway</title></head><body><center><h1>502 Bad "
    "Gateway</h1></center><hr><center>nginx</center></body></html>"
)
GATEWAY_TIMEOUT_PAGE = BAD_GATEWAY_PAGE.replace("502 Bad Gateway", "504 Gateway Time-out")


@dataclass
class Fault:
    """An error the stand-in answers instead of succeeding, `times` times; with `body`, that
    JSON answered with HTTP 200 instead (a result python-telegram-bot cannot parse, or an
    `ok: true` without one)."""

    method: str
    error_code: int
    description: str
    retry_after: int | None = None
    migrate_to_chat_id: int | None = None
    chat_id: int | None = None
    times: int = 1
    delay: float = 0.0
    body: dict[str, Any] | None = None


class Faults:
    def __init__(self) -> None:
        # With enforce_limits, sendMessage answers 429 as Telegram would past 30 messages/s
        # overall or 1 message/s to one chat; each such refusal is counted in `throttled`.
        self.enforce_limits = False
        # With imperfect, the stand-in is a Bot API that falls short as some do: the methods
        # of IMPERFECT answer 404 or a bare `{"ok": false}` (with HTTP 200), and messages come
        # without their optional fields and with dates as floats.
        self.imperfect = False
        self.throttled = 0
        self._recent_sends: deque[float] = deque()
        self._last_send_to: dict[int, float] = {}
        self._faults: list[Fault] = []
        self._outage: tuple[str, float] | None = None  # (kind, monotonic end)
        self._outage_ended = asyncio.Event()

    # -- injected errors -------------------------------------------------------------

    def inject(self, fault: Fault) -> None:
        self._faults.append(fault)

    def _take_fault(self, method: str, params: dict[str, Any]) -> Fault | None:
        for fault in self._faults:
            if fault.method == method and fault.chat_id in (None, params.get("chat_id")):
                fault.times -= 1
                if fault.times <= 0:
                    self._faults.remove(fault)
                return fault
        return None

    # -- limits and outages ----------------------------------------------------------

    async def _refusal(self, method: str, params: dict[str, Any]) -> web.Response | None:
        """The answer a limit, an imperfect Bot API or an injected fault gives instead of
        the method's own; None when there is none."""
        if method == "sendMessage" and self.enforce_limits and self._over_limit(params):
            self.throttled += 1
            return error_response(429, "Too Many Requests: retry after 1", {"retry_after": 1})
        if self.imperfect and method in IMPERFECT:
            if IMPERFECT[method] == 404:
                return error_response(404, "Not Found: method not found")
            return web.json_response({"ok": False})
        fault = self._take_fault(method, params)
        if fault is not None:
            await asyncio.sleep(fault.delay)
            if fault.body is not None:
                return web.json_response(fault.body)
            extra: dict[str, Any] = {}
            if fault.retry_after is not None:
                extra["retry_after"] = fault.retry_after
            if fault.migrate_to_chat_id is not None:
                extra["migrate_to_chat_id"] = fault.migrate_to_chat_id
            return error_response(fault.error_code, fault.description, extra)
        return None

    def _over_limit(self, params: dict[str, Any]) -> bool:
        now = time.monotonic()
        while self._recent_sends and self._recent_sends[0] < now - 1.0:
            self._recent_sends.popleft()
        chat_id = params.get("chat_id")
        last = self._last_send_to.get(chat_id) if isinstance(chat_id, int) else None
        if len(self._recent_sends) >= 30 or (last is not None and now - last < 0.95):
            return True
        self._recent_sends.append(now)
        if isinstance(chat_id, int):
            self._last_send_to[chat_id] = now
        return False

    def outage(self, kind: str, seconds: float) -> None:
        """Be unreachable as Telegram or the network is when down, for `seconds`: `502`
        answers every call with a proxy's HTML 502 page, `reset` drops every connection
        unanswered, `hang` holds every call open until the outage ends and then answers a
        504 (the call never reached Telegram)."""
        if kind not in OUTAGES:
            raise ValueError(f"an outage is one of {sorted(OUTAGES)}")
        self._outage = (kind, time.monotonic() + seconds)
        self._outage_ended.clear()

    def end_outage(self) -> None:
        self._outage = None
        self._outage_ended.set()

    @property
    def down(self) -> bool:
        return self._outage is not None and time.monotonic() < self._outage[1]

    async def _unavailable(self, request: web.Request) -> web.Response | None:
        if self._outage is None or not self.down:
            return None
        kind, until = self._outage
        if kind == "reset":
            assert request.transport is not None
            request.transport.abort()
            return web.Response(status=502)  # never arrives: the connection is gone
        if kind == "hang":
            with contextlib.suppress(TimeoutError):  # or ended early by end_outage
                await asyncio.wait_for(self._outage_ended.wait(), until - time.monotonic())
            return web.Response(status=504, text=GATEWAY_TIMEOUT_PAGE, content_type="text/html")
        return web.Response(status=502, text=BAD_GATEWAY_PAGE, content_type="text/html")


def error_response(
    code: int, description: str, parameters: dict[str, Any] | None = None
) -> web.Response:
    body: dict[str, Any] = {"ok": False, "error_code": code, "description": description}
    if parameters:
        body["parameters"] = parameters
    return web.json_response(body, status=code)
