"""Everything the bot shows, as Telegram HTML with its keyboards.

Every value that came from an article, a feed or a user is escaped here, and only http(s)
links are emitted. Texts are cut at a word boundary to fit Telegram's limits.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

from telegram import (
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InlineQueryResultArticle,
    InputTextMessageContent,
    LinkPreviewOptions,
)

from bot.callbacks import (
    CancelBroadcast,
    ChannelPage,
    LatestPage,
    OpenArticle,
    RemoveChannel,
    SearchResults,
    SubscriptionAction,
    topic_key,
)
from bot.i18n import Texts
from storage import (
    Article,
    ChannelSubscription,
    ChatInfo,
    NewArticle,
    SearchPage,
    Subscription,
)
from storage.deliveries import Progress
from storage.feeds import Feed
from storage.text import iso

MAX_MESSAGE = 4096
SUBSCRIBE_DATA = SubscriptionAction(SubscriptionAction.SUBSCRIBE).encode()
CARD_SUMMARY = 700
BROADCAST_SUMMARY = 400
BAR_WIDTH = 16
_SENTENCE_END = re.compile(r"[.!?…](?=\s)")
LIST_SUMMARY = 160
MAX_CAPTION = 1024  # Telegram's limit for a photo's caption
PAGE_SIZE = 5
CHANNEL_PAGE_SIZE = 10
INLINE_DESCRIPTION = 200
_HASHTAG_JUNK = re.compile(r"[^\w]+")


@dataclass(frozen=True)
class Reply:
    text: str
    markup: InlineKeyboardMarkup | None = None
    preview_url: str | None = None  # show a link preview of this URL

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


def plain_text(html_text: str) -> str:
    """The text of a message without its markup, for when Telegram rejects our HTML."""
    return html.unescape(re.sub(r"<[^>]+>", "", html_text))


def hashtags(tags: tuple[str, ...]) -> str:
    """`Perú`, `human rights` → `#Perú #human_rights` (escaped)."""
    cleaned = (_HASHTAG_JUNK.sub("_", tag).strip("_") for tag in tags)
    return " ".join("#" + escape(tag) for tag in cleaned if tag)


def byline(article: Article, t: Texts) -> str:
    parts = [escape(article.author)] if article.author else []
    parts.append(t.date(article.published_at))
    return " · ".join(parts)


def article_button(label: str, article_id: int) -> InlineKeyboardButton:
    return InlineKeyboardButton(label, callback_data=OpenArticle(article_id).encode())


# -- messages ----------------------------------------------------------------------------


def welcome(t: Texts, bot_name: str, bot_username: str) -> Reply:
    _ = t.gettext
    text = "\n".join(
        [
            _("👋 Hi! I bring you the articles of <b>{name}</b>.", name=escape(bot_name)),
            "",
            _("• /latest — the newest articles"),
            _("• /search <i>words</i> — search the archive (or just type the words here)"),
            _("• /article <i>number</i> — open one article"),
            _(
                "• Type <code>@{username} words</code> in any chat to share an article.",
                username=escape(bot_username),
            ),
            "",
            _("/help lists every command."),
        ]
    )
    keyboard = [
        [
            InlineKeyboardButton(_("📰 Latest articles"), callback_data=LatestPage(0).encode()),
            InlineKeyboardButton(_("🔔 Subscribe"), callback_data=SUBSCRIBE_DATA),
        ]
    ]
    return Reply(text, InlineKeyboardMarkup(keyboard))


def help_text(t: Texts, bot_username: str) -> Reply:
    _ = t.gettext
    lines = [
        _("<b>What I can do</b>"),
        "",
        _("/latest — the newest articles, five at a time"),
        _("/search <i>words</i> — search titles, summaries and texts; accents don't matter"),
        _("/article <i>number</i> — open an article by its number"),
        _("/subscribe — receive every new article here"),
        _("/subscribe <i>topics</i> — only articles about these words, e.g. /subscribe peru"),
        _("/unsubscribe [<i>topics</i>] — stop, or drop some topics"),
        _("/subscriptions — what this chat receives"),
        _("/subscribe @<i>channel</i> — subscribe a channel you administer"),
        _("/help — this message"),
        "",
        _("In a private chat you can also just type what you are looking for."),
        _(
            "To share an article in any chat, type <code>@{username}</code> and a few words.",
            username=escape(bot_username),
        ),
    ]
    return Reply("\n".join(lines))


def article_card(article: Article, t: Texts, bot_username: str) -> Reply:
    """The full card: bold title, byline, hashtags, summary, and a link to read it."""
    _ = t.gettext
    url = safe_url(article.url)
    lines = [f"<b>{escape(article.title)}</b>", byline(article, t)]
    if article.tags:
        lines.append(hashtags(article.tags))
    if article.summary:
        lines += ["", escape(truncate(article.summary, CARD_SUMMARY))]
    if url:
        read = _("Read the article →")
        lines += ["", f'<a href="{escape(url)}">{read}</a>']
    buttons = []
    if url:
        buttons.append(InlineKeyboardButton(_("🔗 Read"), url=url))
    buttons.append(
        InlineKeyboardButton(_("↗ Share"), switch_inline_query=truncate(article.title, 60))
    )
    text = "\n".join(lines)
    if len(text) > MAX_MESSAGE:  # only with absurd titles; the limits above prevent it
        text = truncate(text, MAX_MESSAGE)
    return Reply(text, InlineKeyboardMarkup([buttons]), preview_url=url)


def latest_page(articles: list[Article], offset: int, has_more: bool, t: Texts) -> Reply:
    _ = t.gettext
    if not articles:
        return Reply(_("There are no articles yet.") if offset == 0 else _("No more articles."))
    last = offset + len(articles)
    header = _("<b>Latest articles</b> · {first}–{last}", first=offset + 1, last=last)
    items = [list_item(n, a, t) for n, a in enumerate(articles, start=offset + 1)]
    nav = navigation(
        LatestPage(offset - PAGE_SIZE).encode() if offset > 0 else None,
        LatestPage(offset + PAGE_SIZE).encode() if has_more else None,
    )
    return Reply("\n\n".join([header, *items]), keyboard(articles, offset, nav))


def search_page(page: SearchPage, query: str, offset: int, t: Texts) -> Reply:
    _ = t.gettext
    if not page.hits:
        return nothing_found(query, t) if offset == 0 else Reply(_("No more results."))
    if page.total is None:
        count = _("many results")
    elif page.total_is_exact:
        count = t.ngettext("{count} result", "{count} results", page.total)
    else:
        count = _("more than {count} results", count=f"{page.total - 1:,}")
    header = f"🔎 <b>{escape(query)}</b> — {count}"
    if page.ordered_by == "recency":
        header += "\n" + _("<i>Newest first: add a word to narrow the search.</i>")
    items = [list_item(hit.rank, hit.article, t, snippet=hit.snippet) for hit in page.hits]
    has_more = page.has_more
    nav = navigation(
        SearchResults(max(0, offset - PAGE_SIZE), query).encode() if offset > 0 else None,
        SearchResults(offset + PAGE_SIZE, query).encode() if has_more else None,
    )
    articles = [hit.article for hit in page.hits]
    return Reply("\n\n".join([header, *items]), keyboard(articles, offset, nav))


def nothing_found(query: str, t: Texts) -> Reply:
    _ = t.gettext
    lines = [_("Nothing found for <b>{query}</b>.", query=escape(query))]
    if len(query.split()) > 1:
        lines.append(_("Every word must appear in the article: try fewer words."))
    else:
        lines.append(_("Check the spelling, or try a shorter or more general word."))
    lines.append(_("Or see the newest articles: /latest"))
    return Reply("\n".join(lines))


def list_item(number: int, article: Article, t: Texts, snippet: str | None = None) -> str:
    details = [t.date(article.published_at)]
    if article.tags:
        details.append(hashtags(article.tags[:3]))
    lines = [f"{number}. <b>{escape(truncate(article.title, 200))}</b>", " · ".join(details)]
    if snippet:
        lines.append(snippet)  # already HTML-safe: escaped text with <b> around the matches
    elif article.summary:
        lines.append(escape(truncate(article.summary, LIST_SUMMARY)))
    return "\n".join(lines)


def keyboard(
    articles: list[Article], offset: int, nav: list[InlineKeyboardButton]
) -> InlineKeyboardMarkup:
    numbers = [article_button(str(n), a.id) for n, a in enumerate(articles, start=offset + 1)]
    return InlineKeyboardMarkup([numbers, nav] if nav else [numbers])


def navigation(previous: str | None, following: str | None) -> list[InlineKeyboardButton]:
    buttons = []
    if previous is not None:
        buttons.append(InlineKeyboardButton("◀", callback_data=previous))
    if following is not None:
        buttons.append(InlineKeyboardButton("▶", callback_data=following))
    return buttons


def usage(t: Texts, command: str) -> str:
    _ = t.gettext
    usages = {
        "search": _("Usage: /search <i>words</i> — for example <code>/search peru</code>"),
        "article": _("Usage: /article <i>number</i> — for example <code>/article 12</code>"),
    }
    return usages[command]


def not_found(t: Texts, article_id: int | str) -> str:
    return t.gettext("Article {id} was not found.", id=escape(str(article_id)))


def expired_button(t: Texts) -> str:
    return t.gettext("This button no longer works. Send /latest to start again.")


def something_went_wrong(t: Texts) -> str:
    return t.gettext("Sorry, something went wrong on our side. Please try again in a moment.")


def inline_results(
    articles: list[Article], t: Texts, bot_username: str
) -> list[InlineQueryResultArticle]:
    results = []
    for article in articles:
        card = article_card(article, t, bot_username)
        description = truncate(article.summary, INLINE_DESCRIPTION) or t.date(article.published_at)
        results.append(
            InlineQueryResultArticle(
                id=str(article.id),
                title=truncate(article.title, 200),
                description=description,
                input_message_content=InputTextMessageContent(
                    card.text, link_preview_options=card.link_preview
                ),
                reply_markup=card.markup,
            )
        )
    return results


# -- subscriptions ---------------------------------------------------------------------


def topic_list(topics: tuple[str, ...]) -> str:
    return ", ".join(f"<b>{escape(topic)}</b>" for topic in topics)


def subscribed(t: Texts, subscription: Subscription, per_week: float, chat: ChatInfo) -> str:
    _ = t.gettext
    where = escape(chat.title) if chat.type == "channel" and chat.title else _("here")
    if subscription.everything:
        lines = [_("🔔 Subscribed: every new article will arrive {where}.", where=where)]
    else:
        lines = [_("🔔 Subscribed to {topics}: articles about them will arrive {where}.",
                   topics=topic_list(subscription.topics), where=where)]  # fmt: skip
    lines.append(
        _("Expect about {count} a week.", count=f"{per_week:.0f}")
        if per_week >= 1
        else _("Articles on that are rare: fewer than one a week lately.")
    )
    lines.append(_("/unsubscribe stops it; /subscriptions shows it."))
    return "\n".join(lines)


def already_subscribed(t: Texts, subscription: Subscription) -> str:
    if subscription.everything:
        return t.gettext("You are already subscribed to every article here. Nothing changed.")
    return t.gettext("Already subscribed to {topics}. Nothing changed.",
                     topics=topic_list(subscription.topics))  # fmt: skip


def unsubscribed(t: Texts, remaining: Subscription | None) -> str:
    _ = t.gettext
    if remaining is None:
        return _("🔕 Unsubscribed: no more articles will arrive here. /subscribe to come back.")
    return _("Done. Still subscribed to {topics}.", topics=topic_list(remaining.topics))


def not_subscribed(t: Texts, topics: tuple[str, ...]) -> str:
    if topics:
        return t.gettext("None of those topics is subscribed here. See /subscriptions")
    return t.gettext("This chat is not subscribed. /subscribe to receive new articles.")


def subscription_state(t: Texts, subscription: Subscription | None) -> Reply:
    _ = t.gettext
    if subscription is None:
        text = _("This chat is not subscribed. /subscribe to receive every new article, or "
                 "/subscribe <i>topics</i> for some.")  # fmt: skip
        button = InlineKeyboardButton(_("🔔 Subscribe"), callback_data=SUBSCRIBE_DATA)
        return Reply(text, InlineKeyboardMarkup([[button]]))
    if subscription.everything:
        text = _("<b>Subscribed</b>: every new article arrives here.")
        rows = []
    else:
        text = _("<b>Subscribed</b> to articles about {topics}.",
                 topics=topic_list(subscription.topics))  # fmt: skip
        drops = [
            InlineKeyboardButton(
                "✖ " + topic,
                callback_data=SubscriptionAction(
                    SubscriptionAction.DROP_TOPIC, topic_key(topic)
                ).encode(),
            )
            for topic in subscription.topics
        ]
        rows = [drops[i : i + 3] for i in range(0, len(drops), 3)]
    unsubscribe = SubscriptionAction(SubscriptionAction.UNSUBSCRIBE).encode()
    rows.append([InlineKeyboardButton(_("🔕 Unsubscribe"), callback_data=unsubscribe)])
    return Reply(text, InlineKeyboardMarkup(rows))


def bad_topics(t: Texts) -> str:
    return t.gettext(
        "Topics are single words of letters and digits, at most 20 of at most 64 characters. "
        "For example: /subscribe peru economia"
    )


def admins_only(t: Texts) -> str:
    return t.gettext("Sorry, only this group's administrators can change its subscription.")


def channels_from_private_chat(t: Texts) -> str:
    return t.gettext("To subscribe a channel, write /subscribe @channel to me in a private chat.")


def channel_not_found(t: Texts, name: str) -> str:
    return t.gettext(
        "I can't find the channel {name}. Check the name, and add me to the channel as an "
        "administrator first.",
        name=escape(name),
    )


def cannot_post(t: Texts, name: str) -> str:
    return t.gettext(
        "I can't post in {name}: add me as an administrator with the right to post messages, "
        "then try again.",
        name=escape(name),
    )


def not_channel_admin(t: Texts, name: str) -> str:
    return t.gettext("Only administrators of {name} can change its subscription.",
                     name=escape(name))  # fmt: skip


def channel_list(
    t: Texts, channels: list[ChannelSubscription], offset: int, has_more: bool
) -> Reply:
    """The bot admins' list of subscribed channels, a ✖ button to unsubscribe each."""
    _ = t.gettext
    if not channels:
        return Reply(_("No channel is subscribed.") if offset == 0 else _("No more channels."))
    lines = [_("<b>Subscribed channels</b> · {first}–{last}", first=offset + 1,
               last=offset + len(channels))]  # fmt: skip
    removals = []
    for number, item in enumerate(channels, start=offset + 1):
        channel = item.channel
        name = channel_label(channel.username, channel.title, channel.chat_id)
        wants = (_("every article") if item.subscription.everything
                 else topic_list(item.subscription.topics))  # fmt: skip
        line = f"{number}. {escape(name)} (<code>{channel.chat_id}</code>) — {wants}"
        if not channel.active:
            line += "\n    " + _("⚠ inactive: {reason}",
                                  reason=escape(channel.deactivated_reason or "?"))  # fmt: skip
        lines.append(line)
        removals.append(InlineKeyboardButton(
            f"✖ {number}", callback_data=RemoveChannel(channel.chat_id, offset).encode()
        ))  # fmt: skip
    lines.append(_("✖ <i>number</i> unsubscribes that channel."))
    nav = navigation(
        ChannelPage(offset - CHANNEL_PAGE_SIZE).encode() if offset > 0 else None,
        ChannelPage(offset + CHANNEL_PAGE_SIZE).encode() if has_more else None,
    )
    rows = [removals[i : i + 5] for i in range(0, len(removals), 5)]
    return Reply("\n".join(lines), InlineKeyboardMarkup([*rows, nav] if nav else rows))


