"""Publishing later: unseen until its time, then published once, as if added then; by
bot, by command line, across a restart; and time zones per chat."""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner

from bot.cli import cli
from bot.sandbox import BotApiStandIn
from storage import ChatInfo, DuplicateArticle, InvalidInput, NotFound, Storage
from tests.conftest import article
from tests.e2e import running_bot

ADMIN = 7
READER = 1


def soon(seconds: float) -> datetime:
    return datetime.now(UTC) + timedelta(seconds=seconds)


async def test_unseen_until_its_time_then_published_once(storage: Storage) -> None:
    await storage.chats.subscribe(ChatInfo(READER, "private"))
    item = await storage.scheduled.add(article(1, title="Mañana"), soon(3600), "America/Lima")
    assert [s.id for s in await storage.scheduled.all()] == [item.id]
    assert await storage.articles.latest() == []
    assert (await storage.articles.search("mañana")).hits == []
    assert await storage.scheduled.publish_due() == []  # not yet
    later = time.time() + 3601  # the clock, moved
    (published,) = await storage.scheduled.publish_due(later)
    assert await storage.scheduled.publish_due(later) == []  # once
    assert await storage.scheduled.all() == []
    stored = await storage.articles.get(published)
    assert stored.title == "Mañana"
    assert stored.published_at.date() >= item.publish_at.date()
    assert [hit.article.id for hit in (await storage.articles.search("manana")).hits] == [
        published
    ]
    progress = await storage.broadcasts.progress(published)
    assert progress is not None  # its broadcast started, as for any new article


async def test_refusals_change_nothing(storage: Storage) -> None:
    await storage.articles.add(article(1))
    with pytest.raises(DuplicateArticle):
        await storage.scheduled.add(article(1), soon(60), "UTC")
    await storage.scheduled.add(article(2), soon(60), "UTC")
    with pytest.raises(InvalidInput, match="scheduled already"):
        await storage.scheduled.add(article(2), soon(120), "UTC")
    with pytest.raises(InvalidInput, match="already passed"):
        await storage.scheduled.add(article(3), soon(-1), "UTC")
    with pytest.raises(NotFound):
        await storage.scheduled.cancel(99)
    assert len(await storage.scheduled.all()) == 1


async def test_one_published_meanwhile_is_dropped_not_duplicated(storage: Storage) -> None:
    await storage.scheduled.add(article(1), soon(60), "UTC")
    await storage.articles.add(article(1, title="Added by hand"), announce=False)
    assert await storage.scheduled.publish_due(time.time() + 61) == []
    assert await storage.scheduled.all() == []
    assert [a.title for a in await storage.articles.latest()] == ["Added by hand"]


async def test_the_bot_publishes_at_its_time_across_a_restart(
    api: BotApiStandIn, storage: Storage
) -> None:
    await storage.chats.subscribe(ChatInfo(READER, "private"))
    item = await storage.scheduled.add(article(1, title="At its time"), soon(1), "UTC", ADMIN)
    async with running_bot(api, storage, admin_ids=str(ADMIN)):
        mark = api.mark()
        api.push_command("/search time", user=api.user(READER))
        hidden = await api.wait_for("sendMessage", after=mark, chat_id=READER)
        assert "Nothing found" in hidden["text"]
    # Down when it came due; the next start publishes it, once.
    await asyncio.sleep(max(0.0, item.publish_at.timestamp() - time.time()) + 0.1)
    async with running_bot(api, storage, admin_ids=str(ADMIN)):
        card = await api.wait_for(
            "sendMessage", chat_id=READER, timeout=5, where=lambda c: "At its time" in c["text"]
        )
        assert card["text"].startswith("<b>At its time</b>")
        await api.wait_for("sendMessage", chat_id=ADMIN, timeout=5)  # its progress
    assert [a.title for a in await storage.articles.latest()] == ["At its time"]
    assert len(api.calls_to("sendMessage", chat_id=READER)) == 2  # the search, the card


