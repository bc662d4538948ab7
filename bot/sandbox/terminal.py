"""`articlebot sandbox`: try the bot with no token and no network.

The Bot API stand-in on loopback, a fresh database with demo articles, the real bot against
both, and Telegram in this terminal: you are an admin or a reader, in a private chat or a
group, you own a channel, and you can use inline mode. Replies are shown readably (bold,
links, numbered buttons); type a button's number to press it.
"""

from __future__ import annotations

import asyncio
import html
import sys
import tempfile
import uuid
from pathlib import Path
from typing import Any

import click
from pydantic import SecretStr

from bot.app import build_application
from bot.context import BotApplication
from bot.i18n import Catalog
from bot.runtime.running import polling
from bot.sandbox.demo import demo_articles
from bot.sandbox.messages import BOT_USER, Call
from bot.sandbox.screen import Buttons, rich_to_terminal, to_terminal
from bot.sandbox.standin import BotApiStandIn
from config import Settings
from storage import ChatInfo, NewArticle, Storage, clock
from storage.errors import N_
from storage.kinds import ChatType

YOU = 1  # an admin of the bot
READER = 2  # someone who is not
GROUP = -100_200  # a group you administer, the reader a member
CHANNEL = -100_300  # a channel you created, in which the bot may post
CHANNEL_NAME = "sandboxnews"
SUBSCRIBERS_FROM = 1_000_000
MAX_SUBSCRIBERS = 10_000
DEEP_LINK = f"https://t.me/{BOT_USER['username']}?start="
QUIET = 0.3  # seconds without a Bot API call before the prompt comes back
SILENT = 1.5  # seconds the bot may take to start answering
MAX_WAIT = 5.0

INTRO = N_(
    "You are user {you}, an admin, in a private chat with @{bot}. Type what you would send "
    "on Telegram: /start, /latest, /search peru, /subscribe, /help ...\n"
    "  1, 2, ...            press the button printed with that number\n"
    "  @{bot} peru    inline mode: share an article from any chat\n"
    "  :as reader           be someone who is not an admin (:as admin to come back)\n"
    "  :in group            write in a group you administer (:in private to come back)\n"
    "  /subscribe @{channel}   subscribe the channel you own; what the bot posts there "
    "shows here\n"
    "  :publish Title       publish a new article ({subscribers} simulated subscribers get "
    "it)\n"
    "  :later 1d            move the bot's clock on (30m, 8h, 1d…): digests, schedules, "
    "replies\n"
    "  quit                 leave"
)


async def run_sandbox(subscribers: int = 0, language: str = "en") -> None:
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
                await storage.articles.add_many(demo_articles(language=language))
                for n in range(subscribers):
                    await storage.chats.subscribe(ChatInfo(SUBSCRIBERS_FROM + n, ChatType.PRIVATE))
                application = build_application(settings, storage)
                async with polling(application, poll_timeout=1):
                    chat = TerminalChat(api, storage, application, language)
                    try:
                        await chat.run(subscribers)
                    finally:
                        api.drain()
            finally:
                await storage.close()


