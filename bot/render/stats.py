"""/stats in words, and the words of its chart."""

from __future__ import annotations

from typing import Any

from bot.i18n import Texts
from bot.render.common import escape


def chart_labels(t: Texts) -> dict[str, str]:
    """The words of the /stats chart, in the reader's language."""
    _ = t.gettext
    return {
        "subscriptions": _("Subscriptions per day"),
        "new": _("new"),
        "ended": _("ended"),
        "deliveries": _("Deliveries per day"),
        "sent": _("sent"),
        "failed": _("failed"),
    }


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
    words = {
        "sent": t.gettext("sent"),
        "gathered": t.gettext("in a quiet-hours digest"),
        "failed": t.gettext("failed"),
        "skipped": t.gettext("skipped"),
        "cancelled": t.gettext("cancelled"),
        "pending": t.gettext("pending"),
        "sending": t.gettext("sending"),
    }
    return ", ".join(f"{words.get(k, escape(k))} {n}" for k, n in found.items()) or "—"


def stats(t: Texts, figures: dict[str, Any]) -> str:
    _ = t.gettext

    def pairs(values: dict[str, Any]) -> str:
        return ", ".join(f"{escape(str(k))} {v}" for k, v in values.items()) or "—"

    lines = [
        _("<b>Statistics</b>"),
        _(
            "Articles: {total} ({week} in the last 7 days)",
            total=figures["articles"],
            week=figures["articles_last_7_days"],
        ),
        _("Chats: {chats}", chats=chat_counts(t, figures["chats"])),
        _(
            "Subscriptions: {total} ({everything} to everything)",
            total=figures["subscriptions"],
            everything=figures["subscriptions_to_everything"],
        ),
        _("Top topics: {topics}", topics=pairs(figures["subscriptions_by_topic"])),
        _(
            "Deliveries today (UTC, the chart's last day): {counts}",
            counts=delivery_counts(t, figures["deliveries_today_utc"]),
        ),
        _("Feeds: {count}", count=figures["feeds"]),
    ]
    if figures["hooks_last_24h"]:  # outcomes named as `articlebot hooks log` names them
        lines.append(
            _("CMS hooks in the last 24 h: {counts}", counts=pairs(figures["hooks_last_24h"]))
        )
    for running in figures["broadcasts_in_progress"]:
        lines.append(
            _(
                "📣 Broadcasting {id}. {title}: {sent} sent, {pending} pending",
                id=running["article_id"],
                title=escape(running["title"]),
                sent=running["sent"],
                pending=running["pending"],
            )
        )
    return "\n".join(lines)