def channel_label(username: str | None, title: str | None, chat_id: int) -> str:
    return f"@{username}" if username else (title or str(chat_id))


# -- broadcasts ------------------------------------------------------------------------


def broadcast_card(article: Article, t: Texts, bot_username: str) -> Reply:
    """The short card every subscriber receives: title, date, tags, the summary trimmed at a
    sentence, a button to read the article and one to open it in the bot."""
    _ = t.gettext
    lines = [f"<b>{escape(article.title)}</b>", t.date(article.published_at)]
    if article.tags:
        lines[-1] += " · " + hashtags(article.tags)
    if article.summary:
        lines += ["", escape(trim_summary(article.summary, BROADCAST_SUMMARY))]
    buttons = []
    url = safe_url(article.url)
    if url:
        buttons.append(InlineKeyboardButton(_("🔗 Read"), url=url))
    if bot_username:
        deep_link = f"https://t.me/{bot_username}?start=a{article.id}"
        buttons.append(InlineKeyboardButton(_("📖 Open in the bot"), url=deep_link))
    return Reply("\n".join(lines), InlineKeyboardMarkup([buttons]) if buttons else None, url)


def broadcast_progress(
    t: Texts, progress: Progress, rate: float | None, eta_seconds: float | None
) -> Reply:
    """A progress bar the admin who published watches, edited every few seconds."""
    _ = t.gettext
    total = max(progress.total, 1)
    filled = round(BAR_WIDTH * progress.done / total)
    bar = "▓" * filled + "░" * (BAR_WIDTH - filled)
    percent = 100 * progress.done // total
    if progress.finished or progress.pending == 0:
        head = (
            _("✅ Broadcast finished") if not progress.cancelled else _("⛔ Broadcast cancelled")
        )
    else:
        head = _("📣 Broadcasting")
    lines = [
        f"{head}: <b>{escape(truncate(progress.title, 120))}</b>",
        f"{bar} {percent}%",
        _(
            "sent {sent} · failed {failed} · skipped {skipped} · pending {pending}",
            sent=progress.count("sent"),
            failed=progress.count("failed"),
            skipped=progress.count("skipped") + progress.count("cancelled"),
            pending=progress.pending,
        ),
    ]
    if rate is not None and progress.pending:
        lines.append(_("{rate} messages/s", rate=f"{rate:.1f}"))
    if eta_seconds is not None and progress.pending:
        if eta_seconds < 90:
            lines.append(_("about {seconds} s left", seconds=f"{eta_seconds:.0f}"))
        else:
            lines.append(_("about {minutes} min left", minutes=f"{eta_seconds / 60:.0f}"))
    markup = None
    if progress.pending and not progress.cancelled:
        cancel = CancelBroadcast(progress.article_id).encode()
        markup = InlineKeyboardMarkup(
            [[InlineKeyboardButton(_("⛔ Cancel"), callback_data=cancel)]]
        )
    return Reply("\n".join(lines), markup)


