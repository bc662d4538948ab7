"""What an admin sees of a correction: how many cards already sent it edits, then how it
went; and the chat's choice of card style (/cards)."""

from __future__ import annotations

from bot.i18n import Texts
from bot.render.broadcasts import BAR_WIDTH
from bot.render.common import Reply, escape, truncate
from storage.corrections import Correction
from storage.kinds import CardStyle

CARD_STYLES = {
    CardStyle.PHOTO: "📷",
    CardStyle.PREVIEW: "🔗",
    CardStyle.TEXT: "📝",
}


def correction_progress(t: Texts, correction: Correction, title: str) -> Reply:
    """ "✏️ Correcting 12,345 cards…" with a bar, then what it did."""
    head = f"<b>{escape(truncate(title, 120))}</b>"
    if correction.total == 0:
        return Reply(
            "\n".join(
                [head, t.gettext("✏️ No card of it has been sent: there is nothing to correct.")]
            )
        )
    if not correction.finished:
        total = max(correction.total, 1)
        filled = min(BAR_WIDTH, round(BAR_WIDTH * correction.done / total))
        bar = "▓" * filled + "░" * (BAR_WIDTH - filled)
        lines = [
            head,
            t.ngettext("✏️ Correcting {count} card…", "✏️ Correcting {count} cards…", total),
            f"{bar} {min(100, 100 * correction.done // total)}%",
        ]
        return Reply("\n".join(lines))
    lines = [
        head,
        t.ngettext(
            "✅ Corrected {count} card in place.",
            "✅ Corrected {count} cards in place.",
            correction.edited,
        ),
    ]
    if correction.failed:
        lines.append(
            t.ngettext(
                "{count} could not be edited (deleted, or the chat is gone).",
                "{count} could not be edited (deleted, or the chat is gone).",
                correction.failed,
            )
        )
    if correction.expired:
        lines.append(
            t.ngettext(
                "{count} sent more than 48 hours ago stays as it was.",
                "{count} sent more than 48 hours ago stay as they were.",
                correction.expired,
            )
        )
    return Reply("\n".join(lines))


def card_style_state(t: Texts, style: CardStyle, chosen: bool) -> str:
    """What /cards says: the chat's style, and how to change it."""
    names = {
        CardStyle.PHOTO: t.gettext("photo cards (the article's picture, the card as caption)"),
        CardStyle.PREVIEW: t.gettext("text cards with the page's link preview"),
        CardStyle.TEXT: t.gettext("text cards without a preview"),
    }
    state = t.gettext("This chat gets {style}.", style=f"{CARD_STYLES[style]} {names[style]}")
    if not chosen:
        state += " " + t.gettext("(The bot's default.)")
    usage = t.gettext("Change it: /cards photo · /cards preview · /cards text")
    return f"{state}\n{usage}"
