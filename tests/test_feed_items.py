"""Every real feed read right: each case a feed written for it, read the way the bot reads
feeds (fetched over HTTP by FeedService, or parsed as fetched)."""

from __future__ import annotations

import asyncio
import json
import time
from datetime import UTC, datetime, timedelta

import pytest

from bot.sources.feeds import FeedService
from bot.sources.parse import parse_feed
from storage import Storage
from storage.text import iso
from tests.feedserver import FeedServer


@pytest.fixture
def service(storage: Storage) -> FeedService:
    return FeedService(storage, interval=1, allow_private=True, timeout=2.0)


def rss(*items: str, link: str = "https://site.example/") -> str:
    return (
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>T</title>'
        f"<link>{link}</link>{''.join(f'<item>{item}</item>' for item in items)}</channel></rss>"
    )


def test_a_podcast_episode_opens_at_its_enclosure() -> None:
    """No <link>, a guid that is no URL: the episode's audio is its address."""
    feed = parse_feed(
        rss(
            '<title>Episode 1</title><guid isPermaLink="false">ep-0001</guid>'
            '<enclosure url="https://cdn.example/ep1.mp3" length="1" type="audio/mpeg"/>'
        ).encode(),
        "import",
    )
    [episode] = feed.items
    assert (episode.url, episode.guid) == ("https://cdn.example/ep1.mp3", "ep-0001")


def test_a_guid_that_is_a_permalink_is_the_address() -> None:
    [item] = parse_feed(
        rss("<title>A</title><guid>https://site.example/a</guid>").encode(), "import"
    ).items
    assert item.url == "https://site.example/a"


def test_an_item_with_nothing_but_a_guid_opens_the_site() -> None:
    feed = parse_feed(
        rss(
            '<title>A</title><guid isPermaLink="false">1</guid>',
            '<title>B</title><guid isPermaLink="false">2</guid>',
        ).encode(),
        "import",
    )
    assert [i.url for i in feed.items] == [
        "https://site.example#guid=1",
        "https://site.example#guid=2",
    ]


def test_a_post_without_a_title_is_named_by_its_first_words() -> None:
    """Mastodon and micro.blog posts have text and no title."""
    text = "Just shipped the new release of our tool " + "with many words " * 20
    [post] = parse_feed(
        rss(f"<link>https://social.example/@a/1</link><description>{text}</description>").encode(),
        "import",
    ).items
    assert post.title.startswith("Just shipped the new release")
    assert len(post.title) <= 100
    assert post.title.endswith("…")
    assert post.title[:-1] == text[: len(post.title) - 1].rstrip()  # cut at a word


async def test_relative_links_are_read_against_the_feeds_address(
    service: FeedService, server: FeedServer
) -> None:
    url = server.serve_feed("relative", rss("<title>A</title><link>/blog/a.html</link>", link="/"))
    result = await service.follow(url)
    assert result.stored == 1
    [article] = await service.storage.articles.latest(5)
    assert article.url == f"http://127.0.0.1:{server.port}/blog/a.html"


JSON_FEED = {
    "version": "https://jsonfeed.org/version/1.1",
    "title": "JSON news",
    "home_page_url": "https://json.example/",
    "items": [
        {
            "id": "1",
            "url": "https://json.example/one",
            "title": "One",
            "content_html": "<p>First <b>story</b></p>",
            "date_published": "2026-11-30T10:00:00-05:00",
            "authors": [{"name": "Ana"}],
            "tags": ["perú", "lima"],
        },
        {"id": "2", "url": "https://json.example/two", "content_text": "A post with no title"},
        {"id": 3, "external_url": "https://elsewhere.example/three", "title": "Three"},
    ],
}


@pytest.mark.parametrize(
    ("version", "content_type"),
    [
        ("https://jsonfeed.org/version/1.1", "application/feed+json"),
        ("https://jsonfeed.org/version/1", "application/json"),
        ("https://jsonfeed.org/version/1.1", "text/plain"),  # found by its content
    ],
)
async def test_json_feeds_are_followed(
    service: FeedService, server: FeedServer, version: str, content_type: str
) -> None:
    body = json.dumps({**JSON_FEED, "version": version})
    result = await service.follow(server.serve_feed("json", body, Content_Type=content_type))
    assert (result.stored, result.feed.title) == (3, "JSON news")
    stored = {a.url: a for a in await service.storage.articles.latest(5)}
    one = stored["https://json.example/one"]
    assert (one.title, one.summary, one.author) == ("One", "First story", "Ana")
    assert one.tags == ("perú", "lima")
    assert one.published_at == datetime(2026, 11, 30, 15, tzinfo=UTC)
    assert stored["https://json.example/two"].title == "A post with no title"
    assert stored["https://elsewhere.example/three"].guid == "3"


def test_a_json_document_that_is_no_feed_is_refused() -> None:
    from bot.sources.errors import FeedError

    with pytest.raises(FeedError, match="not a JSON Feed"):
        parse_feed(
            b'{"version": "2.0", "items": []}',
            "import",
            headers={"content-type": "application/json"},
        )


