"""Corrections end to end: an edit of what cards show edits each card already sent, in
place (same message), in its chat's language, once, through crashes; nothing new is
sent, and cards past the 48 hours stay as they were."""

from __future__ import annotations

import asyncio
import subprocess
import sys
from collections import Counter
from datetime import timedelta
from pathlib import Path

import pytest

from bot.sandbox import BotApiStandIn, Call
from bot.sandbox.standin import MESSAGES
from storage import ChatInfo, Storage, clock
from storage.kinds import CardStyle
from tests.conftest import article
from tests.e2e import child, running_bot, wait_until
from tests.test_broadcast import run_bot_process, settled, subscribe_private

ADMIN = 7
PICTURE = "https://news.example/pictures/a.jpg"
EDITS = ("editMessageText", "editMessageCaption", "editMessageMedia")


def articlebot(database: str | Path, *args: str) -> tuple[str, ...]:
    return (str(Path(sys.executable).with_name("articlebot")), "--db", str(database), *args)


async def sent_cards(storage: Storage, article_id: int) -> dict[int, tuple[int, str]]:
    rows = await storage.db.fetchall(
        "SELECT chat_id, message_id, card FROM deliveries WHERE article_id = ?", (article_id,)
    )
    return {row[0]: (row[1], row[2]) for row in rows}


def edits(api: BotApiStandIn, after: int = 0) -> list[Call]:
    return [c for c in api.calls[after:] if c.method in EDITS and c["chat_id"] != ADMIN]


async def finished(storage: Storage, article_id: int) -> bool:
    correction = await storage.corrections.get(article_id)
    return correction is not None and correction.finished


async def test_edit_corrects_every_card_in_place_in_each_chats_language(
    api: BotApiStandIn, storage: Storage
) -> None:
    await subscribe_private(storage, 1, 2, 3)
    await storage.chats.set_card_style(ChatInfo(2, "private"), CardStyle.TEXT)
    await storage.chats.choose_language(ChatInfo(3, "private"), "es")
    async with running_bot(api, storage, admin_ids=str(ADMIN)):
        stored = await storage.articles.add(article(1, title="Old headline", image=PICTURE))
        await wait_until(lambda: settled(storage, stored.id))
        sent = {call["chat_id"]: call for call in api.delivered()}
        mark = api.mark()
        for text in (f"/edit {stored.id}",):
            api.push_command(text, user=api.user(ADMIN))
        menu = await api.wait_for("sendMessage", after=mark, chat_id=ADMIN)
        mark = api.mark()
        api.push_callback(f"Et{stored.id}", message=menu, user=api.user(ADMIN))
        await api.wait_for(
            "sendMessage", after=mark, chat_id=ADMIN, where=lambda c: "title" in c.text
        )
        mark = api.mark()
        api.push_message("New headline", user=api.user(ADMIN))
        progress = await api.wait_for(
            "sendMessage", after=mark, chat_id=ADMIN, where=lambda c: "Correcting" in c.text
        )
        assert "✏️ Correcting 3 cards…" in progress.text
        done = await api.wait_for(
            "editMessageText",
            after=mark,
            chat_id=ADMIN,
            message_id=progress["_result"]["message_id"],
            where=lambda c: "Corrected" in c.text,
            timeout=15,
        )
        assert "✅ Corrected 3 cards in place." in done.text
    cards = await sent_cards(storage, stored.id)
    corrected = {call["chat_id"]: call for call in edits(api, mark)}
    assert set(corrected) == {1, 2, 3}
    for chat_id, call in corrected.items():
        assert call["message_id"] == cards[chat_id][0]  # the same message
        assert call.text == sent[chat_id].text.replace("Old headline", "New headline")
        assert call.get("reply_markup") == sent[chat_id].get("reply_markup")
    assert corrected[1].method == "editMessageCaption"  # a photo card: its caption
    assert corrected[2].method == "editMessageText"
    assert corrected[3].method == "editMessageCaption"
    assert "dic" in corrected[3].text  # Spanish: "2 dic 2026"
    assert not [c for c in api.calls[mark:] if c.method in MESSAGES and c["chat_id"] != ADMIN]
    assert api.shown(1, cards[1][0])[0].startswith("<b>New headline</b>")


