"""The pieces every message is made of: the reply, escaping, cutting to fit."""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from urllib.parse import urlsplit

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, LinkPreviewOptions

from bot.callbacks import OpenArticle, SubscriptionAction
from bot.i18n import Texts
from bot.render.fit import ELLIPSIS, fit, visible_length
from storage import Article

MAX_MESSAGE = 4096
MAX_CAPTION = 1024  # Telegram's limit for a photo's caption
OPEN_LINK, READ_LINK = "a", "r"  # deep links: /start a12 opens article 12, r12 reads it
SUBSCRIBE_DATA = SubscriptionAction(SubscriptionAction.SUBSCRIBE).encode()
_SENTENCE_END = re.compile(r"[.!?…](?=\s)")
_HASHTAG_JUNK = re.compile(r"[^\w]+")


@dataclass(frozen=True)
class Reply:
    """A message: its text always fits Telegram's 4,096 visible characters."""

    text: str
    markup: InlineKeyboardMarkup | None = None
    preview_url: str | None = None  # show a link preview of this URL
    photo: str | None = None  # a card's picture: sent as a photo with the text as caption

    def __post_init__(self) -> None:
        object.__setattr__(self, "text", fit(self.text, MAX_MESSAGE))

    @property
    def link_preview(self) -> LinkPreviewOptions:
        if self.preview_url is None:
            return LinkPreviewOptions(is_disabled=True)
        return LinkPreviewOptions(url=self.preview_url, prefer_small_media=True)


# -- small pieces -------------------------------------------------------------------------


def escape(value: str) -> str:
    return html.escape(value, quote=True)


def safe_url(url: str) -> str | None:
    """The URL if it is http(s) with a host, else None: nothing else becomes a link."""
    parts = urlsplit(url)
    return url if parts.scheme in ("http", "https") and parts.hostname else None


def truncate(text: str, limit: int) -> str:
    """Cut at a word boundary so the result, ellipsis included, fits `limit` characters."""
    text = text.strip()
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    space = cut.rfind(" ")
    if space > limit // 2:
        cut = cut[:space]
    return cut.rstrip(" ,.;:–-") + "…"


def trim_summary(text: str, limit: int) -> str:
    """Cut at the last sentence end that fits, else at a word boundary."""
    text = text.strip()
    if len(text) <= limit:
        return text
    ends = [m.end() for m in _SENTENCE_END.finditer(text[: limit + 1]) if m.end() <= limit]
    if ends and ends[-1] > limit // 3:
        return text[: ends[-1]]
    return truncate(text, limit)


def hashtags(tags: tuple[str, ...]) -> str:
    """`Perú`, `human rights` → `#Perú #human_rights` (escaped)."""
    cleaned = (_HASHTAG_JUNK.sub("_", tag).strip("_") for tag in tags)
    return " ".join("#" + escape(tag) for tag in cleaned if tag)


def byline(article: Article, t: Texts) -> str:
    """`Author · Nov 28, 2026 · No. 12`: the number /article, /edit and /delete take."""
    parts = [escape(article.author)] if article.author else []
    parts.append(t.date(article.published_at))
    if article.id:  # a draft has none yet
        parts.append(article_number(article, t))
    return " · ".join(parts)


def article_number(article: Article, t: Texts) -> str:
    return t.gettext("No. {id}", id=article.id)


def article_button(label: str, article_id: int) -> InlineKeyboardButton:
    return InlineKeyboardButton(label, callback_data=OpenArticle(article_id).encode())


def navigation(previous: str | None, following: str | None) -> list[InlineKeyboardButton]:
    buttons = []
    if previous is not None:
        buttons.append(InlineKeyboardButton("◀", callback_data=previous))
    if following is not None:
        buttons.append(InlineKeyboardButton("▶", callback_data=following))
    return buttons


def expired_button(t: Texts) -> str:
    return t.gettext("This button no longer works. Send /latest to start again.")


def something_went_wrong(t: Texts) -> str:
    return t.gettext("Sorry, something went wrong on our side. Please try again in a moment.")


def caption(text: str, limit: int = MAX_CAPTION) -> str:
    """`text` cut to a photo caption's limit (visible characters), at a line's end when
    whole lines fit."""
    if visible_length(text) <= limit:
        return text
    kept: list[str] = []
    for line in text.split("\n"):
        if visible_length("\n".join([*kept, line, ELLIPSIS])) > limit:
            break
        kept.append(line)
    return "\n".join([*kept, ELLIPSIS]) if kept else fit(text, limit)
