"""Feeds: follow them, and poll them inside `articlebot run` (parsing: bot.sources.parse).

Items present when a feed is followed go to the archive without a broadcast (unless the
admin asks for the newest N); only items that appear later are announced. Items are
de-duplicated by normalised URL across feeds and against articles added by hand, and by
guid within their feed (two feeds may number their items alike). A failing feed backs off
exponentially and is paused after MAX_FAILURES checks in a row, with a message to the
admins; one feed failing never stops the others. Feeds of different sites are polled a few
at a time, those of one site one after another.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from urllib.parse import urlsplit

from bot.runtime.supervisor import Supervised
from bot.sources.errors import FeedError, FetchError
from bot.sources.fetch import Fetcher
from bot.sources.parse import ParsedFeed, parse_feed
from storage import DuplicateArticle, NewArticle, Storage, StorageError, clock
from storage.errors import N_, Explained
from storage.feeds import Feed
from storage.text import MAX_TAGS, normalize_url

log = logging.getLogger(__name__)

MAX_FEED_BYTES = 10 * 2**20
MAX_FAILURES = 5
CONCURRENT_SITES = 4  # sites polled at once
MAX_BACKOFF = 24 * 3600.0
MAX_HINT = 6 * 3600.0  # a feed's own TTL / Cache-Control is honoured up to this
_MAX_AGE = re.compile(r"max-age=(\d+)")


@dataclass
class FollowResult:
    feed: Feed
    stored: int
    announced: int
    parsed: ParsedFeed

    @property
    def report(self) -> str:
        return self.parsed.report()


class FeedService:
    """Everything that reads feeds: one-off imports, following, and the poller."""

    def __init__(
        self,
        storage: Storage,
        *,
        interval: float,
        allow_private: bool,
        wake: Callable[[], None] | None = None,
        wake_corrections: Callable[[], None] | None = None,
        notify: Callable[[Feed, Explained], Awaitable[None]] | None = None,
        timeout: float = 15.0,
        on_poll: Callable[[str], None] | None = None,
    ) -> None:
        self.storage = storage
        self.interval = interval
        self.fetcher = Fetcher(
            allow_private=allow_private, max_bytes=MAX_FEED_BYTES, timeout=timeout
        )
        self._wake = wake
        self._wake_corrections = wake_corrections  # an item changed: its cards are corrected
        self._notify = notify
        self._on_poll = on_poll or (lambda result: None)  # new, unchanged, not_modified, failed
        self._poller: Supervised | None = None

    async def read(self, url_or_path: str, source: str) -> ParsedFeed:
        """Fetch (or read from a file) and parse a feed."""
        if url_or_path.startswith(("http://", "https://")):
            content = (await self.fetcher.get(url_or_path)).body
        else:
            try:
                content = await asyncio.to_thread(_read_file, url_or_path)
            except OSError as exc:
                raise FeedError(
                    N_("cannot read {path}"), path=url_or_path, detail=str(exc.strerror)
                ) from None
        return await asyncio.to_thread(parse_feed, content, source, url=url_or_path)

    async def import_once(self, url_or_path: str) -> tuple[int, ParsedFeed]:
        """Store a feed's items in the archive, announcing none; returns how many were new."""
        feed = await self.read(url_or_path, "import")
        return await self.storage.articles.add_many(feed.items), feed

    async def follow(
        self,
        url: str,
        announce_newest: int = 0,
        *,
        name: str | None = None,
        tags: tuple[str, ...] = (),
    ) -> FollowResult:
        """Start following: the current items are archived, the newest N announced. `name`
        and `tags` (an OPML outline's, its folders) stay with the feed; its items carry
        the tags."""
        url = normalize_url(url)
        fetched = await self.fetcher.get(url)
        parsed = await asyncio.to_thread(
            parse_feed, fetched.body, "feed", url=fetched.url, headers=fetched.headers
        )
        feed = await self.storage.feeds.add(url, parsed.title, name=name, tags=tags)
        items = [_of_feed(item, feed) for item in parsed.items]
        newest = sorted(items, key=_published, reverse=True)[:announce_newest]
        stored = await self.storage.articles.add_many([i for i in items if i not in newest])
        announced = await self._announce(newest)
        await self.storage.feeds.checked(
            feed.id,
            next_check_at=clock.time() + self._interval(parsed, fetched.headers),
            etag=fetched.headers.get("etag"),
            last_modified=fetched.headers.get("last-modified"),
        )
        return FollowResult(
            await self.storage.feeds.get(feed.id), stored + announced, announced, parsed
        )

    async def poll(self, feed: Feed) -> int:
        """Check one feed now; returns how many new items were announced."""
        try:
            fetched = await self.fetcher.get(
                feed.url, etag=feed.etag, last_modified=feed.last_modified
            )
            if fetched.status == 304:
                await self.storage.feeds.checked(
                    feed.id, next_check_at=clock.time() + self.interval
                )
                self._on_poll("not_modified")
                return 0
            parsed = await asyncio.to_thread(
                parse_feed,
                fetched.body,
                f"feed:{feed.id}",
                url=fetched.url,
                headers=fetched.headers,
            )
        except (FetchError, FeedError) as exc:
            await self._failed(feed, exc)
            self._on_poll("failed")
            return 0
        items = [_of_feed(i, feed) for i in parsed.items]
        new = await self._new_items(f"feed:{feed.id}", items)
        announced = await self._announce(new)
        fresh = {id(item) for item in new}
        revised = await self.storage.articles.revise(
            f"feed:{feed.id}", [item for item in items if id(item) not in fresh]
        )
        if revised:
            log.info(
                "feed_id=%s: %d items changed, their cards are corrected", feed.id, len(revised)
            )
            if self._wake_corrections is not None:
                self._wake_corrections()
        await self.storage.feeds.checked(
            feed.id,
            next_check_at=clock.time() + self._interval(parsed, fetched.headers),
            title=parsed.title or None,
            etag=fetched.headers.get("etag"),
            last_modified=fetched.headers.get("last-modified"),
        )
        if announced:
            log.info("feed_id=%s announced %d new items", feed.id, announced)
        self._on_poll("new" if announced else "unchanged")
        return announced

    # -- the poller --------------------------------------------------------------------------

    def start(self) -> None:
        self._poller = Supervised("feed poller", self._poll_due)
        self._poller.start()

    async def stop(self) -> None:
        if self._poller is not None:
            await self._poller.stop()

    @property
    def poller_healthy(self) -> bool:
        return self._poller is not None and self._poller.healthy

    async def _poll_due(self) -> float:
        """Poll the feeds that are due, a few sites at a time (a big or slow feed holds up
        only its own site's); returns how long until the next (at most 5 s)."""
        by_site: dict[str, list[Feed]] = {}
        for feed in await self.storage.feeds.due(clock.time()):
            by_site.setdefault(urlsplit(feed.url).netloc, []).append(feed)
        slots = asyncio.Semaphore(CONCURRENT_SITES)

        async def poll_site(feeds: list[Feed]) -> None:
            async with slots:
                for feed in feeds:
                    await self._poll_guarded(feed)

        try:
            async with asyncio.TaskGroup() as group:
                for feeds in by_site.values():
                    group.create_task(poll_site(feeds))
        except* StorageError as failed:
            raise failed.exceptions[0] from None  # the database: the supervisor retries
        due = await self.storage.feeds.next_due()
        return 5.0 if due is None else min(5.0, max(0.05, due - clock.time()))

    async def _poll_guarded(self, feed: Feed) -> None:
        assert self._poller is not None
        if self._poller.stopping:
            return
        try:
            await self.poll(feed)
        except StorageError:
            raise  # the database, not this feed
        except Exception:  # one feed's surprise must not stop the others
            log.exception("feed_id=%s poll failed unexpectedly", feed.id)
            await self._failed(feed, FeedError(N_("an unexpected error (see the log)")))

    # -- helpers -----------------------------------------------------------------------------

    async def _new_items(self, source: str, items: list[NewArticle]) -> list[NewArticle]:
        urls, guids = await self.storage.articles.known(
            source, [i.url for i in items], [i.guid for i in items if i.guid]
        )
        return [i for i in items if i.url not in urls and (i.guid or "") not in guids]

    async def _announce(self, items: list[NewArticle]) -> int:
        announced = 0
        for item in sorted(items, key=_published):  # oldest first, so cards arrive in order
            try:
                await self.storage.articles.add(item)
            except DuplicateArticle:
                continue
            announced += 1
        if announced and self._wake is not None:
            self._wake()
        return announced

    async def _failed(self, feed: Feed, error: Explained) -> None:
        failures = feed.error_count + 1
        pause = failures >= MAX_FAILURES
        delay = min(MAX_BACKOFF, self.interval * 2**failures)
        await self.storage.feeds.failed(
            feed.id, str(error), next_check_at=clock.time() + delay, pause=pause
        )
        log.warning("feed_id=%s check failed (%d in a row): %s", feed.id, failures, error)
        if pause and self._notify is not None:
            await self._notify(feed, error)

    def _interval(self, parsed: ParsedFeed, headers: dict[str, str]) -> float:
        hints = [parsed.ttl_seconds] if parsed.ttl_seconds else []
        if match := _MAX_AGE.search(headers.get("cache-control", "")):
            hints.append(float(match[1]))
        if not hints:
            return self.interval
        return max(self.interval, min(max(hints), MAX_HINT))


def _published(item: NewArticle) -> datetime:
    return item.published_at or datetime.min.replace(tzinfo=UTC)


def _of_feed(item: NewArticle, feed: Feed) -> NewArticle:
    """The item as this feed's: its source, and the feed's tags before its own."""
    tags = (*feed.tags, *item.tags)[:MAX_TAGS] if feed.tags else item.tags
    return replace(item, source=f"feed:{feed.id}", tags=tags)


def _read_file(path: str) -> bytes:
    with open(path, "rb") as file:
        content = file.read(MAX_FEED_BYTES + 1)
    if len(content) > MAX_FEED_BYTES:
        raise FeedError(N_("it is larger than {limit} MB"), limit=MAX_FEED_BYTES // 2**20)
    return content
