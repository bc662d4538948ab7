"""The card subscribers receive and the progress its publisher watches."""

from __future__ import annotations

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.callbacks import CancelBroadcast
from bot.i18n import Texts
from bot.render.common import (
    Reply,
    escape,
    hashtags,
    safe_url,
    trim_summary,
    truncate,
)
from storage import Article
from storage.deliveries import Progress

BROADCAST_SUMMARY = 400
BAR_WIDTH = 16


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
