"""Admins publish from Telegram, end to end: pages served on 127.0.0.1, the real bot."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest

from bot import app as app_module
from bot.context import BotApplication
from bot.handlers import dialogue
from bot.sandbox import BotApiStandIn, Call, Fault
from bot.sandbox.standin import MESSAGES
from bot.sources import extract
from storage import ChatInfo, Storage, clock
from tests.conftest import article
from tests.e2e import running_bot, wait_until
from tests.feedserver import FeedServer

ADMIN = 7
READER = 1


@pytest.fixture
async def pages() -> AsyncIterator[FeedServer]:
    async with FeedServer() as server:
        yield server


@pytest.fixture
async def admin_bot(api: BotApiStandIn, storage: Storage) -> AsyncIterator[BotApplication]:
    await storage.chats.subscribe(ChatInfo(READER, "private"))
    async with running_bot(
        api,
        storage,
        admin_ids=str(ADMIN),
        allow_private_urls=True,
        broadcast_progress_interval=0.2,
    ) as application:
        yield application


async def say(api: BotApiStandIn, text: str, user: int = ADMIN) -> Call:
    mark = api.mark()
    api.push_message(text, user=api.user(user))
    return await api.wait_for(MESSAGES, after=mark, chat_id=user)


async def press(api: BotApiStandIn, data: str, message: Call, user: int = ADMIN) -> int:
    mark = api.mark()
    api.push_callback(data, message=message, user=api.user(user))
    await api.wait_for("answerCallbackQuery", after=mark)
    return mark


async def test_guided_add_with_an_edit_then_publish_once(
    api: BotApiStandIn, admin_bot: BotApplication, storage: Storage, pages: FeedServer
) -> None:
    assert "Send me the link" in (await say(api, "/add"))["text"]
    preview = await say(api, pages.url("page/article"))
    assert preview.text.startswith("<b>La reforma &amp; el Congreso</b>")
    assert "El Congreso aprobó la reforma electoral ayer." in preview.text
    assert "#política #perú" in preview.text
    assert preview.method == "sendPhoto"  # the page's picture (og:image)
    assert preview["photo"] == "https://pages.example/lead.jpg"
    assert preview.button_data() == ["Dp", "Dw", "Dt", "Ds", "Dg", "Di", "Dx"]

    mark = await press(api, "Dt", preview)
    ask = await api.wait_for("sendMessage", after=mark, chat_id=ADMIN)
    assert "new title" in ask["text"]
    preview = await say(api, "Reforma aprobada")
    assert preview.text.startswith("<b>Reforma aprobada</b>")

    mark = await press(api, "Dp", preview)
    done = await api.wait_for(
        "sendMessage", after=mark, chat_id=ADMIN, where=lambda c: "Published" in c["text"]
    )
    assert "the broadcast starts now" in done["text"]
    mark2 = await press(api, "Dp", preview)  # a second tap
    again = await api.wait_for("answerCallbackQuery", after=mark2)
    assert again.get("text") == "Already published as No. 1."
    card = await api.wait_for(MESSAGES, chat_id=READER, timeout=10)
    assert card.text.startswith("<b>Reforma aprobada</b>")
    await api.wait_for("sendMessage", chat_id=ADMIN, where=lambda c: "Broadcast" in c["text"])
    assert await storage.articles.count() == 1
    stored = (await storage.articles.latest(1))[0]
    assert (stored.author, stored.tags, stored.source) == (
        "Ana Quispe",
        ("política", "perú"),
        "manual",
    )


async def test_one_shot_add_asks_one_confirmation(
    api: BotApiStandIn, admin_bot: BotApplication, storage: Storage
) -> None:
    preview = await say(
        api, "/add https://news.example/x | Título <b>1</b> | Resumen | lima, cusco"
    )
    assert preview.text.startswith("<b>Título &lt;b&gt;1&lt;/b&gt;</b>")
    assert await storage.articles.count() == 0
    mark = await press(api, "Dp", preview)
    await api.wait_for(
        "sendMessage", after=mark, chat_id=ADMIN, where=lambda c: "Published" in c["text"]
    )
    (stored,) = await storage.articles.latest(5)
    assert stored.title == "Título <b>1</b>"
    assert stored.tags == ("lima", "cusco")


@pytest.mark.parametrize(
    ("path", "reason"),
    [
        ("status/404", "404"),
        ("page/pdf", "not a web page"),
        ("loop", "redirects"),
        ("huge", "larger than 5 MB"),
        ("slow", "did not answer within 0.5 s"),
        ("page/bare", "no title"),
    ],
)
async def test_unreadable_pages_fall_back_to_asking(
    api: BotApiStandIn,
    admin_bot: BotApplication,
    storage: Storage,
    pages: FeedServer,
    monkeypatch: pytest.MonkeyPatch,
    path: str,
    reason: str,
) -> None:
    monkeypatch.setattr(extract, "PAGE_TIMEOUT", 0.5)
    await say(api, "/add")
    fallback = await say(api, pages.url(path))
    assert "I couldn't read that page" in fallback["text"]
    assert reason in fallback["text"]
    assert "Now send the summary" in (await say(api, "A title by hand"))["text"]
    preview = await say(api, "And a summary.")
    assert preview.text.startswith("<b>A title by hand</b>")
    assert preview.button_data()[0] == "Dp"


@pytest.fixture
def slow_page(pages: FeedServer, monkeypatch: pytest.MonkeyPatch) -> FeedServer:
    """A link whose reading takes the step a second (then it gives up, asking the title)."""
    monkeypatch.setattr(extract, "PAGE_TIMEOUT", 1.0)
    return pages


async def type_ahead(api: BotApiStandIn, pages: FeedServer, *texts: str) -> int:
    """/add, the slow link, and, once its page is being read, more messages."""
    await say(api, "/add")
    mark = api.mark()
    api.push_message(pages.url("slow"), user=api.user(ADMIN))
    await wait_until(lambda: "/slow" in pages.requests)
    for text in texts:
        api.push_message(text, user=api.user(ADMIN))
    return mark


async def test_an_admins_next_message_waits_for_the_step_before(
    api: BotApiStandIn, admin_bot: BotApplication, slow_page: FeedServer
) -> None:
    """Sent while the link is still being read, the title is taken as the title."""
    mark = await type_ahead(api, slow_page, "A title by hand")
    asked = await api.wait_for("sendMessage", after=mark, where=lambda c: "Now send" in c["text"])
    fallback = await api.wait_for("sendMessage", after=mark, chat_id=ADMIN)
    assert "I couldn't read that page" in fallback["text"]
    assert api.calls.index(fallback) < api.calls.index(asked)


async def test_a_message_that_waited_too_long_is_answered_not_dropped(
    api: BotApiStandIn,
    admin_bot: BotApplication,
    slow_page: FeedServer,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(dialogue, "WAIT_FOR_HOLD", 0.2)
    mark = await type_ahead(api, slow_page, "A title by hand")
    wait = await api.wait_for("sendMessage", after=mark, chat_id=ADMIN)
    assert wait["text"] == "One moment: I am still on your last step."
    await api.wait_for("sendMessage", after=mark, where=lambda c: "couldn't read" in c["text"])


async def test_an_admin_typing_ahead_of_a_slow_step_keeps_few_of_the_bots_slots(
    api: BotApiStandIn, admin_bot: BotApplication, slow_page: FeedServer
) -> None:
    """Two messages wait for the step; more are told at once to wait, so that readers'
    updates still find the bot's concurrent slots free."""
    mark = await type_ahead(api, slow_page, *(f"Word {n}" for n in range(1, 5)))
    fallback = await api.wait_for(
        "sendMessage", after=mark, where=lambda c: "couldn't" in c["text"]
    )
    said = [c for c in api.calls[mark:] if c.method == "sendMessage"]
    turned_away = [c for c in said if c["text"] == "One moment: I am still on your last step."]
    assert len(turned_away) == 2
    assert all(api.calls.index(c) < api.calls.index(fallback) for c in turned_away)
    preview = await api.wait_for(MESSAGES, after=mark, where=lambda c: c.text.startswith("<b>"))
    assert preview.text.startswith("<b>Word")  # the two that waited: the title, the summary


