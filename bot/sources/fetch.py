"""Fetching pages and feeds from the web, safely.

http and https only; every address a name resolves to (and every redirect hop) must be
public unless ALLOW_PRIVATE_URLS=true; timeouts; a size cap enforced while reading; at most
five redirects. Failures raise `FetchError` with a sentence a person can act on.

The address checked is the address connected to: names are resolved once, by the
connector as it connects, through `PublicResolver`, so a name cannot answer a public address
to a check and a private one to the connection (DNS rebinding). The host name stays the
request's, for TLS and SNI. "Public" also looks inside IPv6 addresses that carry an IPv4
one (IPv4-mapped and -compatible, NAT64, 6to4, Teredo): a private IPv4 in such a disguise
is private.
"""

from __future__ import annotations

import ipaddress
import socket
from dataclasses import dataclass, field
from urllib.parse import urljoin

import aiohttp
from aiohttp.abc import AbstractResolver, ResolveResult
from yarl import URL

from bot.sources.errors import FetchError
from storage.errors import N_

MAX_REDIRECTS = 5
USER_AGENT = "articlebot/0.1 (feed and page reader)"
NAT64 = (ipaddress.ip_network("64:ff9b::/96"), ipaddress.ip_network("64:ff9b:1::/48"))
Address = ipaddress.IPv4Address | ipaddress.IPv6Address


def is_public(address: Address) -> bool:
    """Globally routable, and so is any IPv4 address it carries."""
    if isinstance(address, ipaddress.IPv6Address):
        carried = carried_ipv4(address)
        if carried is not None and not carried.is_global:
            return False
    return address.is_global


def carried_ipv4(address: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address inside an IPv6 one, for the forms that route to it."""
    low32 = ipaddress.IPv4Address(int(address) & 0xFFFF_FFFF)
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address.sixtofour is not None:
        return address.sixtofour
    if address.teredo is not None:
        return address.teredo[1]
    if any(address in network for network in NAT64):
        return low32
    if int(address) >> 32 == 0 and int(address) > 1:  # IPv4-compatible ::a.b.c.d
        return low32
    return None


def private_address_error(host: str) -> FetchError:
    return FetchError(
        N_("{host} is a private or local address"),
        host=host,
        detail="set ALLOW_PRIVATE_URLS=true to allow it",
    )


class PublicResolver(AbstractResolver):
    """Resolves for the connector, and refuses an answer with any non-public address."""

    def __init__(self, inner: AbstractResolver | None = None) -> None:
        self._inner = inner or aiohttp.DefaultResolver()

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        answers = await self._inner.resolve(host, port, family)
        if not all(is_public(ipaddress.ip_address(answer["host"])) for answer in answers):
            raise private_address_error(host)
        return answers

    async def close(self) -> None:
        await self._inner.close()


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
    resolver: AbstractResolver | None = None  # how names are looked up (tests stub it)

    async def get(
        self, url: str, *, etag: str | None = None, last_modified: str | None = None
    ) -> Fetched:
        headers = {"User-Agent": USER_AGENT, "Accept-Encoding": "gzip, deflate"}
        if etag:
            headers["If-None-Match"] = etag
        if last_modified:
            headers["If-Modified-Since"] = last_modified
        timeout = aiohttp.ClientTimeout(total=self.timeout, sock_connect=min(5, self.timeout))
        resolver = self.resolver if self.allow_private else PublicResolver(self.resolver)
        try:
            async with aiohttp.ClientSession(
                timeout=timeout, connector=aiohttp.TCPConnector(resolver=resolver)
            ) as session:
                for _ in range(MAX_REDIRECTS + 1):
                    target = check_url(url, allow_private=self.allow_private)
                    async with session.get(target, headers=headers, allow_redirects=False) as resp:
                        if resp.status in (301, 302, 303, 307, 308):
                            url = urljoin(url, resp.headers.get("Location", ""))
                            continue
                        if resp.status == 304:
                            return Fetched(url, 304, b"", dict(resp.headers))
                        if resp.status >= 400:
                            raise FetchError(
                                N_("the site answered with error {status}"),
                                status=resp.status,
                                detail=str(resp.reason),
                            )
                        body = await self._read_capped(resp)
                        return Fetched(
                            url, resp.status, body, {k.lower(): v for k, v in resp.headers.items()}
                        )
        except TimeoutError:
            raise FetchError(
                N_("the site did not answer within {seconds} s"), seconds=f"{self.timeout:g}"
            ) from None
        except aiohttp.ClientError as exc:
            raise FetchError(
                N_("the site cannot be reached"), detail=f"{type(exc).__name__}: {exc}"
            ) from None
        raise FetchError(N_("the site redirects more than {limit} times"), limit=MAX_REDIRECTS)

    async def _read_capped(self, response: aiohttp.ClientResponse) -> bytes:
        declared = response.content_length
        if declared is not None and declared > self.max_bytes:
            raise FetchError(N_("it is larger than {limit} MB"), limit=self.max_bytes // 2**20)
        chunks, size = [], 0
        async for chunk in response.content.iter_chunked(64 * 1024):
            size += len(chunk)
            if size > self.max_bytes:
                raise FetchError(N_("it is larger than {limit} MB"), limit=self.max_bytes // 2**20)
            chunks.append(chunk)
        return b"".join(chunks)


def check_url(url: str, *, allow_private: bool) -> URL:
    """The URL as the HTTP client will connect to it, refused unless http(s) with a host
    and, when the host is an address, a public one. The host is read after yarl's IDNA
    (UTS 46) mapping, as aiohttp reads it: 127.0.0.1 in fullwidth or circled digits, or
    with ideographic full stops, is that address, not a name, and the connector would
    connect to it without asking the resolver. Names are checked as they are resolved
    (`PublicResolver`)."""
    try:
        parsed = URL(url)
        host = parsed.raw_host
    except (ValueError, UnicodeError):
        raise FetchError(N_("it is not a valid web address"), detail=url[:100]) from None
    if parsed.scheme not in ("http", "https") or not host:
        raise FetchError(N_("only http:// and https:// addresses can be read"))
    if allow_private:
        return _valid_name(parsed, host)
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return _valid_name(parsed, host)  # a name: checked as it is resolved
    if not is_public(address):
        raise private_address_error(host)
    return parsed


def _valid_name(parsed: URL, host: str) -> URL:
    """A name the resolver can look up: labels of 1 to 63 characters (yarl lets longer
    ones through, and the lookup would raise UnicodeError)."""
    try:
        host.encode("idna")
    except UnicodeError:
        raise FetchError(N_("it is not a valid web address"), detail=host[:100]) from None
    return parsed