# -- feeds -------------------------------------------------------------------------------


def feed_paused(t: Texts, feed: Feed, error: str) -> str:
    return t.gettext(
        "⚠️ Feed {id} ({url}) is paused after repeated failed checks: {error}. "
        "Resume it with /feeds resume {id}",
        id=feed.id, url=escape(feed.url), error=escape(error),
    )  # fmt: skip


def feed_list(t: Texts, feeds: list[Feed]) -> str:
    _ = t.gettext
    if not feeds:
        return _("No feeds yet. Follow one with /feeds add <i>URL</i>")
    lines = [_("<b>Feeds</b>")]
    for feed in feeds:
        state = _("paused") if not feed.active else _("active")
        checked = feed.last_checked_at[:16].replace("T", " ") if feed.last_checked_at else "—"
        line = _("{id}. {title} — {state}, {items} items, last check {checked}",
                 id=feed.id, title=escape(feed.title or feed.url), state=state,
                 items=feed.items, checked=checked)  # fmt: skip
        if feed.error_count:
            line += "\n   " + _("{count} failed checks: {error}", count=feed.error_count,
                                  error=escape(feed.last_error or ""))  # fmt: skip
        lines.append(line)
    lines.append(_("/feeds add <i>URL</i> · /feeds remove|pause|resume <i>number</i>"))
    return "\n".join(lines)


