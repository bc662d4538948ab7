"""What admins see: feeds, the /add draft, /edit and /delete."""

from __future__ import annotations

from typing import TYPE_CHECKING

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.callbacks import (
    ADD_LINK,
    CANCEL_DIALOGUE,
    PUBLISH_DRAFT,
    SCHEDULE_DRAFT,
    ArticleField,
    DeleteArticle,
    DraftAction,
    EditField,
)
from bot.i18n import Texts
from bot.render.broadcasts import broadcast_card
from bot.render.common import Reply, escape
from bot.render.reader import article_card
from storage import Article, NewArticle, clock
from storage.errors import Explained
from storage.feeds import Feed

if TYPE_CHECKING:  # bot.sources.feeds imports feedparser, which only the bot needs
    from bot.sources.feeds import FollowResult


def feed_paused(t: Texts, feed: Feed, error: Explained) -> str:
    return t.gettext(
        "⚠️ Feed {id} ({url}) is paused after repeated failed checks: {error} "
        "Resume it with /feeds resume {id}",
        id=feed.id,
        url=escape(feed.url),
        error=escape(t.explain(error)),
    )


def feed_list(t: Texts, feeds: list[Feed]) -> str:
    _ = t.gettext
    if not feeds:
        return _("No feeds yet. Follow one with /feeds add <i>URL</i>")
    lines = [_("<b>Feeds</b>")]
    for feed in feeds:
        state = _("paused") if not feed.active else _("active")
        checked = f"{feed.last_checked_at:%Y-%m-%d %H:%M}" if feed.last_checked_at else "—"
        items = t.ngettext("{count} item", "{count} items", feed.items)
        line = _(
            "{id}. {title} — {state}, {items}, last check {checked}",
            id=feed.id,
            title=escape(feed.label),
            state=state,
            items=items,
            checked=checked,
        )
        if feed.error_count:
            line += "\n   " + t.ngettext(
                "{count} failed check: {error}",
                "{count} failed checks: {error}",
                feed.error_count,
                error=escape(feed.last_error or ""),
            )
        lines.append(line)
    lines.append(_("/feeds add <i>URL</i> · /feeds remove|pause|resume <i>number</i>"))
    return "\n".join(lines)


def feed_followed(t: Texts, result: FollowResult) -> str:
    _ = t.gettext
    feed, parsed = result.feed, result.parsed
    archived = t.ngettext("{count} item archived", "{count} items archived", result.stored)
    announced = t.ngettext("{count} announced", "{count} announced", result.announced)
    lines = [
        _(
            "Following {title} (feed {id}): {archived}, {announced}. New items will be "
            "announced as they appear.",
            title=f"<b>{escape(feed.label)}</b>",
            id=feed.id,
            archived=archived,
            announced=announced,
        )
    ]
    if parsed.malformed:
        lines.append(_("The feed is not well-formed: I kept what I could read."))
    read = len(parsed.items) + len(parsed.skipped)
    if parsed.entries > read:
        lines.append(
            t.ngettext(
                "It lists {count} item; I read the first {read}.",
                "It lists {count} items; I read the first {read}.",
                parsed.entries,
                read=read,
            )
        )
    if parsed.skipped:
        lines.append(
            t.ngettext(
                "{count} item was skipped (no link, no title or repeated).",
                "{count} items were skipped (no link, no title or repeated).",
                len(parsed.skipped),
            )
        )
    return "\n".join(lines)


def add_usage(t: Texts) -> str:
    return t.gettext(
        "Usage: /add, then follow the questions; or in one message: "
        "<code>/add URL | Title | Summary | tag1, tag2</code>"
    )


def not_accepted(t: Texts, error: Explained) -> str:
    return t.gettext("Not accepted: {reason}", reason=escape(t.explain(error)))


def page_unreadable(t: Texts, error: Explained) -> Reply:
    return prompt(
        t,
        t.gettext(
            "I couldn't read that page: {reason} Send me the title, then the summary.",
            reason=escape(t.explain(error)),
        ),
    )


def already_here(t: Texts, article_id: int) -> str:
    """A draft whose URL was published meanwhile: nothing new is stored."""
    return t.gettext("That article is already here: /article {id}", id=article_id)


