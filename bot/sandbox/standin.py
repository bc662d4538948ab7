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
import itertools
import json
import time
from collections import OrderedDict, deque
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any

from aiohttp import ClientSession, web

from bot.sandbox.rich import check_rich_message
from bot.sandbox.rules import ApiError, check_text, command_entities

TOKEN = "123456:TEST-standin-token-not-secret"
BOT_USER = {
    "id": 123456,
    "is_bot": True,
    "first_name": "Articlebot",
    "username": "articlebot_test_bot",
    "can_join_groups": True,
    "can_read_all_group_messages": False,
    "supports_inline_queries": True,
}
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
SHOWN_KEPT = 10_000  # messages whose content the stand-in remembers
BAD_GATEWAY_PAGE = (
    "<html><head><title>502 Bad Gateway</title></head><body><center><h1>502 Bad "
    "Gateway</h1></center><hr><center>nginx</center></body></html>"
)
GATEWAY_TIMEOUT_PAGE = BAD_GATEWAY_PAGE.replace("502 Bad Gateway", "504 Gateway Time-out")


@dataclass
class Call:
    """One Bot API request the bot made."""

    method: str
    params: dict[str, Any]
    at: float = field(default_factory=time.monotonic)

    def __getitem__(self, key: str) -> Any:
        return self.params[key]

    def get(self, key: str, default: Any = None) -> Any:
        return self.params.get(key, default)

    @property
    def text(self) -> str:
        """What the message shows: its text, or a photo's caption."""
        return str(self.params.get("text", self.params.get("caption", "")))

    @property
    def buttons(self) -> list[list[dict[str, Any]]]:
        markup = self.params.get("reply_markup") or {}
        rows: list[list[dict[str, Any]]] = markup.get("inline_keyboard", [])
        return rows

    def button_texts(self) -> list[str]:
        return [b["text"] for row in self.buttons for b in row]

    def button_data(self) -> list[str]:
        return [b["callback_data"] for row in self.buttons for b in row if "callback_data" in b]


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


