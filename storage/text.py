"""Pure normalisation of what goes into the store: text, URLs, tags, dates, search queries."""

from __future__ import annotations

import logging
import re
import unicodedata
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import nh3

from storage import clock
from storage.errors import N_, InvalidInput

log = logging.getLogger(__name__)

MAX_URL = 2048
MAX_TAGS = 20
MAX_TAG = 64
MAX_QUERY_TOKENS = 16
FTS_OPERATORS = frozenset({"AND", "OR", "NOT", "NEAR"})
MAX_TOPICS = 20
MAX_TOPIC = 64
MIN_TOPIC = 2  # `a` alone would match nearly every article
MIN_PREFIX = 4  # shorter prefixes match too much to help, and cost too much

# Query parameters that only say where a click came from; two URLs that differ by them are
# the same article.
TRACKING_PARAMS = frozenset(
    {
        "fbclid",
        "gclid",
        "dclid",
        "gbraid",
        "wbraid",
        "msclkid",
        "yclid",
        "igshid",
        "mc_cid",
        "mc_eid",
        "_ga",
        "_gl",
        "ref_src",
        "ref_url",
        "cmpid",
        "ocid",
    }
)
# Control characters, and the invisible ones that spoof: bidi embeddings, overrides and
# isolates (a title that reads backwards), directional marks, zero-width spaces and joiners
# of words, the BOM, soft hyphens, invisible operators and interlinear annotations. ZWJ and
# ZWNJ (U+200C, U+200D) stay: emoji sequences and several scripts need them.
_CONTROL = re.compile(
    "[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\xad\u061c\u180e\u200b\u200e\u200f"
    "\u202a-\u202e\u2028\u2029\u2060-\u2064\u2066-\u2069\ufeff\ufff9-\ufffb]"
)
_SPACES = re.compile(r"\s+")
# Letters and digits, as SQLite's unicode61 tokenizer sees them (`_` separates words there).
_TOKEN = re.compile(r"[^\W_]+")
_HYPHENATED = re.compile(r"[^\W_]+(?:-[^\W_]+)*")


def clean_text(value: str, *, single_line: bool = False) -> str:
    """NFC, no control characters, trimmed; `single_line` also folds all whitespace runs."""
    value = _CONTROL.sub("", unicodedata.normalize("NFC", value))
    if single_line:
        return _SPACES.sub(" ", value).strip()
    return "\n".join(line.rstrip() for line in value.strip().splitlines())


# What an article's HTML may keep: its structure (what a rich message can show) and links;
# every attribute but a link's target and a picture's address and text goes, and so does
# every address that is not http(s).
HTML_KEPT = frozenset(
    {"p", "br", "h1", "h2", "h3", "h4", "h5", "h6", "ul", "ol", "li", "blockquote", "cite"}
    | {"figure", "figcaption", "img", "a", "b", "strong", "i", "em", "u", "s", "del", "code"}
    | {"pre", "hr", "sub", "sup", "mark", "aside", "table", "thead", "tbody", "tr", "th", "td"}
)
HTML_ATTRIBUTES = {"a": {"href"}, "img": {"src", "alt"}}


def clean_html(markup: str) -> str:
    """An article's HTML sanitised (nh3, the Ammonia sanitiser): only HTML_KEPT's tags, no
    scripts or styles, links and pictures only to http(s)."""
    if not markup.strip():
        return ""
    cleaned = nh3.clean(
        clean_text(markup),
        tags=set(HTML_KEPT),
        attributes=HTML_ATTRIBUTES,
        url_schemes={"http", "https"},
        link_rel=None,
        strip_comments=True,
    )
    return cleaned.strip()


def image_url(raw: str) -> str:
    """A picture's address as given, if it is one Telegram could fetch: http(s), a host, no
    spaces, at most MAX_URL characters; else InvalidInput."""
    url = clean_text(raw, single_line=True)
    if not url:
        return ""
    parts = urlsplit(url)
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname or " " in url:
        raise InvalidInput(N_("the image is not a web address: {url}"), url=url[:100])
    if len(url) > MAX_URL:
        raise InvalidInput(N_("the URL is longer than {limit} characters"), limit=MAX_URL)
    return url


def fold(value: str) -> str:
    """Case- and diacritics-insensitive form: `Perú` and `peru` fold to the same string."""
    decomposed = unicodedata.normalize("NFKD", value.casefold())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


ITEM_FRAGMENT = "guid="  # the page of a feed item that has none: the site, and this


def normalize_url(raw: str) -> str:
    """The canonical form used for uniqueness: lower-case scheme and host, no default port,
    no fragment, no trailing slash, no tracking parameters, remaining parameters sorted.
    A fragment `guid=…` is kept: it names a feed item that has no page of its own."""
    url = clean_text(raw, single_line=True)
    if len(url) > MAX_URL:
        raise InvalidInput(N_("the URL is longer than {limit} characters"), limit=MAX_URL)
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https") or not parts.hostname:
        raise InvalidInput(N_("not a web address (http:// or https://): {url}"), url=url[:100])
    if " " in url:
        raise InvalidInput(N_("a web address cannot contain spaces: {url}"), url=url[:100])
    host = ascii_host(parts.hostname, url)
    try:
        port = parts.port
    except ValueError:
        raise InvalidInput(N_("the port in {url} is not a number"), url=url[:100]) from None
    if port and (scheme, port) not in (("http", 80), ("https", 443)):
        host = f"{host}:{port}"
    if parts.username or parts.password:
        raise InvalidInput(N_("web addresses with user names or passwords are not accepted"))
    query = sorted(
        (key, value)
        for key, value in parse_qsl(parts.query, keep_blank_values=True)
        if not key.lower().startswith("utm_") and key.lower() not in TRACKING_PARAMS
    )
    path = parts.path.rstrip("/")
    fragment = parts.fragment if parts.fragment.startswith(ITEM_FRAGMENT) else ""
    return urlunsplit((scheme, host, path, urlencode(query), fragment))


