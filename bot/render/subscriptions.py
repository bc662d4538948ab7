"""Subscribing, unsubscribing and the channels' list."""

from __future__ import annotations

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.callbacks import (
    ChannelPage,
    RemoveChannel,
    SubscribeChannel,
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
from bot.render.digests import cadence_buttons, cadence_text
from storage import ChannelSubscription, ChatInfo, Subscription, SubscriptionChange
from storage.articles import Estimate
from storage.digests import DigestState
from storage.errors import Explained
from storage.kinds import ChatType

Change = SubscriptionChange

CHANNEL_PAGE_SIZE = 10


def topic_list(topics: tuple[str, ...]) -> str:
    return ", ".join(f"<b>{escape(topic)}</b>" for topic in topics)


def channel_handle(chat: ChatInfo) -> str:
    """How commands name a channel: @username, or its id when it has none."""
    return f"@{chat.username}" if chat.username else str(chat.chat_id)


def subscribed(
    t: Texts, subscription: Subscription, estimate: Estimate, chat: ChatInfo, change: Change
) -> Reply:
    """What a subscription now brings and where, how often, and how to undo it."""
    _ = t.gettext
    topics, count = topic_list(subscription.topics), len(subscription.topics)
    if chat.type == ChatType.CHANNEL:
        channel = escape(channel_label(chat.username, chat.title, chat.chat_id))
        if subscription.everything:
            head = _("🔔 Subscribed: every new article will arrive in {channel}.", channel=channel)
        else:
            head = t.ngettext(
                "🔔 Subscribed to {topics}: articles about it will arrive in {channel}.",
                "🔔 Subscribed to {topics}: articles about any of them will arrive in {channel}.",
                count,
                topics=topics,
                channel=channel,
            )
        handle = escape(channel_handle(chat))
        footer = _(
            "/unsubscribe {channel} stops it; /subscriptions {channel} shows it.", channel=handle
        )
    else:
        if subscription.everything:
            head = _("🔔 Subscribed: every new article will arrive here.")
        else:
            head = t.ngettext(
                "🔔 Subscribed to {topics}: articles about it will arrive here.",
                "🔔 Subscribed to {topics}: articles about any of them will arrive here.",
                count,
                topics=topics,
            )
        footer = _("/unsubscribe stops it; /subscriptions shows it.")
    lines = [head]
    markup = None
    if change is Change.NARROWED:
        lines.append(_("⚠ Until now every article arrived; from now on only these topics."))
        if chat.type != ChatType.CHANNEL:
            keep = InlineKeyboardButton(_("↩ Every article again"), callback_data=SUBSCRIBE_DATA)
            markup = InlineKeyboardMarkup([[keep]])
    lines += [expectation(t, subscription, estimate), footer]
    return Reply("\n".join(lines), markup)


def expectation(t: Texts, subscription: Subscription, estimate: Estimate) -> str:
    """How many articles a week to expect, from the archive."""
    count = len(subscription.topics)
    weekly = round(estimate.per_week)
    if estimate.per_week >= 1:
        return t.ngettext(
            "Expect about {count} article a week.", "Expect about {count} articles a week.", weekly
        )
    if subscription.everything:
        if not estimate.ever:
            return t.gettext("No article has been published yet.")
        return t.gettext("New articles are rare lately: fewer than one a week.")
    if not estimate.ever:
        return t.ngettext(
            "No article has matched it yet.", "No article has matched them yet.", count
        )
    return t.ngettext(
        "Articles about it are rare: fewer than one a week lately.",
        "Articles about them are rare: fewer than one a week lately.",
        count,
    )


def already_subscribed(t: Texts, subscription: Subscription, chat: ChatInfo) -> str:
    if not subscription.everything:
        return t.gettext(
            "Already subscribed to {topics}. Nothing changed.",
            topics=topic_list(subscription.topics),
        )
    if chat.type == ChatType.CHANNEL:
        return t.gettext(
            "{channel} already receives every new article. Nothing changed.",
            channel=escape(channel_label(chat.username, chat.title, chat.chat_id)),
        )
    return t.gettext("This chat already receives every new article. Nothing changed.")


def unsubscribed(t: Texts, remaining: Subscription | None, channel: str | None = None) -> str:
    _ = t.gettext
    if remaining is not None:
        return _("Done. Still subscribed to {topics}.", topics=topic_list(remaining.topics))
    if channel is not None:
        return _(
            "🔕 Unsubscribed: no more articles will arrive in {channel}.", channel=escape(channel)
        )
    return _("🔕 Unsubscribed: no more articles will arrive here. /subscribe to come back.")


def not_subscribed(t: Texts, topics: tuple[str, ...], channel: str | None = None) -> str:
    if topics:
        return t.gettext("None of those topics is subscribed. See /subscriptions")
    if channel is not None:
        return t.gettext("{channel} is not subscribed.", channel=escape(channel))
    return t.gettext("This chat is not subscribed. /subscribe to receive new articles.")


def subscription_state(
    t: Texts, subscription: Subscription | None, digest: DigestState | None = None
) -> Reply:
    """What the chat receives, how (at once or in digests), with buttons to change it."""
    _ = t.gettext
    if subscription is None:
        text = _(
            "This chat is not subscribed. /subscribe to receive every new article, or "
            "/subscribe <i>topics</i> for some."
        )
        button = InlineKeyboardButton(_("🔔 Subscribe"), callback_data=SUBSCRIBE_DATA)
        return Reply(text, InlineKeyboardMarkup([[button]]))
    if subscription.everything:
        text = _("<b>Subscribed</b>: every new article arrives here.")
        rows = []
    else:
        text = t.ngettext(
            "<b>Subscribed</b> to articles about {topics}.",
            "<b>Subscribed</b> to articles about any of {topics}.",
            len(subscription.topics),
            topics=topic_list(subscription.topics),
        )
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
    if digest is not None:
        text += "\n" + cadence_text(t, digest.cadence, digest.timezone, digest.next_at)
        text += "\n" + _("Time zone: {zone} (/timezone changes it).", zone=escape(digest.timezone))
        rows.append(cadence_buttons(t, digest.cadence))
    unsubscribe = SubscriptionAction(SubscriptionAction.UNSUBSCRIBE).encode()
    rows.append([InlineKeyboardButton(_("🔕 Unsubscribe"), callback_data=unsubscribe)])
    return Reply(text, InlineKeyboardMarkup(rows))


def channel_state(t: Texts, channel: ChatInfo, subscription: Subscription | None) -> str:
    """A channel's subscription, for its administrators: commands, since its buttons would
    act on the private chat they are shown in."""
    _ = t.gettext
    name = escape(channel_label(channel.username, channel.title, channel.chat_id))
    handle = escape(channel_handle(channel))
    if subscription is None:
        return _(
            "{channel} is not subscribed. /subscribe {handle} to receive every new "
            "article there, or /subscribe {handle} <i>topics</i> for some.",
            channel=name,
            handle=handle,
        )
    if subscription.everything:
        text = _("<b>{channel}</b> receives every new article.", channel=name)
    else:
        text = t.ngettext(
            "<b>{channel}</b> receives articles about {topics}.",
            "<b>{channel}</b> receives articles about any of {topics}.",
            len(subscription.topics),
            channel=name,
            topics=topic_list(subscription.topics),
        )
    return "\n".join(
        [
            text,
            _(
                "/subscribe {handle} <i>topics</i> adds topics; "
                "/unsubscribe {handle} <i>topics</i> drops them; "
                "/unsubscribe {handle} stops it.",
                handle=handle,
            ),
        ]
    )


def confirm_channel(t: Texts, channel: ChatInfo) -> Reply:
    """A forwarded post names a channel: subscribe it only when asked."""
    name = escape(channel_label(channel.username, channel.title, channel.chat_id))
    text = t.gettext("Subscribe {channel} to every new article?", channel=name)
    button = InlineKeyboardButton(
        t.gettext("🔔 Subscribe {channel}", channel=name),
        callback_data=SubscribeChannel(channel.chat_id).encode(),
    )
    return Reply(text, InlineKeyboardMarkup([[button]]))


def bad_topics(t: Texts, error: Explained | None = None) -> str:
    """The rule for topics, after what was wrong with these."""
    rule = t.gettext(
        "Topics are single words of letters and digits, at most 20 of at most 64 characters. "
        "For example: /subscribe peru economia"
    )
    return f"{escape(t.explain(error))}\n{rule}" if error is not None else rule


def admins_only(t: Texts) -> str:
    return t.gettext("Sorry, only this group's administrators can change its settings.")


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
    return t.gettext(
        "Only administrators of {name} can change its subscription.", name=escape(name)
    )


def channel_list(
    t: Texts, channels: list[ChannelSubscription], offset: int, has_more: bool
) -> Reply:
    """The bot admins' list of subscribed channels, a ✖ button to unsubscribe each."""
    _ = t.gettext
    if not channels:
        return Reply(_("No channel is subscribed.") if offset == 0 else _("No more channels."))
    lines = [
        _(
            "<b>Subscribed channels</b> · {first}–{last}",
            first=offset + 1,
            last=offset + len(channels),
        )
    ]
    removals = []
    for number, item in enumerate(channels, start=offset + 1):
        channel = item.channel
        name = channel_label(channel.username, channel.title, channel.chat_id)
        wants = (
            _("every article")
            if item.subscription.everything
            else topic_list(item.subscription.topics)
        )
        line = f"{number}. {escape(name)} (<code>{channel.chat_id}</code>) — {wants}"
        if not channel.active:
            line += "\n    " + _(
                "⚠ inactive: {reason}", reason=escape(channel.deactivated_reason or "?")
            )
        lines.append(line)
        removals.append(
            InlineKeyboardButton(
                f"✖ {number}", callback_data=RemoveChannel(channel.chat_id, offset).encode()
            )
        )
    lines.append(_("✖ <i>number</i> unsubscribes that channel."))
    nav = navigation(
        ChannelPage(offset - CHANNEL_PAGE_SIZE).encode() if offset > 0 else None,
        ChannelPage(offset + CHANNEL_PAGE_SIZE).encode() if has_more else None,
    )
    rows = [removals[i : i + 5] for i in range(0, len(removals), 5)]
    return Reply("\n".join(lines), InlineKeyboardMarkup([*rows, nav] if nav else rows))


def channel_label(username: str | None, title: str | None, chat_id: int) -> str:
    return f"@{username}" if username else (title or str(chat_id))
