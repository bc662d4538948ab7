"""JSON Feed 1.0 and 1.1 (https://www.jsonfeed.org/version/1.1/): a feed is a JSON object
whose `version` is the spec's URL, with `items` of `id`, `url`, `title`, `content_html` or
`content_text` and the rest. Read into the same entries as RSS and Atom."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from bot.sources.entries import Entry, FeedDocument, html_text, moment
from bot.sources.errors import FeedError
from storage.errors import N_

MEDIA_TYPES = frozenset({"application/feed+json", "application/json"})
VERSION_PREFIX = "https://jsonfeed.org/version/"
BARE_VERSIONS = frozenset({"1", "1.0", "1.1"})


def looks_like_json_feed(content: bytes, headers: Mapping[str, str]) -> bool:
    """By its media type, or, as servers often say text/plain, by its first byte: RSS and
    Atom never begin with `{`."""
    media_type = headers.get("content-type", "").split(";")[0].strip().lower()
    return media_type in MEDIA_TYPES or content.lstrip(b"\xef\xbb\xbf \t\r\n")[:1] == b"{"


def read_json_feed(content: bytes) -> FeedDocument:
    try:
        data = json.loads(content.decode("utf-8-sig"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise FeedError(N_("it is not a JSON Feed"), detail=str(exc)) from None
    if not isinstance(data, dict) or not _known(str(data.get("version", ""))):
        raise FeedError(N_("it is not a JSON Feed"), detail="no jsonfeed.org version")
    items = data.get("items")
    if not isinstance(items, list):
        raise FeedError(N_("it is not a JSON Feed"), detail="no list of items")
    return FeedDocument(
        title=_text(data.get("title")),
        link=_text(data.get("home_page_url")),
        entries=[_entry(item) for item in items if isinstance(item, dict)],
    )


def _entry(item: dict[str, Any]) -> Entry:
    attachments = [a for a in item.get("attachments") or [] if isinstance(a, dict)]
    authors = item.get("authors") or ([item["author"]] if item.get("author") else [])
    names = [_text(a.get("name")) for a in authors if isinstance(a, dict)]
    text = _text(item.get("content_text")) or html_text(_text(item.get("content_html")))
    guid = item.get("id")
    return Entry(
        guid=str(guid) if isinstance(guid, str | int) and str(guid) else None,
        link=_text(item.get("url")) or _text(item.get("external_url")) or None,
        enclosure=next((_text(a.get("url")) for a in attachments if a.get("url")), None),
        title=html_text(_text(item.get("title"))),
        text=html_text(_text(item.get("summary"))) or text,
        author=", ".join(name for name in names if name),
        tags=[_text(tag) for tag in item.get("tags") or [] if isinstance(tag, str)],
        published=moment(_text(item.get("date_published")) or _text(item.get("date_modified"))),
        image=_text(item.get("image")) or _text(item.get("banner_image")) or None,
        html=_text(item.get("content_html")),
    )


def _known(version: str) -> bool:
    """The spec's URL; some publishers (and parsers' test suites) write only the number."""
    return version.startswith(VERSION_PREFIX) or version in BARE_VERSIONS


def _text(value: object) -> str:
    return value.strip() if isinstance(value, str) else ""