@pytest.mark.parametrize("form", ["latin-1", "windows-1252", "utf-8-bom"])
async def test_pages_in_any_encoding_read_right(
    api: BotApiStandIn, admin_bot: BotApplication, pages: FeedServer, form: str
) -> None:
    await say(api, "/add")
    preview = await say(api, pages.url(f"page/encoded/{form}"))
    assert preview.text.startswith("<b>Perú: la reforma electoral avanza en el Congreso</b>")
    assert "Es «el año electoral», dice el ministro." in preview.text


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("/add https://news.example/x | " + "t" * 300 + " | s | a", "longer than 256"),
        ("/add https://news.example/x | t | " + "s" * 2100 + " | a", "longer than 2000"),
        ("/add ftp://news.example/x | t | s | a", "not a web address"),
        ("/add https://news.example/x | only two", "Usage: /add"),
    ],
)
async def test_one_shot_refusals(
    api: BotApiStandIn, admin_bot: BotApplication, storage: Storage, text: str, expected: str
) -> None:
    reply = await say(api, text)
    assert expected in reply["text"]
    assert await storage.articles.count() == 0


async def test_a_known_link_shows_the_existing_article(
    api: BotApiStandIn, admin_bot: BotApplication, storage: Storage
) -> None:
    await storage.articles.add(article(1, title="Already here"))
    await say(api, "/add")
    await say(api, "https://NEWS.example/1/?utm_source=x")
    await api.wait_for(
        "sendMessage", chat_id=ADMIN, where=lambda c: c["text"].startswith("<b>Already here</b>")
    )
    assert await storage.articles.count() == 1


