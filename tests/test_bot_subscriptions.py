"""Subscriptions end to end: private chats, groups, forum topics, channels, lifecycle."""

from __future__ import annotations

import logging
from collections.abc import Awaitable
from datetime import UTC, datetime, timedelta

import pytest

from bot.context import BotApplication
from bot.sandbox import BotApiStandIn
from bot.sandbox.messages import BOT_USER
from storage import ChatInfo, Storage
from tests.conftest import article
from tests.e2e import running_bot, wait_until

USER = 42
GROUP = -100_123


async def reply_to(api: BotApiStandIn, text: str, chat_id: int = USER, **push: object) -> str:
    mark = api.mark()
    api.push_command(text, **push)  # type: ignore[arg-type]
    call = await api.wait_for("sendMessage", after=mark, chat_id=chat_id)
    return str(call["text"])


async def test_private_subscribe_topics_and_unsubscribe(
    api: BotApiStandIn, bot: BotApplication, storage: Storage
) -> None:
    await storage.articles.add(article(1, title="Perú hoy"))
    text = await reply_to(api, "/subscribe")
    assert "every new article will arrive here" in text
    assert "Expect about 7 articles a week." in text  # one article, a day-old archive
    assert "This chat already receives every new article. Nothing changed." in await reply_to(
        api, "/subscribe"
    )

    mark = api.mark()
    api.push_command("/subscribe Perú castillo")
    narrowed = await api.wait_for("sendMessage", after=mark, chat_id=USER)
    assert (
        "<b>castillo</b>, <b>peru</b>: articles about any of them will arrive here"
        in (narrowed["text"])
    )
    assert "Until now every article arrived; from now on only these topics." in narrowed["text"]
    assert narrowed.button_data() == ["Us"]
    subscription = await storage.chats.subscription(USER)
    assert subscription is not None
    assert subscription.topics == ("castillo", "peru")
    mark = api.mark()
    api.push_callback("Us", message=narrowed)
    widened = await api.wait_for("sendMessage", after=mark, chat_id=USER)
    assert "every new article will arrive here" in widened["text"]
    widened_to = await storage.chats.subscription(USER)
    assert widened_to is not None and widened_to.everything
    await reply_to(api, "/subscribe Perú castillo")

    assert "Still subscribed to <b>peru</b>" in await reply_to(api, "/unsubscribe castillo")
    assert "None of those topics" in await reply_to(api, "/unsubscribe bolivia")
    assert "Unsubscribed" in await reply_to(api, "/unsubscribe")
    assert await storage.chats.subscription(USER) is None
    assert "not subscribed" in await reply_to(api, "/unsubscribe")


async def test_weekly_estimate_comes_from_the_archive(
    api: BotApiStandIn, bot: BotApplication, storage: Storage
) -> None:
    now = datetime.now(UTC)
    for n in range(8):  # one a day for 8 days: about 7 a week, not 8 / 4
        await storage.articles.add(
            article(
                n,
                title=f"Lima {n}" if n < 2 else f"Cusco {n}",
                published_at=now - timedelta(days=n + 1),
            )
        )
    text = await reply_to(api, "/subscribe")
    assert "Expect about 7 articles a week." in text
    await reply_to(api, "/unsubscribe")
    text = await reply_to(api, "/subscribe lima")  # 2 in the 8 days
    assert "articles about it will arrive here" in text
    assert "Expect about 2 articles a week." in text
    await reply_to(api, "/unsubscribe")
    assert "No article has matched it yet." in await reply_to(api, "/subscribe arequipa")
    await storage.articles.add(
        article(99, title="Arequipa", published_at=now - timedelta(days=60))
    )  # the archive is now 60 days old; the last 28 days count
    await reply_to(api, "/unsubscribe")
    text = await reply_to(api, "/subscribe arequipa")
    assert "Articles about it are rare: fewer than one a week lately." in text


@pytest.mark.parametrize(
    "command",
    [
        "/subscribe C++",
        "/subscribe a OR b",
        "/subscribe <b>x</b>",
        '/subscribe "peru',
        "/subscribe " + " ".join(f"t{i}" for i in range(1000)),
        "/subscribe " + "x" * 65,
    ],
)
async def test_bad_topics_are_refused_and_change_nothing(
    api: BotApiStandIn, bot: BotApplication, storage: Storage, command: str
) -> None:
    assert "Topics are single words" in await reply_to(api, command)
    assert await storage.chats.subscription(USER) is None