async def test_articlebot_edit_corrects_the_cards_and_a_new_picture_replaces_the_old(
    api: BotApiStandIn, storage: Storage, database: str | Path
) -> None:
    await subscribe_private(storage, 1, 2)
    await storage.chats.set_card_style(ChatInfo(2, "private"), CardStyle.TEXT)
    async with running_bot(api, storage):
        stored = await storage.articles.add(article(1, image=PICTURE))
        await wait_until(lambda: settled(storage, stored.id))
        mark = api.mark()
        new_picture = "https://news.example/pictures/b.jpg"
        command = articlebot(database, "edit", str(stored.id), "--image", new_picture)
        async with child(*command, stdout=subprocess.PIPE, stderr=subprocess.PIPE) as proc:
            out, err = await asyncio.wait_for(proc.communicate(), 30)
        assert proc.returncode == 0, err
        assert "correcting its 2 cards sent" in out.decode()
        await wait_until(lambda: finished(storage, stored.id), timeout=20)
    corrected = {call["chat_id"]: call for call in edits(api, mark)}
    assert corrected[1].method == "editMessageMedia"
    assert corrected[1]["media"]["media"] == new_picture
    assert corrected[2].method == "editMessageText"  # a text card stays text
    assert not [c for c in api.calls[mark:] if c.method in MESSAGES]
    # Nothing to change: nothing is corrected again.
    async with child(
        *articlebot(database, "edit", str(stored.id), "--image", new_picture),
        stdout=subprocess.PIPE,
    ) as proc:
        out, _ = await asyncio.wait_for(proc.communicate(), 30)
    assert "nothing changed" in out.decode()
    async with child(*articlebot(database, "edit", str(stored.id)), stderr=subprocess.PIPE) as p:
        _, err = await asyncio.wait_for(p.communicate(), 30)
    assert p.returncode != 0 and b"say what to change" in err


async def test_cards_past_48_hours_stay_as_they_were(
    api: BotApiStandIn, storage: Storage, monkeypatch: pytest.MonkeyPatch
) -> None:
    await subscribe_private(storage, 1, 2)
    async with running_bot(api, storage):
        stored = await storage.articles.add(article(1))
        await wait_until(lambda: settled(storage, stored.id))
        monkeypatch.setattr(clock, "_ahead", timedelta(hours=49).total_seconds())
        mark = api.mark()
        edit = await storage.articles.update(stored.id, title="Too late")
        assert edit.correction is not None
        await wait_until(lambda: finished(storage, stored.id), timeout=20)
    correction = await storage.corrections.get(stored.id)
    assert correction is not None
    assert (correction.edited, correction.expired) == (0, 2)
    assert not edits(api, mark)


async def test_sigkill_mid_correction_then_restart_corrects_each_card_once(
    api: BotApiStandIn, storage: Storage, database: str | Path
) -> None:
    chats = range(30_000, 31_500)
    await subscribe_private(storage, *chats)
    stored = await storage.articles.add(article(1))
    process = run_bot_process(api, database)
    try:
        await wait_until(lambda: settled(storage, stored.id), timeout=60)
        await storage.articles.update(stored.id, title="Corrected headline")
        mark = api.mark()
        await wait_until(lambda: len(edits(api, mark)) >= 300, timeout=30)
        process.kill()
        await asyncio.to_thread(process.wait, 10)
        assert len(edits(api, mark)) < len(chats)  # killed mid-correction
        process = run_bot_process(api, database)
        await wait_until(lambda: finished(storage, stored.id), timeout=60)
    finally:
        process.terminate()
        try:
            await asyncio.to_thread(process.wait, 20)
        finally:
            process.kill()
            process.wait()
    per_chat = Counter(call["chat_id"] for call in edits(api, mark))
    applied = Counter(call["chat_id"] for call in edits(api, mark) if "_result" in call.params)
    assert set(per_chat) == set(chats)  # every card corrected
    assert set(applied.values()) == {1}  # each changed once; a repeat is "not modified"
    twice = [chat for chat, n in per_chat.items() if n > 1]
    assert len(twice) <= 32  # at most the wave in flight at the kill
    correction = await storage.corrections.get(stored.id)
    assert correction is not None and correction.edited == len(chats)
    rows = await storage.db.fetchall(
        "SELECT DISTINCT revision FROM deliveries WHERE article_id = ?", (stored.id,)
    )
    assert [row[0] for row in rows] == [1]
    assert not [c for c in api.calls[mark:] if c.method in MESSAGES]
