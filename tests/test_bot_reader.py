"""A reader's journey, end to end: updates in through the stand-in, Bot API calls out."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path

import pytest
from click.testing import CliRunner

from bot.cli import cli
from bot.context import BotApplication
from bot.sandbox import BotApiStandIn, Fault
from storage import Storage
from storage.text import parse_datetime
from tests.conftest import article
from tests.e2e import running_bot, wait_until

USER = 42


async def add_articles(storage: Storage, count: int) -> list[int]:
    ids = []
    for n in range(1, count + 1):
        stored = await storage.articles.add(
            article(
                n,
                title=f"Story {n}",
                tags=("lima",),
                published_at=parse_datetime(f"2026-01-{n:02d}"),
            )
        )
        ids.append(stored.id)
    return ids


async def test_start_greets_with_buttons(api: BotApiStandIn, bot: BotApplication) -> None:
    api.push_command("/start")
    call = await api.wait_for("sendMessage", chat_id=USER)
    assert call["parse_mode"] == "HTML"
    assert "articles of <b>Articlebot</b>" in call["text"]
    assert "/latest" in call["text"]
    assert call.button_data() == ["L0", "Us"]


async def test_latest_pages_in_place_and_opens_cards(
    api: BotApiStandIn, bot: BotApplication, storage: Storage
) -> None:
    ids = await add_articles(storage, 12)
    api.push_command("/latest")
    first = await api.wait_for("sendMessage", chat_id=USER)
    assert "<b>Latest articles</b> · 1–5" in first["text"]
    assert f"{ids[11]}. <b>Story 12</b>" in first["text"]  # numbered as /article takes them
    assert "#lima" in first["text"]
    assert first.button_data() == [f"A{i}" for i in reversed(ids[-5:])] + ["L5"]
    assert first.button_texts()[:5] == [str(i) for i in reversed(ids[-5:])]

    mark = api.mark()
    api.push_callback("L5", message=first)
    second = await api.wait_for("editMessageText", after=mark)
    assert second["message_id"] == first["_result"]["message_id"]
    assert f"{ids[6]}. <b>Story 7</b>" in second["text"]
    assert second.button_data()[-2:] == ["L0", "L10"]
    await api.wait_for("answerCallbackQuery", after=mark)

    mark = api.mark()
    api.push_callback("L10", message=second)
    third = await api.wait_for("editMessageText", after=mark)
    assert f"{ids[1]}. <b>Story 2</b>" in third["text"]
    assert third.button_data()[-1:] == ["L5"]  # no next page after the last one

    mark = api.mark()
    api.push_callback(f"A{ids[0]}", message=third)
    card = await api.wait_for("sendMessage", after=mark, chat_id=USER)
    assert card["text"].startswith("<b>Story 1</b>")
    assert f"No. {ids[0]}" in card["text"]
    assert card["link_preview_options"]["url"] == "https://news.example/1"
    assert card.buttons[0][0]["url"] == "https://news.example/1"
    assert "switch_inline_query" in card.buttons[0][1]


async def test_same_page_twice_is_not_an_error(
    api: BotApiStandIn, bot: BotApplication, storage: Storage, caplog: pytest.LogCaptureFixture
) -> None:
    await add_articles(storage, 3)
    api.push_command("/latest")
    first = await api.wait_for("sendMessage")
    api.inject(Fault("editMessageText", 400, "Bad Request: message is not modified"))
    mark = api.mark()
    api.push_callback("L0", message=first)
    await api.wait_for("answerCallbackQuery", after=mark)
    await api.wait_for("editMessageText", after=mark)
    api.push_command("/help")
    await api.wait_for("sendMessage", after=mark)
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]


async def test_search_ranks_highlights_and_pages(
    api: BotApiStandIn, bot: BotApplication, storage: Storage
) -> None:
    for n in range(1, 8):
        await storage.articles.add(
            article(n, title=f"Perú report {n}", summary="Economía del Perú")
        )
    await storage.articles.add(article(99, title="Unrelated"))
    api.push_command("/search peru")
    first = await api.wait_for("sendMessage", chat_id=USER)
    assert first["text"].startswith("🔎 <b>peru</b> — 7 results")
    assert "Economía del <b>Perú</b>" in first["text"]
    assert first.button_data()[-1] == "S5 peru"

    mark = api.mark()
    api.push_callback("S5 peru", message=first)
    second = await api.wait_for("editMessageText", after=mark)
    assert "1. " in second["text"] and "2. " in second["text"]  # ties: newest first
    assert second.button_data()[-1] == "S0 peru"


async def test_a_short_word_found_nowhere_says_how_many_letters_to_type(
    api: BotApiStandIn, bot: BotApplication, storage: Storage
) -> None:
    """Seen: `/search cus` found nothing and said "try a shorter word"."""
    await storage.articles.add(article(1, title="Cusco tourism reaches a record"))
    api.push_command("/search cus")
    reply = await api.wait_for("sendMessage", chat_id=USER)
    assert "Nothing found for <b>cus</b>" in reply["text"]
    assert "type at least 4 letters" in reply["text"]
    assert "shorter" not in reply["text"]
    mark = api.mark()
    api.push_command("/search cusc")
    found = await api.wait_for("sendMessage", after=mark, chat_id=USER)
    assert "Cusco tourism" in found["text"]


async def test_plain_text_searches_in_private_only(
    api: BotApiStandIn, bot: BotApplication, storage: Storage
) -> None:
    await storage.articles.add(article(1, title="Mariátegui essays"))
    api.push_message("mariategui")
    found = await api.wait_for("sendMessage", chat_id=USER)
    assert "Mariátegui" in found["text"]
    mark = api.mark()
    api.push_message("mariategui", chat=api.group_chat())
    api.push_command("/help")
    await api.wait_for("sendMessage", after=mark, chat_id=USER)
    assert api.calls_to("sendMessage", chat_id=-100_123) == []


async def test_deep_link_opens_the_article(
    api: BotApiStandIn, bot: BotApplication, storage: Storage
) -> None:
    stored = await storage.articles.add(article(1, title="Deep linked", author="Ana"))
    api.push_command(f"/start a{stored.id}")
    card = await api.wait_for("sendMessage", chat_id=USER)
    assert card["text"].startswith("<b>Deep linked</b>\nAna · ")


async def test_injection_title_renders_literally(
    api: BotApiStandIn, bot: BotApplication, storage: Storage
) -> None:
    hostile = '<b>x</b> & </a><a href="tg://user?id=1">'
    stored = await storage.articles.add(article(1, title=hostile, tags=("<i>",)))
    api.push_command(f"/article {stored.id}")
    card = await api.wait_for("sendMessage", chat_id=USER)
    assert card["text"].startswith(
        "<b>&lt;b&gt;x&lt;/b&gt; &amp; &lt;/a&gt;&lt;a href=&quot;tg://user?id=1&quot;&gt;</b>"
    )
    assert "tg://" not in card["text"].replace("tg://user?id=1&quot;", "")
    assert card["text"].count("<a href=") == 1  # only the article link
    assert '<a href="https://news.example/1">' in card["text"]


@pytest.mark.parametrize(
    ("command", "expected"),
    [
        ("/article abc", "Usage: /article"),
        ("/article", "Usage: /article"),
        ("/article 1 2", "Usage: /article"),
        ("/article 999999", "Article 999999 was not found."),
        ("/start a999999", "Article 999999 was not found."),
        ("/search", "Usage: /search"),
        ("/search " + "x" * 5000, "Nothing found for"),
        ("/search 😀 ❤️", "Nothing found for"),
        ('/search "(NEAR', "Nothing found for"),
        ("/frobnicate", "I don't know that command"),
    ],
)
async def test_bad_input_gets_a_short_answer(
    api: BotApiStandIn,
    bot: BotApplication,
    storage: Storage,
    caplog: pytest.LogCaptureFixture,
    command: str,
    expected: str,
) -> None:
    await storage.articles.add(article(1))
    api.push_command(command)
    reply = await api.wait_for("sendMessage", chat_id=USER)
    assert expected in reply["text"]
    assert len(reply["text"]) < 600
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]


@pytest.mark.parametrize("data", ["X1", "L99999999", "Sabc", "A", "S5", "A12 junk", "💥" * 40])
async def test_forged_buttons_change_nothing(
    api: BotApiStandIn, bot: BotApplication, caplog: pytest.LogCaptureFixture, data: str
) -> None:
    api.push_callback(data)
    answer = await api.wait_for("answerCallbackQuery")
    # data shaped like an admin button meets the admin gate first; either way, a refusal
    assert "no longer works" in answer["text"] or "Only the bot's admins" in answer["text"]
    assert api.calls_to("sendMessage") == [] and api.calls_to("editMessageText") == []
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]


async def test_inline_mode_lists_and_pages(
    api: BotApiStandIn, bot: BotApplication, storage: Storage
) -> None:
    for n in range(1, 26):
        await storage.articles.add(article(n, title=f"Cusco {n}"))
    api.push_inline_query("")
    latest = await api.wait_for("answerInlineQuery")
    assert len(latest["results"]) == 20
    assert latest["next_offset"] == "20"
    assert int(latest["cache_time"]) <= 60
    result = latest["results"][0]
    assert result["type"] == "article"
    assert result["input_message_content"]["parse_mode"] == "HTML"
    assert result["input_message_content"]["message_text"].startswith("<b>Cusco 25</b>")

    mark = api.mark()
    api.push_inline_query("cusco", offset="20")
    rest = await api.wait_for("answerInlineQuery", after=mark)
    assert len(rest["results"]) == 5
    assert rest.get("next_offset") in (None, "")


@pytest.mark.parametrize("query", ["😀🔥", "x" * 256, '"', "zzzz"])
async def test_inline_queries_without_matches_answer_empty(
    api: BotApiStandIn, bot: BotApplication, storage: Storage, query: str
) -> None:
    await storage.articles.add(article(1))
    api.push_inline_query(query)
    answer = await api.wait_for("answerInlineQuery")
    assert answer["results"] == []


async def test_spanish_speakers_get_spanish(
    api: BotApiStandIn, bot: BotApplication, storage: Storage
) -> None:
    await storage.articles.add(
        article(1, title="Elecciones", published_at=parse_datetime("2026-11-28"))
    )
    spanish = api.user(USER, language_code="es-419")
    api.push_command("/start", user=spanish)
    hello = await api.wait_for("sendMessage")
    assert "Hola" in hello["text"]
    mark = api.mark()
    api.push_command("/latest", user=spanish)
    listing = await api.wait_for("sendMessage", after=mark)
    assert "Últimos artículos" in listing["text"]
    assert "28 nov 2026" in listing["text"]
    mark = api.mark()
    api.push_command("/article 1", user=spanish)
    card = await api.wait_for("sendMessage", after=mark)
    assert "Leer el artículo" in card["text"]
    assert "Elecciones" in card["text"]  # article content is never translated


async def test_commands_addressed_to_this_bot_or_another(
    api: BotApiStandIn, bot: BotApplication, storage: Storage
) -> None:
    await storage.articles.add(article(1))
    group = api.group_chat()
    api.push_command("/latest@otherbot", chat=group)
    api.push_command("/latest@articlebot_test_bot", chat=group)
    reply = await api.wait_for("sendMessage", chat_id=group["id"])
    assert "Latest articles" in reply["text"]
    api.push_command("/help")
    await api.wait_for("sendMessage", chat_id=USER)
    assert len(api.calls_to("sendMessage", chat_id=group["id"])) == 1


async def test_command_menu_is_registered_in_each_language(
    api: BotApiStandIn, bot: BotApplication
) -> None:
    calls = api.calls_to("setMyCommands")
    languages = {call.get("language_code") for call in calls}
    assert languages == {None, "es"}
    english = next(c for c in calls if c.get("language_code") is None)
    assert [c["command"] for c in english["commands"]] == [
        "latest",
        "search",
        "article",
        "subscribe",
        "unsubscribe",
        "subscriptions",
        "digest",
        "quiet",
        "timezone",
        "silent",
        "cards",
        "language",
        "help",
    ]


async def test_a_failing_command_menu_is_only_a_warning(
    api: BotApiStandIn, storage: Storage, caplog: pytest.LogCaptureFixture
) -> None:
    api.inject(Fault("setMyCommands", 500, "Internal Server Error"))
    async with running_bot(api, storage):
        api.push_command("/help")
        await api.wait_for("sendMessage", chat_id=USER)
    assert any(
        "command menu" in r.getMessage() for r in caplog.records if r.levelname == "WARNING"
    )


@pytest.mark.expect_tracebacks
async def test_unexpected_errors_are_logged_and_the_user_told(
    api: BotApiStandIn,
    bot: BotApplication,
    storage: Storage,
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    async def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(storage.articles, "latest", broken)
    api.push_command("/latest")
    reply = await api.wait_for("sendMessage", chat_id=USER)
    assert "something went wrong" in reply["text"]
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert errors and errors[0].exc_info is not None
    assert api.token not in caplog.text


@pytest.mark.sqlite_only
async def test_db_backup_while_the_bot_runs(
    api: BotApiStandIn, bot: BotApplication, storage: Storage, database: str | Path, tmp_path: Path
) -> None:
    await storage.articles.add(article(1, title="Backed up"))
    api.push_command("/latest")  # the bot is busy reading while the copy is made
    result = await asyncio.to_thread(
        CliRunner().invoke, cli, ["--db", str(database), "db", "backup", str(tmp_path / "b.db")]
    )
    assert result.exit_code == 0, result.output
    await api.wait_for("sendMessage", chat_id=USER)
    copy = await Storage.open(tmp_path / "b.db")
    try:
        assert [a.title for a in await copy.articles.latest()] == ["Backed up"]
    finally:
        await copy.close()


async def test_a_card_full_of_quotes_is_accepted_by_telegram(
    api: BotApiStandIn, bot: BotApplication, storage: Storage
) -> None:
    """Its HTML is longer than 4,096 characters (each quote is `&quot;`), what a reader sees
    is not: the card goes out whole, its link closed, in /article and in a deep link."""
    quotes = '"' * 256
    stored = await storage.articles.add(
        article(1, title=quotes, author=quotes, summary='"&' * 1000)
    )
    api.push_command(f"/article {stored.id}")
    api.push_command(f"/start a{stored.id}")
    await wait_until(lambda: len(api.delivered(USER)) == 2)
    cards = api.delivered(USER)
    assert all(len(card["text"]) > 4096 for card in cards)
    assert all('<a href="https://news.example/1">' in card["text"] for card in cards)


@pytest.mark.parametrize("data", ["S0 peru", "L0", "A1", "Cl0"])
async def test_a_press_on_a_message_that_cannot_be_reached_says_the_button_expired(
    api: BotApiStandIn, bot: BotApplication, storage: Storage, data: str
) -> None:
    """Telegram sends `InaccessibleMessage` (date 0) for a message too old to be shown."""
    await storage.articles.add(article(1, title="Perú"))
    gone = {"chat": api.private_chat(USER), "message_id": 5, "date": 0}
    mark = api.mark()
    api.push_callback(data, message=gone, user=api.user(USER))
    answer = await api.wait_for("answerCallbackQuery", after=mark)
    if data != "Cl0":  # an admin button: the stranger is refused by the gate instead
        assert answer["text"].startswith("This button no longer works")
    assert not api.calls_to("sendMessage") and not api.calls_to("editMessageText")