async def test_subscriptions_buttons_drop_a_topic_and_unsubscribe(
    api: BotApiStandIn, bot: BotApplication, storage: Storage
) -> None:
    await reply_to(api, "/subscribe peru lima")
    mark = api.mark()
    api.push_command("/subscriptions")
    state = await api.wait_for("sendMessage", after=mark)
    assert "articles about any of <b>lima</b>, <b>peru</b>" in state["text"]
    drop_lima, _, daily, weekly, unsubscribe = state.button_data()
    assert (daily, weekly, unsubscribe) == ("Ud", "Uw", "Ua")
    assert "Each article arrives at once." in state["text"]
    assert "Time zone: UTC" in state["text"]

    mark = api.mark()
    api.push_callback(drop_lima, message=state)
    edited = await api.wait_for("editMessageText", after=mark)
    assert "articles about <b>peru</b>." in edited["text"]
    subscription = await storage.chats.subscription(USER)
    assert subscription is not None
    assert subscription.topics == ("peru",)

    mark = api.mark()
    api.push_callback("Ua", message=edited)
    final = await api.wait_for("editMessageText", after=mark)
    assert "not subscribed" in final["text"]
    assert final.button_data() == ["Us"]
    assert await storage.chats.subscription(USER) is None


async def test_start_button_subscribes(
    api: BotApiStandIn, bot: BotApplication, storage: Storage
) -> None:
    mark = api.mark()
    api.push_command("/start")
    welcome = await api.wait_for("sendMessage", after=mark)
    mark = api.mark()
    api.push_callback("Us", message=welcome)
    done = await api.wait_for("sendMessage", after=mark)
    assert "Subscribed" in done["text"]
    assert await storage.chats.subscription(USER) is not None


async def test_group_admin_subscribes_member_is_refused(
    api: BotApiStandIn, bot: BotApplication, storage: Storage
) -> None:
    group = api.group_chat(GROUP)
    admin, member = api.user(1), api.user(2)
    api.set_member(GROUP, api.administrator(admin))
    api.set_member(GROUP, api.member(member))

    refused = await reply_to(api, "/subscribe", GROUP, chat=group, user=member)
    assert "only this group's administrators" in refused
    assert await storage.chats.subscription(GROUP) is None

    accepted = await reply_to(
        api, "/subscribe@articlebot_test_bot economia", GROUP, chat=group, user=admin
    )
    assert "Subscribed to <b>economia</b>" in accepted
    refused = await reply_to(api, "/unsubscribe", GROUP, chat=group, user=member)
    assert "only this group's administrators" in refused
    assert await storage.chats.subscription(GROUP) is not None


async def test_member_cannot_press_the_group_buttons(
    api: BotApiStandIn, bot: BotApplication, storage: Storage
) -> None:
    group = api.group_chat(GROUP)
    admin, member = api.user(1), api.user(2)
    api.set_member(GROUP, api.administrator(admin))
    api.set_member(GROUP, api.member(member))
    await reply_to(api, "/subscribe", GROUP, chat=group, user=admin)
    mark = api.mark()
    api.push_command("/subscriptions", chat=group, user=member)
    state = await api.wait_for("sendMessage", after=mark, chat_id=GROUP)
    mark = api.mark()
    api.push_callback("Ua", message=state, user=member)
    answer = await api.wait_for("answerCallbackQuery", after=mark)
    assert "administrators" in answer["text"]
    assert await storage.chats.subscription(GROUP) is not None


async def test_anonymous_group_admin(
    api: BotApiStandIn, bot: BotApplication, storage: Storage
) -> None:
    group = api.group_chat(GROUP)
    anonymous = api.user(1087968824, first_name="Group")
    text = await reply_to(api, "/subscribe", GROUP, chat=group, user=anonymous, sender_chat=group)
    assert "Subscribed" in text
    assert await storage.chats.subscription(GROUP) is not None


async def test_forum_topic_subscribes_that_topic(
    api: BotApiStandIn, bot: BotApplication, storage: Storage
) -> None:
    forum = api.group_chat(GROUP, is_forum=True)
    admin = api.user(1)
    api.set_member(GROUP, api.administrator(admin))
    mark = api.mark()
    api.push_command(
        "/subscribe lima", chat=forum, user=admin, message_thread_id=77, is_topic_message=True
    )
    reply = await api.wait_for("sendMessage", after=mark, chat_id=GROUP)
    assert reply["message_thread_id"] == 77
    subscription = await storage.chats.subscription(GROUP, 77)
    assert subscription is not None
    assert subscription.topics == ("lima",)
    assert await storage.chats.subscription(GROUP, 0) is None