class BotApiStandIn:
    def __init__(self, token: str = TOKEN) -> None:
        self.token = token
        self.calls: list[Call] = []
        self.chat_members: dict[tuple[int, int], dict[str, Any]] = {}
        self.chats: dict[int | str, dict[str, Any]] = {}
        self.delay = 0.0
        # With enforce_limits, sendMessage answers 429 as Telegram would past 30 messages/s
        # overall or 1 message/s to one chat; each such refusal is counted in `throttled`.
        self.enforce_limits = False
        # With imperfect, the stand-in is a Bot API that falls short as some do: the methods
        # of IMPERFECT answer 404 or a bare `{"ok": false}` (with HTTP 200), and messages come
        # without their optional fields and with dates as floats.
        self.imperfect = False
        self.messages_sent = 0  # successful sendMessage calls, counted cheaply
        # Picture URLs Telegram cannot fetch: sendPhoto and editMessageMedia answer as it
        # does. Without rich_messages, sendRichMessage is a method this Bot API lacks.
        self.unreachable_photos: set[str] = set()
        self.rich_messages = True
        self.polls = 0  # getUpdates requests (not kept in `calls`), answered or refused
        self.throttled = 0
        self._recent_sends: deque[float] = deque()
        self._last_send_to: dict[int, float] = {}
        self._draining = False
        self._faults: list[Fault] = []
        self._outage: tuple[str, float] | None = None  # (kind, monotonic end)
        self._outage_ended = asyncio.Event()
        self._answered: set[object] = set()  # callback queries answered
        # What each message the bot sent shows now (text as read, markup), so that an edit
        # that changes nothing is refused as Telegram refuses it. The oldest are forgotten.
        self._shown: OrderedDict[tuple[Any, Any], tuple[str, Any, Any]] = OrderedDict()
        self._updates: list[dict[str, Any]] = []
        self._update_ids = itertools.count(1)
        self._message_ids = itertools.count(1000)
        self._new_update = asyncio.Event()
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

    # -- what a user does ------------------------------------------------------------

    @staticmethod
    def user(user_id: int = 42, language_code: str = "en", **extra: Any) -> dict[str, Any]:
        return {
            "id": user_id,
            "is_bot": False,
            "first_name": f"User{user_id}",
            "language_code": language_code,
            **extra,
        }

    @staticmethod
    def private_chat(chat_id: int = 42) -> dict[str, Any]:
        return {"id": chat_id, "type": "private", "first_name": f"User{chat_id}"}

    @staticmethod
    def group_chat(chat_id: int = -100_123, title: str = "Group", **extra: Any) -> dict[str, Any]:
        return {"id": chat_id, "type": "supergroup", "title": title, **extra}

    @staticmethod
    def channel(chat_id: int = -100_777, username: str = "news") -> dict[str, Any]:
        return {"id": chat_id, "type": "channel", "title": username.title(), "username": username}

    @staticmethod
    def member(user: dict[str, Any], status: str = "member") -> dict[str, Any]:
        """A ChatMember of `status` (member, left, kicked, creator)."""
        extra: dict[str, Any] = {"is_anonymous": False} if status == "creator" else {}
        if status == "kicked":
            extra["until_date"] = 0
        return {"status": status, "user": user, **extra}

    @staticmethod
    def administrator(user: dict[str, Any], can_post_messages: bool = True) -> dict[str, Any]:
        rights = (
            "can_be_edited can_manage_chat can_delete_messages can_manage_video_chats "
            "can_restrict_members can_promote_members can_change_info can_invite_users "
            "can_post_stories can_edit_stories can_delete_stories"
        ).split()
        return {
            "status": "administrator",
            "user": user,
            "is_anonymous": False,
            **dict.fromkeys(rights, False),
            "can_post_messages": can_post_messages,
        }

    def set_member(self, chat_id: int, member: dict[str, Any]) -> None:
        """What getChatMember answers for this chat and member["user"]."""
        self.chat_members[(chat_id, member["user"]["id"])] = member

    def push_membership(
        self, chat: dict[str, Any], old: str, new: str, by: dict[str, Any] | None = None
    ) -> int:
        """The bot's own membership in `chat` changed (blocked, kicked, added back)."""
        payload = {
            "chat": chat,
            "from": by or self.user(),
            "date": int(time.time()),
            "old_chat_member": self.member(BOT_USER, old),
            "new_chat_member": self.member(BOT_USER, new),
        }
        return self.push("my_chat_member", payload)

    def push(self, kind: str, payload: dict[str, Any]) -> int:
        """Queue a raw update of `kind` (message, callback_query, ...); returns its id."""
        update_id = next(self._update_ids)
        self._updates.append({"update_id": update_id, kind: payload})
        self._new_update.set()
        return update_id

    def push_message(
        self,
        text: str,
        *,
        chat: dict[str, Any] | None = None,
        user: dict[str, Any] | None = None,
        **extra: Any,
    ) -> int:
        user = user or self.user()
        chat = chat or self.private_chat(user["id"])
        message: dict[str, Any] = {
            "message_id": next(self._message_ids),
            "date": int(time.time()),
            "chat": chat,
            "from": user,
            "text": text,
            **extra,
        }
        entities = command_entities(text)
        if entities:
            message["entities"] = entities
        return self.push("message", message)

    push_command = push_message

    def push_callback(
        self,
        data: str,
        *,
        message: Call | dict[str, Any] | None = None,
        user: dict[str, Any] | None = None,
    ) -> int:
        """Press a button: `message` is the recorded call (or message) that carried it."""
        user = user or self.user()
        if isinstance(message, Call):
            message = self.message_from_call(message)
        payload: dict[str, Any] = {
            "id": str(next(self._message_ids)),
            "from": user,
            "chat_instance": "1",
            "data": data,
        }
        if message is not None:
            payload["message"] = message
        return self.push("callback_query", payload)

    def push_inline_query(
        self, query: str, *, offset: str = "", user: dict[str, Any] | None = None
    ) -> int:
        payload = {
            "id": str(next(self._message_ids)),
            "from": user or self.user(),
            "query": query,
            "offset": offset,
        }
        return self.push("inline_query", payload)

    def message_from_call(self, call: Call) -> dict[str, Any]:
        """The message a sendMessage/editMessageText call produced, as Telegram shows it."""
        result = call.get("_result")
        if not isinstance(result, dict):
            raise ValueError(f"{call.method} produced no message")
        return result

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

    async def _api_sendMessage(self, params: dict[str, Any]) -> Any:
        check_text(params)
        self.messages_sent += 1
        message = self._message(params)
        self._show(params["chat_id"], message["message_id"], params)
        return message

    async def _api_sendPhoto(self, params: dict[str, Any]) -> Any:
        check_text(params, "caption", limit=1024)
        photo = params.get("photo")
        if isinstance(photo, str):
            self._fetch_photo(photo)
        message = self._message({**params, "text": ""})
        del message["text"]
        message["photo"] = [
            {"file_id": "photo1", "file_unique_id": "p1", "width": 1200, "height": 800}
        ]
        if params.get("caption"):
            message["caption"] = params["caption"]
        shown = {"text": params.get("caption", ""), "reply_markup": params.get("reply_markup")}
        self._show(params["chat_id"], message["message_id"], shown, photo=str(photo))
        return message

    def _fetch_photo(self, photo: str) -> None:
        """sendPhoto's `photo` is a file_id or an HTTP URL Telegram fetches (Bot API,
        "Sending files")."""
        if not photo.startswith(("http://", "https://")) and not photo.startswith("photo"):
            raise ApiError("Bad Request: wrong file identifier/HTTP URL specified")
        if photo in self.unreachable_photos:
            raise ApiError("Bad Request: failed to get HTTP URL content")

    async def _api_sendRichMessage(self, params: dict[str, Any]) -> Any:
        """Bot API 10.1: the message, its rich content checked (bot.sandbox.rich)."""
        rich = check_rich_message(params.get("rich_message"))
        message = self._message({**params, "text": ""})
        del message["text"]
        message["rich_message"] = rich
        return message

    async def _api_editMessageText(self, params: dict[str, Any]) -> Any:
        check_text(params)
        if "inline_message_id" in params:
            return True
        key = self._editable(params)
        if key in self._shown and self._shown[key][2] is not None:
            raise ApiError("Bad Request: there is no text in the message to edit")
        self._show(*key, params, edit=True)
        return self._message(params, message_id=params.get("message_id"))

    async def _api_editMessageCaption(self, params: dict[str, Any]) -> Any:
        check_text(params, "caption", limit=1024)
        key = self._editable(params)
        photo = self._shown[key][2] if key in self._shown else None
        if key in self._shown and photo is None:
            raise ApiError("Bad Request: there is no caption in the message to edit")
        shown = {"text": params.get("caption", ""), "reply_markup": params.get("reply_markup")}
        self._show(*key, shown, edit=True, photo=photo)
        return self._message(params, message_id=params.get("message_id"))

    async def _api_editMessageMedia(self, params: dict[str, Any]) -> Any:
        media = params.get("media")
        if not isinstance(media, dict) or media.get("type") != "photo":
            raise ApiError("Bad Request: can't parse InputMedia: media type is not photo")
        check_text(media, "caption", limit=1024)
        self._fetch_photo(str(media.get("media", "")))
        key = self._editable(params)
        shown = {"text": media.get("caption", ""), "reply_markup": params.get("reply_markup")}
        self._show(*key, shown, edit=True, photo=str(media["media"]))
        return self._message(params, message_id=params.get("message_id"))

    async def _api_editMessageReplyMarkup(self, params: dict[str, Any]) -> Any:
        key = (params.get("chat_id"), params.get("message_id"))
        if key in self._shown:
            text, _, photo = self._shown[key]
            markup = {"text": text, "reply_markup": params.get("reply_markup")}
            self._show(*key, markup, edit=True, photo=photo)
        return self._message(params, message_id=params.get("message_id"))

    def _editable(self, params: dict[str, Any]) -> tuple[Any, Any]:
        """The message an edit names; one never sent is "not found", as Telegram says."""
        message_id = params.get("message_id")
        if not isinstance(message_id, int) or message_id >= self._next_message_id():
            raise ApiError("Bad Request: message to edit not found")
        return (params.get("chat_id"), message_id)

    def _next_message_id(self) -> int:
        issued = next(self._message_ids)
        self._message_ids = itertools.count(issued)
        return issued

    def shown(self, chat_id: Any, message_id: Any) -> tuple[str, Any, Any] | None:
        """What a message shows now: (text or caption, markup, picture or None)."""
        return self._shown.get((chat_id, message_id))

    def _show(
        self,
        chat_id: Any,
        message_id: Any,
        params: dict[str, Any],
        *,
        edit: bool = False,
        photo: str | None = None,
    ) -> None:
        """Remember what a message shows. An edit to exactly what it shows already is refused
        with the Bot API's own description (editMessageText, editMessageReplyMarkup). The
        text is compared as sent: the same markup is surely the same message (Telegram
        compares text and entities, which differently written HTML may still match)."""
        shown = (params.get("text", ""), params.get("reply_markup") or None, photo)
        key = (chat_id, message_id)
        if edit and self._shown.get(key) == shown:
            raise ApiError(
                "Bad Request: message is not modified: specified new message content and "
                "reply markup are exactly the same as a current content and reply markup of "
                "the message"
            )
        self._shown[key] = shown
        self._shown.move_to_end(key)
        while len(self._shown) > SHOWN_KEPT:
            self._shown.popitem(last=False)

    async def _api_deleteMessage(self, params: dict[str, Any]) -> Any:
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

    def _message(self, params: dict[str, Any], message_id: int | None = None) -> dict[str, Any]:
        chat_id = params.get("chat_id")
        chat = self.chats.get(chat_id or 0) or (
            self.private_chat(chat_id)
            if isinstance(chat_id, int) and chat_id > 0
            else {"id": chat_id, "type": "supergroup", "title": "Group"}
        )
        message: dict[str, Any] = {
            "message_id": message_id or next(self._message_ids),
            "date": int(time.time()),
            "chat": chat,
            "from": BOT_USER,
            "text": params.get("text", ""),
        }
        if params.get("reply_markup"):
            message["reply_markup"] = params["reply_markup"]
        if params.get("message_thread_id"):
            message["message_thread_id"] = params["message_thread_id"]
        if self.imperfect:
            message["date"] = time.time()  # a float
            del message["from"]  # optional
        return message


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