def feed_followed(t: Texts, feed: Feed, stored: int, announced: int, report: str) -> str:
    text = t.gettext(
        "Following {title} (feed {id}): {stored} items archived, {announced} announced. "
        "New items will be announced as they appear.",
        title=f"<b>{escape(feed.title or feed.url)}</b>", id=feed.id, stored=stored,
        announced=announced,
    )  # fmt: skip
    if report:
        text += "\n" + t.gettext("Not everything could be read: {report}",
                                  report=escape(report))  # fmt: skip
    return text


# -- admin -------------------------------------------------------------------------------


def add_usage(t: Texts) -> str:
    return t.gettext(
        "Usage: /add, then follow the questions; or in one message: "
        "<code>/add URL | Title | Summary | tag1, tag2</code>"
    )


def not_accepted(t: Texts, reason: str) -> str:
    return t.gettext("Not accepted: {reason}", reason=escape(reason))


def page_unreadable(t: Texts, reason: str) -> str:
    return t.gettext("I couldn't read that page ({reason}). Send me the title, then the summary.",
                     reason=escape(reason))  # fmt: skip


def ask_field(t: Texts, name: str) -> str:
    asks = {
        "title": t.gettext("Send the new title (at most 256 characters)."),
        "summary": t.gettext("Send the new summary (at most 2,000 characters)."),
        "tags": t.gettext("Send the tags, separated by commas."),
    }
    return asks[name]