def channel_setup(api: BotApiStandIn, *, bot_can_post: bool = True) -> dict[str, object]:
    channel = api.channel(-100_777, "news")
    api.chats["@news"] = channel
    api.chats[-100_777] = channel
    api.set_member(-100_777, api.administrator(BOT_USER, can_post_messages=bot_can_post))
    return channel


async def test_channel_admin_subscribes_by_name(
    api: BotApiStandIn, bot: BotApplication, storage: Storage
) -> None:
    channel_setup(api)
    api.set_member(-100_777, api.member(api.user(USER), "creator"))
    text = await reply_to(api, "/subscribe @news peru")
    assert "Subscribed to <b>peru</b>: articles about it will arrive in @news." in text
    assert "/unsubscribe @news stops it; /subscriptions @news shows it." in text
    subscription = await storage.chats.subscription(-100_777)
    assert subscription is not None
    assert subscription.topics == ("peru",)
    state = await storage.chats.get(-100_777)
    assert state is not None
    assert state.type == "channel"
    # A channel admin who is not a bot admin sees and changes the channel's topics.
    await reply_to(api, "/subscribe @news lima")
    shown = await reply_to(api, "/subscriptions @news")
    assert "<b>@news</b> receives articles about any of <b>lima</b>, <b>peru</b>." in shown
    assert "Done. Still subscribed to <b>lima</b>." in await reply_to(
        api, "/unsubscribe @news peru"
    )
    assert await reply_to(api, "/unsubscribe @news") == (
        "🔕 Unsubscribed: no more articles will arrive in @news."
    )
    assert "@news is not subscribed." in await reply_to(api, "/subscriptions @news")
    assert await reply_to(api, "/unsubscribe @news") == "@news is not subscribed."


async def test_channel_subscribed_to_everything_says_where(
    api: BotApiStandIn, bot: BotApplication, storage: Storage
) -> None:
    channel_setup(api)
    api.set_member(-100_777, api.member(api.user(USER), "creator"))
    assert "every new article will arrive in @news." in await reply_to(api, "/subscribe @news")
    assert await reply_to(api, "/subscribe @news") == (
        "@news already receives every new article. Nothing changed."
    )
    by_id = await reply_to(api, "/subscribe -100777")  # a channel without a name: by its id
    assert by_id == "@news already receives every new article. Nothing changed."
    digest = await reply_to(api, "/digest @news daily 08:00")  # names what it changed
    assert digest.startswith("For @news: 🗞 From now on new articles arrive together.")


async def test_channel_via_forwarded_post(
    api: BotApiStandIn, bot: BotApplication, storage: Storage
) -> None:
    channel = channel_setup(api)
    api.set_member(-100_777, api.administrator(api.user(USER)))
    origin = {"type": "channel", "chat": channel, "message_id": 5, "date": 0}
    mark = api.mark()
    api.push_message("a post", forward_origin=origin)
    asked = await api.wait_for("sendMessage", after=mark, chat_id=USER)
    assert asked["text"] == "Subscribe @news to every new article?"
    assert asked.button_data() == ["Uc-100777"]
    assert await storage.chats.subscription(-100_777) is None  # not before it is confirmed
    mark = api.mark()
    api.push_callback("Uc-100777", message=asked)
    done = await api.wait_for("sendMessage", after=mark, chat_id=USER)
    assert "every new article will arrive in @news." in done["text"]
    assert await storage.chats.subscription(-100_777) is not None


async def test_a_stranger_cannot_confirm_a_channel_subscription(
    api: BotApiStandIn, bot: BotApplication, storage: Storage
) -> None:
    channel_setup(api)
    api.set_member(-100_777, api.member(api.user(USER)))
    mark = api.mark()
    api.push_command("/help")
    some_message = await api.wait_for("sendMessage", after=mark, chat_id=USER)
    mark = api.mark()
    api.push_callback("Uc-100777", message=some_message)  # a forged button
    refused = await api.wait_for("answerCallbackQuery", after=mark)
    assert "Only administrators of @news" in refused["text"]
    assert await storage.chats.subscription(-100_777) is None


