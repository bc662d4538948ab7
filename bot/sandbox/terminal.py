"""`articlebot sandbox`: try the bot with no token and no network.

The Bot API stand-in on loopback, a fresh database with demo articles, the real bot against
both, and a chat in this terminal in which you are a user and an admin. The bot's replies
are shown readably (bold, links, numbered buttons); type a number to press a button.
"""

from __future__ import annotations

import asyncio
import html
import re
import sys
import tempfile
import uuid
from pathlib import Path
from typing import Any

import click
from pydantic import SecretStr

from bot.app import build_application
from bot.context import BotApplication
from bot.running import polling
from bot.sandbox.demo import demo_articles
from bot.sandbox.standin import BOT_USER, BotApiStandIn, Call
from config import Settings
from storage import ChatInfo, NewArticle, Storage

YOU = 1
SUBSCRIBERS_FROM = 1_000_000
MAX_SUBSCRIBERS = 10_000
_LINK = re.compile(r'<a href="([^"]*)">(.*?)</a>', re.S)
_BOLD = re.compile(r"<b>(.*?)</b>", re.S)
_TAG = re.compile(r"</?[a-z][^>]*>")

INTRO = """\
You are user {you} (an admin) in a private chat with @{bot}. Type what you would send on
Telegram: /start, /latest, /search peru, /subscribe, /help ... A number presses that button
of the last message. ':publish Some title' publishes a new article to the subscribers
(--subscribers N simulates N of them). 'quit' leaves."""


async def run_sandbox(subscribers: int = 0) -> None:
    subscribers = max(0, min(subscribers, MAX_SUBSCRIBERS))
    with tempfile.TemporaryDirectory(prefix="articlebot-sandbox-") as folder:
        async with BotApiStandIn() as api:
            settings = Settings(
                _env_file=None,  # type: ignore[call-arg]
                bot_token=SecretStr(api.token),
                telegram_api_url=api.base_url,
                database_path=Path(folder) / "sandbox.db",
                admin_ids=frozenset({YOU}),
                broadcast_progress_interval=1.0,
            )
            storage = await Storage.open(settings.database_path)
            try:
                await storage.articles.add_many(demo_articles())
                for n in range(subscribers):
                    await storage.chats.subscribe(ChatInfo(SUBSCRIBERS_FROM + n, "private"))
                application = build_application(settings, storage)
                async with polling(application, poll_timeout=1):
                    try:
                        await TerminalChat(api, storage, application).run()
                    finally:
                        api.drain()
            finally:
                await storage.close()


class TerminalChat:
    def __init__(self, api: BotApiStandIn, storage: Storage, application: BotApplication):
        self.api = api
        self.storage = storage
        self.application = application
        self.you = api.user(YOU)
        self.buttons: list[tuple[dict[str, Any], Call]] = []

    async def run(self) -> None:
        printer = asyncio.create_task(self.show_replies(self.api.mark()))
        click.echo(INTRO.format(you=YOU, bot=BOT_USER["username"]))
        mark = self.api.mark()
        self.api.push_command("/start", user=self.you)
        await self.api.wait_for("sendMessage", after=mark, chat_id=YOU)
        try:
            while True:
                line = await asyncio.to_thread(sys.stdin.readline)
                text = line.strip()
                if not line or text in ("quit", "exit", ":quit"):
                    break
                if text:
                    await self.say(text)
        finally:
            printer.cancel()

    async def say(self, text: str) -> None:
        if text.isdigit():
            await self.press(int(text))
        elif text.startswith(":publish"):
            await self.publish(text.removeprefix(":publish").strip() or "Breaking news")
        else:
            self.api.push_message(text, user=self.you)

    async def press(self, number: int) -> None:
        if not 1 <= number <= len(self.buttons):
            click.echo(f"(no button {number})")
            return
        button, message = self.buttons[number - 1]
        if "callback_data" in button:
            self.api.push_callback(button["callback_data"], message=message, user=self.you)
        elif "url" in button:
            click.echo(f"(would open {button['url']})")
        else:
            click.echo(f"(in Telegram you would now type: @{BOT_USER['username']} "
                       f"{button.get('switch_inline_query', '')})")  # fmt: skip

    async def publish(self, title: str) -> None:
        article = NewArticle(
            url=f"https://demo.articlebot.invalid/new/{uuid.uuid4().hex[:8]}",
            title=title,
            summary="Published from the sandbox.",
            source="sandbox",
        )
        stored = await self.storage.articles.add(article, notify_chat_id=YOU)
        worker = self.application.bot_data.worker
        if worker is not None:
            worker.wake()
        click.echo(f"(published #{stored.id}; its broadcast starts now)")

    async def show_replies(self, start: int) -> None:
        async for call in self.api.follow(start):
            chat_id = call.get("chat_id")
            if call.method in ("sendMessage", "editMessageText") and chat_id == YOU:
                self.show(call)
            elif call.method == "sendPhoto" and chat_id == YOU:
                await self.show_photo(call)
            elif call.method == "answerCallbackQuery" and call.get("text"):
                click.echo(f"ⓘ {call['text']}")

    async def show_photo(self, call: Call) -> None:
        """A picture cannot be shown here: it is saved in the sandbox's folder (gone when
        the sandbox ends), and its caption shown."""
        photo = call.get("photo", b"")
        path = self.storage.db.path.parent / f"picture-{call['_result']['message_id']}.png"
        await asyncio.to_thread(path.write_bytes, photo if isinstance(photo, bytes) else b"")
        click.echo(click.style(f"\n— @{BOT_USER['username']}: [a picture, saved to {path}]",
                               dim=True))  # fmt: skip
        click.echo(to_terminal(call.get("caption", "")))

    def show(self, call: Call) -> None:
        edited = " (edited)" if call.method == "editMessageText" else ""
        click.echo(click.style(f"\n— @{BOT_USER['username']}{edited}:", dim=True))
        click.echo(to_terminal(call["text"]))
        rows = call.buttons
        if not rows:
            return
        self.buttons = []
        for row in rows:
            labels = []
            for button in row:
                self.buttons.append((button, call))
                labels.append(f"[{len(self.buttons)}] {button['text']}")
            click.echo("   ".join(labels))


def to_terminal(html_text: str) -> str:
    """Telegram HTML as terminal text: bold stays bold, links show their address."""
    text = _LINK.sub(lambda m: f"{m[2]} ({html.unescape(m[1])})", html_text)
    parts = _BOLD.split(text)
    return "".join(
        click.style(html.unescape(_TAG.sub("", part)), bold=True)
        if index % 2
        else html.unescape(_TAG.sub("", part))
        for index, part in enumerate(parts)
    )