async def test_cancel_leaves_at_any_step(
    api: BotApiStandIn, admin_bot: BotApplication, storage: Storage
) -> None:
    await say(api, "/add")
    assert "Cancelled" in (await say(api, "/cancel"))["text"]
    offered = await say(api, "https://news.example/after-cancel")  # no longer the /add
    assert offered["text"] == "Add this article?"


async def test_edit_changes_what_search_finds(
    api: BotApiStandIn, admin_bot: BotApplication, storage: Storage
) -> None:
    stored = await storage.articles.add(article(1, title="Old", summary="before"), announce=False)
    menu = await say(api, f"/edit {stored.id}")
    fields = [f"E{field}{stored.id}" for field in "tsgi"]  # title, summary, tags, picture
    assert menu.button_data() == [*fields, "Dx"]
    mark = await press(api, f"Es{stored.id}", menu)
    await api.wait_for("sendMessage", after=mark, chat_id=ADMIN)
    await say(api, "after the edit about quinoa")
    assert (await storage.articles.get(stored.id)).summary == "after the edit about quinoa"
    assert [h.article.id for h in (await storage.articles.search("quinoa")).hits] == [stored.id]


async def test_delete_with_recall(
    api: BotApiStandIn, admin_bot: BotApplication, storage: Storage
) -> None:
    await storage.chats.subscribe(ChatInfo(2, "private"))
    stored = await storage.articles.add(article(1, title="To recall"))
    await wait_until(lambda: len(api.delivered(READER)) == 1 and len(api.delivered(2)) == 1)
    await wait_until(lambda: storage_settled(storage, stored.id))
    confirm = await say(api, f"/delete {stored.id}")
    assert "To recall" in confirm["text"]
    assert confirm.button_data() == [f"Xd{stored.id}", f"Xr{stored.id}", "Xc"]
    mark = await press(api, f"Xr{stored.id}", confirm)
    report = await api.wait_for(
        "sendMessage", after=mark, chat_id=ADMIN, where=lambda c: "Removed" in c["text"]
    )
    assert "Removed 2 of 2 sent cards." in report["text"]
    deleted = {(c["chat_id"], c["message_id"]) for c in api.calls_to("deleteMessage")}
    sent = {
        (c["chat_id"], c["_result"]["message_id"])
        for c in api.delivered()
        if c["chat_id"] in (READER, 2)
    }
    assert deleted == sent
    assert await storage.articles.count() == 0
    assert (await storage.articles.search("recall")).hits == []


