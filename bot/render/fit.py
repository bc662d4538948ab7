"""Fitting HTML into Telegram's limits, which it counts on the text a reader sees: after
parsing (so `&quot;` is one character and tags are none), in UTF-16 code units (an emoji
outside the BMP is two). Cutting the HTML itself can leave a tag open, which Telegram
refuses whole; here text is cut, and every tag still open is closed."""

from __future__ import annotations

import html
import re
from html.parser import HTMLParser

ELLIPSIS = "…"
_TAG = re.compile(r"<[^>]+>")


def utf16_length(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def plain_text(markup: str) -> str:
    """What a reader sees of our markup (its attributes are escaped, so no `>` hides in
    one); also what is sent when Telegram rejects the HTML."""
    return html.unescape(_TAG.sub("", markup))


def visible_length(markup: str) -> int:
    """How long Telegram says `markup` is."""
    return utf16_length(plain_text(markup))


def fit(markup: str, limit: int) -> str:
    """`markup` if it fits `limit`, else cut at a word boundary with an ellipsis, every
    open tag closed: valid HTML of at most `limit` visible characters."""
    if utf16_length(markup) <= limit:  # the markup is never shorter than what it shows
        return markup
    if visible_length(markup) <= limit:
        return markup
    room = limit - utf16_length(ELLIPSIS)
    out: list[str] = []
    open_tags: list[str] = []
    for kind, piece, name in _tokens(markup):
        if kind == "start":
            out.append(piece)
            open_tags.append(name)
        elif kind == "end":
            out.append(piece)
            if name in open_tags:
                del open_tags[len(open_tags) - 1 - open_tags[::-1].index(name)]
        elif utf16_length(piece) <= room:
            out.append(html.escape(piece, quote=False))
            room -= utf16_length(piece)
        else:
            out.append(html.escape(_cut(piece, room), quote=False) + ELLIPSIS)
            break
    return "".join(out) + "".join(f"</{name}>" for name in reversed(open_tags))


def _cut(text: str, room: int) -> str:
    """At most `room` UTF-16 units of `text`, at a word boundary when one is near."""
    kept, used = [], 0
    for char in text:
        used += utf16_length(char)
        if used > room:
            break
        kept.append(char)
    cut = "".join(kept)
    space = cut.rfind(" ")
    if space > len(cut) // 2:
        cut = cut[:space]
    return cut.rstrip(" ,.;:–-")


def _tokens(markup: str) -> list[tuple[str, str, str]]:
    parser = _Tokens()
    parser.feed(markup)
    parser.close()
    return parser.tokens


class _Tokens(HTMLParser):
    """(kind, raw piece or text, tag name): start and end tags as written, text unescaped."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tokens: list[tuple[str, str, str]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tokens.append(("start", self.get_starttag_text() or f"<{tag}>", tag))

    def handle_endtag(self, tag: str) -> None:
        self.tokens.append(("end", f"</{tag}>", tag))

    def handle_data(self, data: str) -> None:
        self.tokens.append(("text", data, ""))
