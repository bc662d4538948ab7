"""Button payloads: stateless, at most 64 bytes, valid across restarts.

Each payload is a letter and its arguments: `L<offset>` a page of the latest articles,
`S<offset> <query>` a page of search results, `A<id>` an article card, `Us` / `Ua` /
`Ut<key>` subscribe, unsubscribe, or drop the topic whose key is `<key>`, `Ud` / `Uw` / `Ui`
a daily or weekly digest or each article at once, `Uc<chat id>`
subscribe that channel (asked after a forwarded post), `Bc<id>` cancel
the broadcast of an article, `Cl<offset>` a page of subscribed channels and
`Cr<offset> <chat id>` unsubscribe that channel (and show that page again), `D<step>` a
button of the /add preview or of a dialogue's question, `E<field><id>` the field of an
article to edit, `Xd<id>` / `Xr<id>` / `Xc` delete an article (and recall its cards) or
keep it, `Zx<id>` cancel a scheduled article. A search
query is kept short enough to fit (see `compact_query`), and the first page is searched
with that same compact query, so every page of one search shows the same result list.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from enum import StrEnum

from storage.text import query_tokens

MAX_CALLBACK_BYTES = 64
MAX_OFFSET = 10_000
_QUERY_BYTES = MAX_CALLBACK_BYTES - len(f"S{MAX_OFFSET} ".encode())

LATEST_PATTERN = r"^L\d{1,5}$"
SEARCH_PATTERN = r"^S\d{1,5} \S.*$"
ARTICLE_PATTERN = r"^A\d{1,12}$"
READ_PATTERN = r"^R\d{1,12}$"
SUBSCRIPTION_PATTERN = r"^U(s|a|d|w|i|t[0-9a-f]{12}|c-?\d{1,16})$"
CANCEL_BROADCAST_PATTERN = r"^Bc\d{1,12}$"
DRAFT_PATTERN = r"^D[ptsgixw]$"
ADD_LINK_PATTERN = r"^Da$"
UNSCHEDULE_PATTERN = r"^Zx\d{1,12}$"
EDIT_PATTERN = r"^E[tsgi]\d{1,12}$"
DELETE_PATTERN = r"^X(c|[dr]\d{1,12})$"
CHANNELS_PATTERN = r"^C(l\d{1,5}|r\d{1,5} -?\d{1,16})$"
# Buttons only admins may press: drafts, edits, deletions, broadcasts, channels, schedule.
ADMIN_PATTERN = r"^(D|E|X|Bc|C|Z)"


@dataclass(frozen=True)
class LatestPage:
    offset: int

    def encode(self) -> str:
        return f"L{self.offset}"


@dataclass(frozen=True)
class SearchResults:
    offset: int
    query: str

    def encode(self) -> str:
        return f"S{self.offset} {self.query}"


@dataclass(frozen=True)
class OpenArticle:
    article_id: int

    def encode(self) -> str:
        return f"A{self.article_id}"


@dataclass(frozen=True)
class ReadArticle:
    """📖 Read here: the whole article, as a rich message, in this chat."""

    article_id: int

    def encode(self) -> str:
        return f"R{self.article_id}"


@dataclass(frozen=True)
class SubscriptionAction:
    SUBSCRIBE = "s"
    UNSUBSCRIBE = "a"
    DROP_TOPIC = "t"
    DAILY = "d"  # a daily digest at 08:00
    WEEKLY = "w"  # a weekly one, Mondays at 08:00
    INSTANT = "i"  # each article at once

    kind: str
    topic_key: str = ""

    def encode(self) -> str:
        return f"U{self.kind}{self.topic_key}"


@dataclass(frozen=True)
class SubscribeChannel:
    chat_id: int

    def encode(self) -> str:
        return f"Uc{self.chat_id}"


def topic_key(topic: str) -> str:
    """A short fixed-size name for a topic (topics can be longer than a payload allows)."""
    return hashlib.blake2s(topic.encode(), digest_size=6).hexdigest()


@dataclass(frozen=True)
class CancelBroadcast:
    article_id: int

    def encode(self) -> str:
        return f"Bc{self.article_id}"


@dataclass(frozen=True)
class ChannelPage:
    offset: int

    def encode(self) -> str:
        return f"Cl{self.offset}"


@dataclass(frozen=True)
class RemoveChannel:
    chat_id: int
    offset: int  # the page to show afterwards

    def encode(self) -> str:
        return f"Cr{self.offset} {self.chat_id}"


class ArticleField(StrEnum):
    """A field an admin may change, by the letter its buttons carry."""

    TITLE = "t"
    SUMMARY = "s"
    TAGS = "g"
    IMAGE = "i"

    @property
    def attribute(self) -> str:
        """The article's attribute: "title", "summary", "tags" or "image"."""
        return self.name.lower()