def draft_preview(t: Texts, article: NewArticle, bot_username: str) -> Reply:
    """The card exactly as subscribers will get it, with the admin's buttons instead."""
    _ = t.gettext
    shown = Article(id=0, url=article.url, title=article.title, summary=article.summary,
                    author=article.author, tags=article.tags,
                    published_at=iso(article.published_at or datetime.now(UTC)),
                    created_at="", source=article.source)  # fmt: skip
    card = broadcast_card(shown, t, bot_username)
    rows = [
        [InlineKeyboardButton(_("✅ Publish"), callback_data="Dp")],
        [InlineKeyboardButton(_("✏️ Title"), callback_data="Dt"),
         InlineKeyboardButton(_("✏️ Summary"), callback_data="Ds"),
         InlineKeyboardButton(_("✏️ Tags"), callback_data="Dg")],
        [InlineKeyboardButton(_("✖ Cancel"), callback_data="Dx")],
    ]  # fmt: skip
    return Reply(card.text, InlineKeyboardMarkup(rows), card.preview_url)


def edit_menu(t: Texts, article: Article, bot_username: str) -> Reply:
    _ = t.gettext
    card = article_card(article, t, bot_username)
    row = [
        InlineKeyboardButton(_("✏️ Title"), callback_data=f"Et{article.id}"),
        InlineKeyboardButton(_("✏️ Summary"), callback_data=f"Es{article.id}"),
        InlineKeyboardButton(_("✏️ Tags"), callback_data=f"Eg{article.id}"),
    ]
    return Reply(card.text, InlineKeyboardMarkup([row]))


