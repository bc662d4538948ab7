"""The stand-in marks commands as Telegram does (tdlib's match_bot_commands), not as the bot
assumes: a test that shares the bot's beliefs proves nothing."""

from __future__ import annotations

import pytest
from aiohttp import ClientSession

from bot.sandbox import BotApiStandIn
from bot.sandbox.rules import command_entities


@pytest.mark.parametrize(
    ("text", "commands"),
    [
        ("/stats", ["/stats"]),
        ("/stats.", ["/stats"]),
        ("/feeds, add https://x 20", ["/feeds"]),
        ("/scheduled!", ["/scheduled"]),
        ("/stats\nmore", ["/stats"]),
        ("/stats@articlebot_test_bot now", ["/stats@articlebot_test_bot"]),
        ("/stats@ab", []),  # a username has 3 to 32 characters
        ("/stats/x", []),
        ("/statsé", []),
        ("a/stats", []),
        ("see /help, or /latest", ["/help", "/latest"]),
        ("/" + "a" * 65, []),
        ("/", []),
    ],
)
def test_command_entities_follow_telegram(text: str, commands: list[str]) -> None:
    found = [text[e["offset"] : e["offset"] + e["length"]] for e in command_entities(text)]
    assert found == commands


def test_offsets_count_utf16_code_units() -> None:
    [entity] = command_entities("🙂 /help")
    assert (entity["offset"], entity["length"]) == (3, 5)


async def test_an_edit_that_changes_nothing_is_refused_as_telegram_does() -> None:
    """Bot API: editMessageText / editMessageReplyMarkup answer 400 "message is not
    modified" when the new content and markup are exactly the current ones."""
    markup = {"inline_keyboard": [[{"text": "1", "callback_data": "A1"}]]}
    async with BotApiStandIn() as api, ClientSession() as http:

        async def call(method: str, **params: object) -> dict[str, object]:
            async with http.post(f"{api.base_url}{api.token}/{method}", json=params) as r:
                return dict(await r.json())

        sent = await call("sendMessage", chat_id=42, text="<b>hi</b>", parse_mode="HTML")
        message_id = sent["result"]["message_id"]  # type: ignore[index]
        same = {"chat_id": 42, "message_id": message_id, "parse_mode": "HTML"}
        refused = await call("editMessageText", text="<b>hi</b>", **same)
        assert refused["ok"] is False
        assert str(refused["description"]).startswith("Bad Request: message is not modified")
        assert (await call("editMessageText", text="<b>hi</b>", reply_markup=markup, **same))["ok"]
        assert not (await call("editMessageReplyMarkup", reply_markup=markup, **same))["ok"]
        assert (await call("editMessageReplyMarkup", **same))["ok"]  # the buttons removed
        assert not (await call("editMessageReplyMarkup", **same))["ok"]  # none to remove
