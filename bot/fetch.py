"""Fetching pages and feeds from the web, safely.

http and https only; every address a name resolves to (and every redirect hop) must be
public unless ALLOW_PRIVATE_URLS=true; timeouts; a size cap enforced while reading; at most
five redirects. Failures raise `FetchError` with a sentence a person can act on.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from dataclasses import dataclass, field
from urllib.parse import urljoin, urlsplit

import aiohttp

from bot.errors import FetchError

MAX_REDIRECTS = 5
USER_AGENT = "articlebot/0.1 (feed and page reader)"


@dataclass(frozen=True)
class Fetched:
    url: str  # after redirects
    status: int  # 200, or 304 for a conditional GET that found nothing new
    body: bytes
    headers: dict[str, str] = field(default_factory=dict)

    @property
    def content_type(self) -> str:
        return self.headers.get("content-type", "").split(";")[0].strip().lower()


@dataclass(frozen=True)
class Fetcher:
    allow_private: bool = False
    max_bytes: int = 5 * 2**20
    timeout: float = 15.0

    async def get(self, url: str, *, etag: str | None = None,
                  last_modified: str | None = None) -> Fetched:  # fmt: skip
        headers = {"User-Agent": USER_AGENT, "Accept-Encoding": "gzip, deflate"}
        if etag:
            headers["If-None-Match"] = etag
        if last_modified:
            headers["If-Modified-Since"] = last_modified
        timeout = aiohttp.ClientTimeout(total=self.timeout, sock_connect=min(5, self.timeout))
        try:
            async with aiohttp.ClientSession(timeout=timeout) as session:
                for _ in range(MAX_REDIRECTS + 1):
                    await self._check_address(url)
                    async with session.get(url, headers=headers, allow_redirects=False) as resp:
                        if resp.status in (301, 302, 303, 307, 308):
                            url = urljoin(url, resp.headers.get("Location", ""))
                            continue
                        if resp.status == 304:
                            return Fetched(url, 304, b"", dict(resp.headers))
                        if resp.status >= 400:
                            raise FetchError(f"the server answered {resp.status} {resp.reason}")
                        body = await self._read_capped(resp)
                        return Fetched(url, resp.status, body, {
                            k.lower(): v for k, v in resp.headers.items()})  # fmt: skip
        except TimeoutError:
            raise FetchError(f"no answer within {self.timeout:.0f} seconds") from None
        except aiohttp.ClientError as exc:
            raise FetchError(f"cannot fetch: {type(exc).__name__}: {exc}") from None
        raise FetchError(f"more than {MAX_REDIRECTS} redirects (a redirect loop?)")

    async def _read_capped(self, response: aiohttp.ClientResponse) -> bytes:
        declared = response.content_length
        if declared is not None and declared > self.max_bytes:
            raise FetchError(f"larger than {self.max_bytes // 2**20} MB")
        chunks, size = [], 0
        async for chunk in response.content.iter_chunked(64 * 1024):
            size += len(chunk)
            if size > self.max_bytes:
                raise FetchError(f"larger than {self.max_bytes // 2**20} MB")
            chunks.append(chunk)
        return b"".join(chunks)

    async def _check_address(self, url: str) -> None:
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise FetchError("only http:// and https:// addresses can be fetched")
        if self.allow_private:
            return
        try:
            infos = await asyncio.get_running_loop().getaddrinfo(
                parts.hostname, parts.port or (443 if parts.scheme == "https" else 80),
                type=socket.SOCK_STREAM,
            )  # fmt: skip
        except OSError:
            raise FetchError(f"cannot resolve {parts.hostname}") from None
        for info in infos:
            address = ipaddress.ip_address(info[4][0])
            if not address.is_global:
                raise FetchError(
                    f"{parts.hostname} is a private or local address; set "
                    "ALLOW_PRIVATE_URLS=true to allow it"
                )