def delete_confirmation(t: Texts, article: Article) -> Reply:
    _ = t.gettext
    text = _(
        "Delete article {id}, <b>{title}</b>? It leaves the archive and search, and its "
        "cards not yet sent are not sent.",
        id=article.id,
        title=escape(article.title),
    )
    rows = [
        [InlineKeyboardButton(_("🗑 Delete"), callback_data=f"Xd{article.id}")],
        [InlineKeyboardButton(_("🗑 Delete and also the sent messages"),
                              callback_data=f"Xr{article.id}")],
        [InlineKeyboardButton(_("✖ Keep it"), callback_data="Xc")],
    ]  # fmt: skip
    return Reply(text, InlineKeyboardMarkup(rows))


def chart_labels(t: Texts) -> dict[str, str]:
    """The words of the /stats chart, in the reader's language."""
    _ = t.gettext
    return {"subscriptions": _("Subscriptions per day"), "new": _("new"), "ended": _("ended"),
            "deliveries": _("Deliveries per day"), "sent": _("sent"),
            "failed": _("failed")}  # fmt: skip


def caption(text: str, limit: int = MAX_CAPTION) -> str:
    """`text` cut to a photo caption's limit at a line's end (lines hold whole tags)."""
    if len(text) <= limit:
        return text
    kept: list[str] = []
    for line in text.split("\n"):
        if sum(len(k) + 1 for k in kept) + len(line) + len("\n…") > limit:
            break
        kept.append(line)
    return "\n".join(kept) + "\n…"


