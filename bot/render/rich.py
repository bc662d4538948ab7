"""📖 The whole article inside Telegram: as a rich message (Bot API 10.1), or, where the
Bot API has none, as a few HTML messages cut between paragraphs.

The article's HTML (sanitised when stored: storage.text.clean_html) is read into a flat
list of blocks (headings, paragraphs, list items, quotations, pictures, preformatted
text), each with its inline formatting in Telegram's HTML style, and both forms are
written from those. The rich message keeps within Telegram's documented limits (32,768
characters, 500 blocks, 50 media): what does not fit ends with a link to the site.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from html.parser import HTMLParser

from bot.i18n import Texts
from bot.render.common import MAX_MESSAGE, byline, escape, safe_url
from bot.render.fit import fit, plain_text, visible_length
from storage import Article

RICH_TEXT = 30_000  # of the 32,768 characters a rich message may have: room for the end
RICH_BLOCKS = 480  # of 500
RICH_MEDIA = 50
FALLBACK_MESSAGES = 5
HEADINGS = {"h1": 2, "h2": 2, "h3": 3, "h4": 4, "h5": 4, "h6": 4}  # h1 is the title's
INLINE = {"b": "b", "strong": "b", "i": "i", "em": "i", "u": "u", "s": "s", "del": "s"}
INLINE |= {"code": "code"}
BLOCKS = frozenset({"p", "li", "pre", "figcaption", "td", "th", "dt", "dd", "caption"})


@dataclass
class Block:
    kind: str  # h2..h4, p, li, quote, pre, img
    html: str = ""  # inline Telegram HTML: b, i, u, s, code, a
    ordered: int | None = None  # a numbered list item's number
    depth: int = 0  # list nesting
    src: str = ""  # a picture's address

    @property
    def text_length(self) -> int:
        return visible_length(self.html)


@dataclass(frozen=True)
class ReadingCopy:
    """An article to read: `rich` for sendRichMessage, `parts` where it is not known."""

    rich: str
    parts: list[str] = field(default_factory=list)


def reading_copy(article: Article, t: Texts) -> ReadingCopy:
    blocks = read_blocks(article.body_html or "") or text_blocks(article.body or "")
    if blocks and blocks[0].kind.startswith("h") and plain_text(blocks[0].html) == article.title:
        blocks = blocks[1:]  # the page's own headline: the title is said already
    url = safe_url(t.link(article.link))
    return ReadingCopy(rich_html(article, blocks, url, t), messages(article, blocks, url, t))


# -- the article's HTML as blocks ---------------------------------------------------------


def read_blocks(markup: str) -> list[Block]:
    if not markup.strip():
        return []
    reader = _Blocks()
    reader.feed(markup)
    reader.close()
    reader.flush()
    return [block for block in reader.blocks if block.kind == "img" or block.html.strip()]


def text_blocks(text: str) -> list[Block]:
    """A plain text's paragraphs (a feed's or an old article's body)."""
    return [Block("p", escape(line.strip())) for line in text.splitlines() if line.strip()]


