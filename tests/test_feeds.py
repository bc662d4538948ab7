"""Feeds: parsing the fixtures, importing, following without flooding, polling, faults."""

from __future__ import annotations

import asyncio
import json
import re
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from bot.cli import cli
from bot.sandbox import BotApiStandIn
from bot.sources import feeds as feeds_module
from bot.sources.errors import FeedError, FetchError, OpmlError
from bot.sources.feeds import FeedService, parse_feed
from bot.sources.opml import document, feed_outlines, feed_urls
from storage import ChatInfo, InvalidInput, NotFound, Storage
from tests.conftest import article
from tests.e2e import running_bot
from tests.feedserver import FIXTURES, FeedServer

ADMIN = 7


def fixture(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


@pytest.fixture
def service(storage: Storage) -> FeedService:
    return FeedService(storage, interval=1, allow_private=True, timeout=1.0)


async def announced(storage: Storage) -> int:
    """Articles whose broadcast was recorded (its recipients are walked by the worker)."""
    return int(await storage.db.fetchval("SELECT count(*) FROM broadcasts"))


def test_rss2_items_become_clean_articles() -> None:
    feed = parse_feed(fixture("rss2.xml"), "import")
    assert feed.title == "El Diario de Prueba"
    first, second, linkless = feed.items
    assert first.title == "Perú aprueba la reforma"
    assert first.url == "https://news.example/reforma"  # tracking parameters dropped
    assert first.summary == "El Congreso aprobó la reforma & los cambios. Segunda línea."
    assert first.tags == ("Política", "Perú")
    assert first.published_at == datetime(2026, 3, 3, 15, 0, tzinfo=UTC)
    assert first.guid == "diario-1"
    assert second.title == "Lima & Callao: new metro line"
    # no <link>, a guid that is no URL: the site's address, the guid naming the item
    assert linkless.url == "https://news.example#guid=diario-3"
    report = feed.report()
    assert "2 skipped" in report
    assert "repeated item" in report
    assert "without a title or text" in report


@pytest.mark.parametrize(
    ("name", "title", "published"),
    [
        ("atom.xml", "Cusco récord de turistas", datetime(2026, 3, 5, 10, tzinfo=UTC)),
        ("rss1.xml", "Arequipa abre su biblioteca", datetime(2026, 3, 6, 9, tzinfo=UTC)),
    ],
)
def test_atom_and_rss1(name: str, title: str, published: datetime) -> None:
    (item,) = parse_feed(fixture(name), "import").items
    assert (item.title, item.published_at) == (title, published)
    assert item.tags


def test_malformed_feeds_are_read_as_far_as_possible() -> None:
    feed = parse_feed(fixture("malformed.xml"), "import")
    assert [i.title for i in feed.items] == ["Still here & unescaped"]
    assert "not well-formed" in feed.report()


@pytest.mark.parametrize("content", [fixture("not_a_feed.html"), b"\x89PNG\r\n\x1a\n", b""])
def test_things_that_are_not_feeds(content: bytes) -> None:
    with pytest.raises(FeedError, match="is not an RSS, Atom or JSON feed"):
        parse_feed(content, "import")


async def test_import_once_deduplicates_against_everything(
    storage: Storage, service: FeedService, server: FeedServer
) -> None:
    await storage.articles.add(article(1, url="https://news.example/metro"), announce=False)
    added, feed = await service.import_once(server.url("static/rss2.xml"))
    assert (added, len(feed.items)) == (2, 3)
    again, _ = await service.import_once(str(FIXTURES / "rss2.xml"))
    assert again == 0
    assert await storage.articles.count() == 3
    assert await announced(storage) == 0  # imports announce nothing


async def test_following_archives_the_backlog_without_broadcasting(
    storage: Storage, service: FeedService, server: FeedServer
) -> None:
    await storage.chats.subscribe(ChatInfo(1, "private"))
    result = await service.follow(server.url("static/rss2.xml"))
    assert (result.stored, result.announced) == (3, 0)
    assert await announced(storage) == 0
    assert result.feed.items == 3
    assert "skipped" in result.report
    with pytest.raises(Exception, match="already following"):
        await service.follow(server.url("static/rss2.xml"))


async def test_following_can_announce_the_newest(
    storage: Storage, service: FeedService, server: FeedServer
) -> None:
    await storage.chats.subscribe(ChatInfo(1, "private"))
    result = await service.follow(server.url("static/rss2.xml"), announce_newest=1)
    assert result.announced == 1
    row = await storage.db.fetchone(
        "SELECT a.title FROM broadcasts AS b JOIN articles AS a ON a.id = b.article_id"
    )
    assert row is not None
    assert row[0] == "Lima & Callao: new metro line"  # the newest one


async def test_polling_announces_new_items_and_uses_conditional_get(
    storage: Storage, service: FeedService, server: FeedServer
) -> None:
    await storage.chats.subscribe(ChatInfo(1, "private"))
    followed = await service.follow(server.url("changing"))
    assert await service.poll(await storage.feeds.get(followed.feed.id)) == 0
    assert server.not_modified == 1
    server.items.append(("Second story", "https://changing.example/2"))
    assert await service.poll(await storage.feeds.get(followed.feed.id)) == 1
    assert await announced(storage) == 1
    assert await service.poll(await storage.feeds.get(followed.feed.id)) == 0
    assert server.not_modified == 2
    feed = await storage.feeds.get(followed.feed.id)
    assert (feed.items, feed.error_count) == (2, 0)
    assert feed.etag


@pytest.mark.parametrize(
    ("path", "message"),
    [
        ("static/not_a_feed.html", "is not an RSS, Atom or JSON feed"),
        ("image", "is not an RSS, Atom or JSON feed"),
        ("status/404", "404"),
        ("status/500", "500"),
        ("loop", "redirects"),
        ("slow", "did not answer within"),
        ("huge", "larger than 10 MB"),
    ],
)
async def test_bad_feeds_are_refused_and_leave_nothing(
    storage: Storage, service: FeedService, server: FeedServer, path: str, message: str
) -> None:
    with pytest.raises((FeedError, FetchError), match=message):
        await service.follow(server.url(path))
    assert await storage.feeds.all() == []
    assert await storage.articles.count() == 0


async def test_a_feed_of_50000_items_is_read_up_to_the_cap(
    storage: Storage, service: FeedService, server: FeedServer
) -> None:
    result = await service.follow(server.url("many"))
    assert result.stored == 5_000
    assert "50,000 items, only the first 5,000 read" in result.report


async def test_private_addresses_need_permission(storage: Storage, server: FeedServer) -> None:
    strict = FeedService(storage, interval=1, allow_private=False)
    with pytest.raises(FetchError, match="ALLOW_PRIVATE_URLS"):
        await strict.follow(server.url("static/rss2.xml"))
    with pytest.raises(InvalidInput, match="not a web address"):
        await strict.follow("file:///etc/passwd")
    with pytest.raises(FetchError, match="only http"):
        await strict.fetcher.get("ftp://news.example/feed")


async def test_failures_back_off_then_pause_and_tell_the_admins(
    storage: Storage, server: FeedServer
) -> None:
    told: list[str] = []

    async def notify(feed: object, error: Exception) -> None:
        told.append(str(error))

    service = FeedService(storage, interval=10, allow_private=True, notify=notify)
    followed = await service.follow(server.url("changing"))
    server.broken = True
    delays = []
    for _ in range(5):
        before = time.time()
        await service.poll(await storage.feeds.get(followed.feed.id))
        delays.append((await storage.feeds.get(followed.feed.id)).next_check_at - before)
    feed = await storage.feeds.get(followed.feed.id)
    assert delays == sorted(delays)  # exponential backoff
    assert delays[0] >= 20
    assert (feed.active, feed.error_count) == (False, 5)
    assert "500" in (feed.last_error or "")
    assert len(told) == 1
    await storage.feeds.set_active(feed.id, True)
    server.broken = False
    assert (await storage.feeds.get(feed.id)).active


async def test_opml_round_trip(storage: Storage, server: FeedServer, tmp_path: Path) -> None:
    opml = fixture("feeds.opml").replace(b"RSS_URL", server.url("static/rss2.xml").encode())
    opml = opml.replace(b"ATOM_URL", server.url("static/atom.xml").encode())
    (tmp_path / "in.opml").write_bytes(opml)
    env = {"DATABASE_PATH": str(tmp_path / "db.sqlite"), "ALLOW_PRIVATE_URLS": "true"}
    runner = Runner(env)
    result = await runner(["feeds", "import-opml", str(tmp_path / "in.opml")])
    assert result.exit_code == 0, result.output
    assert result.stdout.count("following feed #") == 2
    exported = (await runner(["feeds", "export-opml"])).stdout_bytes
    assert sorted(feed_urls(exported)) == sorted(feed_urls(opml))
    assert feed_urls(document([])) == []


async def test_cli_feed_verbs(server: FeedServer, tmp_path: Path) -> None:
    env = {"DATABASE_PATH": str(tmp_path / "db.sqlite"), "ALLOW_PRIVATE_URLS": "true"}
    runner = Runner(env)
    result = await runner(["import", str(FIXTURES / "rss1.xml")])
    assert "imported 1 new article (1 item read)" in result.stdout
    result = await runner(["feeds", "add", server.url("static/atom.xml")])
    assert "following feed #1" in result.stdout
    assert "#1  active  1 item  " in (await runner(["feeds", "list"])).stdout
    listed = json.loads((await runner(["feeds", "list", "--json"])).stdout)
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", listed[0]["next_check_at"])
    assert (await runner(["feeds", "pause", "1"])).exit_code == 0
    assert "paused" in (await runner(["feeds", "list"])).stdout
    assert (await runner(["feeds", "resume", "1"])).exit_code == 0
    assert (await runner(["feeds", "remove", "1"])).exit_code == 0
    missing = await runner(["feeds", "remove", "1"])
    assert missing.exit_code == 1
    assert "feed 1 not found" in missing.stderr
    bad = await runner(["feeds", "add", server.url("static/not_a_feed.html")])
    assert bad.exit_code == 1
    assert "is not an RSS, Atom or JSON feed" in bad.stderr
    assert "Traceback" not in bad.output
    nofile = await runner(["import", str(tmp_path / "missing.xml")])
    assert nofile.exit_code == 1
    assert "cannot read" in nofile.stderr


class Runner:
    """The CLI in a thread, so that the feed server keeps serving on this test's loop."""

    def __init__(self, env: dict[str, str]) -> None:
        self._runner = CliRunner(env=env)

    async def __call__(self, args: list[str]) -> Result:
        return await asyncio.to_thread(self._runner.invoke, cli, args)


async def test_the_bot_follows_a_feed_and_announces_what_appears(
    api: BotApiStandIn, storage: Storage, server: FeedServer
) -> None:
    await storage.chats.subscribe(ChatInfo(1, "private"))
    async with running_bot(
        api, storage, admin_ids=str(ADMIN), feed_interval=1, allow_private_urls=True
    ):
        admin = api.user(ADMIN)
        api.push_command(f"/feeds add {server.url('changing')}", user=admin)
        reply = await api.wait_for("sendMessage", chat_id=ADMIN)
        assert "1 item archived, 0 announced" in reply["text"]
        server.items.append(("Fresh from the feed", "https://changing.example/fresh"))
        card = await api.wait_for("sendMessage", chat_id=1, timeout=10)
        assert card["text"].startswith("<b>Fresh from the feed</b>")
        mark = api.mark()
        api.push_command("/feeds", user=admin)
        listing = await api.wait_for("sendMessage", after=mark, chat_id=ADMIN)
        assert "Changing — active, 2 items" in listing["text"]
        mark = api.mark()
        api.push_command("/feeds add", user=api.user(99))
        refused = await api.wait_for("sendMessage", after=mark, chat_id=99)
        assert "Only the bot's admins" in refused["text"]
    with pytest.raises(NotFound):
        await storage.feeds.get(99)


async def test_a_failing_feed_never_stops_the_others(
    api: BotApiStandIn, storage: Storage, server: FeedServer
) -> None:
    await storage.chats.subscribe(ChatInfo(1, "private"))
    service = FeedService(storage, interval=1, allow_private=True)
    await service.follow(server.url("static/rss2.xml"))
    await storage.feeds.add(server.url("status/500"))  # followed earlier, broken since
    good = await service.follow(server.url("changing"))
    async with running_bot(api, storage, feed_interval=1, allow_private_urls=True):
        server.items.append(("After the broken one", "https://changing.example/3"))
        card = await api.wait_for("sendMessage", chat_id=1, timeout=10)
        assert "After the broken one" in card["text"]
    assert (await storage.feeds.get(good.feed.id)).error_count == 0
    broken = [f for f in await storage.feeds.all() if f.error_count]
    assert len(broken) == 1


async def test_the_admins_are_told_when_a_feed_is_paused(
    api: BotApiStandIn, storage: Storage, server: FeedServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(feeds_module, "MAX_FAILURES", 1)
    followed = await FeedService(storage, interval=1, allow_private=True).follow(
        server.url("changing")
    )
    server.broken = True
    await storage.feeds.set_active(followed.feed.id, True)  # due now
    await storage.chats.remember(ChatInfo(8, "private", language_code="es"))  # wrote /start
    async with running_bot(
        api, storage, admin_ids=f"{ADMIN},8", feed_interval=1, allow_private_urls=True
    ):
        told = await api.wait_for(
            "sendMessage", chat_id=ADMIN, timeout=10, where=lambda c: "paused" in c["text"]
        )
        spanish = await api.wait_for(
            "sendMessage", chat_id=8, where=lambda c: "en pausa" in c["text"]
        )
    assert f"/feeds resume {followed.feed.id}" in told["text"]
    assert f"/feeds resume {followed.feed.id}" in spanish["text"]
    assert "el sitio respondió con el error 500" in spanish["text"]
    assert "Internal Server Error" not in spanish["text"] + told["text"]  # detail: the log's
    assert not (await storage.feeds.get(followed.feed.id)).active


async def test_feeds_and_opml_refuse_loopback_spelled_in_unicode(
    storage: Storage, server: FeedServer, tmp_path: Path, database: str | Path
) -> None:
    """Through `follow` (the bot's /feeds add and the CLI) and an OPML import alike."""
    from tests.test_fetch import LOOPBACK_SPELLINGS

    strict = FeedService(storage, interval=1, allow_private=False)
    urls = [f"http://{host}:{server.port}/static/rss2.xml" for host in LOOPBACK_SPELLINGS.values()]
    for url in urls:
        with pytest.raises(FetchError, match="private or local address"):
            await strict.follow(url)
    outlines = "".join(f'<outline type="rss" xmlUrl="{url}"/>' for url in urls)
    opml = tmp_path / "feeds.opml"
    opml.write_text(f'<opml version="2.0"><body>{outlines}</body></opml>', encoding="utf-8")
    arguments = ["--db", str(database), "feeds", "import-opml", str(opml)]
    result = await asyncio.to_thread(CliRunner().invoke, cli, arguments)
    assert result.exit_code == 0, result.output
    assert result.output.count("private or local address") == len(urls)
    assert await storage.feeds.all() == []
    assert server.requests == {}


def test_opml_with_entities_is_refused_in_a_sentence() -> None:
    bomb = b'<?xml version="1.0"?><!DOCTYPE o [<!ENTITY a "x">]><opml><body/></opml>'
    with pytest.raises(OpmlError, match="not a valid OPML file"):
        feed_urls(bomb)


def test_opml_outlines_each_once_in_order() -> None:
    outlines = "".join(f'<outline xmlUrl="https://f.example/{n}"/>' for n in range(1_000))
    urls = feed_urls(f"<opml><body>{outlines}{outlines}</body></opml>".encode())
    assert urls == [f"https://f.example/{n}" for n in range(1_000)]


async def test_opml_folders_become_tags_and_names_are_kept_both_ways(
    server: FeedServer, tmp_path: Path
) -> None:
    """A reader's export (Feedly, Inoreader): feeds inside folders, each with the name the
    reader gave it. The folders tag the feeds' articles; both come back on export."""
    rss, atom = server.url("static/rss2.xml"), server.url("static/atom.xml")
    opml = f"""<?xml version="1.0"?><opml version="2.0"><head><title>mine</title></head><body>
      <outline text="Perú" title="Perú">
        <outline type="rss" text="My diario" title="My diario" xmlUrl="{rss}"/>
      </outline>
      <outline type="rss" text="Atom news" xmlUrl="{atom}"/>
    </body></opml>"""
    (tmp_path / "in.opml").write_text(opml, encoding="utf-8")
    env = {"DATABASE_PATH": str(tmp_path / "db.sqlite"), "ALLOW_PRIVATE_URLS": "true"}
    runner = Runner(env)
    assert (await runner(["feeds", "import-opml", str(tmp_path / "in.opml")])).exit_code == 0
    listed = json.loads((await runner(["feeds", "list", "--json"])).stdout)
    assert [(f["name"], f["tags"]) for f in listed] == [("My diario", ["Perú"]), ("Atom news", [])]
    shown = json.loads((await runner(["latest", "--json"])).stdout)
    in_folder = [a for a in shown if a["url"].startswith("https://news.example")]
    assert in_folder
    assert all(a["tags"][0] == "Perú" for a in in_folder)
    exported = (await runner(["feeds", "export-opml"])).stdout
    assert exported.endswith("</opml>\n")  # a text file ends its last line
    again = feed_outlines(exported.encode())
    assert [(o.name, o.folders) for o in again] == [("My diario", ("Perú",)), ("Atom news", ())]


async def test_a_feed_item_whose_title_changes_corrects_its_cards(
    api: BotApiStandIn, storage: Storage, server: FeedServer
) -> None:
    await storage.chats.subscribe(ChatInfo(1, "private"))
    async with running_bot(
        api, storage, admin_ids=str(ADMIN), feed_interval=1, allow_private_urls=True
    ):
        api.push_command(f"/feeds add {server.url('changing')}", user=api.user(ADMIN))
        await api.wait_for("sendMessage", chat_id=ADMIN)
        server.items.append(("Fresh from the feed", "https://changing.example/fresh"))
        card = await api.wait_for("sendMessage", chat_id=1, timeout=10)
        mark = api.mark()
        server.items[-1] = ("Fresh, and corrected", "https://changing.example/fresh")
        edit = await api.wait_for("editMessageText", after=mark, chat_id=1, timeout=10)
    assert edit["message_id"] == card["_result"]["message_id"]
    assert edit.text.startswith("<b>Fresh, and corrected</b>")
    assert len(api.delivered(1)) == 1  # a correction, not a new card
    assert (await storage.articles.latest())[0].title == "Fresh, and corrected"


def test_feed_items_bring_their_picture_and_html() -> None:
    media = """<rss version="2.0" xmlns:media="http://search.yahoo.com/mrss/"
        xmlns:content="http://purl.org/rss/1.0/modules/content/"><channel><title>M</title>
        <item><title>Thumb</title><link>https://m.example/1</link>
          <media:thumbnail url="https://m.example/t.jpg"/></item>
        <item><title>Enclosure</title><link>https://m.example/2</link>
          <enclosure url="/e.png" type="image/png" length="1"/></item>
        <item><title>Inline</title><link>https://m.example/3</link>
          <description>Short.</description>
          <content:encoded><![CDATA[<h2>Sub</h2><p>Text <img src="https://m.example/i.jpg"></p>
          <script>x()</script>]]></content:encoded></item>
        <item><title>Bad picture</title><link>https://m.example/4</link>
          <media:content url="javascript:alert(1)" medium="image"/></item>
        </channel></rss>"""
    items = parse_feed(media.encode(), "feed:1", url="https://m.example/feed").items
    assert [item.image for item in items] == [
        "https://m.example/t.jpg",
        "https://m.example/e.png",  # read against the feed's address
        "https://m.example/i.jpg",
        "",  # not a web address: no picture, the item is still there
    ]
    inline = items[2]
    assert inline.summary == "Short."
    assert "<h2>Sub</h2>" in inline.body_html and "script" not in inline.body_html
    assert "Text" in inline.body
