"""Plain data crossing the storage boundary."""

from __future__ import annotations

import sqlite3
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any

from storage import clock
from storage.errors import N_, InvalidInput
from storage.kinds import SearchOrder
from storage.text import (
    clean_html,
    clean_text,
    image_url,
    iso,
    normalize_url,
    parse_datetime,
    parse_tags,
    sane_published,
)

MAX_TITLE = 256
MAX_SUMMARY = 2000
MAX_AUTHOR = 256
MAX_BODY = 1_000_000
MAX_BODY_HTML = 2_000_000
TOO_LONG = {
    "title": N_("the title is longer than {limit} characters ({length})"),
    "summary": N_("the summary is longer than {limit} characters ({length})"),
    "author": N_("the author is longer than {limit} characters ({length})"),
    "body": N_("the text is longer than {limit} characters ({length})"),
    "body_html": N_("the text is longer than {limit} characters ({length})"),
}


@dataclass(frozen=True, slots=True)
class NewArticle:
    """An article about to be stored, normalised and validated on construction."""

    url: str
    title: str
    summary: str = ""
    body: str = ""
    author: str = ""
    tags: tuple[str, ...] = ()
    published_at: datetime | None = None
    source: str = "manual"
    guid: str | None = None
    link: str = ""  # as the publisher gave it (`url` without it); `url` is the duplicate key
    image: str = ""  # the picture of a photo card, an http(s) address
    body_html: str = ""  # the text with its structure, for the 📖 rich message

    def __post_init__(self) -> None:
        title = clean_text(self.title, single_line=True)
        summary = clean_text(self.summary)
        author = clean_text(self.author, single_line=True)
        body = clean_text(self.body)
        if not title:
            raise InvalidInput(N_("the title is empty"))
        if len(self.body_html) > MAX_BODY_HTML:
            raise InvalidInput(
                TOO_LONG["body_html"], limit=MAX_BODY_HTML, length=len(self.body_html)
            )
        for name, value, limit in (
            ("title", title, MAX_TITLE),
            ("summary", summary, MAX_SUMMARY),
            ("author", author, MAX_AUTHOR),
            ("body", body, MAX_BODY),
        ):
            if len(value) > limit:
                raise InvalidInput(TOO_LONG[name], limit=limit, length=len(value))
        set_ = object.__setattr__
        link = clean_text(self.link or self.url, single_line=True)
        normalize_url(link)  # refused as the key would be
        set_(self, "url", normalize_url(self.url))
        set_(self, "link", link)
        set_(self, "title", title)
        set_(self, "summary", summary)
        set_(self, "author", author)
        set_(self, "body", body)
        set_(self, "image", image_url(self.image))
        set_(self, "body_html", clean_html(self.body_html))
        set_(self, "tags", parse_tags(self.tags))
        set_(self, "published_at", sane_published(self.published_at, clock.now()))


@dataclass(frozen=True, slots=True)
class Article:
    id: int
    url: str
    title: str
    summary: str
    author: str
    tags: tuple[str, ...]
    published_at: datetime
    created_at: datetime
    source: str
    guid: str | None = None
    body: str | None = None  # loaded only when one article is opened
    link: str = ""  # the address as the publisher gave it, shown and linked; `url` if none
    image: str = ""
    image_refused: bool = False  # Telegram would not show the picture: cards go as text
    revision: int = 0  # how many corrections its cards have had
    readable: bool = False  # it has a text to read in Telegram (📖)
    body_html: str | None = None  # loaded with the body

    def __post_init__(self) -> None:
        if not self.link:
            object.__setattr__(self, "link", self.url)

    @classmethod
    def from_row(cls, row: sqlite3.Row) -> Article:
        keys = row.keys()
        return cls(
            id=row["id"],
            url=row["url"],
            title=row["title"],
            summary=row["summary"],
            author=row["author"],
            tags=split_tags(row["tags"]),
            published_at=parse_datetime(row["published_at"]),
            created_at=parse_datetime(row["created_at"]),
            source=row["source"],
            guid=row["guid"],
            body=row["body"] if "body" in keys else None,
            link=row["link"] or row["url"],
            image=row["image"],
            image_refused=bool(row["image_refused"]),
            revision=row["revision"],
            readable=bool(row["readable"]),
            body_html=row["body_html"] if "body_html" in keys else None,
        )

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["tags"] = list(self.tags)
        data["published_at"] = iso(self.published_at)
        data["created_at"] = iso(self.created_at)
        for loaded_with_body in ("body", "body_html"):
            if data[loaded_with_body] is None:
                del data[loaded_with_body]
        return data


@dataclass(frozen=True, slots=True)
class SearchHit:
    article: Article
    snippet: str  # HTML-safe; only <b>…</b> around the matched words
    rank: int  # 1-based position in the whole result list
    score: float | None  # bm25 (lower is better) when ranked by relevance, else None

    def to_dict(self) -> dict[str, Any]:
        return {
            **self.article.to_dict(),
            "snippet": self.snippet,
            "rank": self.rank,
            "score": self.score,
        }


@dataclass(frozen=True, slots=True)
class SearchPage:
    hits: list[SearchHit]
    total: int | None  # exact when `total_is_exact`, else a lower bound; None: not counted
    total_is_exact: bool
    ordered_by: SearchOrder
    query: str = ""
    tokens: list[str] = field(default_factory=list)
    has_more: bool = False  # another page follows


def join_tags(tags: tuple[str, ...]) -> str:
    return ", ".join(tags)


def split_tags(stored: str) -> tuple[str, ...]:
    return tuple(tag for tag in stored.split(", ") if tag)


def published_or_now(article: NewArticle, now: str) -> str:
    return iso(article.published_at) if article.published_at else now


COLUMN_NAMES = (
    "id, url, title, summary, author, tags, published_at, created_at, source, guid, link, "
    "image, image_refused, revision"
).split(", ")
READABLE = "({a}body != '' OR {a}body_html != '') AS readable"  # 📖: a text to read


def columns(alias: str = "") -> str:
    """What an Article is read from, of `articles` (or its alias)."""
    prefix = f"{alias}." if alias else ""
    return ", ".join([*(prefix + name for name in COLUMN_NAMES), READABLE.format(a=prefix)])
