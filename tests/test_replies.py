"""A reply Telegram refuses is handled as the outbox handles a refused card: the chat that
is gone is marked inactive, a migrated group gets the reply at its new id, flood control is
waited out once or the reply given up; one log line each, no traceback, no second send."""

from __future__ import annotations

import logging

import pytest

from bot.context import BotApplication
from bot.sandbox import BotApiStandIn, Call, Fault
from storage import ChatInfo, Storage
from tests.conftest import article
from tests.e2e import running_bot, wait_until

USER, GROUP, SUPERGROUP = 42, -555, -100_555


def lines(caplog: pytest.LogCaptureFixture, level: int) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.levelno == level]


@pytest.mark.parametrize(
    "refusal",
    ["Forbidden: bot was blocked by the user", "Bad Request: chat not found"],
)
async def test_a_reply_to_a_chat_that_is_gone_marks_it_inactive(
    api: BotApiStandIn,
    bot: BotApplication,
    storage: Storage,
    caplog: pytest.LogCaptureFixture,
    refusal: str,
) -> None:
    caplog.set_level(logging.INFO)
    await storage.chats.subscribe(ChatInfo(USER, "private"))
    api.inject(Fault("sendMessage", 403 if "Forbidden" in refusal else 400, refusal))
    api.push_command("/latest")
    await wait_until(lambda: api.calls_to("sendMessage", chat_id=USER) != [])
    await wait_until(lambda: chat_inactive(storage, USER))
    state = await storage.chats.get(USER)
    assert state is not None and state.deactivated_reason  # Telegram's words, as PTB has them
    assert state.deactivated_reason.lower() in refusal.lower()
    assert await storage.chats.subscription(USER) is not None  # kept, for when they return
    assert len(api.calls_to("sendMessage")) == 1  # no "something went wrong" after it
    assert [line for line in lines(caplog, logging.INFO) if "the chat is gone" in line]
    assert lines(caplog, logging.ERROR) == []


async def chat_inactive(storage: Storage, chat_id: int) -> bool:
    state = await storage.chats.get(chat_id)
    return state is not None and not state.active


async def test_a_reply_to_a_migrated_group_goes_to_its_new_id_once(
    api: BotApiStandIn, bot: BotApplication, storage: Storage
) -> None:
    await storage.chats.subscribe(ChatInfo(GROUP, "group", title="G"))
    api.inject(
        Fault(
            "sendMessage",
            400,
            "Bad Request: group chat was upgraded to a supergroup",
            migrate_to_chat_id=SUPERGROUP,
            chat_id=GROUP,
        )
    )
    api.push_command("/help", chat={"id": GROUP, "type": "group", "title": "G"})
    reply = await api.wait_for("sendMessage", chat_id=SUPERGROUP)
    assert "What I can do" in reply["text"]
    assert len(api.delivered()) == 1
    assert await storage.chats.subscription(SUPERGROUP) is not None
    assert await storage.chats.subscription(GROUP) is None


async def test_a_short_flood_wait_is_waited_out_once(
    api: BotApiStandIn, bot: BotApplication
) -> None:
    api.inject(Fault("sendMessage", 429, "Too Many Requests: retry after 1", retry_after=1))
    api.push_command("/help")
    reply = await api.wait_for("sendMessage", chat_id=USER, where=lambda c: "_result" in c.params)
    first, second = api.calls_to("sendMessage", chat_id=USER)
    assert second is reply and second.at - first.at >= 0.9


async def test_a_long_flood_wait_gives_the_reply_up_in_one_line(
    api: BotApiStandIn, bot: BotApplication, caplog: pytest.LogCaptureFixture
) -> None:
    api.inject(Fault("sendMessage", 429, "Too Many Requests: retry after 60", retry_after=60))
    api.push_command("/help")
    await api.wait_for("sendMessage", chat_id=USER)
    await wait_until(
        lambda: any("reply given up" in line for line in lines(caplog, logging.WARNING))
    )
    assert len(api.calls_to("sendMessage")) == 1
    assert lines(caplog, logging.ERROR) == []


async def test_the_readers_journey_against_an_imperfect_bot_api(
    api: BotApiStandIn, storage: Storage, caplog: pytest.LogCaptureFixture
) -> None:
    """404 or a bare `ok: false` from setMyCommands, getChatMember, answerCallbackQuery,
    editMessageText and deleteMessage; messages without optional fields, dates as floats:
    every step still answers, nothing crashes, broadcasts keep going."""
    api.imperfect = True
    for n in range(1, 8):
        await storage.articles.add(article(n, title=f"Lima {n}"), announce=False)
    await storage.chats.subscribe(ChatInfo(7, "private"))
    async with running_bot(api, storage):

        async def reply_to(text: str, **where: object) -> Call:
            mark = api.mark()
            api.push_command(text, **where)  # type: ignore[arg-type]
            return await api.wait_for("sendMessage", after=mark)

        assert "/latest" in (await reply_to("/start"))["text"]
        assert (await reply_to("/help"))["text"]
        first_page = await reply_to("/latest")
        assert "L5" in first_page.button_data()
        mark = api.mark()
        api.push_callback("L5", message=first_page)  # editing fails: the page comes anew
        second_page = await api.wait_for("sendMessage", after=mark)
        assert "Lima 2" in second_page["text"] and "Lima 7" not in second_page["text"]
        mark = api.mark()
        api.push_callback("A3", message=first_page)
        assert (await api.wait_for("sendMessage", after=mark))["text"].startswith("<b>Lima 3")
        assert "Lima" in (await reply_to("/search lima"))["text"]
        assert (await reply_to("/article 1"))["text"].startswith("<b>Lima 1")
        api.push_inline_query("lima")
        assert (await api.wait_for("answerInlineQuery"))["results"]
        assert "Subscribed" in (await reply_to("/subscribe"))["text"]
        group = api.group_chat(-100_9)
        refused = await reply_to("/subscribe", chat=group, user=api.user(8))
        assert "administrators" in refused["text"]  # membership could not be checked: no
        for n in (8, 9):  # the worker keeps draining
            await storage.articles.add(article(n, title=f"Cusco {n}"))
        await wait_until(lambda: len(api.delivered(7)) == 2)
    assert lines(caplog, logging.ERROR) == []
    assert any(
        "could not register the command menu" in line for line in lines(caplog, logging.WARNING)
    )