class TerminalChat:
    def __init__(
        self, api: BotApiStandIn, storage: Storage, application: BotApplication, language: str
    ) -> None:
        self.api = api
        self.storage = storage
        self.application = application
        self.t = Catalog.load().for_language(language)
        self.admin = api.user(YOU, language_code=language)
        self.reader = api.user(READER, language_code=language)
        self.user = self.admin
        self.group = api.group_chat(GROUP, self.t.gettext("Sandbox group"))
        self.in_group = False
        self.buttons = Buttons()
        self.channel = api.channel(CHANNEL, CHANNEL_NAME)
        api.chats.update(
            {GROUP: self.group, CHANNEL: self.channel, f"@{CHANNEL_NAME}": self.channel}
        )
        api.set_member(GROUP, api.administrator(self.admin))
        api.set_member(GROUP, api.member(self.reader))
        api.set_member(CHANNEL, api.member(self.admin, "creator"))
        api.set_member(CHANNEL, api.administrator(BOT_USER, can_post_messages=True))

    async def run(self, subscribers: int) -> None:
        printer = asyncio.create_task(self.show_replies(self.api.mark()))
        click.echo(
            self.t.gettext(
                INTRO,
                you=YOU,
                bot=BOT_USER["username"],
                channel=CHANNEL_NAME,
                subscribers=subscribers,
            )
        )
        try:
            await self.say("/start")
            while True:
                click.echo(f"\n{self.prompt}> ", nl=False)
                line = await asyncio.to_thread(sys.stdin.readline)
                text = line.strip()
                if not line or text in ("quit", "exit", ":quit"):
                    break
                if text:
                    await self.say(text)
        finally:
            printer.cancel()

    @property
    def prompt(self) -> str:
        who = "admin" if self.user is self.admin else "reader"
        return f"{who}@{'group' if self.in_group else 'private'}"

    async def say(self, text: str) -> None:
        """One typed line: a button's number, a sandbox command, or a message to the bot;
        returns once the bot has answered (or after a few seconds)."""
        mark = self.api.mark()
        inline_prefix = f"@{BOT_USER['username']}"
        if text.isdigit():
            if not self.press(int(text)):
                return  # shown here; nothing went to the bot
        elif text.startswith(":publish"):
            await self.publish(text.removeprefix(":publish").strip() or "Breaking news")
        elif text.startswith((":as", ":in")):
            self.switch(text)
            return
        elif text.startswith(":later"):
            self.later(text.removeprefix(":later").strip())
        elif text.split()[0] == inline_prefix:
            self.api.push_inline_query(text.removeprefix(inline_prefix).strip(), user=self.user)
        else:
            chat = self.group if self.in_group else None
            self.api.push_message(text, user=self.user, chat=chat)
        await self.settle(mark)

    def switch(self, command: str) -> None:
        verb, _, value = command.partition(" ")
        _ = self.t.gettext
        if verb == ":as" and value in ("admin", "reader"):
            self.user = self.admin if value == "admin" else self.reader
        elif verb == ":in" and value in ("group", "private"):
            self.in_group = value == "group"
        else:
            click.echo(_("(:as admin, :as reader, :in private or :in group)"))
            return
        who = _("an admin") if self.user is self.admin else _("a reader, not an admin")
        where = self.group["title"] if self.in_group else _("your private chat with the bot")
        click.echo(
            _("(you are user {id}, {who}, in {where})", id=self.user["id"], who=who, where=where)
        )

    def later(self, amount: str) -> None:
        """Move the clock on — the one the whole bot reads (storage.clock): replies, digests,
        scheduled articles and the outbox agree on the new time."""
        units = {"m": 60, "h": 3600, "d": 86400}
        number, unit = amount[:-1], amount[-1:]
        if not number.isdigit() or unit not in units:
            click.echo(self.t.gettext("(:later 30m, :later 8h or :later 1d)"))
            return
        ahead = clock.move_ahead(int(number) * units[unit])
        data = self.application.bot_data
        for loop in (data.scheduler, data.worker):
            if loop is not None:
                loop.wake()
        hours = f"{ahead / 3600:.1f}"
        click.echo(self.t.gettext("(the clock is now {hours} h ahead)", hours=hours))

    async def settle(self, mark: int) -> None:
        """Wait until the bot has answered and been quiet for a moment (or has said
        nothing for a while): its answer is on screen before the next prompt."""
        loop = asyncio.get_running_loop()
        started = seen_at = loop.time()
        seen = mark
        while loop.time() - started < MAX_WAIT:
            await asyncio.sleep(0.05)
            if self.api.mark() != seen:
                seen, seen_at = self.api.mark(), loop.time()
            elif loop.time() - seen_at >= (QUIET if seen != mark else SILENT):
                return

    @property
    def here(self) -> int:
        """The chat being written in."""
        return GROUP if self.in_group else int(self.user["id"])

    def sees(self, place: object) -> bool:
        """Whether who you are now, where you are, has that button in front of them: the
        chat being written in, the channel (anyone may read it), your own inline results."""
        return place in (self.here, CHANNEL, ("inline", self.user["id"]))

    def press(self, number: int) -> bool:
        """Press a button; returns whether that sent the bot something."""
        _ = self.t.gettext
        pressable = self.buttons.get(number)
        if pressable is None and number in self.buttons.gone:
            click.echo(_("(button {number} is gone: its message was edited)", number=number))
            return False
        if pressable is not None and not self.sees(pressable.place):
            click.echo(
                _("(button {number} is in another chat: :as and :in go there)", number=number)
            )
            return False
        button, message = (pressable.button, pressable.message) if pressable else ({}, None)
        if "callback_data" in button and message is not None:
            self.api.push_callback(button["callback_data"], message=message, user=self.user)
        elif "switch_inline_query" in button:  # ↗ Share: Telegram types @bot and the words
            self.api.push_inline_query(button["switch_inline_query"], user=self.user)
        elif str(button.get("url", "")).startswith(DEEP_LINK):  # 📖 Open in the bot
            start = "/start " + button["url"].removeprefix(DEEP_LINK)
            self.api.push_message(start, user=self.user, chat=None)
        else:
            if "input_message_content" in button:  # an inline result, chosen
                self.show_chosen(button)
            elif "url" in button:
                click.echo(self.t.gettext("(would open {url})", url=button["url"]))
            else:
                click.echo(self.t.gettext("(no button {number})", number=number))
            return False
        return True

    async def publish(self, title: str) -> None:
        """A new article with a picture and a text: its cards are photo cards with 📖."""
        slug = uuid.uuid4().hex[:8]
        summary = self.t.gettext("Published from the sandbox.")
        article = NewArticle(
            url=f"https://demo.articlebot.invalid/new/{slug}",
            title=title,
            summary=summary,
            source="sandbox",
            image=f"https://demo.articlebot.invalid/img/{slug}.jpg",
            body_html=f"<p>{html.escape(summary)}</p>",
        )
        stored = await self.storage.articles.add(article, notify_chat_id=YOU)
        worker = self.application.bot_data.worker
        if worker is not None:
            worker.wake()
        click.echo(self.t.gettext("(published #{id}; its broadcast starts now)", id=stored.id))

    # -- what the bot does -----------------------------------------------------------

    def place_name(self, chat_id: object) -> str | None:
        _ = self.t.gettext
        names: dict[int, str] = {
            YOU: _("you"),
            READER: _("the reader"),
            GROUP: self.group["title"],
            CHANNEL: f"@{CHANNEL_NAME}",
        }
        return names.get(chat_id) if isinstance(chat_id, int) else None

    async def show_replies(self, start: int) -> None:
        async for call in self.api.follow(start):
            place = self.place_name(call.get("chat_id"))
            if call.method in ("sendMessage", "editMessageText") and place:
                self.show(call, place)
            elif call.method == "editMessageReplyMarkup":
                rows = (call.get("reply_markup") or {}).get("inline_keyboard") or []
                self.buttons.retire((call.get("chat_id"), call.get("message_id")), keep=rows)
            elif call.method == "sendPhoto" and place:
                await self.show_photo(call, place)
            elif call.method in ("editMessageCaption", "editMessageMedia") and place:
                self.show_caption(call, place)
            elif call.method == "sendRichMessage" and place and "_result" in call.params:
                self.show_rich(call, place)
            elif call.method == "answerCallbackQuery" and call.get("text"):
                click.echo(f"ⓘ {call['text']}")
            elif call.method == "answerInlineQuery":
                self.show_inline(call)

    def show(self, call: Call, place: str) -> None:
        edited = self.t.gettext(" (edited)") if call.method == "editMessageText" else ""
        click.echo(click.style(f"\n— @{BOT_USER['username']} → {place}{edited}:", dim=True))
        click.echo(to_terminal(call["text"]))
        message_id = call.get("message_id") or (call.get("_result") or {}).get("message_id")
        key = (call.get("chat_id"), message_id)
        if call.buttons:
            click.echo(self.buttons.labels(call.buttons, call, key, call.get("chat_id")))
        else:
            self.buttons.retire(key)

    async def show_photo(self, call: Call, place: str) -> None:
        """A picture cannot be shown here: an uploaded one is saved in the sandbox's folder
        (gone when the sandbox ends), one by URL named; then its caption and buttons."""
        photo = call.get("photo", b"")
        if isinstance(photo, str):
            shown = self.t.gettext("[a picture: {url}]", url=photo)
        else:
            folder = Path(self.storage.db.label).parent  # the sandbox's store is a file there
            path = folder / f"picture-{call['_result']['message_id']}.png"
            await asyncio.to_thread(path.write_bytes, photo)
            shown = self.t.gettext("[a picture, saved to {path}]", path=path)
        click.echo(click.style(f"\n— @{BOT_USER['username']} → {place}: {shown}", dim=True))
        self._caption_and_buttons(call)

    def show_caption(self, call: Call, place: str) -> None:
        """A photo card corrected: its new caption (and picture)."""
        edited = self.t.gettext(" (edited)")
        click.echo(click.style(f"\n— @{BOT_USER['username']} → {place}{edited}:", dim=True))
        media = call.get("media") or {}
        if media.get("media"):
            click.echo(self.t.gettext("[a picture: {url}]", url=media["media"]))
        self._caption_and_buttons(call, media.get("caption"))

    def _caption_and_buttons(self, call: Call, caption: str | None = None) -> None:
        click.echo(to_terminal(caption if caption is not None else call.get("caption", "")))
        message_id = call.get("message_id") or (call.get("_result") or {}).get("message_id")
        if call.buttons:
            key = (call.get("chat_id"), message_id)
            click.echo(self.buttons.labels(call.buttons, call, key, call.get("chat_id")))

    def show_rich(self, call: Call, place: str) -> None:
        """A rich message, as its blocks would read: headings bold, lists with bullets,
        quotations with a bar."""
        heading = self.t.gettext("a rich message")
        click.echo(click.style(f"\n— @{BOT_USER['username']} → {place} ({heading}):", dim=True))
        click.echo(rich_to_terminal(call["rich_message"].get("html", "")))

    def show_inline(self, call: Call) -> None:
        """Inline results, as Telegram lists them above the keyboard: a number picks one."""
        results: list[dict[str, Any]] = call.get("results") or []
        heading = self.t.gettext("inline results of @{bot}:", bot=BOT_USER["username"])
        click.echo(click.style(f"\n— {heading}", dim=True))
        if not results:
            click.echo(self.t.gettext("(none)"))
        asker = ("inline", self.user["id"])
        for result in results:
            picked = {**result, "text": f"{result['title']} — {result.get('description', '')}"}
            key = ("inline", call.get("inline_query_id"))
            number = self.buttons.number(picked, None, key, asker)
            click.echo(f"[{number}] {picked['text']}")

    def show_chosen(self, result: dict[str, Any]) -> None:
        """A picked inline result is a message from you, sent via the bot, in this chat."""
        content = result["input_message_content"]
        sender = self.place_name(self.user["id"])
        where = self.group["title"] if self.in_group else self.t.gettext("the chat with the bot")
        heading = self.t.gettext(
            "{sender}, via @{bot} → {place}", sender=sender, bot=BOT_USER["username"], place=where
        )
        click.echo(click.style(f"\n— {heading}:", dim=True))
        click.echo(to_terminal(content.get("message_text", "")))
        rows = (result.get("reply_markup") or {}).get("inline_keyboard") or []
        if rows:
            key = ("chosen", result.get("id"), self.here)
            click.echo(self.buttons.labels(rows, None, key, self.here))