async def storage_settled(storage: Storage, article_id: int) -> bool:
    progress = await storage.broadcasts.progress(article_id)
    return progress is not None and progress.pending == 0


async def test_stats_is_a_chart_with_the_figures_as_caption(
    api: BotApiStandIn, admin_bot: BotApplication, storage: Storage
) -> None:
    await storage.chats.subscribe(ChatInfo(3, "private"), topics=("peru",))
    await storage.articles.add(article(1))
    await api.wait_for(MESSAGES, chat_id=READER, timeout=10)
    today = datetime.now(UTC).date().isoformat()
    await wait_until(lambda: sent_on(storage, today))
    mark = api.mark()
    api.push_message("/stats", user=api.user(ADMIN))
    reply = await api.wait_for("sendPhoto", after=mark, chat_id=ADMIN, timeout=15)
    # one day for the caption and the chart: the chart's last bar counts the same card
    assert "Deliveries today (UTC, the chart's last day): sent 1" in reply["caption"]
    assert "Articles: 1 (1 in the last 7 days)" in reply["caption"]
    assert "Subscriptions: 2 (1 to everything)" in reply["caption"]
    assert "Top topics: peru 1" in reply["caption"]
    assert "Chats: 2 private chats, 0 groups, 0 channels" in reply["caption"]
    assert "_active" not in reply["caption"]  # no internal keys
    assert png_size(reply["photo"]) == (1200, 800)


async def sent_on(storage: Storage, day: str) -> bool:
    return (await storage.deliveries.days(day)).get(day, {}).get("sent") == 1