class _Blocks(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.blocks: list[Block] = []
        self.kind = "p"
        self.parts: list[str] = []
        self.open: list[str] = []  # inline tags open in the current block
        self.lists: list[list[int]] = []  # [next number] of each open <ol>, [] for <ul>
        self.quote = 0
        self.skip = 0  # inside <script>, <style>: nh3 removes them; here, just in case

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if tag in ("script", "style"):
            self.skip += 1
        elif tag in HEADINGS or tag in BLOCKS:
            self.flush()
            self.kind = f"h{HEADINGS[tag]}" if tag in HEADINGS else self._kind_of(tag)
        elif tag in ("ul", "ol"):
            self.flush()
            self.lists.append([1] if tag == "ol" else [])
        elif tag == "blockquote":
            self.flush()
            self.quote += 1
        elif tag == "img":
            src = safe_url(values.get("src") or "")
            if src:
                self.flush()
                self.blocks.append(Block("img", escape(values.get("alt") or ""), src=src))
        elif tag == "br":
            self.parts.append("\n")
        elif tag in INLINE:
            self._open(INLINE[tag], f"<{INLINE[tag]}>")
        elif tag == "a":
            href = safe_url(values.get("href") or "")
            self._open("a", f'<a href="{escape(href)}">' if href else "")

    def _kind_of(self, tag: str) -> str:
        if tag == "li":
            return "li"
        if tag == "pre":
            return "pre"
        return "quote" if self.quote else "p"

    def _open(self, tag: str, markup: str) -> None:
        self.open.append(tag if markup else "")
        self.parts.append(markup)

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style"):
            self.skip = max(0, self.skip - 1)
        elif tag in HEADINGS or tag in BLOCKS:
            self.flush()
        elif tag in ("ul", "ol"):
            self.flush()
            if self.lists:
                self.lists.pop()
        elif tag == "blockquote":
            self.flush()
            self.quote = max(0, self.quote - 1)
        elif (tag in INLINE or tag == "a") and self.open:
            closing = self.open.pop()
            if closing:
                self.parts.append(f"</{closing}>")

    def handle_data(self, data: str) -> None:
        if self.skip:
            return
        if self.kind == "pre":
            self.parts.append(escape(data))
        elif data.strip() or self.parts:
            self.parts.append(escape(" ".join(data.split()) if not data.isspace() else " "))

    def flush(self) -> None:
        """End the current block: its open inline tags closed, kept if it has words."""
        self.parts += [f"</{tag}>" for tag in reversed(self.open) if tag]
        self.open = []
        html = "".join(self.parts).strip()
        self.parts = []
        kind, self.kind = self.kind, ("quote" if self.quote else "p")
        if not html:
            return
        if kind in ("p", "quote") and self.quote:
            kind = "quote"
        block = Block(kind, html, depth=max(0, len(self.lists) - 1))
        if kind == "li" and self.lists and self.lists[-1]:
            block.ordered = self.lists[-1][0]
            self.lists[-1][0] += 1
        self.blocks.append(block)


# -- the rich message ---------------------------------------------------------------------


def rich_html(article: Article, blocks: list[Block], url: str | None, t: Texts) -> str:
    out = [f"<h1>{escape(article.title)}</h1>"]
    if article.image and not article.image_refused and not any(b.kind == "img" for b in blocks):
        out.append(f'<img src="{escape(article.image)}"/>')
    length, count, media = len(article.title), 1, len(out) - 1
    rest = list(blocks)
    while rest:
        block = rest[0]
        if block.kind == "li":  # a run of list items is one list
            run = [rest.pop(0)]
            while (
                rest
                and rest[0].kind == "li"
                and (rest[0].ordered is None) == (run[0].ordered is None)
            ):
                run.append(rest.pop(0))
            cost, text = len(run) + 1, sum(item.text_length for item in run)
            if length + text > RICH_TEXT or count + cost > RICH_BLOCKS:
                rest = [block]
                break
            tag = "ol" if run[0].ordered is not None else "ul"
            items = "".join(f"<li>{item.html}</li>" for item in run)
            out.append(f"<{tag}>{items}</{tag}>")
            length, count = length + text, count + cost
            continue
        if length + block.text_length > RICH_TEXT or count + 2 > RICH_BLOCKS:
            break
        if block.kind == "img" and media >= RICH_MEDIA:
            rest.pop(0)
            continue
        out.append(_rich_block(block))
        length, count = length + block.text_length, count + (2 if block.kind == "quote" else 1)
        media += block.kind == "img"
        rest.pop(0)
    end = [byline(article, t)]
    if url:
        link = t.gettext("continues on the site ↗") if rest else t.gettext("Read on the site ↗")
        end.append(f'<a href="{escape(url)}">{link}</a>')
    out += ["<hr/>", f"<footer>{' · '.join(end)}</footer>"]
    return "".join(out)


def _rich_block(block: Block) -> str:
    if block.kind == "img":
        alt = f"<p><i>{block.html}</i></p>" if block.html else ""
        return f'<img src="{escape(block.src)}"/>{alt}'
    if block.kind == "quote":
        return f"<blockquote><p>{block.html}</p></blockquote>"
    if block.kind == "pre":
        return f"<pre>{block.html}</pre>"
    if block.kind.startswith("h"):
        return f"<{block.kind}>{block.html}</{block.kind}>"
    return f"<p>{block.html}</p>"


# -- the fallback: HTML messages ----------------------------------------------------------


def messages(article: Article, blocks: list[Block], url: str | None, t: Texts) -> list[str]:
    """At most FALLBACK_MESSAGES messages of at most 4,096 visible characters, cut between
    paragraphs; the title first, the byline and the link last ("continues on the site ↗"
    when it did not all fit)."""
    paragraphs = [_plain_block(block) for block in blocks if block.kind != "img"]
    end = byline(article, t)
    if url:
        end += f' · <a href="{escape(url)}">{t.gettext("Read on the site ↗")}</a>'
    cut = t.gettext("continues on the site ↗")
    more = f'<a href="{escape(url)}">{cut}</a>' if url else cut
    parts: list[str] = []
    current = [f"<b>{escape(article.title)}</b>"]
    room = MAX_MESSAGE - 100  # the closing line's
    for paragraph in paragraphs:
        if current and visible_length("\n\n".join([*current, paragraph])) > room:
            if len(parts) == FALLBACK_MESSAGES - 1:
                current.append(f"… {more}")
                parts.append(fit("\n\n".join(current), MAX_MESSAGE))
                return parts
            parts.append("\n\n".join(current))
            current = []
        current.append(fit(paragraph, room))
    current.append(end)
    parts.append(fit("\n\n".join(current), MAX_MESSAGE))
    return parts


def _plain_block(block: Block) -> str:
    if block.kind.startswith("h"):
        return f"<b>{block.html}</b>"
    if block.kind == "li":
        mark = f"{block.ordered}." if block.ordered is not None else "•"
        return f"{'  ' * block.depth}{mark} {block.html}"
    if block.kind == "quote":
        return f"<blockquote>{block.html}</blockquote>"
    if block.kind == "pre":
        return f"<pre>{block.html}</pre>"
    return block.html
