"""A small Telegram Bot API served over HTTP on 127.0.0.1.

The real bot talks to it through `TELEGRAM_API_URL` exactly as it talks to Telegram. It
records every call, answers with Bot API-shaped objects, lets a caller push updates the way a
user would produce them (messages, commands, button presses, inline queries), and injects
faults (429 with retry_after, 403, 400 with migrate_to_chat_id, 5xx, slow answers, answers
that are not what the Bot API promises).

    async with BotApiStandIn() as api:
        settings = Settings(bot_token=api.token, telegram_api_url=api.base_url)
        api.push_command("/latest", chat=api.private_chat(42))
        call = await api.wait_for("sendMessage", chat_id=42)
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import json
import time
from collections import deque
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from types import TracebackType
from typing import Any

from aiohttp import ClientSession, web

from bot.sandbox.messages import BOT_USER, Call
from bot.sandbox.rules import ApiError
from bot.sandbox.users import Users

TOKEN = "123456:TEST-standin-token-not-secret"
# Form fields that PTB sends JSON-encoded; everything else is a plain string.
JSON_FIELDS = frozenset(
    {
        "reply_markup",
        "entities",
        "commands",
        "scope",
        "results",
        "link_preview_options",
        "allowed_updates",
        "button",
        "reply_parameters",
        "rich_message",
        "media",
    }
)
INT_FIELDS = frozenset(
    {
        "chat_id",
        "message_id",
        "offset",
        "limit",
        "timeout",
        "cache_time",
        "user_id",
        "message_thread_id",
        "from_chat_id",
    }
)
IMPERFECT = {
    "setMyCommands": 404,
    "setChatMenuButton": 404,
    "getChatMember": "ok false",
    "answerCallbackQuery": 404,
    "editMessageText": "ok false",
    "deleteMessage": 404,
}
BOOL_FIELDS = frozenset(
    {
        "is_personal",
        "show_alert",
        "disable_notification",
        "allow_paid_broadcast",
        "drop_pending_updates",
    }
)


OUTAGES = frozenset({"502", "reset", "hang"})
MESSAGES = ("sendMessage", "sendPhoto")  # a message sent: text, or a picture and caption
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


class BotApiStandIn(Users):
    def __init__(self, token: str = TOKEN) -> None:
        super().__init__()
        self.token = token
        self.calls: list[Call] = []
        self.chats: dict[int | str, dict[str, Any]] = {}
        self.delay = 0.0
        # With enforce_limits, sendMessage answers 429 as Telegram would past 30 messages/s
        # overall or 1 message/s to one chat; each such refusal is counted in `throttled`.
        self.enforce_limits = False
        # With imperfect, the stand-in is a Bot API that falls short as some do: the methods
        # of IMPERFECT answer 404 or a bare `{"ok": false}` (with HTTP 200), and messages come
        # without their optional fields and with dates as floats.
        self.imperfect = False
        self.polls = 0  # getUpdates requests (not kept in `calls`), answered or refused
        self.throttled = 0
        self._recent_sends: deque[float] = deque()
        self._last_send_to: dict[int, float] = {}
        self._draining = False
        self._faults: list[Fault] = []
        self._outage: tuple[str, float] | None = None  # (kind, monotonic end)
        self._outage_ended = asyncio.Event()
        self._answered: set[object] = set()  # callback queries answered
        self._new_call = asyncio.Condition()
        self._runner: web.AppRunner | None = None
        self.port = 0

    # -- lifecycle -------------------------------------------------------------------

    async def start(self) -> None:
        app = web.Application(client_max_size=50 * 2**20)
        app.router.add_route("*", "/bot{token}/{method}", self._handle)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> BotApiStandIn:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.stop()

    @property
    def base_url(self) -> str:
        """The value for TELEGRAM_API_URL."""
        return f"http://127.0.0.1:{self.port}/bot"

    # -- faults ----------------------------------------------------------------------

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

    # -- what the bot did ------------------------------------------------------------

    def calls_to(self, method: str, **match: Any) -> list[Call]:
        return [c for c in self.calls if c.method == method and _matches(c, match)]

    async def wait_for(
        self,
        method: str | tuple[str, ...],
        *,
        timeout: float = 5.0,
        after: int = 0,
        where: Callable[[Call], bool] | None = None,
        **match: Any,
    ) -> Call:
        """The first call to `method` (or one of them) from index `after` on whose params
        match."""
        methods = (method,) if isinstance(method, str) else method

        def found() -> Call | None:
            for call in self.calls[after:]:
                if call.method in methods and _matches(call, match) and (not where or where(call)):
                    return call
            return None

        async with self._new_call:
            try:
                await asyncio.wait_for(self._new_call.wait_for(found), timeout)
            except TimeoutError:
                seen = [
                    (c.method, {k: v for k, v in c.params.items() if k != "_result"})
                    for c in self.calls[after:]
                ][-10:]
                raise AssertionError(
                    f"no {method} call matching {match}; last calls: {seen}"
                ) from None
        call = found()
        assert call is not None
        return call

    async def deliver_to_webhook(
        self, update: dict[str, Any], *, secret: str | None = None
    ) -> int:
        """POST an update to the webhook the bot registered, as Telegram does; returns the
        HTTP status. `secret` overrides the registered secret token (None: send it)."""
        registered = self.calls_to("setWebhook")[-1]
        token = registered.get("secret_token") if secret is None else secret
        headers = {"X-Telegram-Bot-Api-Secret-Token": token} if token else {}
        async with (
            ClientSession() as session,
            session.post(registered["url"], json=update, headers=headers) as response,
        ):
            return response.status

    def update(self, kind: str, payload: dict[str, Any]) -> dict[str, Any]:
        """A raw update, not queued (for webhook delivery)."""
        return {"update_id": next(self._update_ids), kind: payload}

    def drain(self) -> None:
        """Answer long polls at once from now on, so a bot polling us can stop quickly."""
        self._draining = True
        self._new_update.set()

    def mark(self) -> int:
        """An index to pass as `after=` so that only later calls count."""
        return len(self.calls)

    # -- HTTP ------------------------------------------------------------------------

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

    async def _handle(self, request: web.Request) -> web.Response:
        if (unavailable := await self._unavailable(request)) is not None:
            if request.match_info["method"] == "getUpdates":
                self.polls += 1
            return unavailable
        if request.match_info["token"] != self.token:
            return _error(401, "Unauthorized")
        method = request.match_info["method"]
        params = await _read_params(request)
        if self.delay:
            await asyncio.sleep(self.delay)
        response = await self._answer(method, params)
        if method == "getUpdates":
            self.polls += 1
        else:  # recorded once answered: waiters see the result too
            await self._record(Call(method, params))
        return response

    async def _answer(self, method: str, params: dict[str, Any]) -> web.Response:
        if method == "sendMessage" and self.enforce_limits and self._over_limit(params):
            self.throttled += 1
            return _error(429, "Too Many Requests: retry after 1", {"retry_after": 1})
        if self.imperfect and method in IMPERFECT:
            if IMPERFECT[method] == 404:
                return _error(404, "Not Found: method not found")
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
            return _error(fault.error_code, fault.description, extra)
        handler = getattr(self, "_api_" + method, None)
        if handler is None or (method == "sendRichMessage" and not self.rich_messages):
            return _error(404, "Not Found: method not found")
        try:
            result = await handler(params)
        except ApiError as exc:
            return _error(400, exc.description)
        if method != "getUpdates":
            params["_result"] = result
        return web.json_response({"ok": True, "result": result})

    def _has_calls_after(self, index: int) -> bool:
        return len(self.calls) > index

    async def follow(self, start: int = 0) -> AsyncIterator[Call]:
        """Every call from index `start` on, as it is made; never ends by itself."""
        index = start
        while True:
            async with self._new_call:
                await self._new_call.wait_for(functools.partial(self._has_calls_after, index))
                new = self.calls[index:]
            index += len(new)
            for call in new:
                yield call

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

    def delivered(self, chat_id: int | None = None) -> list[Call]:
        """Successful sendMessage and sendPhoto calls (to `chat_id`)."""
        return [
            c
            for c in self.calls
            if c.method in ("sendMessage", "sendPhoto")
            and "_result" in c.params
            and (chat_id is None or c.get("chat_id") == chat_id)
        ]

    async def _record(self, call: Call) -> None:
        async with self._new_call:
            self.calls.append(call)
            self._new_call.notify_all()

    # -- Bot API methods -------------------------------------------------------------

    async def _api_getMe(self, params: dict[str, Any]) -> Any:
        return BOT_USER

    async def _api_getUpdates(self, params: dict[str, Any]) -> Any:
        offset = int(params.get("offset") or 0)
        timeout = float(params.get("timeout") or 0)
        self._updates = [u for u in self._updates if u["update_id"] >= offset]
        if not self._updates and timeout and not self._draining:
            self._new_update.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._new_update.wait(), min(timeout, 1.0))
        limit = int(params.get("limit") or 100)
        return self._updates[:limit]

    async def _api_deleteWebhook(self, params: dict[str, Any]) -> Any:
        return True

    async def _api_setWebhook(self, params: dict[str, Any]) -> Any:
        return True

    async def _api_setMyCommands(self, params: dict[str, Any]) -> Any:
        return True

    async def _api_answerCallbackQuery(self, params: dict[str, Any]) -> Any:
        """A press is answered once (answerCallbackQuery's `callback_query_id` is spent)."""
        query_id = params.get("callback_query_id")
        if query_id in self._answered:
            raise ApiError(
                "Bad Request: query is too old and response timeout expired or query ID is invalid"
            )
        self._answered.add(query_id)
        return True

    async def _api_answerInlineQuery(self, params: dict[str, Any]) -> Any:
        results = params.get("results") or []
        if len(results) > 50:
            raise ApiError("Bad Request: RESULTS_TOO_MUCH")
        return True

    async def _api_getChat(self, params: dict[str, Any]) -> Any:
        chat = self.chats.get(params["chat_id"])
        if chat is None:
            raise ApiError("Bad Request: chat not found")
        return {"accent_color_id": 0, "max_reaction_count": 11, **chat}  # ChatFullInfo

    async def _api_getChatMember(self, params: dict[str, Any]) -> Any:
        member = self.chat_members.get((params["chat_id"], params["user_id"]))
        if member is None:
            if params["chat_id"] not in {key[0] for key in self.chat_members}:
                raise ApiError("Bad Request: chat not found")
            return self.member(self.user(params["user_id"]))
        return member


def _error(code: int, description: str, parameters: dict[str, Any] | None = None) -> web.Response:
    body: dict[str, Any] = {"ok": False, "error_code": code, "description": description}
    if parameters:
        body["parameters"] = parameters
    return web.json_response(body, status=code)


def _matches(call: Call, match: dict[str, Any]) -> bool:
    return all(call.params.get(key) == value for key, value in match.items())


async def _read_params(request: web.Request) -> dict[str, Any]:
    if request.content_type == "application/json":
        data = await request.json()
        return dict(data) if isinstance(data, dict) else {}
    raw = dict(await request.post()) if request.can_read_body else dict(request.query)
    params: dict[str, Any] = {}
    for key, value in raw.items():
        if isinstance(value, web.FileField):
            params[key] = value.file.read()  # an uploaded file, as bytes
            continue
        if not isinstance(value, str):
            continue
        if key in JSON_FIELDS:
            params[key] = json.loads(value)
        elif key in INT_FIELDS and value.lstrip("-").isdigit():
            params[key] = int(value)
        elif key in BOOL_FIELDS:
            params[key] = value == "true"
        else:
            params[key] = value
    return params
