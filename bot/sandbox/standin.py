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
from collections.abc import AsyncIterator, Callable
from types import TracebackType
from typing import Any

from aiohttp import ClientSession, web

from bot.sandbox.faults import Faults, error_response
from bot.sandbox.messages import BOT_USER, Call
from bot.sandbox.rules import ApiError
from bot.sandbox.users import Users

TOKEN = "123456:TEST-standin-token-not-secret"
POLL_CONFLICT = (
    "Conflict: terminated by other getUpdates request; make sure that only one bot instance "
    "is running"
)
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
BOOL_FIELDS = frozenset(
    {
        "is_personal",
        "show_alert",
        "disable_notification",
        "allow_paid_broadcast",
        "drop_pending_updates",
    }
)


MESSAGES = ("sendMessage", "sendPhoto")  # a message sent: text, or a picture and caption


class BotApiStandIn(Users, Faults):
    def __init__(self, token: str = TOKEN) -> None:
        super().__init__()
        self.token = token
        self.calls: list[Call] = []
        self.delay = 0.0
        self.polls = 0  # getUpdates requests (not kept in `calls`), answered or refused
        self.polls_begun = 0  # getUpdates requests that arrived, so far
        self._draining = False
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

    async def _handle(self, request: web.Request) -> web.Response:
        if (unavailable := await self._unavailable(request)) is not None:
            if request.match_info["method"] == "getUpdates":
                self.polls += 1
            return unavailable
        if request.match_info["token"] != self.token:
            return error_response(401, "Unauthorized")
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
        if (refused := await self._refusal(method, params)) is not None:
            return refused
        handler = getattr(self, "_api_" + method, None)
        if handler is None or (method == "sendRichMessage" and not self.rich_messages):
            return error_response(404, "Not Found: method not found")
        try:
            result = await handler(params)
        except ApiError as exc:
            return error_response(exc.code, exc.description)
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
        """Long polling, one consumer: a getUpdates made while another is waiting ends the
        older one with 409 Conflict, as Telegram does when two instances poll."""
        offset = int(params.get("offset") or 0)
        timeout = float(params.get("timeout") or 0)
        self.polls_begun += 1
        mine = self.polls_begun
        self._new_update.set()  # an older poll still waiting wakes, and finds itself ended
        self._updates = [u for u in self._updates if u["update_id"] >= offset]
        if not self._updates and timeout and not self._draining:
            self._new_update.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._new_update.wait(), min(timeout, 1.0))
            if self.polls_begun != mine:
                raise ApiError(POLL_CONFLICT, code=409)
        limit = int(params.get("limit") or 100)
        return self._updates[:limit]

    async def _api_deleteWebhook(self, params: dict[str, Any]) -> Any:
        return True

    async def _api_setWebhook(self, params: dict[str, Any]) -> Any:
        return True

    async def _api_setMyCommands(self, params: dict[str, Any]) -> Any:
        return True


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
