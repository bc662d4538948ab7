"""Time zones, and articles scheduled to be published later."""

from __future__ import annotations

from datetime import datetime

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.callbacks import Unschedule
from bot.i18n import Texts
from bot.render.admin import prompt
from bot.render.common import Reply, escape, truncate
from storage.scheduled import Scheduled
from storage.timing import zone


def ask_when(t: Texts, zone_name: str, now: datetime) -> Reply:
    return prompt(
        t,
        t.gettext(
            "When should it be published? Send a date and time like <code>{example}</code>, or "
            "just a time for the next one. Your time zone is {zone} (/timezone changes it).",
            example=now.astimezone(zone(zone_name)).strftime("%Y-%m-%d %H:%M"),
            zone=escape(zone_name),
        ),
    )


def scheduled_done(t: Texts, item: Scheduled) -> str:
    return t.gettext(
        "⏰ Scheduled for {when} ({zone}): <b>{title}</b>. Until then nobody sees it; "
        "/scheduled lists what is waiting.",
        when=t.moment(item.publish_at, zone(item.timezone)),
        zone=escape(item.timezone),
        title=escape(truncate(item.title, 200)),
    )


def scheduled_list(t: Texts, items: list[Scheduled], zone_name: str) -> Reply:
    """What is waiting, in the reader's time zone, each with a ✖ to cancel it."""
    _ = t.gettext
    if not items:
        return Reply(_("Nothing is scheduled. Use ⏰ Schedule in the /add preview."))
    lines = [_("<b>Scheduled</b> (times in {zone})", zone=escape(zone_name))]
    buttons = []
    for item in items:
        when = t.moment(item.publish_at, zone(zone_name))
        lines.append(f"{item.id}. {when} — <b>{escape(truncate(item.title, 120))}</b>")
        data = Unschedule(item.id).encode()
        buttons.append(InlineKeyboardButton(f"✖ {item.id}", callback_data=data))
    lines.append(_("✖ <i>number</i> cancels that one: it is not published."))
    rows = [buttons[i : i + 5] for i in range(0, len(buttons), 5)]
    return Reply("\n".join(lines), InlineKeyboardMarkup(rows))


def timezone_state(t: Texts, zone_name: str, now: datetime) -> str:
    time, day = t.clock_and_day(now, zone(zone_name))
    return t.gettext(
        "Time zone: {zone} (it is {time} on {day} there). Change it with /timezone "
        "<i>name</i>, like /timezone America/Lima, or an offset like /timezone -05:00.",
        zone=escape(zone_name),
        time=time,
        day=day,
    )


def timezone_set(t: Texts, zone_name: str, now: datetime) -> str:
    time, day = t.clock_and_day(now, zone(zone_name))
    return t.gettext(
        "Time zone set to {zone}: it is {time} on {day} there.",
        zone=escape(zone_name),
        time=time,
        day=day,
    )