@pytest.mark.parametrize(
    "stamp",
    [
        "<pubDate>Mon, 13 Dec 0103 18:30:02 GMT</pubDate>",
        "<atom:updated>0103-12-13T18:30:02Z</atom:updated>",
        "<pubDate>Mon, 13 Dec 2103 18:30:02 GMT</pubDate>",
        "<pubDate>Sun, 01 Jan 1984 00:00:00 GMT</pubDate>",
    ],
)
async def test_unbelievable_dates_give_way_to_the_time_of_discovery(
    storage: Storage, stamp: str
) -> None:
    content = rss(f"<title>A</title><link>https://site.example/a</link>{stamp}").replace(
        '<rss version="2.0">', '<rss version="2.0" xmlns:atom="http://www.w3.org/2005/Atom">'
    )
    [item] = parse_feed(content.encode(), "import").items
    assert item.published_at is None
    before = datetime.now(UTC).replace(microsecond=0)
    await storage.articles.add_many([item])
    [stored] = await storage.articles.latest(1)
    assert before <= stored.published_at <= datetime.now(UTC) + timedelta(seconds=1)


def test_dates_are_stored_with_four_digit_years() -> None:
    assert iso(datetime(103, 12, 13, 18, 30, 2, tzinfo=UTC)) == "0103-12-13T18:30:02Z"


async def test_two_feeds_may_number_their_items_alike(
    service: FeedService, server: FeedServer, storage: Storage
) -> None:
    def numbered(site: str, *numbers: int) -> str:
        return rss(
            *(
                f"<title>{site} {n}</title><link>https://{site}.example/{n}</link>"
                f'<guid isPermaLink="false">{n}</guid>'
                for n in numbers
            )
        )

    first = await service.follow(server.serve_feed("first", numbered("first", 1, 2)))
    second = await service.follow(server.serve_feed("second", numbered("second", 1, 2)))
    assert (first.stored, second.stored) == (2, 2)
    server.serve_feed("first", numbered("first", 1, 2, 3))
    assert await service.poll(first.feed) == 1  # item 3 of the first feed is announced
    titles = {a.title for a in await storage.articles.latest(10)}
    assert titles == {"first 1", "first 2", "first 3", "second 1", "second 2"}


async def test_a_new_guid_for_the_same_link_is_the_same_article(
    service: FeedService, server: FeedServer, storage: Storage
) -> None:
    item = "<title>A</title><link>https://site.example/a</link><guid>{}</guid>"
    followed = await service.follow(server.serve_feed("regid", rss(item.format("old-id"))))
    server.serve_feed("regid", rss(item.format("new-id")))
    assert await service.poll(followed.feed) == 0
    assert await storage.articles.count() == 1


async def test_the_http_charset_wins_over_a_wrong_xml_declaration(
    service: FeedService, server: FeedServer
) -> None:
    body = rss("<title>Euro €</title><link>https://site.example/e</link>").replace(
        'encoding="utf-8"', 'encoding="iso-8859-1"'
    )
    url = server.serve_feed(
        "charset", body.encode(), Content_Type="application/rss+xml; charset=utf-8"
    )
    await service.follow(url)
    [article] = await service.storage.articles.latest(1)
    assert article.title == "Euro €"


def test_summaries_are_plain_text_even_when_html_was_escaped_twice() -> None:
    description = (
        '<description>&lt;img src="https://site.example/i.jpg"/&gt;'
        '<![CDATA[<p>MOE will be <a href="https://moe.example">open</a> on Monday.</p>]]>'
        "</description>"
    )
    [item] = parse_feed(
        rss(f"<title>A</title><link>https://site.example/a</link>{description}").encode(),
        "import",
    ).items
    assert item.summary == "MOE will be open on Monday."


async def test_a_slow_site_does_not_hold_up_the_others(
    server: FeedServer, storage: Storage
) -> None:
    """Due feeds of different sites are polled at once; a site's own feeds in turn."""
    polled: asyncio.Queue[str] = asyncio.Queue()
    service = FeedService(
        storage, interval=1, allow_private=True, timeout=10.0, on_poll=polled.put_nowait
    )
    quick = await service.follow(
        server.serve_feed("quick", rss("<title>Q</title><link>https://q.example/1</link>"))
    )
    slow_url = server.serve_feed("slow", rss("<title>S</title><link>https://s.example/1</link>"))
    slow = await service.follow(slow_url.replace("127.0.0.1", "127.0.0.2"))  # another site
    answer_slow = asyncio.Event()
    server.serve_feed(
        "slow", rss("<title>S2</title><link>https://s.example/2</link>"), hold=answer_slow
    )
    server.serve_feed("quick", rss("<title>Q2</title><link>https://q.example/2</link>"))
    for feed in (slow.feed, quick.feed):  # the slow one first in line
        await storage.feeds.checked(feed.id, next_check_at=time.time() - 1)
    service.start()
    try:
        assert await asyncio.wait_for(polled.get(), 10) == "new"
        assert await stored_titles(storage) == {"Q", "S", "Q2"}  # the slow site still busy
        answer_slow.set()
        assert await asyncio.wait_for(polled.get(), 10) == "new"
        assert await stored_titles(storage) == {"Q", "S", "Q2", "S2"}
    finally:
        answer_slow.set()
        await service.stop()


async def stored_titles(storage: Storage) -> set[str]:
    return {a.title for a in await storage.articles.latest(10)}


def test_an_atom_entry_without_a_link_opens_at_its_id_when_that_is_a_web_address() -> None:
    atom = (
        '<feed xmlns="http://www.w3.org/2005/Atom"><title>A</title>'
        "<entry><title>By id</title><id>https://site.example/by-id</id></entry>"
        "<entry><title>Tag id</title><id>tag:site.example,2026:1</id></entry></feed>"
    )
    feed = parse_feed(atom.encode(), "import")
    assert [i.url for i in feed.items] == ["https://site.example/by-id"]
    assert "an item without a link" in feed.report()