@pytest.mark.parametrize(
    ("setup", "command", "expected"),
    [
        ("not_admin", "/subscribe @news", "Only administrators of @news"),
        ("cannot_post", "/subscribe @news", "I can't post in @news"),
        ("none", "/subscribe @nosuchchannel", "I can't find the channel @nosuchchannel"),
        ("not_admin", "/unsubscribe @news", "Only administrators of @news"),
    ],
)
async def test_channel_refusals_change_nothing(
    api: BotApiStandIn,
    bot: BotApplication,
    storage: Storage,
    setup: str,
    command: str,
    expected: str,
) -> None:
    if setup != "none":
        channel_setup(api, bot_can_post=setup != "cannot_post")
        user = api.user(USER)
        member = api.administrator(user) if setup == "cannot_post" else api.member(user)
        api.set_member(-100_777, member)
    assert expected in await reply_to(api, command)
    assert await storage.chats.subscription(-100_777) is None


async def test_bot_admin_manages_any_channel(api: BotApiStandIn, storage: Storage) -> None:
    channel_setup(api)
    api.set_member(-100_777, api.member(api.user(USER)))
    async with running_bot(api, storage, admin_ids=str(USER)):
        assert "Subscribed" in await reply_to(api, "/subscribe @news")
        assert "Unsubscribed" in await reply_to(api, "/unsubscribe @news")
    assert await storage.chats.subscription(-100_777) is None


async def test_bot_admins_list_and_remove_channels(api: BotApiStandIn, storage: Storage) -> None:
    for n in range(12):
        channel = ChatInfo(-100_000 - n, "channel", f"Channel {n:02}", username=f"ch{n:02}")
        await storage.chats.subscribe(channel, topics=("peru",) if n == 0 else ())
    await storage.chats.deactivate(-100_001, "bot kicked")
    await storage.chats.subscribe(ChatInfo(USER, "private"))
    async with running_bot(api, storage, admin_ids=str(USER)):
        mark = api.mark()
        api.push_command("/channels")
        listing = await api.wait_for("sendMessage", after=mark)
        text = listing["text"]
        assert "1. @ch00 (<code>-100000</code>) — <b>peru</b>" in text
        assert (
            "2. @ch01 (<code>-100001</code>) — every article\n    ⚠ inactive: bot kicked" in text
        )
        assert "10. @ch09" in text and "@ch10" not in text
        assert listing.button_data()[:2] == ["Cr0 -100000", "Cr0 -100001"]
        assert listing.button_data()[-1] == "Cl10"

        mark = api.mark()
        api.push_callback("Cl10", message=listing)
        second = await api.wait_for("editMessageText", after=mark)
        assert "11. @ch10" in second["text"] and "12. @ch11" in second["text"]
        assert second.button_data() == ["Cr10 -100010", "Cr10 -100011", "Cl0"]

        mark = api.mark()
        api.push_callback("Cr10 -100011", message=second)
        after = await api.wait_for("editMessageText", after=mark)
        assert "@ch11" not in after["text"] and "11. @ch10" in after["text"]
        assert await storage.chats.subscription(-100_011) is None

        mark = api.mark()
        api.push_callback(f"Cr0 {USER}", message=after)  # forged: not a channel
        await api.wait_for("editMessageText", after=mark)
        assert await storage.chats.subscription(USER) is not None


async def test_channel_list_when_there_are_none(api: BotApiStandIn, storage: Storage) -> None:
    async with running_bot(api, storage, admin_ids=str(USER)):
        assert await reply_to(api, "/channels") == "No channel is subscribed."


async def test_channels_only_from_a_private_chat(
    api: BotApiStandIn, bot: BotApplication, storage: Storage
) -> None:
    group = api.group_chat(GROUP)
    api.set_member(GROUP, api.administrator(api.user(USER)))
    text = await reply_to(api, "/subscribe @news", GROUP, chat=group)
    assert "in a private chat" in text


async def test_kicked_inactive_readded_active(
    api: BotApiStandIn, bot: BotApplication, storage: Storage
) -> None:
    group = api.group_chat(GROUP)
    admin = api.user(1)
    api.set_member(GROUP, api.administrator(admin))
    await reply_to(api, "/subscribe", GROUP, chat=group, user=admin)

    api.push_membership(group, "member", "kicked")
    await wait_until(lambda: is_(chat_active(storage, GROUP), False))
    state = await storage.chats.get(GROUP)
    assert state is not None
    assert state.deactivated_reason == "bot kicked"
    assert await storage.chats.subscription(GROUP) is not None  # kept

    api.push_membership(group, "left", "member")
    await wait_until(lambda: chat_active(storage, GROUP))


