"""Each chat reads the bot in its own language: cards, progress, refusals of bad input."""

from __future__ import annotations

import re

from bot.sandbox import BotApiStandIn
from storage import ChatInfo, Storage
from storage.text import parse_datetime
from tests.conftest import article
from tests.e2e import running_bot

ADMIN = 7


async def test_cards_come_in_the_language_of_whoever_subscribed_the_chat(
    api: BotApiStandIn, storage: Storage
) -> None:
    async with running_bot(api, storage, admin_ids=str(ADMIN)):
        for user, language in ((1, "es-419"), (2, "en")):
            mark = api.mark()
            api.push_command("/subscribe", user=api.user(user, language_code=language))
            await api.wait_for("sendMessage", after=mark, chat_id=user)
        group, group_admin = api.group_chat(), api.user(3, language_code="es")
        api.set_member(group["id"], api.administrator(group_admin))
        mark = api.mark()
        api.push_command("/subscribe", chat=group, user=group_admin)
        await api.wait_for("sendMessage", after=mark, chat_id=group["id"])
        mark = api.mark()
        await storage.articles.add(
            article(1, title="Elecciones", published_at=parse_datetime("2026-11-28T10:00"))
        )
        cards = {
            chat: await api.wait_for("sendMessage", after=mark, chat_id=chat, timeout=5)
            for chat in (1, 2, group["id"])
        }
    for spanish in (cards[1], cards[group["id"]]):
        assert "28 nov 2026" in spanish["text"]
        assert spanish.button_texts()[0] == "🔗 Leer"
    assert "Nov 28, 2026" in cards[2]["text"]
    assert cards[2].button_texts()[0] == "🔗 Read"
    assert all("Elecciones" in card["text"] for card in cards.values())  # content as written


async def test_a_spanish_admin_reads_progress_and_refusals_in_spanish(
    api: BotApiStandIn, storage: Storage
) -> None:
    admin = api.user(ADMIN, language_code="es")
    await storage.chats.subscribe(ChatInfo(1, "private"))
    async with running_bot(api, storage, admin_ids=str(ADMIN), broadcast_progress_interval=0.2):
        mark = api.mark()
        api.push_command("/add ftp://news.example/x | Título | Resumen | a", user=admin)
        refused = await api.wait_for("sendMessage", after=mark, chat_id=ADMIN)
        assert refused["text"].startswith("No aceptado: no es una dirección web")
        assert "http(s) URL" not in refused["text"]

        mark = api.mark()
        api.push_command("/add https://news.example/x | Título | Resumen | a", user=admin)
        preview = await api.wait_for("sendMessage", after=mark, chat_id=ADMIN)
        mark = api.mark()
        api.push_callback("Dp", message=preview, user=admin)
        progress = await api.wait_for(
            "sendMessage",
            after=mark,
            chat_id=ADMIN,
            where=lambda c: "▓" in c["text"] or "░" in c["text"],
            timeout=5,
        )
        assert progress["text"].startswith(("📣 Enviando", "✅ Envío terminado"))
        assert "enviados 0" in progress["text"] or "enviados 1" in progress["text"]


async def test_spanish_time_zone_and_refusal_texts_read_as_spanish(
    api: BotApiStandIn, storage: Storage
) -> None:
    """Seen: "allí son las mar 1 dic 2026, 20:34" and "¿quisiste decir America/Lima?."."""
    reader = api.user(1, language_code="es")
    async with running_bot(api, storage):
        replies = {}
        for command in ("/timezone", "/timezone Europe/Lima", "/unsubscribe cusco"):
            mark = api.mark()
            api.push_command(command, user=reader)
            replies[command] = (await api.wait_for("sendMessage", after=mark, chat_id=1))["text"]
    assert re.search(
        r"allí son las \d\d:\d\d del [a-zé]{3} \d{1,2} [a-z]{3}\)", replies["/timezone"]
    )
    assert replies["/timezone Europe/Lima"].endswith("¿quisiste decir America/Lima?")
    assert "No estás suscrito" in replies["/unsubscribe cusco"]