def png_size(data: bytes) -> tuple[int, int]:
    """Width and height from a PNG's header (and proof that it is one)."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and data[12:16] == b"IHDR"
    return int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")


@pytest.mark.parametrize(
    "text",
    [
        "/add",
        "/add https://x.example | t | s | a",
        "/stats",
        "/delete 1",
        "/edit 1",
        "/feeds",
        "/channels",
    ],
)
async def test_non_admins_are_refused_and_logged(
    api: BotApiStandIn,
    admin_bot: BotApplication,
    storage: Storage,
    caplog: pytest.LogCaptureFixture,
    text: str,
) -> None:
    await storage.articles.add(article(1), announce=False)
    reply = await say(api, text, user=99)
    assert reply["text"] == "Only the bot's admins can do that."
    assert await storage.articles.count() == 1
    assert any(
        "user_id=99" in r.getMessage() for r in caplog.records if r.levelno == logging.WARNING
    )


@pytest.mark.parametrize("data", ["Dp", "Xd1", "Xr1", "Et1", "Bc1", "Cl0", "Cr0 -100777"])
async def test_forged_admin_buttons_change_nothing(
    api: BotApiStandIn, admin_bot: BotApplication, storage: Storage, data: str
) -> None:
    await storage.articles.add(article(1), announce=False)
    mark = await press(api, data, None, user=99)  # type: ignore[arg-type]
    answer = await api.wait_for("answerCallbackQuery", after=mark)
    assert answer["text"] == "Only the bot's admins can do that."
    assert await storage.articles.count() == 1


async def test_admin_menu_is_set_for_admins_only(
    api: BotApiStandIn, admin_bot: BotApplication
) -> None:
    scoped = [c for c in api.calls_to("setMyCommands") if c["scope"]["type"] == "chat"]
    assert {c["scope"]["chat_id"] for c in scoped} == {ADMIN}
    commands = [c["command"] for c in scoped[0]["commands"]]
    assert {"add", "edit", "delete", "stats", "feeds"} <= set(commands)
    default = [c for c in api.calls_to("setMyCommands") if c["scope"]["type"] == "default"]
    assert "add" not in [c["command"] for c in default[0]["commands"]]


async def test_an_idle_draft_times_out_politely(
    api: BotApiStandIn, storage: Storage, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(app_module, "CONVERSATION_TIMEOUT", 0.5)
    async with running_bot(api, storage, admin_ids=str(ADMIN)):
        await say(api, "/add")
        notice = await api.wait_for(
            "sendMessage", chat_id=ADMIN, where=lambda c: "dropped the draft" in c["text"]
        )
        assert "/add" in notice["text"]
        offered = await say(api, "https://news.example/late-link")  # no longer part of /add
        assert offered["text"] == "Add this article?"


async def test_a_command_ends_an_open_dialogue_says_so_and_is_answered(
    api: BotApiStandIn, admin_bot: BotApplication, storage: Storage
) -> None:
    """Seen: /edit 3 → ✏️ Title → /article 3 → a pasted link became article 3's title."""
    stored = await storage.articles.add(article(3, title="Kept title"), announce=False)
    menu = await say(api, f"/edit {stored.id}")
    mark = await press(api, f"Et{stored.id}", menu)
    await api.wait_for("sendMessage", after=mark, chat_id=ADMIN)
    mark = api.mark()
    stopped = await say(api, f"/article {stored.id}")
    assert stopped["text"] == f"Stopped editing article {stored.id}; nothing changed."
    card = await api.wait_for("sendMessage", after=mark, where=lambda c: c is not stopped)
    assert card.text.startswith("<b>Kept title</b>")
    offered = await say(api, "https://news.example/pasted-later")
    assert offered["text"] == "Add this article?"
    assert (await storage.articles.get(stored.id)).title == "Kept title"
    await say(api, "/add")
    mark = api.mark()
    api.push_message("/stats", user=api.user(ADMIN))  # an admin command, mid-dialogue
    await api.wait_for("sendPhoto", after=mark, chat_id=ADMIN, timeout=15)
    assert (await say(api, "https://news.example/x"))["text"] == "Add this article?"


async def test_cancel_with_nothing_open_says_so(
    api: BotApiStandIn, admin_bot: BotApplication
) -> None:
    assert (await say(api, "/cancel"))["text"] == "There is nothing to cancel."
    prompt = await say(api, "/add")
    await say(api, "/cancel")
    mark = await press(api, "Dx", prompt)  # the old question's button, afterwards
    late = api.calls_to("answerCallbackQuery")[-1]
    assert late["text"] == "There is nothing to cancel."
    assert not api.calls_to("sendMessage", chat_id=ADMIN)[mark:]


async def cancel_by_button(api: BotApiStandIn, question: Call) -> None:
    """Press the question's ✖ Cancel: the dialogue ends and the button goes."""
    assert question.button_data()[-1] == "Dx", question["text"]
    mark = await press(api, "Dx", question)
    done = await api.wait_for("sendMessage", after=mark, chat_id=ADMIN)
    assert done["text"] == "Cancelled; nothing changed."
    assert (
        api.calls_to("editMessageReplyMarkup", chat_id=ADMIN)[-1]["message_id"]
        == (question["_result"]["message_id"])
    )