def chat_counts(t: Texts, found: dict[str, int]) -> str:
    """{"private_active": 21, "supergroup_inactive": 1, ...} as people say it."""
    active: dict[str, int] = {}
    inactive = 0
    for key, n in found.items():
        kind, _, state = key.rpartition("_")
        if state == "inactive":
            inactive += n
        else:
            kind = "group" if kind == "supergroup" else kind
            active[kind] = active.get(kind, 0) + n
    parts = [
        t.ngettext("{count} private chat", "{count} private chats", active.get("private", 0)),
        t.ngettext("{count} group", "{count} groups", active.get("group", 0)),
        t.ngettext("{count} channel", "{count} channels", active.get("channel", 0)),
    ]
    if inactive:
        parts.append(t.ngettext("{count} inactive", "{count} inactive", inactive))
    return ", ".join(parts)


def delivery_counts(t: Texts, found: dict[str, int]) -> str:
    words = {"sent": t.gettext("sent"), "failed": t.gettext("failed"),
             "skipped": t.gettext("skipped"), "cancelled": t.gettext("cancelled"),
             "pending": t.gettext("pending"), "sending": t.gettext("sending")}  # fmt: skip
    return ", ".join(f"{words.get(k, escape(k))} {n}" for k, n in found.items()) or "—"


def stats(t: Texts, figures: dict[str, Any]) -> str:
    _ = t.gettext

    def pairs(values: dict[str, Any]) -> str:
        return ", ".join(f"{escape(str(k))} {v}" for k, v in values.items()) or "—"

    lines = [
        _("<b>Statistics</b>"),
        _("Articles: {total} ({week} in the last 7 days)", total=figures["articles"],
          week=figures["articles_last_7_days"]),
        _("Chats: {chats}", chats=chat_counts(t, figures["chats"])),
        _("Subscriptions: {total} ({everything} to everything)",
          total=figures["subscriptions"], everything=figures["subscriptions_to_everything"]),
        _("Top topics: {topics}", topics=pairs(figures["subscriptions_by_topic"])),
        _("Deliveries in the last 24 h: {counts}",
          counts=delivery_counts(t, figures["deliveries_last_24h"])),
        _("Feeds: {count}", count=figures["feeds"]),
    ]  # fmt: skip
    for running in figures["broadcasts_in_progress"]:
        lines.append(_("📣 Broadcasting {id}. {title}: {sent} sent, {pending} pending",
                       id=running["article_id"], title=escape(running["title"]),
                       sent=running["sent"], pending=running["pending"]))  # fmt: skip
    return "\n".join(lines)