@dataclass(frozen=True)
class DraftAction:
    """A button of the /add preview, or the ✖ Cancel under any question of a dialogue."""

    PUBLISH = "p"
    SCHEDULE = "w"
    CANCEL = "x"
    ADD_LINK = "a"  # under a link an admin pasted outside a dialogue

    step: str  # one of the above, or an ArticleField's letter: change that field

    @property
    def field(self) -> ArticleField | None:
        try:
            return ArticleField(self.step)
        except ValueError:  # publish, schedule or cancel
            return None

    def encode(self) -> str:
        return f"D{self.step}"


@dataclass(frozen=True)
class EditField:
    field: ArticleField
    article_id: int

    def encode(self) -> str:
        return f"E{self.field}{self.article_id}"


@dataclass(frozen=True)
class DeleteArticle:
    article_id: int | None  # None: keep it after all
    recall: bool = False  # also delete the cards sent in the last 48 hours

    def encode(self) -> str:
        if self.article_id is None:
            return "Xc"
        return f"X{'r' if self.recall else 'd'}{self.article_id}"


@dataclass(frozen=True)
class Unschedule:
    item_id: int

    def encode(self) -> str:
        return f"Zx{self.item_id}"


PUBLISH_DRAFT = DraftAction(DraftAction.PUBLISH).encode()
SCHEDULE_DRAFT = DraftAction(DraftAction.SCHEDULE).encode()
CANCEL_DIALOGUE = DraftAction(DraftAction.CANCEL).encode()
ADD_LINK = DraftAction(DraftAction.ADD_LINK).encode()

Callback = (
    LatestPage
    | SearchResults
    | OpenArticle
    | ReadArticle
    | SubscriptionAction
    | SubscribeChannel
    | CancelBroadcast
    | ChannelPage
    | RemoveChannel
    | DraftAction
    | EditField
    | DeleteArticle
    | Unschedule
)


def parse(data: str | None) -> Callback | None:
    """The payload of a button, or None for anything we did not produce."""
    if not data or len(data.encode()) > MAX_CALLBACK_BYTES:
        return None
    if re.match(LATEST_PATTERN, data):
        offset = int(data[1:])
        return LatestPage(offset) if offset <= MAX_OFFSET else None
    if re.match(SEARCH_PATTERN, data):
        head, query = data.split(" ", 1)
        offset = int(head[1:])
        return SearchResults(offset, query) if offset <= MAX_OFFSET else None
    if re.match(ARTICLE_PATTERN, data):
        return OpenArticle(int(data[1:]))
    if re.match(READ_PATTERN, data):
        return ReadArticle(int(data[1:]))
    if re.match(SUBSCRIPTION_PATTERN, data):
        if data[1] == "c":
            return SubscribeChannel(int(data[2:]))
        return SubscriptionAction(data[1], data[2:])
    if re.match(CANCEL_BROADCAST_PATTERN, data):
        return CancelBroadcast(int(data[2:]))
    if re.match(CHANNELS_PATTERN, data):
        head, _, chat_id = data.partition(" ")
        offset = int(head[2:])
        if offset > MAX_OFFSET:
            return None
        return RemoveChannel(int(chat_id), offset) if chat_id else ChannelPage(offset)
    if re.match(DRAFT_PATTERN, data):
        return DraftAction(data[1])
    if re.match(EDIT_PATTERN, data):
        return EditField(ArticleField(data[1]), int(data[2:]))
    if re.match(DELETE_PATTERN, data):
        return (
            DeleteArticle(int(data[2:]), recall=data[1] == "r")
            if data != "Xc"
            else DeleteArticle(None)
        )
    if re.match(UNSCHEDULE_PATTERN, data):
        return Unschedule(int(data[2:]))
    return None


def compact_query(words: str) -> str:
    """The search words as tokens, cut to what fits in a button payload."""
    kept = ""
    for token in query_tokens(words):
        candidate = f"{kept} {token}".strip()
        if len(candidate.encode()) > _QUERY_BYTES:
            if not kept:  # one huge word: keep as much of it as fits
                kept = token.encode()[:_QUERY_BYTES].decode(errors="ignore")
            break
        kept = candidate
    return kept