async def test_every_question_can_be_cancelled_by_its_button(
    api: BotApiStandIn, admin_bot: BotApplication, storage: Storage, pages: FeedServer
) -> None:
    await cancel_by_button(api, await say(api, "/add"))  # the link
    await say(api, "/add")
    await cancel_by_button(api, await say(api, pages.url("page/bare")))  # the title
    await say(api, "/add")
    await say(api, pages.url("page/bare"))
    await cancel_by_button(api, await say(api, "A title"))  # the summary
    await say(api, "/add")
    preview = await say(api, pages.url("page/article"))
    mark = await press(api, "Dt", preview)
    title_question = await api.wait_for("sendMessage", after=mark, chat_id=ADMIN)
    mark = await press(api, "Dx", title_question)  # a field of the draft: back to the preview
    again = await api.wait_for(MESSAGES, after=mark, chat_id=ADMIN)
    assert again.text == preview.text
    await press(api, "Dx", again)  # the preview's own ✖ throws the draft away
    await storage.articles.add(article(1), announce=False)
    await cancel_by_button(api, await say(api, "/edit 1"))  # what to edit
    menu = await say(api, "/edit 1")
    mark = await press(api, "Es1", menu)
    await cancel_by_button(api, await api.wait_for("sendMessage", after=mark, chat_id=ADMIN))
    searched = await say(api, "a new summary")  # the dialogue is over: just a search
    assert "Nothing found" in searched["text"]
    assert (await storage.articles.get(1)).summary == "A summary."
    assert await storage.articles.count() == 1  # nothing published


async def test_add_with_a_link_reads_that_page(
    api: BotApiStandIn, admin_bot: BotApplication, pages: FeedServer
) -> None:
    preview = await say(api, f"/add {pages.url('page/article')}")
    assert preview.text.startswith("<b>La reforma &amp; el Congreso</b>")
    mark = await press(api, "Dp", preview)
    await api.wait_for(
        "sendMessage", after=mark, chat_id=ADMIN, where=lambda c: "Published" in c["text"]
    )
    gone = await api.wait_for("editMessageReplyMarkup", after=mark, chat_id=ADMIN)
    assert not gone.buttons  # a published preview keeps no Publish button


async def test_one_shot_add_of_a_known_link_shows_the_article(
    api: BotApiStandIn, admin_bot: BotApplication, storage: Storage
) -> None:
    await storage.articles.add(article(1, title="Already here"), announce=False)
    mark = api.mark()
    api.push_message("/add https://news.example/1 | Other | s | a", user=api.user(ADMIN))
    await api.wait_for(
        "sendMessage",
        after=mark,
        chat_id=ADMIN,
        where=lambda c: c["text"].startswith("<b>Already here</b>"),
    )
    assert await storage.articles.count() == 1


async def test_too_many_tags_asks_again_and_keeps_the_draft(
    api: BotApiStandIn, admin_bot: BotApplication, storage: Storage
) -> None:
    tags = ", ".join(f"t{n}" for n in range(25))
    refused = await say(api, f"/add https://news.example/x | Title | Summary | {tags}")
    assert "at most 20 tags" in refused["text"]
    await api.wait_for(
        "sendMessage", chat_id=ADMIN, where=lambda c: "tags" in c["text"] and "Send" in c["text"]
    )
    preview = await say(api, "lima, cusco")
    assert preview.text.startswith("<b>Title</b>") and "#lima #cusco" in preview.text


async def test_a_dialogue_goes_on_after_the_bot_restarts(
    api: BotApiStandIn, storage: Storage, pages: FeedServer
) -> None:
    """Its state and draft are in the store, not in the process."""
    async with running_bot(api, storage, admin_ids=str(ADMIN), allow_private_urls=True):
        await say(api, "/add")
        assert "title" in (await say(api, pages.url("page/bare")))["text"]
    async with running_bot(api, storage, admin_ids=str(ADMIN), allow_private_urls=True):
        assert "summary" in (await say(api, "Reforma aprobada"))["text"]
        preview = await say(api, "El Congreso la aprobó.")
        assert preview.text.startswith("<b>Reforma aprobada</b>")


