"""The stand-in marks commands as Telegram does (tdlib's match_bot_commands), not as the bot
assumes: a test that shares the bot's beliefs proves nothing."""

from __future__ import annotations

import asyncio

import pytest
from aiohttp import ClientSession

from bot.sandbox import BotApiStandIn
from bot.sandbox.rules import command_entities
from tests.e2e import wait_until


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


async def test_photos_captions_and_media_are_answered_as_the_bot_api_documents() -> None:
    """sendPhoto takes a file_id or an HTTP URL Telegram fetches; an edit names a message
    that exists, of the kind it edits (a text's text, a photo's caption)."""
    async with BotApiStandIn() as api, ClientSession() as http:

        async def call(method: str, **params: object) -> dict[str, object]:
            async with http.post(f"{api.base_url}{api.token}/{method}", json=params) as r:
                return dict(await r.json())

        api.unreachable_photos.add("https://x.example/gone.jpg")
        gone = await call("sendPhoto", chat_id=1, photo="https://x.example/gone.jpg")
        assert gone["description"] == "Bad Request: failed to get HTTP URL content"
        odd = await call("sendPhoto", chat_id=1, photo="file:///etc/passwd")
        assert odd["description"] == "Bad Request: wrong file identifier/HTTP URL specified"
        long = await call(
            "sendPhoto", chat_id=1, photo="https://x.example/a.jpg", caption="x" * 1025
        )
        assert long["description"] == "Bad Request: message caption is too long"
        photo = await call("sendPhoto", chat_id=1, photo="https://x.example/a.jpg", caption="c")
        photo_id = photo["result"]["message_id"]  # type: ignore[index]
        text = await call("sendMessage", chat_id=1, text="t")
        text_id = text["result"]["message_id"]  # type: ignore[index]
        wrong = await call("editMessageText", chat_id=1, message_id=photo_id, text="x")
        assert wrong["description"] == "Bad Request: there is no text in the message to edit"
        wrong = await call("editMessageCaption", chat_id=1, message_id=text_id, caption="x")
        assert wrong["description"] == "Bad Request: there is no caption in the message to edit"
        same = await call("editMessageCaption", chat_id=1, message_id=photo_id, caption="c")
        assert "message is not modified" in str(same["description"])
        missing = await call("editMessageText", chat_id=1, message_id=999_999, text="x")
        assert missing["description"] == "Bad Request: message to edit not found"
        media = {"type": "photo", "media": "https://x.example/b.jpg", "caption": "new"}
        moved = await call("editMessageMedia", chat_id=1, message_id=photo_id, media=media)
        assert moved["ok"] is True
        assert api.shown(1, photo_id) == ("new", None, "https://x.example/b.jpg")


async def test_rich_messages_follow_the_documented_rules_and_can_be_unknown() -> None:
    """Bot API 10.1 sendRichMessage: exactly one of html, markdown, blocks; the rich HTML
    style's tags; 32,768 characters, 500 blocks, 16 levels, 50 media. A Bot API without it
    answers 404."""
    async with BotApiStandIn() as api, ClientSession() as http:

        async def rich(**message: object) -> dict[str, object]:
            params = {"chat_id": 1, "rich_message": message}
            async with http.post(f"{api.base_url}{api.token}/sendRichMessage", json=params) as r:
                return dict(await r.json())

        good = await rich(html="<h1>T</h1><p>A <b>b</b></p><blockquote><p>q</p></blockquote>")
        assert good["ok"] is True
        assert (await rich(html="<p>x</p>", markdown="x"))["ok"] is False
        assert "unsupported tag" in str((await rich(html="<script>x</script>"))["description"])
        assert "too long" in str((await rich(html=f"<p>{'x' * 32_769}</p>"))["description"])
        assert "too many blocks" in str((await rich(html="<p>x</p>" * 501))["description"])
        deep = "<blockquote>" * 17 + "x" + "</blockquote>" * 17
        assert "too deep" in str((await rich(html=deep))["description"])
        pictures = '<img src="https://x.example/a.jpg"/>' * 51
        assert "too many media" in str((await rich(html=pictures))["description"])
        api.rich_messages = False
        unknown = await rich(html="<p>x</p>")
        assert unknown["error_code"] == 404


async def test_a_second_poller_ends_the_first_with_409_conflict() -> None:
    """Telegram has one getUpdates consumer: a newer long poll ends the older one with
    409 "Conflict: terminated by other getUpdates request" (what two instances see)."""
    async with BotApiStandIn() as api, ClientSession() as http:

        async def poll() -> dict[str, object]:
            url = f"{api.base_url}{api.token}/getUpdates"
            async with http.post(url, json={"timeout": 5}) as response:
                return dict(await response.json())

        older = asyncio.create_task(poll())
        await wait_until(lambda: api.polls == 0 and api.polls_begun == 1)
        newer = asyncio.create_task(poll())
        ended = await older
        assert ended["error_code"] == 409
        assert str(ended["description"]).startswith("Conflict: terminated by other getUpdates")
        api.push_command("/start")
        assert (await newer)["ok"] is True
