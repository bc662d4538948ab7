"""A digest: the articles since the last one in one message (or as few as fit), and what a
subscription's cadence is."""

from __future__ import annotations

from datetime import datetime

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.callbacks import LatestPage, SubscriptionAction
from bot.i18n import Texts
from bot.render.common import MAX_MESSAGE, Reply, escape, safe_url, truncate
from bot.render.fit import visible_length
from storage import Article
from storage.digests import Cadence, DigestState
from storage.kinds import DigestKind
from storage.timing import clock, zone

DIGEST_ITEMS = 20  # articles listed; the rest are counted
SEPARATOR = "\n\n"  # between the head and the items
ITEM_SUMMARY = 120


def digest(
    t: Texts, kind: DigestKind, articles: list[Article], bot_username: str | None
) -> list[Reply]:
    """Newest first: each title links to the article in the bot, with one line of its
    summary. Split at message boundaries, never inside an item; [] when none is left."""
    if not articles:
        return []
    count = len(articles)
    heads = {
        DigestKind.DAILY: t.ngettext(
            "🗞 <b>Your daily digest</b>: {count} new article",
            "🗞 <b>Your daily digest</b>: {count} new articles",
            count,
        ),
        DigestKind.WEEKLY: t.ngettext(
            "🗞 <b>Your weekly digest</b>: {count} new article",
            "🗞 <b>Your weekly digest</b>: {count} new articles",
            count,
        ),
        DigestKind.QUIET: t.ngettext(
            "🌙 <b>While it was quiet</b>: {count} new article",
            "🌙 <b>While it was quiet</b>: {count} new articles",
            count,
        ),
    }
    items = [digest_item(article, bot_username) for article in articles[:DIGEST_ITEMS]]
    if count > DIGEST_ITEMS:
        items.append(t.ngettext("…and {count} more.", "…and {count} more.", count - DIGEST_ITEMS))
    # Measured once each: a part's visible length is its items' and the blank lines'.
    parts: list[list[str]] = [[heads[kind]]]
    shown = visible_length(heads[kind])
    for item in items:
        length = visible_length(item)
        if shown + len(SEPARATOR) + length > MAX_MESSAGE:
            parts.append([])
            shown = -len(SEPARATOR)
        parts[-1].append(item)
        shown += len(SEPARATOR) + length
    latest = InlineKeyboardButton(
        t.gettext("📰 Latest articles"), callback_data=LatestPage(0).encode()
    )
    replies = [Reply(SEPARATOR.join(part)) for part in parts]
    replies[-1] = Reply(replies[-1].text, InlineKeyboardMarkup([[latest]]))
    return replies


def digest_item(article: Article, bot_username: str | None) -> str:
    link = (
        f"https://t.me/{bot_username}?start=a{article.id}"
        if bot_username
        else safe_url(article.link)
    )
    title = escape(truncate(article.title, 256))
    line = f'• <a href="{escape(link)}">{title}</a>' if link else f"• <b>{title}</b>"
    if article.summary:
        line += "\n" + escape(truncate(" ".join(article.summary.split()), ITEM_SUMMARY))
    return line


def cadence_text(t: Texts, cadence: Cadence, zone_name: str, next_at: datetime | None) -> str:
    """How a subscription arrives: "each article at once", or "a daily digest at 08:00
    (America/Lima), next on Mon 30 Nov 2026, 08:00"."""
    if cadence.instant or cadence.minute is None:
        return t.gettext("Each article arrives at once.")
    when = t.moment(next_at, zone(zone_name)) if next_at is not None else "—"
    at, place = clock(cadence.minute), escape(zone_name)
    if cadence.weekday is None:
        return t.gettext(
            "A daily digest at {time} ({zone}); the next on {when}.",
            time=at,
            zone=place,
            when=when,
        )
    return t.gettext(
        "A weekly digest on {day} at {time} ({zone}); the next on {when}.",
        day=t.weekday(cadence.weekday),
        time=at,
        zone=place,
        when=when,
    )


def digest_usage(t: Texts) -> str:
    return t.gettext(
        "Usage: /digest daily 08:00 · /digest weekly mon 08:00 · /digest off (each article "
        "at once). Times are in this chat's time zone (/timezone)."
    )


def cadence_set(t: Texts, state: DigestState, channel: str | None = None) -> str:
    """What was just set, naming the channel it was set for."""
    if state.cadence.instant:
        text = t.gettext("⚡ Each new article arrives at once again.")
    else:
        cadence = cadence_text(t, state.cadence, state.timezone, state.next_at)
        text = t.gettext("🗞 From now on new articles arrive together. {cadence}", cadence=cadence)
    if channel:
        return t.gettext("For {channel}: {change}", channel=escape(channel), change=text)
    return text


def cadence_buttons(t: Texts, cadence: Cadence) -> list[InlineKeyboardButton]:
    """Under /subscriptions: switch between each article at once and a digest."""
    if not cadence.instant:
        return [
            InlineKeyboardButton(
                t.gettext("⚡ Each article at once"),
                callback_data=SubscriptionAction(SubscriptionAction.INSTANT).encode(),
            )
        ]
    return [
        InlineKeyboardButton(
            t.gettext("🗞 Daily, 08:00"),
            callback_data=SubscriptionAction(SubscriptionAction.DAILY).encode(),
        ),
        InlineKeyboardButton(
            t.gettext("🗞 Weekly, Monday 08:00"),
            callback_data=SubscriptionAction(SubscriptionAction.WEEKLY).encode(),
        ),
    ]


def quiet_state(
    t: Texts, hours: tuple[int, int] | None, zone_name: str, *, digest: bool = False
) -> str:
    """Quiet hours, or none; a chat that gets digests is not told cards come at once."""
    if hours is None and digest:
        return t.gettext(
            "No quiet hours; this chat gets digests, at the times /digest shows. Set quiet "
            "hours with /quiet 22:00-07:00 (this chat's time: {zone}).",
            zone=escape(zone_name),
        )
    if hours is None:
        return t.gettext(
            "No quiet hours: cards arrive as articles are published. Set some "
            "with /quiet 22:00-07:00 (this chat's time: {zone}).",
            zone=escape(zone_name),
        )
    return t.gettext(
        "🌙 Quiet hours {start}–{end} ({zone}): cards due then wait until they end, and more "
        "than three come as one digest. /quiet off ends them.",
        start=clock(hours[0]),
        end=clock(hours[1]),
        zone=escape(zone_name),
    )