def offer_link(t: Texts) -> Reply:
    """Under a link an admin pasted outside /add."""
    add = InlineKeyboardButton(t.gettext("➕ Add this article"), callback_data=ADD_LINK)
    return Reply(t.gettext("Add this article?"), InlineKeyboardMarkup([[add]]))


def prompt(t: Texts, text: str) -> Reply:
    """A question of the /add or /edit dialogue: it can always be called off."""
    cancel = InlineKeyboardButton(t.gettext("✖ Cancel"), callback_data=CANCEL_DIALOGUE)
    return Reply(text, InlineKeyboardMarkup([[cancel]]))


def ask_field(t: Texts, field: ArticleField) -> Reply:
    asks = {
        ArticleField.TITLE: t.gettext("Send the new title (at most 256 characters)."),
        ArticleField.SUMMARY: t.gettext("Send the new summary (at most 2,000 characters)."),
        ArticleField.TAGS: t.gettext("Send the tags, separated by commas."),
        ArticleField.IMAGE: t.gettext(
            "Send the address of the picture (https://…), or - for none."
        ),
    }
    return prompt(t, asks[field])


def draft_preview(t: Texts, article: NewArticle, bot_username: str) -> Reply:
    """The card exactly as subscribers will get it, with the admin's buttons instead."""
    _ = t.gettext
    now = clock.now()
    shown = Article(
        id=0,
        url=article.url,
        link=article.link,
        title=article.title,
        summary=article.summary,
        author=article.author,
        tags=article.tags,
        published_at=article.published_at or now,
        created_at=now,
        source=article.source,
        image=article.image,
    )
    card = broadcast_card(shown, t, bot_username)
    rows = [
        [
            InlineKeyboardButton(_("✅ Publish"), callback_data=PUBLISH_DRAFT),
            InlineKeyboardButton(_("⏰ Schedule"), callback_data=SCHEDULE_DRAFT),
        ],
        [
            InlineKeyboardButton(
                _("✏️ Title"), callback_data=DraftAction(ArticleField.TITLE).encode()
            ),
            InlineKeyboardButton(
                _("✏️ Summary"), callback_data=DraftAction(ArticleField.SUMMARY).encode()
            ),
            InlineKeyboardButton(
                _("✏️ Tags"), callback_data=DraftAction(ArticleField.TAGS).encode()
            ),
            InlineKeyboardButton(
                _("✏️ Picture"), callback_data=DraftAction(ArticleField.IMAGE).encode()
            ),
        ],
        [InlineKeyboardButton(_("✖ Cancel"), callback_data=CANCEL_DIALOGUE)],
    ]
    return Reply(card.text, InlineKeyboardMarkup(rows), card.preview_url, photo=card.photo)


def edit_menu(t: Texts, article: Article, bot_username: str) -> Reply:
    _ = t.gettext
    card = article_card(article, t, bot_username)
    row = [
        InlineKeyboardButton(
            _("✏️ Title"), callback_data=EditField(ArticleField.TITLE, article.id).encode()
        ),
        InlineKeyboardButton(
            _("✏️ Summary"), callback_data=EditField(ArticleField.SUMMARY, article.id).encode()
        ),
        InlineKeyboardButton(
            _("✏️ Tags"), callback_data=EditField(ArticleField.TAGS, article.id).encode()
        ),
        InlineKeyboardButton(
            _("✏️ Picture"), callback_data=EditField(ArticleField.IMAGE, article.id).encode()
        ),
    ]
    cancel = [InlineKeyboardButton(_("✖ Cancel"), callback_data=CANCEL_DIALOGUE)]
    return Reply(card.text, InlineKeyboardMarkup([row, cancel]))


def delete_confirmation(t: Texts, article: Article) -> Reply:
    _ = t.gettext
    text = _(
        "Delete article {id}, <b>{title}</b>? It leaves the archive and search, and its "
        "cards not yet sent are not sent.",
        id=article.id,
        title=escape(article.title),
    )
    rows = [
        [InlineKeyboardButton(_("🗑 Delete"), callback_data=DeleteArticle(article.id).encode())],
        [
            InlineKeyboardButton(
                _("🗑 Delete and also the sent messages"),
                callback_data=DeleteArticle(article.id, recall=True).encode(),
            )
        ],
        [InlineKeyboardButton(_("✖ Keep it"), callback_data=DeleteArticle(None).encode())],
    ]
    return Reply(text, InlineKeyboardMarkup(rows))
