"""`AiohttpRequest`: python-telegram-bot's HTTP layer on aiohttp instead of httpx.

Measured on this project's stand-in, PTB's default httpx transport costs about 3-5 ms of CPU
per Bot API call, which caps a 2-core machine near 300 messages/s; aiohttp does the same
call for a fraction of that (see README, Benchmarks). The class follows `HTTPXRequest`: the
same form-encoded bodies, multipart for files, the same timeout semantics, and the same
exceptions (`TimedOut`, `NetworkError`) for the same failures.
"""

from __future__ import annotations

import asyncio
import json
from http import HTTPStatus

import aiohttp
from telegram._utils.defaultvalue import DefaultValue
from telegram._utils.types import ODVInput
from telegram.error import NetworkError, TimedOut
from telegram.request import BaseRequest, RequestData


class AiohttpRequest(BaseRequest):
    __slots__ = ("_connect_timeout", "_pool_size", "_read_timeout", "_session", "_write_timeout")

    def __init__(
        self,
        connection_pool_size: int = 16,
        read_timeout: float | None = 5.0,
        write_timeout: float | None = 5.0,
        connect_timeout: float | None = 5.0,
    ) -> None:
        self._pool_size = connection_pool_size
        self._read_timeout = read_timeout
        self._write_timeout = write_timeout
        self._connect_timeout = connect_timeout
        self._session: aiohttp.ClientSession | None = None

    @property
    def read_timeout(self) -> float | None:
        return self._read_timeout

    async def initialize(self) -> None:
        if self._session is None or self._session.closed:
            connector = aiohttp.TCPConnector(limit=self._pool_size)
            self._session = aiohttp.ClientSession(connector=connector)

    async def shutdown(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None

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
        if self._session is None or self._session.closed:
            raise RuntimeError("AiohttpRequest is not initialized")
        read = self._read_timeout if isinstance(read_timeout, DefaultValue) else read_timeout
        connect = (
            self._connect_timeout if isinstance(connect_timeout, DefaultValue) else connect_timeout
        )
        write = self._write_timeout if isinstance(write_timeout, DefaultValue) else write_timeout
        # aiohttp has no separate write timeout: the socket read timeout starts after the
        # request is written, so allow both for the whole exchange.
        total = None if read is None or write is None else read + write + (connect or 0)
        timeout = aiohttp.ClientTimeout(total=total, sock_connect=connect, sock_read=read)
        body, headers = _payload(request_data)
        try:
            async with self._session.request(
                method, url, data=body, headers=headers, timeout=timeout
            ) as response:
                status, payload = response.status, await response.read()
        except TimeoutError as exc:
            raise TimedOut from exc
        except asyncio.CancelledError:
            raise
        except aiohttp.ClientError as exc:
            raise NetworkError(f"aiohttp.{type(exc).__name__}: {exc}") from exc
        if payload[:64].lstrip()[:1] != b"{":
            return not_json(status)
        if status == 200 and refused(payload):
            # `ok: false` is a refusal whatever the HTTP status says (imperfect servers send
            # 200): answered as 400, python-telegram-bot raises BadRequest with its words.
            return 400, payload
        return status, payload


def not_json(status: int) -> tuple[int, bytes]:
    """A page instead of a Bot API answer (a proxy's 502, a load balancer's 404): the Bot
    API is not answering. Said as the Bot API would say it, so python-telegram-bot raises
    its usual error without logging a JSON traceback, and never quotes the page, which may
    echo the request URL and its token."""
    if status < 400:
        status = HTTPStatus.BAD_GATEWAY
    try:
        reason = HTTPStatus(status).phrase
    except ValueError:
        reason = "Error"
    description = f"{reason}: the Bot API answered with a page that is not JSON"
    return status, json.dumps(
        {"ok": False, "error_code": status, "description": description}
    ).encode()


FORM = {"Content-Type": "application/x-www-form-urlencoded"}
REFUSED = b'{"ok":false'


def refused(payload: bytes) -> bool:
    """An answer that begins `{"ok": false`: only its first bytes are read."""
    return payload[:32].replace(b" ", b"").replace(b"\n", b"").startswith(REFUSED)


def _payload(
    request_data: RequestData | None,
) -> tuple[aiohttp.FormData | bytes | None, dict[str, str] | None]:
    """The request body and the headers it needs."""
    if request_data is None:
        return None, None
    if not request_data.contains_files:
        # Form-encoded, as PTB's own transport sends; encoded here in one call, because
        # aiohttp's FormData for a plain dict costs as much again per request.
        return request_data.url_encoded_parameters().encode(), FORM
    form = aiohttp.FormData()
    for name, value in request_data.json_parameters.items():
        form.add_field(name, value)
    for name, part in request_data.multipart_data.items():
        filename, content, mimetype = part
        form.add_field(name, content, filename=filename, content_type=mimetype)
    return form, None  # aiohttp sets the multipart boundary
