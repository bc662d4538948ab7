"""Subscribing, unsubscribing and the channels' list."""

from __future__ import annotations

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.callbacks import (
    ChannelPage,
    RemoveChannel,
    SubscriptionAction,
    topic_key,
)
from bot.i18n import Texts
from bot.render.common import (
    SUBSCRIBE_DATA,
    Reply,
    escape,
    navigation,
)
from storage import ChannelSubscription, ChatInfo, Subscription

CHANNEL_PAGE_SIZE = 10


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