async def test_an_admin_schedules_from_the_preview_and_cancels_from_the_list(
    api: BotApiStandIn, storage: Storage
) -> None:
    admin = api.user(ADMIN)
    async with running_bot(api, storage, admin_ids=str(ADMIN)):

        async def say(text: str) -> dict[str, object]:
            mark = api.mark()
            api.push_command(text, user=admin)
            return await api.wait_for("sendMessage", after=mark, chat_id=ADMIN)

        assert "America/Lima" in str((await say("/timezone america/lima"))["text"])
        preview = await say("/add https://news.example/later | Later | Soon here | a")
        assert preview.button_data()[:2] == ["Dp", "Dw"]  # type: ignore[attr-defined]
        mark = api.mark()
        api.push_callback("Dw", message=preview, user=admin)  # type: ignore[arg-type]
        asked = await api.wait_for("sendMessage", after=mark, chat_id=ADMIN)
        assert "Your time zone is America/Lima" in asked["text"]
        assert asked.button_data() == ["Dx"]
        assert "is not a date and time" in str((await say("someday"))["text"])
        done = await say("2031-05-01 08:00")
        assert "⏰ Scheduled for Thu, May 1, 2031, 08:00 (America/Lima)" in str(done["text"])
        (item,) = await storage.scheduled.all()
        assert item.publish_at == datetime(2031, 5, 1, 13, tzinfo=UTC)
        listing = await say("/scheduled")
        assert f"{item.id}. Thu, May 1, 2031, 08:00 — <b>Later</b>" in str(listing["text"])
        mark = api.mark()
        api.push_callback(f"Zx{item.id}", message=listing, user=admin)  # type: ignore[arg-type]
        emptied = await api.wait_for("editMessageText", after=mark, chat_id=ADMIN)
        assert emptied["text"].startswith("Nothing is scheduled")
        mark = api.mark()
        api.push_callback(f"Zx{item.id}", message=listing, user=api.user(99))  # type: ignore[arg-type]
        refused = await api.wait_for("answerCallbackQuery", after=mark)
        assert "Only the bot's admins" in refused["text"]
    assert await storage.scheduled.all() == []
    assert await storage.articles.latest() == []


async def test_time_zones_per_chat(api: BotApiStandIn, storage: Storage) -> None:
    group = api.group_chat()
    member, owner = api.user(3), api.user(4)
    api.set_member(group["id"], api.member(member))
    api.set_member(group["id"], api.administrator(owner))
    async with running_bot(api, storage):

        async def say(text: str, user: dict[str, object], chat: dict[str, object]) -> str:
            mark = api.mark()
            api.push_command(text, user=user, chat=chat)
            call = await api.wait_for("sendMessage", after=mark, chat_id=chat["id"])
            return str(call["text"])

        private = api.private_chat(3)
        assert "Time zone: UTC" in await say("/timezone", member, private)
        assert "Mars/Base is not a time zone" in await say("/timezone Mars/Base", member, private)
        assert "did you mean America/Lima" in await say("/timezone Europe/Lima", member, private)
        assert "set to -05:00" in await say("/timezone -5", member, private)
        assert await storage.chats.timezone(3) == "-05:00"
        assert "only this group's administrators" in await say(
            "/timezone America/Lima", member, group
        )
        assert "Time zone: UTC" in await say("/timezone", member, group)  # anyone may look
        assert "set to America/Lima" in await say("/timezone America/Lima", owner, group)
    assert await storage.chats.timezone(group["id"]) == "America/Lima"


def test_the_command_line_schedules_lists_and_cancels(tmp_path: Path) -> None:
    def run(*args: str) -> tuple[int, str, str]:
        result = CliRunner().invoke(cli, ["--db", str(tmp_path / "news.db"), *args])
        return result.exit_code, result.stdout, result.stderr

    code, out, _ = run(
        "add",
        "--url",
        "https://x.example/1",
        "--title",
        "Later",
        "--at",
        "2031-05-01 08:00",
        "--tz",
        "america/lima",
    )
    assert (code, out) == (0, "scheduled 1 for 2031-05-01 08:00 America/Lima\n")
    assert run("scheduled")[1] == "1  2031-05-01 08:00 America/Lima  Later\n"
    assert run("scheduled", "--json")[1].count('"publish_at": "2031-05-01T13:00:00Z"') == 1
    assert run("latest")[1] == ""  # unseen
    for args, says in [
        (("--at", "2020-01-01 08:00"), "has already passed"),
        (("--at", "soon"), "is not a date and time"),
        (("--at", "08:00", "--tz", "Mars/Base"), "Mars/Base is not a time zone"),
    ]:
        code, _, err = run("add", "--url", "https://x.example/2", "--title", "x", *args)
        assert code == 1 and says in err and "Traceback" not in err
    assert run("unschedule", "1") == (0, "unscheduled 1: Later\n", "")
    code, _, err = run("unschedule", "1")
    assert code == 1 and "scheduled article 1 not found" in err
    assert run("scheduled")[2] == "nothing is scheduled\n"


async def test_a_given_publication_date_is_kept(storage: Storage) -> None:
    dated = article(1, published_at=datetime(2026, 1, 2, 3, 4, tzinfo=UTC), tags=("a", "b"))
    await storage.scheduled.add(dated, soon(60), "UTC")
    (published,) = await storage.scheduled.publish_due(time.time() + 61)
    stored = await storage.articles.get(published)
    assert (stored.published_at, stored.tags) == (
        datetime(2026, 1, 2, 3, 4, tzinfo=UTC),
        ("a", "b"),
    )
