"""The card subscribers receive and the progress its publisher watches."""

from __future__ import annotations

from babel.numbers import format_decimal
from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.callbacks import CancelBroadcast
from bot.i18n import N_, Texts
from bot.render.common import (
    OPEN_LINK,
    READ_LINK,
    Reply,
    article_number,
    escape,
    hashtags,
    safe_url,
    trim_summary,
    truncate,
)
from storage import Article
from storage.broadcasts import Progress
from storage.kinds import DeliveryStatus

BROADCAST_SUMMARY = 400
UNDELIVERED_KINDS = {  # the kinds of bot.delivery.progress.undelivered_reasons
    "blocked": N_("blocked {count}"),
    "chat gone": N_("chat gone {count}"),
    "too late": N_("not sent in time {count}"),
    "other": N_("other {count}"),
}
BAR_WIDTH = 16


def broadcast_card(article: Article, t: Texts, bot_username: str) -> Reply:
    """The short card every subscriber receives: title, date, tags, the summary trimmed at a
    sentence, a button to read the article and one to open it in the bot."""
    _ = t.gettext
    lines = [f"<b>{escape(article.title)}</b>", t.date(article.published_at)]
    if article.id:  # a draft has none yet
        lines[-1] += " · " + article_number(article, t)
    if article.tags:
        lines[-1] += " · " + hashtags(article.tags)
    if article.summary:
        lines += ["", escape(trim_summary(article.summary, BROADCAST_SUMMARY))]
    buttons = []
    url = safe_url(t.link(article.link))
    if url:
        buttons.append(InlineKeyboardButton(_("🔗 Read"), url=url))
    if bot_username and article.readable:  # the whole text, in the reader's private chat
        deep_link = f"https://t.me/{bot_username}?start={READ_LINK}{article.id}"
        buttons.append(InlineKeyboardButton(_("📖 Read here"), url=deep_link))
    elif bot_username:
        deep_link = f"https://t.me/{bot_username}?start={OPEN_LINK}{article.id}"
        buttons.append(InlineKeyboardButton(_("📖 Open in the bot"), url=deep_link))
    markup = InlineKeyboardMarkup([buttons]) if buttons else None
    photo = article.image if article.image and not article.image_refused else None
    return Reply("\n".join(lines), markup, url, photo=photo)


def broadcast_progress(
    t: Texts,
    progress: Progress,
    rate: float | None,
    eta_seconds: float | None,
    *,
    queued: bool = False,
    undelivered: dict[str, int] | None = None,
    paused: float | None = None,
) -> Reply:
    """A progress bar the admin who published watches, edited every few seconds.
    `undelivered`: why cards did not go out, by kind (bot.delivery.progress); `paused`: seconds
    until Telegram, not answering, is asked again."""
    _ = t.gettext
    total = max(progress.total, 1)
    # What went out (or was tried): a cancelled broadcast's bar stops where it was.
    reached = progress.done - progress.count(DeliveryStatus.CANCELLED)
    filled = round(BAR_WIDTH * reached / total)
    bar = "▓" * filled + "░" * (BAR_WIDTH - filled)
    percent = 100 * reached // total
    running = not progress.cancelled and progress.pending > 0 and not progress.finished
    if progress.cancelled:
        head = _("⛔ Broadcast cancelled")
    elif not running:
        head = _("✅ Broadcast finished")
    elif queued:
        head = _("⏳ Queued behind other broadcasts")
    else:
        head = _("📣 Broadcasting")
    counts = _(
        "sent {sent} · failed {failed} · skipped {skipped}",
        sent=progress.count(DeliveryStatus.SENT),
        failed=progress.count(DeliveryStatus.FAILED),
        skipped=progress.count(DeliveryStatus.SKIPPED),
    )
    if progress.count(DeliveryStatus.CANCELLED):
        counts += " · " + _("cancelled {count}", count=progress.count(DeliveryStatus.CANCELLED))
    if running:
        counts += " · " + _("pending {count}", count=progress.pending)
    lines = [
        f"{head}: <b>{escape(truncate(progress.title, 120))}</b>",
        f"{bar} {percent}%",
        counts,
    ]
    if running and rate is not None and eta_seconds is not None:
        if eta_seconds < 90:
            left = _("about {seconds} s left", seconds=round(eta_seconds))
        else:
            left = _("about {minutes} min left", minutes=round(eta_seconds / 60))
        lines.append(
            _("{rate} messages/s", rate=format_decimal(rate, "0.#", t.language)) + " · " + left
        )
    if running and paused is not None:
        lines.append(
            _(
                "⏸ Telegram is not answering; retrying in {seconds} s",
                seconds=max(1, round(paused)),
            )
        )
    if not running and undelivered:
        lines.append(undelivered_line(t, undelivered))
    markup = None
    if running:
        cancel = CancelBroadcast(progress.article_id).encode()
        markup = InlineKeyboardMarkup(
            [[InlineKeyboardButton(_("⛔ Cancel"), callback_data=cancel)]]
        )
    return Reply("\n".join(lines), markup)


def undelivered_line(t: Texts, kinds: dict[str, int]) -> str:
    """ "3 could not be delivered: blocked 2, chat gone 1"."""
    total = sum(kinds.values())
    reasons = ", ".join(
        t.gettext(UNDELIVERED_KINDS[kind], count=count) for kind, count in kinds.items()
    )
    return t.ngettext(
        "{count} could not be delivered: {reasons}",
        "{count} could not be delivered: {reasons}",
        total,
        reasons=reasons,
    )