async def test_an_idle_dialogue_ends_once_when_its_time_has_passed(
    api: BotApiStandIn, admin_bot: BotApplication, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The next update and the scheduler may both find it over: it is said once."""
    await say(api, "/add")
    monkeypatch.setattr(clock, "_ahead", app_module.CONVERSATION_TIMEOUT + 1)
    mark = api.mark()
    api.push_message("https://news.example/late-link", user=api.user(ADMIN))
    await api.wait_for("sendMessage", after=mark, where=lambda c: "Add this" in c["text"])
    assert (await say(api, "/cancel"))["text"] == "There is nothing to cancel."
    notices = [c for c in api.calls_to("sendMessage") if "took a while" in c["text"]]
    assert len(notices) == 1 and "dropped the draft" in notices[0]["text"]


async def test_an_idle_edit_times_out_as_an_edit(
    api: BotApiStandIn, storage: Storage, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(app_module, "CONVERSATION_TIMEOUT", 0.5)
    stored = await storage.articles.add(article(1), announce=False)
    async with running_bot(api, storage, admin_ids=str(ADMIN)):
        await say(api, f"/edit {stored.id}")
        notice = await api.wait_for(
            "sendMessage", chat_id=ADMIN, where=lambda c: "took a while" in c["text"]
        )
        assert "/edit" in notice["text"] and "/add" not in notice["text"]


async def test_add_refuses_loopback_spelled_in_unicode(
    api: BotApiStandIn, storage: Storage, pages: FeedServer
) -> None:
    from tests.test_fetch import LOOPBACK_SPELLINGS

    async with running_bot(api, storage, admin_ids=str(ADMIN)):  # ALLOW_PRIVATE_URLS=false
        for host in LOOPBACK_SPELLINGS.values():
            answer = await say(api, f"/add http://{host}:{pages.port}/page/article")
            assert "private or local address" in answer["text"]
    assert pages.requests == {}
    assert await storage.articles.count() == 0


@pytest.mark.expect_tracebacks  # the failed step is logged with its trace
async def test_a_failed_step_keeps_the_draft_and_a_second_publish_says_where_it_went(
    api: BotApiStandIn,
    admin_bot: BotApplication,
    storage: Storage,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    preview = await say(api, "/add https://news.example/kept | Kept | A summary | peru")
    real_add = storage.articles.add
    failures = iter([RuntimeError("the disk hiccuped")])

    async def add_once_failing(*args: object, **kwargs: object) -> object:
        for failure in failures:
            raise failure
        return await real_add(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(storage.articles, "add", add_once_failing)
    # Telegram refuses to drop the preview's buttons: that loses nothing either.
    api.inject(
        Fault("editMessageReplyMarkup", 400, "Bad Request: message can't be edited", times=5)
    )
    mark = await press(api, "Dp", preview)
    failed = await api.wait_for(
        "answerCallbackQuery", after=mark, where=lambda c: c.get("text") is not None
    )
    assert failed["text"] == "Sorry, that step failed; your draft is kept."
    mark = await press(api, "Dp", preview)
    await api.wait_for("sendMessage", after=mark, where=lambda c: "Published as" in c["text"])
    mark = await press(api, "Dp", preview)
    again = await api.wait_for(
        "answerCallbackQuery", after=mark, where=lambda c: c.get("text") is not None
    )
    assert again["text"] == "Already published as No. 1."
    assert [a.title for a in await storage.articles.latest(10)] == ["Kept"]


async def test_cancel_under_a_field_or_the_time_returns_to_the_preview(
    api: BotApiStandIn, admin_bot: BotApplication, storage: Storage, pages: FeedServer
) -> None:
    await say(api, "/add")
    preview = await say(api, pages.url("page/article"))
    for button in ("Dg", "Dw"):  # the tags, then when to publish
        mark = await press(api, button, preview)
        question = await api.wait_for("sendMessage", after=mark, chat_id=ADMIN)
        mark = await press(api, "Dx", question)
        preview = await api.wait_for(MESSAGES, after=mark, chat_id=ADMIN)
        assert preview.text.startswith("<b>La reforma &amp; el Congreso</b>")
    mark = await press(api, "Dp", preview)
    await api.wait_for("sendMessage", after=mark, where=lambda c: "Published" in c["text"])
    assert await storage.articles.count() == 1


async def test_buttons_of_an_earlier_dialogue_leave_the_open_one_alone(
    api: BotApiStandIn, admin_bot: BotApplication, storage: Storage, pages: FeedServer
) -> None:
    """Seen: a ✖ from an earlier /add cancelled the draft open now."""
    old_question = await say(api, "/add")
    old_preview = await say(api, pages.url("page/article"))
    await say(api, "/cancel")
    await say(api, "/add")
    preview = await say(api, pages.url("page/encoded/latin-1"))
    for stale in ((old_question, "Dx"), (old_preview, "Dp"), (old_preview, "Dt")):
        mark = await press(api, stale[1], stale[0])
        answer = api.calls_to("answerCallbackQuery")[-1]
        assert answer["text"] == "That button is from an earlier dialogue."
        assert not api.calls_to("sendMessage", chat_id=ADMIN)[mark:]
    assert await storage.articles.count() == 0
    mark = await press(api, "Dp", preview)  # the open draft is still there
    await api.wait_for("sendMessage", after=mark, where=lambda c: "Published" in c["text"])
    assert [a.url for a in await storage.articles.latest()] == [pages.url("page/encoded/latin-1")]


async def test_a_command_puts_the_draft_aside_and_add_brings_it_back(
    api: BotApiStandIn, admin_bot: BotApplication, storage: Storage, pages: FeedServer
) -> None:
    """Seen: /help mid-draft dropped it silently, and the summary typed next was searched."""
    await say(api, "/add")
    await say(api, pages.url("page/bare"))  # the page gives no title: asked
    await say(api, "A title of my own")
    mark = api.mark()
    aside = await say(api, "/help")
    assert aside["text"] == "📝 Draft put aside — /add brings it back."
    await api.wait_for("sendMessage", after=mark, where=lambda c: "/latest" in c["text"])
    back = await say(api, "/add")
    assert back["text"] == "Back to the draft you put aside:"
    preview = await api.wait_for(
        "sendMessage", after=mark, where=lambda c: c["text"].startswith("<b>A title of my own")
    )
    mark = await press(api, "Dp", preview)
    await api.wait_for("sendMessage", after=mark, where=lambda c: "Published" in c["text"])
    assert (await storage.articles.latest())[0].title == "A title of my own"
    assert (await say(api, "/add"))["text"].startswith("Send me the link")  # not twice


async def test_a_link_an_admin_pastes_is_offered_for_adding(
    api: BotApiStandIn, admin_bot: BotApplication, storage: Storage, pages: FeedServer
) -> None:
    offer = await say(api, f"  {pages.url('page/article')} ")
    assert offer["text"] == "Add this article?"
    assert offer.button_data() == ["Da"]
    mark = await press(api, "Da", offer)
    preview = await api.wait_for(MESSAGES, after=mark, chat_id=ADMIN)
    assert preview.text.startswith("<b>La reforma &amp; el Congreso</b>")
    mark = await press(api, "Da", offer)  # pressed again: already taken
    assert api.calls_to("answerCallbackQuery")[-1]["text"] == "Already done."
    assert not api.calls_to("sendMessage", chat_id=ADMIN)[mark:]
    searched = await say(api, pages.url("page/article"), user=READER)  # a reader: a search
    assert "Nothing found" in searched["text"]
    assert await storage.articles.count() == 0


async def test_the_publishers_link_is_kept_as_given(
    api: BotApiStandIn, admin_bot: BotApplication, storage: Storage
) -> None:
    """Seen: `https://Example.org/News/A/?utm_source=x&id=3` stored and sent as
    `https://example.org/News/A?id=3`; only the duplicate key is normalised."""
    given = "https://Example.org/News/A/?utm_source=x&id=3"
    preview = await say(api, f"/add {given} | Título | Resumen | perú")
    mark = await press(api, "Dp", preview)
    card = await api.wait_for("sendMessage", after=mark, chat_id=READER, timeout=10)
    assert card.buttons[0][0]["url"] == given
    stored = (await storage.articles.latest())[0]
    assert (stored.link, stored.url) == (given, "https://example.org/News/A?id=3")
    again = await say(api, "/add https://example.org/News/A?id=3&utm_medium=bot | T | S | x")
    assert again["text"] == "That article is already here:"  # the same key
