"""Photo cards end to end: the article's picture with the card as its caption, text when
Telegram refuses the picture (and the article remembers it), and each chat's /cards."""

from __future__ import annotations

from bot.sandbox import BotApiStandIn
from bot.sandbox.standin import MESSAGES
from storage import ChatInfo, Storage
from tests.conftest import article
from tests.e2e import running_bot, wait_until
from tests.test_broadcast import settled, subscribe_private

PICTURE = "https://news.example/pictures/congreso.jpg"


async def test_an_article_with_a_picture_goes_out_as_a_photo_card(
    api: BotApiStandIn, storage: Storage
) -> None:
    await subscribe_private(storage, 1, 2)
    async with running_bot(api, storage):
        stored = await storage.articles.add(
            article(1, image=PICTURE, summary="S " * 700, body="The whole text.")
        )
        await wait_until(lambda: settled(storage, stored.id))
    cards = api.delivered()
    assert [card.method for card in cards] == ["sendPhoto", "sendPhoto"]
    card = cards[0]
    assert card["photo"] == PICTURE
    assert card["parse_mode"] == "HTML"
    assert card.text.startswith("<b>Article number 1</b>")
    assert len(card.text) <= 1024  # the caption's limit; the stand-in checks it too
    assert card.button_texts() == ["🔗 Read", "📖 Read here"]
    assert card.buttons[0][1]["url"].endswith(f"?start=r{stored.id}")
    rows = await storage.db.fetchall(
        "SELECT DISTINCT card FROM deliveries WHERE article_id = ?", (stored.id,)
    )
    assert [row[0] for row in rows] == ["photo"]  # what a correction will edit


async def test_a_refused_picture_sends_text_and_the_next_chats_go_straight_to_text(
    api: BotApiStandIn, storage: Storage
) -> None:
    api.unreachable_photos.add(PICTURE)
    await subscribe_private(storage, 1, 2, 3)
    async with running_bot(api, storage, broadcast_rate=2):  # one chat per wave, in order
        stored = await storage.articles.add(article(1, image=PICTURE))
        await wait_until(lambda: settled(storage, stored.id))
    assert len(api.calls_to("sendPhoto")) == 1  # only the first chat tried the picture
    assert "_result" not in api.calls_to("sendPhoto")[0].params  # and was refused
    texts = api.calls_to("sendMessage")
    assert sorted(call["chat_id"] for call in texts) == [1, 2, 3]
    assert all(call.text.startswith("<b>Article number 1</b>") for call in texts)
    assert (await storage.articles.get(stored.id)).image_refused
    rows = await storage.db.fetchall("SELECT DISTINCT card FROM deliveries")
    assert [row[0] for row in rows] == ["preview"]


async def test_each_chat_chooses_its_cards_and_an_article_without_a_picture_is_text(
    api: BotApiStandIn, storage: Storage
) -> None:
    for chat_id in (1, 2, 3):
        await storage.chats.subscribe(ChatInfo(chat_id, "private"))
    async with running_bot(api, storage):
        for chat_id, words in ((2, "/cards text"), (3, "/cards preview")):
            mark = api.mark()
            api.push_command(words, user=api.user(chat_id))
            answer = await api.wait_for("sendMessage", after=mark, chat_id=chat_id)
            assert "This chat gets" in answer.text
        mark = api.mark()
        api.push_command("/cards sepia", user=api.user(1))
        usage = await api.wait_for("sendMessage", after=mark, chat_id=1)
        assert usage.text.startswith("Usage: /cards photo")
        with_picture = await storage.articles.add(article(1, image=PICTURE))
        without = await storage.articles.add(article(2))
        await wait_until(lambda: settled(storage, with_picture.id))
        await wait_until(lambda: settled(storage, without.id))
    first = {call["chat_id"]: call for call in api.delivered() if "number 1" in call.text}
    assert first[1].method == "sendPhoto"  # the default, CARD_STYLE=photo
    assert first[2].method == "sendMessage"
    assert first[2]["link_preview_options"] == {"is_disabled": True}
    assert first[3].method == "sendMessage"
    assert first[3]["link_preview_options"]["url"] == "https://news.example/1"
    second = [call for call in api.delivered() if "number 2" in call.text]
    assert {call.method for call in second} == {"sendMessage"}  # no picture: text


async def test_card_style_text_is_the_default_when_set(
    api: BotApiStandIn, storage: Storage
) -> None:
    await subscribe_private(storage, 1)
    async with running_bot(api, storage, card_style="text"):
        stored = await storage.articles.add(article(1, image=PICTURE))
        await wait_until(lambda: settled(storage, stored.id))
        mark = api.mark()
        api.push_command("/cards", user=api.user(1))
        state = await api.wait_for(MESSAGES, after=mark, chat_id=1)
    assert [call.method for call in api.delivered(1)][:1] == ["sendMessage"]
    assert "text cards without a preview" in state.text
    assert "(The bot's default.)" in state.text
