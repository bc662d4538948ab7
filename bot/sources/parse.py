"""A feed's bytes into articles: RSS 0.9x/1.0/2.0 and Atom through feedparser, JSON Feed
through bot.sources.jsonfeed, then the same rules for every item (bot.sources.entries)."""

from __future__ import annotations

import calendar
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urljoin

import feedparser

from bot.sources.entries import Entry, FeedDocument, article_of, first_image, html_text
from bot.sources.errors import FeedError
from bot.sources.jsonfeed import looks_like_json_feed, read_json_feed
from storage import InvalidInput, NewArticle
from storage.errors import N_
from storage.models import MAX_TITLE

MAX_ITEMS = 5_000


@dataclass
class ParsedFeed:
    title: str
    items: list[NewArticle]
    skipped: list[str] = field(default_factory=list)
    entries: int = 0
    ttl_seconds: float | None = None
    malformed: bool = False

    def report(self) -> str:
        """What could not be read, in one line (empty if everything was)."""
        parts = []
        if self.malformed:
            parts.append("the feed is not well-formed; what could be read was")
        if self.entries > MAX_ITEMS:
            parts.append(f"{self.entries:,} items, only the first {MAX_ITEMS:,} read")
        if self.skipped:
            parts.append(
                f"{len(self.skipped)} skipped ({'; '.join(sorted(set(self.skipped))[:3])})"
            )
        return ", ".join(parts)


def parse_feed(
    content: bytes, source: str, *, url: str = "", headers: Mapping[str, str] | None = None
) -> ParsedFeed:
    """The articles of a feed fetched from `url` with these response headers (they say its
    charset, and where relative links point)."""
    headers = {key.lower(): value for key, value in (headers or {}).items()}
    if looks_like_json_feed(content, headers):
        document = read_json_feed(content)
    else:
        document = read_rss_atom(content, headers)
    feed = ParsedFeed(
        title=document.title[:MAX_TITLE],
        items=[],
        entries=len(document.entries),
        ttl_seconds=document.ttl_seconds,
        malformed=document.malformed,
    )
    # Relative links are read against the feed's own address (where it says it is, else
    # where it was fetched from); feedparser is not told it, or it would rewrite guids too.
    base = urljoin(url, headers.get("content-location", "")) if url.startswith("http") else ""
    seen: set[str] = set()
    for entry in document.entries[:MAX_ITEMS]:
        try:
            item = article_of(entry, source, base, document.link)
        except InvalidInput as exc:
            feed.skipped.append(str(exc))
            continue
        key = item.guid or item.url
        if key in seen or item.url in seen:
            feed.skipped.append("repeated item")
            continue
        seen.update({key, item.url})
        feed.items.append(item)
    return feed


def read_rss_atom(content: bytes, headers: dict[str, str]) -> FeedDocument:
    """feedparser, given the response's headers: the HTTP charset counts as the specs say
    (xml:base it reads itself)."""
    response = {key: value for key, value in headers.items() if key != "content-location"}
    parsed = feedparser.parse(content, response_headers=response, sanitize_html=True)
    if not parsed.entries and not parsed.get("version"):
        reason = parsed.get("bozo_exception")
        raise FeedError(N_("it is not an RSS, Atom or JSON feed"), detail=str(reason or ""))
    ttl = parsed.feed.get("ttl")
    return FeedDocument(
        title=html_text(parsed.feed.get("title", "")),
        link=parsed.feed.get("link", "") or "",
        entries=[_entry(entry, str(parsed.get("version", ""))) for entry in parsed.entries],
        ttl_seconds=int(ttl) * 60.0 if ttl and str(ttl).isdigit() else None,
        malformed=bool(parsed.get("bozo")),
    )


def _entry(entry: Any, version: str) -> Entry:
    full = (entry.get("content") or [{}])[0].get("value", "")
    content = entry.get("summary") or full
    stamp = entry.get("published_parsed") or entry.get("updated_parsed")
    enclosures = [e.get("href") for e in entry.get("enclosures") or [] if e.get("href")]
    guid, link = entry.get("id") or None, entry.get("link") or None
    if entry.get("guidislink") and link == guid:  # feedparser's stand-in for a missing link
        link = None
    return Entry(
        guid=guid,
        link=link,
        # RSS says so with isPermaLink; an Atom id that is a web address is one too.
        guid_is_link=bool(entry.get("guidislink")) or version.startswith("atom"),
        enclosure=enclosures[0] if enclosures else None,
        title=html_text(entry.get("title", "")),
        text=html_text(content),
        author=html_text(entry.get("author", "")),
        tags=[html_text(tag.get("term") or "") for tag in entry.get("tags") or []],
        published=_utc(stamp),
        image=_image(entry),
        html=full if full != entry.get("summary") else "",
    )


def _image(entry: Any) -> str | None:
    """An item's picture: Media RSS `media:content` (an image) or `media:thumbnail`, an
    image enclosure, else the first <img> of its content or summary."""
    for media in entry.get("media_content") or []:
        kind = media.get("medium") or media.get("type") or ""
        if media.get("url") and (kind == "image" or str(kind).startswith("image/")):
            return str(media["url"])
    for thumbnail in entry.get("media_thumbnail") or []:
        if thumbnail.get("url"):
            return str(thumbnail["url"])
    for enclosure in entry.get("enclosures") or []:
        if enclosure.get("href") and str(enclosure.get("type", "")).startswith("image/"):
            return str(enclosure["href"])
    content = (entry.get("content") or [{}])[0].get("value", "")
    return first_image(content) or first_image(entry.get("summary") or "")


def _utc(stamp: Any) -> datetime | None:
    """feedparser's UTC struct_time as a datetime; None when there is none or it is out of
    any range a date can have."""
    if not stamp:
        return None
    try:
        return datetime.fromtimestamp(calendar.timegm(stamp), UTC)
    except (OverflowError, ValueError, OSError):
        return None
