"""What Telegram accepts in a rich message (Bot API 10.1, sendRichMessage), as the Bot API
documents it (core.telegram.org/bots/api#rich-messages): exactly one of `html`, `markdown`
or `blocks`; in `html`, the tags of the rich HTML style; and the limits: 32,768 characters
of text, 500 blocks (nested ones, list items, table rows and quotations counted), 16
levels of nesting, 50 media. The stand-in applies these rules; they are taken from the
documentation, never from the bot they test.
"""

from __future__ import annotations

from html.parser import HTMLParser
from typing import Any

from bot.sandbox.rules import ApiError

MAX_TEXT = 32_768
MAX_BLOCKS = 500
MAX_DEPTH = 16
MAX_MEDIA = 50
# Rich HTML style: blocks (paragraph, section heading, preformatted, footer, divider, list,
# block and pull quotation, table, details, photo, video, audio, collage, slideshow) and
# the inline formatting of the HTML style.
BLOCK_TAGS = frozenset(
    {"p", "h1", "h2", "h3", "h4", "h5", "h6", "pre", "footer", "hr", "ul", "ol", "li"}
    | {"blockquote", "aside", "table", "tr", "details", "img", "video", "audio"}
    | {"tg-collage", "tg-slideshow", "tg-map", "tg-math-block", "figure"}
)
INLINE_TAGS = frozenset(
    {"b", "strong", "i", "em", "u", "ins", "s", "strike", "del", "span", "tg-spoiler", "a"}
    | {"code", "tg-emoji", "sub", "sup", "mark", "cite", "br", "figcaption", "summary"}
    | {"td", "th", "thead", "tbody", "caption", "tg-time", "tg-math"}
)
VOID_TAGS = frozenset({"hr", "img", "br"})
MEDIA_TAGS = frozenset({"img", "video", "audio"})


def check_rich_message(rich: Any) -> dict[str, Any]:
    """The sent message's `rich_message`, or the 400 Telegram answers."""
    if not isinstance(rich, dict):
        raise ApiError('Bad Request: field "rich_message" must be an Object')
    given = [key for key in ("html", "markdown", "blocks") if rich.get(key)]
    if len(given) != 1:
        raise ApiError("Bad Request: exactly one of html, markdown or blocks must be specified")
    if "html" not in given:
        return {"blocks": rich.get("blocks") or [], "text": str(rich.get("markdown") or "")}
    reader = _RichHtml()
    reader.feed(str(rich["html"]))
    reader.close()
    if reader.open:
        raise ApiError(f'Bad Request: can\'t parse rich message: unclosed tag "{reader.open[-1]}"')
    text = "".join(reader.text)
    if len(text) > MAX_TEXT:
        raise ApiError("Bad Request: rich message is too long")
    if reader.blocks > MAX_BLOCKS:
        raise ApiError("Bad Request: too many blocks in the rich message")
    if reader.media > MAX_MEDIA:
        raise ApiError("Bad Request: too many media in the rich message")
    if not text.strip() and not reader.media:
        raise ApiError("Bad Request: rich message is empty")
    return {"blocks": reader.kinds, "text": text}


class _RichHtml(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.open: list[str] = []
        self.text: list[str] = []
        self.kinds: list[str] = []  # each block's tag, in order: what the test reads
        self.blocks = 0
        self.media = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in BLOCK_TAGS and tag not in INLINE_TAGS:
            raise ApiError(f'Bad Request: can\'t parse rich message: unsupported tag "{tag}"')
        if tag in BLOCK_TAGS:
            self.blocks += 1
            self.kinds.append(tag)
        if tag in MEDIA_TAGS:
            self.media += 1
            source = dict(attrs).get("src") or ""
            if not source.startswith(("http://", "https://", "tg://")):
                raise ApiError("Bad Request: wrong file identifier/HTTP URL specified")
        if tag == "a" and not (dict(attrs).get("href") or "").strip():
            raise ApiError("Bad Request: can't parse rich message: a link without an address")
        if tag in VOID_TAGS:
            return
        self.open.append(tag)
        if len(self.open) > MAX_DEPTH:
            raise ApiError("Bad Request: rich message nesting is too deep")

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)
        if tag not in VOID_TAGS:
            self.handle_endtag(tag)

    def handle_endtag(self, tag: str) -> None:
        if tag in VOID_TAGS:
            return
        if not self.open or self.open[-1] != tag:
            raise ApiError(f'Bad Request: can\'t parse rich message: unmatched end tag "{tag}"')
        self.open.pop()

    def handle_data(self, data: str) -> None:
        self.text.append(data)
