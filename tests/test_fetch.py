"""Fetching cannot be tricked into private addresses: names are checked as they are
connected to, and IPv6 forms that carry a private IPv4 are private."""

from __future__ import annotations

import ipaddress
import socket

import pytest
from aiohttp.abc import AbstractResolver, ResolveResult

from bot.sources.errors import FetchError
from bot.sources.fetch import Fetcher, is_public
from tests.feedserver import FeedServer


class ChangingResolver(AbstractResolver):
    """A name server that answers each lookup of a name with the next of `answers`."""

    def __init__(self, *answers: str) -> None:
        self.answers = list(answers)
        self.lookups = 0

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        address = self.answers[min(self.lookups, len(self.answers) - 1)]
        self.lookups += 1
        return [
            {
                "hostname": host,
                "host": address,
                "port": port,
                "family": socket.AF_INET,
                "proto": 0,
                "flags": 0,
            }
        ]

    async def close(self) -> None:
        pass


async def test_the_address_checked_is_the_one_connected_to(server: FeedServer) -> None:
    """The name is looked up once per connection, by the connector, and that answer is the
    one checked: there is no earlier lookup whose public answer a rebinding name could
    follow with 127.0.0.1."""
    rebinding = ChangingResolver("127.0.0.1", "8.8.8.8")
    url = f"http://news.test:{server.port}/static/rss2.xml"
    with pytest.raises(FetchError, match=r"news\.test is a private or local address"):
        await Fetcher(resolver=rebinding).get(url)
    assert rebinding.lookups == 1
    assert server.requests == {}  # nothing was connected to
    # The same stub with private addresses allowed: the connector really resolves with it.
    fetched = await Fetcher(allow_private=True, resolver=ChangingResolver("127.0.0.1")).get(url)
    assert fetched.status == 200


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1/",
        "http://[::1]/",
        "http://[64:ff9b::7f00:1]/",  # NAT64 of 127.0.0.1
        "http://[64:ff9b:1::a00:1]/",  # local-use NAT64 of 10.0.0.1
        "http://[2002:7f00:1::]/",  # 6to4 of 127.0.0.1
        "http://[::127.0.0.1]/",  # IPv4-compatible
        "http://[::ffff:127.0.0.1]/",  # IPv4-mapped
        "http://[2001:0:4136:e378:8000:63bf:80ff:fffe]/",  # Teredo, client 127.0.0.1
        "http://169.254.169.254/latest/meta-data/",  # cloud metadata
    ],
)
async def test_private_addresses_in_any_form_are_refused(url: str) -> None:
    with pytest.raises(FetchError, match="private or local address"):
        await Fetcher().get(url)


@pytest.mark.parametrize(
    ("address", "public"),
    [
        ("8.8.8.8", True),
        ("2606:4700::1111", True),
        ("64:ff9b::808:808", True),  # NAT64 of 8.8.8.8
        ("2002:808:808::1", True),  # 6to4 of 8.8.8.8
        ("64:ff9b::c0a8:101", False),  # NAT64 of 192.168.1.1
        ("2002:a00:1::1", False),  # 6to4 of 10.0.0.1
        ("::10.0.0.1", False),
        ("10.1.2.3", False),
        ("100.64.0.1", False),  # carrier-grade NAT
        ("fd00::1", False),
        ("fe80::1", False),
    ],
)
def test_what_counts_as_public(address: str, public: bool) -> None:
    assert is_public(ipaddress.ip_address(address)) is public


# Each is 127.0.0.1 to yarl and aiohttp (IDNA/UTS 46 maps digits and dots), not a name.
LOOPBACK_SPELLINGS = {
    "fullwidth": "１２７.０.０.１",
    "circled": "①②⑦.⓪.⓪.①",
    "ideographic dots": "127。0。0。1",
    "fullwidth dots": "127．0．0．1",
    "halfwidth ideographic dots": "127｡0｡0｡1",
    "one circled digit": "127.0.0.①",
    "mixed": "1２7.⓪。0．①",
}


@pytest.mark.parametrize("host", LOOPBACK_SPELLINGS.values(), ids=LOOPBACK_SPELLINGS.keys())
async def test_loopback_spelled_in_unicode_is_refused(server: FeedServer, host: str) -> None:
    url = f"http://{host}:{server.port}/static/rss2.xml"
    with pytest.raises(FetchError, match="private or local address"):
        await Fetcher().get(url)
    assert server.requests == {}


@pytest.mark.parametrize("host", ["a" * 64 + ".example", "exa\u200bmple.com", "a..example"])
async def test_hosts_that_cannot_be_encoded_are_refused_in_a_sentence(host: str) -> None:
    with pytest.raises(FetchError, match="not a valid web address"):
        await Fetcher().get(f"http://{host}/")
