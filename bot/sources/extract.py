"""Reading an article page: title, lead, author, date, tags and picture, with trafilatura
(OpenGraph, JSON-LD and HTML metadata), and its text with its structure (trafilatura's
HTML output: headings, paragraphs, lists, quotes, pictures, links), never with
hand-written regexes."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import datetime

import charset_normalizer
from trafilatura import extract
from trafilatura.metadata import Document, extract_metadata
from w3lib.encoding import html_to_unicode

from bot.sources.entries import absolute, html_text
from bot.sources.errors import FetchError
from bot.sources.fetch import Fetched, Fetcher
from storage.errors import N_
from storage.models import MAX_BODY, MAX_BODY_HTML, MAX_SUMMARY, MAX_TITLE
from storage.text import MAX_TAG, MAX_TAGS, parse_datetime

MAX_PAGE_BYTES = 5 * 2**20
HTML_TYPES = ("text/html", "application/xhtml+xml", "")


@dataclass
class Draft:
    """An article being prepared by an admin, before it is stored."""

    url: str
    title: str = ""
    summary: str = ""
    author: str = ""
    tags: tuple[str, ...] = ()
    published_at: datetime | None = None
    image: str | None = None
    body: str = ""  # plain, for search
    body_html: str = ""  # for the 📖 rich message


PAGE_TIMEOUT = 15.0


async def read_page(url: str, *, allow_private: bool, timeout: float | None = None) -> Draft:
    """Fetch the page and fill a draft from its metadata; FetchError says why not."""
    fetcher = Fetcher(
        allow_private=allow_private, max_bytes=MAX_PAGE_BYTES, timeout=timeout or PAGE_TIMEOUT
    )
    page = await fetcher.get(url)
    if page.content_type not in HTML_TYPES:
        raise FetchError(N_("it is not a web page"), detail=page.content_type)
    meta, body_html = await asyncio.to_thread(read_article, page)
    if meta is None or not meta.title:
        raise FetchError(N_("the page has no title I can read"))
    tags = [
        t.strip()
        for raw in (meta.tags or []) + (meta.categories or [])
        for t in raw.split(",")
        if t.strip()
    ]
    published = None
    if meta.date:
        try:
            published = parse_datetime(meta.date)
        except ValueError:
            published = None
    return Draft(
        url=url,
        title=meta.title[:MAX_TITLE],
        summary=(meta.description or "")[:MAX_SUMMARY],
        author=(meta.author or "")[:256],
        tags=tuple(dict.fromkeys(t[:MAX_TAG] for t in tags))[:MAX_TAGS],
        published_at=published,
        image=absolute(meta.image, page.url),
        body=html_text(body_html)[:MAX_BODY],
        body_html=body_html[:MAX_BODY_HTML] if len(body_html) <= MAX_BODY_HTML else "",
    )


def read_article(page: Fetched) -> tuple[Document | None, str]:
    """The page's metadata and its main text as HTML ("" when trafilatura finds none)."""
    text = decoded(page)
    body = extract(
        text,
        url=page.url,
        output_format="html",
        include_images=True,
        include_links=True,
        include_formatting=True,
        include_comments=False,
    )
    return extract_metadata(text, default_url=page.url), body or ""


def decoded(page: Fetched) -> str:
    """The page's text, decoded as browsers do (w3lib): a byte-order mark, else the HTTP
    charset, else the page's own declaration, else a guess from its bytes."""
    _, text = html_to_unicode(
        page.headers.get("content-type"), page.body, auto_detect_fun=guess_encoding
    )
    return text


def guess_encoding(data: bytes) -> str | None:
    best = charset_normalizer.from_bytes(data).best()
    return best.encoding if best is not None else None