async def test_blocked_user_comes_back_with_start(
    api: BotApiStandIn, bot: BotApplication, storage: Storage
) -> None:
    await reply_to(api, "/subscribe")
    api.push_membership(api.private_chat(USER), "member", "kicked")
    await wait_until(lambda: is_(chat_active(storage, USER), False))
    await reply_to(api, "/start")
    assert await chat_active(storage, USER)


async def test_group_migration_keeps_one_subscription(
    api: BotApiStandIn, bot: BotApplication, storage: Storage
) -> None:
    old = {"id": -5, "type": "group", "title": "Old"}
    admin = api.user(1)
    api.set_member(-5, api.administrator(admin))
    await reply_to(api, "/subscribe peru", -5, chat=old, user=admin)
    api.push_message("", chat=old, user=admin, migrate_to_chat_id=-1005)
    api.push_message("", chat=api.group_chat(-1005), user=admin, migrate_from_chat_id=-5)
    await wait_until(lambda: has_subscription(storage, -1005))
    assert await storage.chats.subscription(-5) is None
    moved = await storage.chats.subscription(-1005)
    assert moved is not None
    assert moved.topics == ("peru",)


async def test_edited_commands_do_not_act(
    api: BotApiStandIn, bot: BotApplication, storage: Storage
) -> None:
    api.push(
        "edited_message",
        {
            "message_id": 1,
            "date": 0,
            "edit_date": 1,
            "chat": api.private_chat(USER),
            "from": api.user(),
            "text": "/subscribe",
            "entities": [{"type": "bot_command", "offset": 0, "length": 10}],
        },
    )
    await reply_to(api, "/help")
    assert await storage.chats.subscription(USER) is None


async def chat_active(storage: Storage, chat_id: int) -> bool:
    state = await storage.chats.get(chat_id)
    return state is not None and state.active


async def has_subscription(storage: Storage, chat_id: int) -> bool:
    return await storage.chats.subscription(chat_id) is not None


async def is_(value: Awaitable[bool], expected: bool) -> bool:
    return await value == expected


async def test_pressing_the_same_cadence_twice_is_not_an_error(
    api: BotApiStandIn, bot: BotApplication, storage: Storage, caplog: pytest.LogCaptureFixture
) -> None:
    """The second 🗞 Daily would show the message exactly as it is: Telegram refuses such an
    edit ("message is not modified"), and that is no failure."""
    await reply_to(api, "/subscribe")
    mark = api.mark()
    api.push_command("/subscriptions")
    state = await api.wait_for("sendMessage", after=mark)
    mark = api.mark()
    api.push_callback("Ud", message=state)
    daily = await api.wait_for("editMessageText", after=mark)
    mark = api.mark()
    api.push_callback("Ud", message=daily)
    await api.wait_for("editMessageText", after=mark)
    assert "Sorry" not in await reply_to(api, "/help")
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert not [c for c in api.calls_to("answerCallbackQuery") if c.get("show_alert")]


async def test_texts_fit_where_they_are_read(
    api: BotApiStandIn, bot: BotApplication, storage: Storage
) -> None:
    """Seen: a group's /start said to just type there; a group member's /timezone was
    refused as changing "its subscription"; a digest chat's /quiet said cards come at once."""
    group = api.group_chat(GROUP)
    admin, member = api.user(1), api.user(2)
    api.set_member(GROUP, api.administrator(admin))
    api.set_member(GROUP, api.member(member))
    welcome = await reply_to(api, "/start", GROUP, chat=group, user=member)
    assert "just type" not in welcome
    assert "just type" in await reply_to(api, "/start")  # a private chat: typing searches
    refused = await reply_to(api, "/timezone Europe/Madrid", GROUP, chat=group, user=member)
    assert refused == "Sorry, only this group's administrators can change its settings."
    await reply_to(api, "/subscribe")
    await reply_to(api, "/digest daily 08:00")
    quiet = await reply_to(api, "/quiet")
    assert "this chat gets digests" in quiet
    assert "as articles are published" not in quiet


@pytest.mark.parametrize(
    ("topics", "answer"),
    [
        ("a", "at least 2 letters; a is too short"),
        ("perú-lima", "Subscribed to <b>lima</b>, <b>peru</b>"),  # as matched: folded
    ],
)
async def test_topics_too_short_or_hyphenated(
    api: BotApiStandIn, bot: BotApplication, storage: Storage, topics: str, answer: str
) -> None:
    assert answer in await reply_to(api, f"/subscribe {topics}")
