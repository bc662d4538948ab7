"""A reply Telegram refuses is handled as the outbox handles a refused card: the chat that
is gone is marked inactive, a migrated group gets the reply at its new id, flood control is
waited out once or the reply given up; one log line each, no traceback, no second send."""

from __future__ import annotations

import logging

import pytest

from bot.context import BotApplication
from bot.sandbox import BotApiStandIn, Fault
from storage import ChatInfo, Storage
from tests.e2e import wait_until

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
    api.inject(Fault("sendMessage", 400, "Bad Request: group chat was upgraded to a supergroup",
                     migrate_to_chat_id=SUPERGROUP, chat_id=GROUP))  # fmt: skip
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
    await wait_until(lambda: any("reply given up" in line for line in lines(
        caplog, logging.WARNING)))  # fmt: skip
    assert len(api.calls_to("sendMessage")) == 1
    assert lines(caplog, logging.ERROR) == []
