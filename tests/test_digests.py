"""Digests: a subscription's articles gathered daily or weekly at a local time, sent once
through the outbox; the clock is moved, never waited for."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime

import pytest

from bot.context import BotApplication
from bot.render.fit import visible_length
from bot.sandbox import BotApiStandIn
from storage import ChatInfo, Storage
from storage.digests import Cadence
from tests.conftest import article
from tests.e2e import running_bot, wait_until

DAY = 86_400.0
INSTANT, DAILY, WEEKLY = 1, 2, 3


async def queued(storage: Storage) -> list[tuple[int, str, list[int]]]:
    rows = await storage.db.fetchall("SELECT chat_id, kind, articles FROM digests ORDER BY id")
    return [(row[0], row[1], json.loads(row[2])) for row in rows]


async def test_digests_gather_what_matches_since_the_last_one_once(storage: Storage) -> None:
    now = datetime(2026, 12, 1, 12, tzinfo=UTC).timestamp()  # a Tuesday, 07:00 in Lima
    for chat in (INSTANT, DAILY, WEEKLY):
        await storage.chats.subscribe(
            ChatInfo(chat, "private"), topics=("peru",) if chat == WEEKLY else ()
        )
    await storage.chats.set_timezone(ChatInfo(DAILY, "private"), "America/Lima")
    daily = await storage.digests.set_cadence(DAILY, 0, Cadence("daily", 8 * 60), now)
    assert daily.next_at is not None
    assert daily.next_at.astimezone(UTC).strftime("%H:%M") == "13:00"  # 08:00 in Lima
    await storage.digests.set_cadence(WEEKLY, 0, Cadence("weekly", 8 * 60, 0), now)
    first = await storage.articles.add(article(1, title="Perú vota"))
    second = await storage.articles.add(article(2, title="Bolivia"))
    claimed = await storage.deliveries.claim(10)  # the broadcasts' walk: instant only
    assert {(d.chat_id, d.article_id) for d in claimed} == {
        (INSTANT, first.id),
        (INSTANT, second.id),
    }
    assert await storage.digests.schedule_due(now) == 0  # not yet
    assert await storage.digests.schedule_due(now + DAY) == 1
    assert await queued(storage) == [(DAILY, "daily", [second.id, first.id])]  # newest first
    assert await storage.digests.schedule_due(now + DAY) == 0  # once
    assert await storage.digests.schedule_due(now + 2 * DAY) == 0  # nothing new: nothing
    assert await storage.digests.schedule_due(now + 8 * DAY) == 1  # the weekly one
    assert (await queued(storage))[-1] == (WEEKLY, "weekly", [first.id])  # its topic only
    third = await storage.articles.add(article(3, title="Perú otra vez"))
    await storage.chats.deactivate(WEEKLY, "blocked by the user")
    assert await storage.digests.schedule_due(now + 9 * DAY) == 1  # since the last: only new
    assert (await queued(storage))[-1] == (DAILY, "daily", [third.id])
    assert await storage.digests.schedule_due(now + 16 * DAY) == 0  # an inactive chat: none


async def test_back_to_instant_and_a_new_time_zone_move_the_next_digest(
    storage: Storage,
) -> None:
    now = datetime(2026, 11, 29, 12, tzinfo=UTC).timestamp()
    chat = ChatInfo(DAILY, "private")
    await storage.chats.subscribe(chat, topics=("peru",))
    state = await storage.digests.set_cadence(DAILY, 0, Cadence("daily", 8 * 60), now)
    assert state.next_at == datetime(2026, 11, 30, 8, tzinfo=UTC)
    await storage.chats.set_timezone(chat, "-05:00")
    await storage.digests.reschedule(DAILY, now)
    state = await storage.digests.state(DAILY)
    assert state is not None and state.next_at == datetime(2026, 11, 29, 13, tzinfo=UTC)
    await storage.chats.subscribe(chat, topics=("lima",))  # a topic added keeps the digest
    first = await storage.articles.add(article(1, title="Lima"))
    assert await storage.deliveries.claim(10) == []
    await storage.digests.set_cadence(DAILY, 0, Cadence("instant"), now)
    await storage.articles.add(article(2, title="Lima otra vez"))
    assert [d.chat_id for d in await storage.deliveries.claim(10)] == [DAILY]
    # What was gathered before going back to instant still comes, at its time, the last.
    assert await storage.digests.next_due() == datetime(2026, 11, 29, 13, tzinfo=UTC).timestamp()
    assert await storage.digests.schedule_due(now + DAY) == 1
    assert await queued(storage) == [(DAILY, "daily", [first.id])]
    assert await storage.digests.next_due() is None


async def test_a_switch_while_a_broadcast_is_walked_neither_loses_nor_repeats(
    storage: Storage,
) -> None:
    """Each article goes the way the subscription took when it was published, however late
    its walk reaches the chat."""
    now = time.time()
    await storage.chats.subscribe(ChatInfo(DAILY, "private"))
    instant_era = await storage.articles.add(article(1))  # published while instant
    await storage.digests.set_cadence(DAILY, 0, Cadence("daily", 8 * 60), now)
    assert [d.article_id for d in await storage.deliveries.claim(10)] == [instant_era.id]
    digest_era = await storage.articles.add(article(2))  # published while on digests
    await storage.digests.set_cadence(DAILY, 0, Cadence("instant"), now)
    assert await storage.deliveries.claim(10) == []  # not a card: it is in the digest
    # Digests again before the last one came: that one is queued now, a new window opens.
    await storage.digests.set_cadence(DAILY, 0, Cadence("weekly", 8 * 60, 0), now)
    assert await queued(storage) == [(DAILY, "daily", [digest_era.id])]
    assert await storage.digests.schedule_due(now + 8 * DAY) == 0  # nothing since


async def say(api: BotApiStandIn, text: str, chat: int) -> str:
    mark = api.mark()
    api.push_command(text, user=api.user(chat))
    return str((await api.wait_for("sendMessage", after=mark, chat_id=chat))["text"])


def move_clock(application: BotApplication, seconds: float) -> None:
    scheduler = application.bot_data.scheduler
    assert scheduler is not None
    scheduler.clock = lambda: time.time() + seconds
    scheduler.wake()


async def test_a_daily_digest_end_to_end_once_across_a_restart(
    api: BotApiStandIn, storage: Storage
) -> None:
    async with running_bot(api, storage):
        for chat in (INSTANT, DAILY):
            await say(api, "/subscribe", chat)
        set_daily = await say(api, "/digest daily 08:00", DAILY)
        assert set_daily.startswith("🗞 From now on new articles arrive together.")
        assert "A daily digest at 08:00 (UTC)" in set_daily
        ids = [
            (await storage.articles.add(article(n, title=f"Story {n}"))).id for n in range(1, 4)
        ]
        for n in range(1, 4):
            await api.wait_for(
                "sendMessage",
                chat_id=INSTANT,
                timeout=5,
                where=lambda c, n=n: f"Story {n}</b>" in c["text"],
            )
        assert api.calls_to("sendMessage", chat_id=DAILY)[-1]["text"] == set_daily
    mark = api.mark()
    async with running_bot(api, storage) as application:  # down at 08:00; back after it
        move_clock(application, DAY)
        digest = await api.wait_for("sendMessage", after=mark, chat_id=DAILY, timeout=5)
    text = digest["text"]
    assert text.startswith("🗞 <b>Your daily digest</b>: 3 new articles")
    links = [
        f'<a href="https://t.me/articlebot_test_bot?start=a{i}">Story {n}</a>'
        for n, i in zip(range(1, 4), ids, strict=True)
    ]
    assert text.index(links[2]) < text.index(links[1]) < text.index(links[0])
    assert digest.button_data() == ["L0"]
    async with running_bot(api, storage) as application:  # again: nothing twice
        move_clock(application, DAY)
        await wait_until(lambda: _settled(storage))
    digests = [
        c for c in api.calls_to("sendMessage", chat_id=DAILY) if "Your daily digest" in c["text"]
    ]
    assert len(digests) == 1


async def _settled(storage: Storage) -> bool:
    rows = await storage.db.fetchall("SELECT status FROM digests")
    return bool(rows) and all(row[0] == "sent" for row in rows)


async def test_a_long_digest_is_split_and_counts_the_rest(
    api: BotApiStandIn, storage: Storage
) -> None:
    await storage.chats.subscribe(ChatInfo(WEEKLY, "private", language_code="es"))
    await storage.digests.set_cadence(WEEKLY, 0, Cadence("weekly", 8 * 60, 0))
    for n in range(25):
        await storage.articles.add(article(n, title=f"{n:02} " + "título largo " * 19))
    async with running_bot(api, storage) as application:
        move_clock(application, 8 * DAY)
        await wait_until(lambda: _settled(storage))
    parts = api.calls_to("sendMessage", chat_id=WEEKLY)
    assert len(parts) >= 2
    assert all(visible_length(part["text"]) <= 4096 for part in parts)
    assert parts[0]["text"].startswith("🗞 <b>Tu resumen semanal</b>: 25 artículos nuevos")
    assert parts[-1]["text"].endswith("…y 5 más.")
    assert [p.button_data() for p in parts] == [[]] * (len(parts) - 1) + [["L0"]]
    listed = "".join(part["text"] for part in parts)
    assert listed.count("<a href=") == 20


@pytest.mark.parametrize(
    ("command", "says"),
    [
        ("/digest daily 25:00", "25:00 is not a time of day"),
        ("/digest weekly funday 8", "funday is not a day"),
        ("/digest sometimes", "write daily HH:MM, weekly DAY HH:MM or off"),
        ("/digest daily", "write daily HH:MM, weekly DAY HH:MM or off"),
    ],
)
async def test_bad_cadences_say_what_is_accepted_and_change_nothing(
    api: BotApiStandIn, bot: BotApplication, storage: Storage, command: str, says: str
) -> None:
    await say(api, "/subscribe", DAILY)
    answer = await say(api, command, DAILY)
    assert says in answer and "Usage: /digest daily 08:00" in answer
    state = await storage.digests.state(DAILY)
    assert state is not None and state.cadence.instant


async def test_digest_buttons_and_refusals(
    api: BotApiStandIn, bot: BotApplication, storage: Storage
) -> None:
    assert "not subscribed" in await say(api, "/digest daily 08:00", DAILY)
    await say(api, "/subscribe", DAILY)
    mark = api.mark()
    api.push_command("/subscriptions", user=api.user(DAILY))
    state = await api.wait_for("sendMessage", after=mark, chat_id=DAILY)
    mark = api.mark()
    api.push_callback("Uw", message=state, user=api.user(DAILY))
    weekly = await api.wait_for("editMessageText", after=mark, chat_id=DAILY)
    assert "A weekly digest on Monday at 08:00 (UTC)" in weekly["text"]
    assert weekly.button_data()[0] == "Ui"
    mark = api.mark()
    api.push_callback("Ui", message=weekly, user=api.user(DAILY))
    back = await api.wait_for("editMessageText", after=mark, chat_id=DAILY)
    assert "Each article arrives at once." in back["text"]
    group = api.group_chat()
    api.set_member(group["id"], api.member(api.user(5)))
    mark = api.mark()
    api.push_command("/digest daily 08:00", chat=group, user=api.user(5))
    refused = await api.wait_for("sendMessage", after=mark, chat_id=group["id"])
    assert "only this group's administrators" in refused["text"]


@pytest.mark.parametrize(
    ("command", "kind", "weekday"),
    [
        ("/digest semanal lun 08:00", "weekly", 0),
        ("/digest semanal miércoles 8", "weekly", 2),
        ("/digest Semanal Sáb. 08:00", "weekly", 5),
        ("/digest diario 08:00", "daily", None),
        ("/digest weekly fri 08:00", "weekly", 4),  # English is always understood
    ],
)
async def test_a_spanish_speaker_writes_cadences_in_spanish(
    api: BotApiStandIn,
    bot: BotApplication,
    storage: Storage,
    command: str,
    kind: str,
    weekday: int | None,
) -> None:
    mark = api.mark()
    api.push_command("/subscribe", user=api.user(DAILY, language_code="es"))
    await api.wait_for("sendMessage", after=mark, chat_id=DAILY)
    mark = api.mark()
    api.push_command(command, user=api.user(DAILY, language_code="es"))
    answer = await api.wait_for("sendMessage", after=mark, chat_id=DAILY)
    assert "no es" not in answer["text"]
    state = await storage.digests.state(DAILY)
    assert state is not None
    assert (state.cadence.kind, state.cadence.weekday) == (kind, weekday)
    mark = api.mark()
    api.push_command("/digest no", user=api.user(DAILY, language_code="es"))
    await api.wait_for("sendMessage", after=mark, chat_id=DAILY)
    state = await storage.digests.state(DAILY)
    assert state is not None and state.cadence.instant


async def test_a_spanish_speaker_sets_quiet_hours_off_in_spanish(
    api: BotApiStandIn, bot: BotApplication, storage: Storage
) -> None:
    spanish = api.user(DAILY, language_code="es")
    for command in ("/quiet 22:00-07:00", "/quiet no"):
        mark = api.mark()
        api.push_command(command, user=spanish)
        await api.wait_for("sendMessage", after=mark, chat_id=DAILY)
    assert await storage.quiet.hours(DAILY) is None