def ascii_host(host: str, url: str) -> str:
    """The host as a client connects to it: IDNA-mapped (fullwidth or circled digits
    spell 127.0.0.1, `Perú.example` is xn--per-boa.example), lower-case, an IPv6 address in
    its brackets."""
    if ":" in host:
        return f"[{host.lower()}]"
    try:
        return host.encode("idna").decode("ascii").lower()
    except UnicodeError:  # an empty label, one over 63 characters, a forbidden character
        raise InvalidInput(N_("the host name in {url} is not valid"), url=url[:100]) from None


def parse_tags(raw: str | Iterable[str]) -> tuple[str, ...]:
    """Comma-separated (or already split) tags: trimmed, de-duplicated ignoring case and
    accents, bounded in number and length."""
    items = raw.split(",") if isinstance(raw, str) else raw
    tags: list[str] = []
    seen: set[str] = set()
    for item in items:
        tag = clean_text(item.replace(",", " "), single_line=True).lstrip("#").strip()
        if not tag:
            continue
        if len(tag) > MAX_TAG:
            raise InvalidInput(
                N_("a tag has at most {limit} characters: {tag}…"), limit=MAX_TAG, tag=tag[:20]
            )
        if fold(tag) not in seen:
            seen.add(fold(tag))
            tags.append(tag)
    if len(tags) > MAX_TAGS:
        raise InvalidInput(
            N_("at most {limit} tags, not {count}"), limit=MAX_TAGS, count=len(tags)
        )
    return tuple(tags)


def parse_datetime(raw: str) -> datetime:
    """ISO-8601 (`2026-03-01`, `2026-03-01T10:00`, `...Z`, `...+02:00`); naive means UTC."""
    try:
        value = datetime.fromisoformat(raw.strip())
    except ValueError:
        raise InvalidInput(
            N_("not a date like 2026-12-01 or 2026-12-01T08:00: {value}"), value=raw[:40]
        ) from None
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


def iso(value: datetime) -> str:
    """How dates are stored: UTC, second precision, four-digit years, sortable as text."""
    utc = value.astimezone(UTC)
    return f"{utc.year:04d}-{utc:%m-%dT%H:%M:%S}Z"


EARLIEST_PUBLISHED = datetime(1995, 1, 1, tzinfo=UTC)  # before the web had articles to feed
LATEST_AHEAD = timedelta(days=1)  # a clock a little fast; later than that is a wrong date


def sane_published(value: datetime | None, now: datetime) -> datetime | None:
    """A publication date as UTC, or None (the moment of discovery will stand in) when it
    cannot be one: before 1995, or more than a day ahead of `now`. Naive dates are UTC."""
    if value is None:
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    value = value.astimezone(UTC)
    if value < EARLIEST_PUBLISHED or value > now + LATEST_AHEAD:
        log.debug("publication date %s is not believable; the time of discovery stands", value)
        return None
    return value


def now_iso() -> str:
    return iso(clock.now())


def query_tokens(words: str) -> list[str]:
    """The words of a search as the FTS tokenizer will see them; operators are just text."""
    normalized = unicodedata.normalize("NFKC", words)
    return _TOKEN.findall(normalized)[:MAX_QUERY_TOKENS]


def fts_query(words: str) -> str | None:
    """A safe FTS5 MATCH expression: every token a quoted string, all required; the last one
    a prefix (as the user types) when it is long enough to be selective. None if no token."""
    tokens = query_tokens(words)
    if not tokens:
        return None
    quoted = [_quoted(token) for token in tokens]
    if len(tokens[-1]) >= MIN_PREFIX:
        quoted[-1] += "*"
    return " ".join(quoted)


def title_query(words: str) -> str | None:
    """The FTS5 expression of articles whose title has every word of the search whole
    (`peru` finds "Perú: …", not "… peruana …"): they rank first."""
    tokens = query_tokens(words)
    if not tokens:
        return None
    return "title : (" + " ".join(_quoted(token) for token in tokens) + ")"


def _quoted(token: str) -> str:
    """A token as an FTS5 string: never an operator, whatever it spells."""
    return '"' + token.replace('"', '""') + '"'


def terms(text: str) -> set[str]:
    """Every word of `text`, folded: what a topic filter is compared with."""
    return {fold(token) for token in _TOKEN.findall(unicodedata.normalize("NFKC", text))}


def parse_topics(words: Iterable[str]) -> tuple[str, ...]:
    """Subscription topics: single words of letters and digits, folded, de-duplicated."""
    topics: list[str] = []
    for given in words:
        given = unicodedata.normalize("NFKC", given.strip()).lstrip("#")
        if not given:
            continue
        parts = given.split("-")  # perú-lima: two words, as search reads it
        if not _HYPHENATED.fullmatch(given) or any(word in FTS_OPERATORS for word in parts):
            raise InvalidInput(
                N_("a topic is one word of letters and digits; {word} is not"),
                word=given[:MAX_TOPIC],
            )
        for word in parts:
            if len(word) > MAX_TOPIC:
                raise InvalidInput(N_("a topic has at most {limit} characters"), limit=MAX_TOPIC)
            if len(word) < MIN_TOPIC:
                raise InvalidInput(
                    N_("a topic has at least {limit} letters; {word} is too short"),
                    limit=MIN_TOPIC,
                    word=word,
                )
            topic = fold(word)
            if topic not in topics:
                topics.append(topic)
            if len(topics) > MAX_TOPICS:
                raise InvalidInput(N_("at most {limit} topics"), limit=MAX_TOPICS)
    return tuple(topics)
