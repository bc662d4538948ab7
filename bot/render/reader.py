"""What readers see: welcome, help, article cards, lists, search results, inline."""

from __future__ import annotations

from telegram import (
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InlineQueryResultArticle,
    InputTextMessageContent,
)

from bot.callbacks import LatestPage, ReadArticle, SearchResults
from bot.i18n import Texts
from bot.render.common import (
    READ_LINK,
    SUBSCRIBE_DATA,
    Reply,
    article_button,
    byline,
    escape,
    hashtags,
    navigation,
    safe_url,
    truncate,
)
from storage import Article, SearchPage
from storage.kinds import SearchOrder
from storage.text import MIN_PREFIX, query_tokens

CARD_SUMMARY = 700
LIST_SUMMARY = 160
PAGE_SIZE = 5
INLINE_DESCRIPTION = 200


def welcome(t: Texts, bot_name: str, bot_username: str, *, private: bool = True) -> Reply:
    """The greeting; in a group plain text is not a search (the bot reads only commands
    there), so it does not say to just type."""
    _ = t.gettext
    search = (
        _("• /search <i>words</i> — search the archive (or just type the words here)")
        if private
        else _("• /search <i>words</i> — search the archive")
    )
    text = "\n".join(
        [
            _("👋 Hi! I bring you the articles of <b>{name}</b>.", name=escape(bot_name)),
            "",
            _("• /latest — the newest articles"),
            search,
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


def help_text(t: Texts, bot_username: str, *, admin: bool = False) -> Reply:
    """What readers can do; for an admin, what admins can do besides."""
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
        _("/digest daily 08:00 — new articles together, once a day (or weekly mon 08:00)"),
        _("/quiet 22:00-07:00 — no cards in those hours"),
        _("/timezone America/Lima — the times above are in this zone"),
        _("/silent on — cards without a notification sound"),
        _("/language es — cards and replies in one language here"),
        _("/help — this message"),
        "",
        _("In a private chat you can also just type what you are looking for."),
        _(
            "To share an article in any chat, type <code>@{username}</code> and a few words.",
            username=escape(bot_username),
        ),
    ]
    if admin:
        lines += [
            "",
            _("<b>For admins</b>"),
            _("/add — publish an article (or just paste its link)"),
            _("/edit <i>number</i> · /delete <i>number</i> — change or remove one"),
            _("/scheduled — articles waiting for their time"),
            _("/feeds — followed feeds · /channels — subscribed channels"),
            _("/stats — subscribers and deliveries, with a chart"),
        ]
    return Reply("\n".join(lines))


def article_card(
    article: Article, t: Texts, bot_username: str, *, in_private: bool = False
) -> Reply:
    """The full card: bold title, byline, hashtags, summary, and a link to read it; with a
    text, 📖 Read here (in a private chat a button, elsewhere a link to the bot's chat)."""
    _ = t.gettext
    url = safe_url(t.link(article.link))
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
    if article.readable and article.id and in_private:
        read = ReadArticle(article.id).encode()
        buttons.append(InlineKeyboardButton(_("📖 Read here"), callback_data=read))
    elif article.readable and article.id and bot_username:
        link = f"https://t.me/{bot_username}?start={READ_LINK}{article.id}"
        buttons.append(InlineKeyboardButton(_("📖 Read here"), url=link))
    buttons.append(
        InlineKeyboardButton(_("↗ Share"), switch_inline_query=truncate(article.title, 60))
    )
    # A title, author and summary full of quotes or ampersands: Reply cuts the visible
    # text and keeps the tags balanced.
    return Reply("\n".join(lines), InlineKeyboardMarkup([buttons]), preview_url=url)


def latest_page(articles: list[Article], offset: int, has_more: bool, t: Texts) -> Reply:
    _ = t.gettext
    if not articles:
        return Reply(_("There are no articles yet.") if offset == 0 else _("No more articles."))
    last = offset + len(articles)
    header = _("<b>Latest articles</b> · {first}–{last}", first=offset + 1, last=last)
    items = [list_item(article, t) for article in articles]
    nav = navigation(
        LatestPage(offset - PAGE_SIZE).encode() if offset > 0 else None,
        LatestPage(offset + PAGE_SIZE).encode() if has_more else None,
    )
    return Reply("\n\n".join([header, *items]), keyboard(articles, nav))


def search_page(page: SearchPage, query: str, offset: int, t: Texts) -> Reply:
    _ = t.gettext
    if not page.hits:
        return nothing_found(query, t) if offset == 0 else Reply(_("No more results."))
    if page.total is None:
        count = _("many results")
    elif page.total_is_exact:
        count = t.ngettext("{count} result", "{count} results", page.total)
    else:
        count = t.ngettext("more than {count} result", "more than {count} results", page.total - 1)
    header = f"🔎 <b>{escape(query)}</b> — {count}"
    if page.ordered_by == SearchOrder.RECENCY:
        header += "\n" + _("<i>Newest first: add a word to narrow the search.</i>")
    items = [list_item(hit.article, t, snippet=hit.snippet) for hit in page.hits]
    has_more = page.has_more
    nav = navigation(
        SearchResults(max(0, offset - PAGE_SIZE), query).encode() if offset > 0 else None,
        SearchResults(offset + PAGE_SIZE, query).encode() if has_more else None,
    )
    articles = [hit.article for hit in page.hits]
    return Reply("\n\n".join([header, *items]), keyboard(articles, nav))


def nothing_found(query: str, t: Texts) -> Reply:
    _ = t.gettext
    lines = [_("Nothing found for <b>{query}</b>.", query=escape(query))]
    words = query_tokens(query)
    if len(words) > 1:
        lines.append(_("Every word must appear in the article: try fewer words."))
    elif words and len(words[0]) < MIN_PREFIX:
        lines.append(
            _(
                "A word of fewer than {count} letters is found only whole: type at least "
                "{count} letters to find the words that begin with them.",
                count=MIN_PREFIX,
            )
        )
    else:
        lines.append(_("Check the spelling, or try a shorter or more general word."))
    lines.append(_("Or see the newest articles: /latest"))
    return Reply("\n".join(lines))


def list_item(article: Article, t: Texts, snippet: str | None = None) -> str:
    """`12. Title` — numbered by the article's number, which its button and /article use."""
    details = [t.date(article.published_at)]
    if article.tags:
        details.append(hashtags(article.tags[:3]))
    lines = [f"{article.id}. <b>{escape(truncate(article.title, 200))}</b>", " · ".join(details)]
    if snippet:
        lines.append(snippet)  # already HTML-safe: escaped text with <b> around the matches
    elif article.summary:
        lines.append(escape(truncate(article.summary, LIST_SUMMARY)))
    return "\n".join(lines)


def keyboard(articles: list[Article], nav: list[InlineKeyboardButton]) -> InlineKeyboardMarkup:
    numbers = [article_button(str(article.id), article.id) for article in articles]
    return InlineKeyboardMarkup([numbers, nav] if nav else [numbers])


def usage(t: Texts, command: str) -> str:
    _ = t.gettext
    usages = {
        "search": _("Usage: /search <i>words</i> — for example <code>/search peru</code>"),
        "article": _("Usage: /article <i>number</i> — for example <code>/article 12</code>"),
        "silent": _("Usage: /silent on, or /silent off — cards with or without a sound"),
        "cards": _("Usage: /cards photo, /cards preview or /cards text"),
    }
    return usages[command]


def not_found(t: Texts, article_id: int | str) -> str:
    return t.gettext("Article {id} was not found.", id=escape(str(article_id)))


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
