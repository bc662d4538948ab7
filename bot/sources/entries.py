"""A feed's items as the feed describes them (`Entry`), whatever its format, and the rules
that turn one into an article: it needs some way to be opened and some words to be called
by; its text is plain; its date is believable or left to the moment of discovery."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from html.parser import HTMLParser
from urllib.parse import quote, urljoin, urlsplit

from storage import InvalidInput, NewArticle
from storage.errors import N_
from storage.models import MAX_AUTHOR, MAX_BODY, MAX_BODY_HTML, MAX_SUMMARY, MAX_TITLE
from storage.text import ITEM_FRAGMENT, MAX_TAG, MAX_TAGS, image_url, parse_datetime

TITLE_FROM_TEXT = 100  # characters of the text that name an item without a title
_MARKUP = re.compile(r"</?[A-Za-z][A-Za-z0-9]*(\s[^<>]*)?/?>")


@dataclass
class Entry:
    guid: str | None = None
    link: str | None = None  # as written: maybe relative to the feed
    guid_is_link: bool = False  # RSS isPermaLink (the default), an Atom id that is a URL
    enclosure: str | None = None  # a podcast's episode, a photo
    title: str = ""  # plain text
    text: str = ""  # plain text: the summary, else the content
    author: str = ""
    tags: list[str] = field(default_factory=list)
    published: datetime | None = None
    image: str | None = None  # as written: maybe relative
    html: str = ""  # the full content, as HTML, when the feed has it


@dataclass
class FeedDocument:
    title: str
    link: str  # the site's address, from the feed
    entries: list[Entry]
    ttl_seconds: float | None = None
    malformed: bool = False


def article_of(entry: Entry, source: str, base: str, site: str) -> NewArticle:
    """The article an entry is, or InvalidInput saying why it cannot be one. `base` is the
    feed's own address, that relative links are read against; `site` the site's."""
    url = opening_link(entry, base, site)
    title = entry.title or first_words(entry.text, TITLE_FROM_TEXT)
    if not title:
        raise InvalidInput(N_("an item without a title or text"))
    tags = [tag[:MAX_TAG] for tag in entry.tags if tag.strip(" ,#")]
    html = entry.html if len(entry.html) <= MAX_BODY_HTML else ""
    return NewArticle(
        url=url,
        title=shorten(title, MAX_TITLE),
        summary=shorten(entry.text, MAX_SUMMARY),
        author=shorten(entry.author, MAX_AUTHOR),
        tags=tuple(tags)[:MAX_TAGS],
        published_at=entry.published,
        source=source,
        guid=entry.guid,
        image=picture(absolute(entry.image or first_image(entry.html), base)),
        body=shorten(html_text(html), MAX_BODY) if html else "",
        body_html=html,
    )


def opening_link(entry: Entry, base: str, site: str) -> str:
    """Its link; else its guid when that is a URL; else its enclosure (a podcast episode);
    else the feed's site with the guid as a fragment, so each item stays apart."""
    guid = absolute(entry.guid, "") if entry.guid_is_link else None  # a URL in itself
    url = absolute(entry.link, base) or guid or absolute(entry.enclosure, base)
    if url:
        return url
    home = absolute(site, base)
    if entry.guid and home:
        return f"{home.split('#')[0]}#{ITEM_FRAGMENT}{quote(entry.guid, safe='')}"
    raise InvalidInput(N_("an item without a link"))


def absolute(link: str | None, base: str) -> str | None:
    """An http(s) address, relative ones read against `base`; None for anything else."""
    if not link or not link.strip():
        return None
    url = urljoin(base, link.strip()) if base else link.strip()
    parts = urlsplit(url)
    return url if parts.scheme in ("http", "https") and parts.netloc else None


class _FirstImage(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.src: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "img" and self.src is None:
            self.src = dict(attrs).get("src") or None


def first_image(markup: str) -> str | None:
    """The address of the first <img> of some HTML, if any."""
    if "<img" not in markup.lower():
        return None
    parser = _FirstImage()
    parser.feed(markup)
    parser.close()
    return parser.src


def picture(url: str | None) -> str:
    """A picture's address the store takes, or "": a bad picture never costs the article."""
    try:
        return image_url(url or "")
    except InvalidInput:
        return ""


def first_words(text: str, limit: int) -> str:
    """The start of a text, cut at a word, to name what has no title."""
    return shorten(" ".join(text.split()), limit)


def shorten(text: str, limit: int) -> str:
    if len(text) <= limit:
        return text
    cut = text[: limit - 1].rsplit(" ", 1)[0]
    return cut + "…"


def moment(value: str) -> datetime | None:
    """An RFC 3339 date (JSON Feed's), as UTC; None when there is none or it cannot be read."""
    if not value:
        return None
    try:
        return parse_datetime(value)
    except InvalidInput:
        return None


class _Text(HTMLParser):
    BLOCKS = frozenset({"p", "br", "div", "li", "h1", "h2", "h3", "h4", "tr", "blockquote"})

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []

    def handle_starttag(self, tag: str, attrs: object) -> None:
        if tag in self.BLOCKS:
            self.parts.append(" ")

    def handle_data(self, data: str) -> None:
        self.parts.append(data)


def html_text(markup: str) -> str:
    """Plain text from feed HTML: tags dropped, entities decoded, spaces folded. HTML that was
    escaped once more (a CDATA section after an `<img>`, say) comes out as markup the first
    time: it is read again, so a summary never shows tags."""
    text = _strip(markup)
    if _MARKUP.search(text):
        text = _strip(text)
    return text


def _strip(markup: str) -> str:
    parser = _Text()
    parser.feed(markup)
    parser.close()
    return " ".join("".join(parser.parts).split())
