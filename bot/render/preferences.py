"""What a chat set for itself: /silent and /language."""

from __future__ import annotations

from babel import Locale

from bot.i18n import Texts
from bot.render.common import escape


def silent_state(t: Texts, silent: bool, channel: str | None = None) -> str:
    where = escape(channel) if channel else t.gettext("this chat")
    if silent:
        return t.gettext(
            "🔕 Cards to {where} come without a sound. /silent off brings the sound back.",
            where=where,
        )
    return t.gettext(
        "🔔 Cards to {where} come with a notification sound. /silent on sends them without one.",
        where=where,
    )


def language_name(code: str, t: Texts) -> str:
    """ "es" → "español" in Spanish, "Spanish" in English."""
    return str(Locale.parse(code).get_display_name(t.language) or code)


def language_state(
    t: Texts, choice: str | None, languages: list[str], channel: str | None = None
) -> str:
    where = escape(channel) if channel else t.gettext("this chat")
    if choice is None:
        text = t.gettext(
            "In {where} the bot writes in each reader's own Telegram language.", where=where
        )
    else:
        text = t.gettext(
            "In {where} cards and replies are in {language}, whatever the reader's own "
            "language. /language off: each reader's own again.",
            where=where,
            language=language_name(choice, t),
        )
    return text + "\n" + language_usage(t, languages)


def language_usage(t: Texts, languages: list[str]) -> str:
    return t.gettext(
        "Usage: /language <i>code</i> — one of {codes} — or /language off",
        codes=", ".join(f"<code>{code}</code>" for code in languages),
    )
