"""What a chat sets for itself, end to end: /silent, /language; and /help by who asks."""

from __future__ import annotations

from bot.context import BotApplication
from bot.sandbox import BotApiStandIn
from storage import Storage
from storage.text import parse_datetime
from tests.conftest import article
from tests.e2e import running_bot

USER = 42
GROUP = -100_123


async def reply_to(api: BotApiStandIn, text: str, chat_id: int = USER, **push: object) -> str:
    mark = api.mark()
    api.push_command(text, **push)  # type: ignore[arg-type]
    return str((await api.wait_for("sendMessage", after=mark, chat_id=chat_id))["text"])


async def test_silent_cards_come_without_a_sound(
    api: BotApiStandIn, bot: BotApplication, storage: Storage
) -> None:
    await reply_to(api, "/subscribe")
    assert "come with a notification sound" in await reply_to(api, "/silent")
    assert "come without a sound" in await reply_to(api, "/silent on")
    assert "Usage: /silent on" in await reply_to(api, "/silent loud")
    mark = api.mark()
    await storage.articles.add(article(1, title="Quiet one"))
    card = await api.wait_for("sendMessage", after=mark, where=lambda c: "Quiet one" in c["text"])
    assert card.get("disable_notification") is True
    assert "with a notification sound" in await reply_to(api, "/silent off")
    mark = api.mark()
    await storage.articles.add(article(2, title="Loud one"))
    card = await api.wait_for("sendMessage", after=mark, where=lambda c: "Loud one" in c["text"])
    assert not card.get("disable_notification")


async def test_a_group_chooses_its_language_for_cards_and_replies(
    api: BotApiStandIn, bot: BotApplication, storage: Storage
) -> None:
    group = api.group_chat(GROUP)
    admin, member = api.user(1, language_code="en"), api.user(2, language_code="en")
    api.set_member(GROUP, api.administrator(admin))
    api.set_member(GROUP, api.member(member))
    await reply_to(api, "/subscribe", GROUP, chat=group, user=admin)

    refused = await reply_to(api, "/language es", GROUP, chat=group, user=member)
    assert "only this group's administrators" in refused
    assert "Usage: /language" in await reply_to(api, "/language xx", GROUP, chat=group, user=admin)
    chosen = await reply_to(api, "/language es", GROUP, chat=group, user=admin)
    assert "español" in chosen  # said in the language just chosen
    help_text = await reply_to(api, "/help", GROUP, chat=group, user=member)
    assert "<b>Lo que puedo hacer</b>" in help_text  # an English speaker, in this group
    assert "What I can do" in await reply_to(api, "/help", 2, user=member)  # elsewhere: his own
    mark = api.mark()
    await storage.articles.add(article(1, title="Elecciones"))
    card = await api.wait_for("sendMessage", after=mark, chat_id=GROUP)
    assert card.button_texts()[0] == "🔗 Leer"
    back = await reply_to(api, "/language off", GROUP, chat=group, user=admin)
    assert "each reader's own Telegram language" in back
    assert "What I can do" in await reply_to(api, "/help", GROUP, chat=group, user=member)


async def test_help_lists_the_admin_commands_to_admins_only(
    api: BotApiStandIn, storage: Storage
) -> None:
    async with running_bot(api, storage, admin_ids="7"):
        for_admin = await reply_to(api, "/help", 7, user=api.user(7))
        for_reader = await reply_to(api, "/help", USER)
    assert "<b>For admins</b>" in for_admin
    assert "/add" in for_admin
    assert "For admins" not in for_reader
    assert "/add" not in for_reader


async def test_dates_are_told_in_the_chats_time_zone(
    api: BotApiStandIn, bot: BotApplication, storage: Storage
) -> None:
    """Seen: an article of a Lima evening dated the next day (in UTC)."""
    lima, london = api.user(1), api.user(2)
    for user, zone in ((lima, "America/Lima"), (london, "UTC")):
        await reply_to(api, "/subscribe", user["id"], user=user)
        await reply_to(api, f"/timezone {zone}", user["id"], user=user)
    mark = api.mark()
    evening = parse_datetime("2026-11-30T23:30:00-05:00")  # 04:30 on Dec 1 in UTC
    await storage.articles.add(article(1, title="Late news", published_at=evening))
    cards = {
        user["id"]: await api.wait_for("sendMessage", after=mark, chat_id=user["id"])
        for user in (lima, london)
    }
    assert "Nov 30, 2026" in cards[1]["text"]
    assert "Dec 1, 2026" in cards[2]["text"]
    assert "Nov 30, 2026" in await reply_to(api, "/latest", 1, user=lima)
    assert "Dec 1, 2026" in await reply_to(api, "/latest", 2, user=london)
