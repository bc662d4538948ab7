"""Quiet hours: cards due in them wait; more than three come as one digest when they end."""

from __future__ import annotations

import time
from collections.abc import Awaitable
from datetime import UTC, datetime

import pytest

from bot.context import BotApplication
from bot.sandbox import BotApiStandIn
from storage import ChatInfo, InvalidInput, Storage
from storage.deliveries import Outcome
from storage.quiet import parse_quiet, quiet_until
from tests.conftest import article
from tests.e2e import running_bot, wait_until

QUIET, LOUD = 1, 2


def test_parse_and_inside() -> None:
    assert parse_quiet("22:00-07:00") == (1320, 420)
    assert parse_quiet(" 8-9:30 ") == (480, 570)
    assert parse_quiet("off") is None
    for bad in ("22:00", "22:00-22:00", "25:00-07:00", "night"):
        with pytest.raises(InvalidInput, match="like 22:00-07:00"):
            parse_quiet(bad)
    night = datetime(2026, 11, 29, 23, 30, tzinfo=UTC).timestamp()
    morning = datetime(2026, 11, 30, 7, tzinfo=UTC).timestamp()
    assert quiet_until(night, "UTC", 1320, 420) == morning  # across midnight
    assert quiet_until(morning, "UTC", 1320, 420) is None  # the end is not inside
    assert quiet_until(night, "-05:00", 1320, 420) is None  # 18:30 there


def around_now() -> tuple[int, int]:
    """Quiet hours (UTC) from an hour ago to two hours from now."""
    now = datetime.now(UTC)
    minute = now.hour * 60 + now.minute
    return (minute - 60) % 1440, (minute + 120) % 1440


async def test_cards_wait_through_quiet_hours_and_come_as_one_digest(
    api: BotApiStandIn, storage: Storage
) -> None:
    for chat in (QUIET, LOUD):
        await storage.chats.subscribe(ChatInfo(chat, "private"))
    await storage.quiet.set_hours(QUIET, around_now())
    async with running_bot(api, storage):
        ids = [(await storage.articles.add(article(n, title=f"Night {n}"))).id for n in range(4)]

        async def held() -> list[float]:
            rows = await storage.db.fetchall(
                "SELECT next_attempt_at FROM deliveries WHERE chat_id = ? AND held = 1 "
                "AND status = 'pending'",
                (QUIET,),
            )
            return [row[0] for row in rows]

        await wait_until(lambda: _count(held(), 4))
        await api.wait_for("sendMessage", chat_id=LOUD)  # the others' cards go on
        ends = quiet_until(time.time(), "UTC", *around_now())
        assert ends is not None and all(abs(at - ends) < 61 for at in await held())
        assert api.calls_to("sendMessage", chat_id=QUIET) == []
        # The clock reaches the end of the quiet hours, for these rows.
        async with storage.db.atomic() as conn:
            await conn.execute("UPDATE deliveries SET next_attempt_at = 0 WHERE held = 1")
        digest = await api.wait_for("sendMessage", chat_id=QUIET, timeout=5)
    assert digest["text"].startswith("🌙 <b>While it was quiet</b>: 4 new articles")
    assert digest["text"].index(f"start=a{ids[3]}") < digest["text"].index(f"start=a{ids[0]}")
    assert len(api.calls_to("sendMessage", chat_id=QUIET)) == 1
    statuses = await storage.db.fetchall(
        "SELECT status, count(*) FROM deliveries WHERE chat_id = ? GROUP BY 1", (QUIET,)
    )
    assert [tuple(row) for row in statuses] == [("sent", 4)]  # within the digest
    progress = await storage.broadcasts.progress(ids[0])
    assert progress is not None and progress.pending == 0


async def _count(rows: Awaitable[list[float]], wanted: int) -> bool:
    return len(await rows) == wanted


async def test_three_or_fewer_held_cards_go_out_as_cards(storage: Storage) -> None:
    await storage.chats.subscribe(ChatInfo(QUIET, "private"))
    for n in range(3):
        await storage.articles.add(article(n))
    claimed = await storage.deliveries.claim(10)
    await storage.deliveries.settle(
        [Outcome(d.id, "pending", retry_at=100.0, attempted=False, held=True) for d in claimed]
    )
    again = await storage.deliveries.claim(10, now=101.0)
    assert sorted(d.article_id for d in again) == sorted(d.article_id for d in claimed)
    assert await storage.db.fetchall("SELECT id FROM digests") == []


async def test_quiet_command(api: BotApiStandIn, bot: BotApplication, storage: Storage) -> None:
    async def say(text: str, user: int = QUIET, chat: dict[str, object] | None = None) -> str:
        mark = api.mark()
        api.push_command(text, user=api.user(user), chat=chat)
        where = chat["id"] if chat else user
        return str((await api.wait_for("sendMessage", after=mark, chat_id=where))["text"])

    assert "No quiet hours" in await say("/quiet")
    assert "Quiet hours 22:00–07:00 (UTC)" in await say("/quiet 22:00-07:00")
    assert await storage.quiet.hours(QUIET) == (1320, 420)
    assert "like 22:00-07:00" in await say("/quiet 22:00")
    assert await storage.quiet.hours(QUIET) == (1320, 420)  # unchanged
    assert "No quiet hours" in await say("/quiet off")
    group = api.group_chat()
    api.set_member(group["id"], api.member(api.user(5)))
    assert "only this group's administrators" in await say("/quiet 22-7", 5, group)
    assert await storage.quiet.hours(group["id"]) is None
