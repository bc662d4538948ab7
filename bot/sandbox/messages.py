"""The messages the bot sends and edits, answered as the Bot API documents them: texts and
captions within their limits and parseable, pictures by file_id or an HTTP URL Telegram
can fetch, rich messages (bot.sandbox.rich), and edits of a message that exists, of the
kind it edits, that change something. Mixed into the stand-in (bot.sandbox.standin)."""

from __future__ import annotations

import itertools
import time
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any

from bot.sandbox.rich import check_rich_message
from bot.sandbox.rules import ApiError, check_text

BOT_USER = {
    "id": 123456,
    "is_bot": True,
    "first_name": "Articlebot",
    "username": "articlebot_test_bot",
    "can_join_groups": True,
    "can_read_all_group_messages": False,
    "supports_inline_queries": True,
}
SHOWN_KEPT = 10_000  # messages whose content the stand-in remembers


@dataclass
class Call:
    """One Bot API request the bot made."""

    method: str
    params: dict[str, Any]
    at: float = field(default_factory=time.monotonic)

    def __getitem__(self, key: str) -> Any:
        return self.params[key]

    def get(self, key: str, default: Any = None) -> Any:
        return self.params.get(key, default)

    @property
    def text(self) -> str:
        """What the message shows: its text, or a photo's caption."""
        return str(self.params.get("text", self.params.get("caption", "")))

    @property
    def buttons(self) -> list[list[dict[str, Any]]]:
        markup = self.params.get("reply_markup") or {}
        rows: list[list[dict[str, Any]]] = markup.get("inline_keyboard", [])
        return rows

    def button_texts(self) -> list[str]:
        return [b["text"] for row in self.buttons for b in row]

    def button_data(self) -> list[str]:
        return [b["callback_data"] for row in self.buttons for b in row if "callback_data" in b]


class Messages:
    chats: dict[int | str, dict[str, Any]]
    imperfect: bool

    def __init__(self) -> None:
        super().__init__()  # the stand-in's other parts (bot.sandbox.faults)
        self.messages_sent = 0  # successful sendMessage calls, counted cheaply
        # Picture URLs Telegram cannot fetch: sendPhoto and editMessageMedia answer as it
        # does. Without rich_messages, sendRichMessage is a method this Bot API lacks.
        self.unreachable_photos: set[str] = set()
        self.rich_messages = True
        # What each message the bot sent shows now (text or caption as sent, markup, its
        # picture), so that an edit that changes nothing is refused as Telegram refuses
        # it. The oldest are forgotten.
        self._shown: OrderedDict[tuple[Any, Any], tuple[str, Any, Any]] = OrderedDict()
        self._message_ids = itertools.count(1000)

    @staticmethod
    def private_chat(chat_id: int = 42) -> dict[str, Any]:
        return {"id": chat_id, "type": "private", "first_name": f"User{chat_id}"}

    async def _api_sendMessage(self, params: dict[str, Any]) -> Any:
        check_text(params)
        self.messages_sent += 1
        message = self._message(params)
        self._show(params["chat_id"], message["message_id"], params)
        return message

    async def _api_sendPhoto(self, params: dict[str, Any]) -> Any:
        check_text(params, "caption", limit=1024)
        photo = params.get("photo")
        if isinstance(photo, str):
            self._fetch_photo(photo)
        message = self._message({**params, "text": ""})
        del message["text"]
        message["photo"] = [
            {"file_id": "photo1", "file_unique_id": "p1", "width": 1200, "height": 800}
        ]
        if params.get("caption"):
            message["caption"] = params["caption"]
        shown = {"text": params.get("caption", ""), "reply_markup": params.get("reply_markup")}
        self._show(params["chat_id"], message["message_id"], shown, photo=str(photo))
        return message

    def _fetch_photo(self, photo: str) -> None:
        """sendPhoto's `photo` is a file_id or an HTTP URL Telegram fetches (Bot API,
        "Sending files")."""
        if not photo.startswith(("http://", "https://")) and not photo.startswith("photo"):
            raise ApiError("Bad Request: wrong file identifier/HTTP URL specified")
        if photo in self.unreachable_photos:
            raise ApiError("Bad Request: failed to get HTTP URL content")

    async def _api_sendRichMessage(self, params: dict[str, Any]) -> Any:
        """Bot API 10.1: the message, its rich content checked (bot.sandbox.rich)."""
        rich = check_rich_message(params.get("rich_message"))
        message = self._message({**params, "text": ""})
        del message["text"]
        message["rich_message"] = rich
        return message

    async def _api_editMessageText(self, params: dict[str, Any]) -> Any:
        check_text(params)
        if "inline_message_id" in params:
            return True
        key = self._editable(params)
        if key in self._shown and self._shown[key][2] is not None:
            raise ApiError("Bad Request: there is no text in the message to edit")
        self._show(*key, params, edit=True)
        return self._message(params, message_id=params.get("message_id"))

    async def _api_editMessageCaption(self, params: dict[str, Any]) -> Any:
        check_text(params, "caption", limit=1024)
        key = self._editable(params)
        photo = self._shown[key][2] if key in self._shown else None
        if key in self._shown and photo is None:
            raise ApiError("Bad Request: there is no caption in the message to edit")
        shown = {"text": params.get("caption", ""), "reply_markup": params.get("reply_markup")}
        self._show(*key, shown, edit=True, photo=photo)
        return self._message(params, message_id=params.get("message_id"))

    async def _api_editMessageMedia(self, params: dict[str, Any]) -> Any:
        media = params.get("media")
        if not isinstance(media, dict) or media.get("type") != "photo":
            raise ApiError("Bad Request: can't parse InputMedia: media type is not photo")
        check_text(media, "caption", limit=1024)
        self._fetch_photo(str(media.get("media", "")))
        key = self._editable(params)
        shown = {"text": media.get("caption", ""), "reply_markup": params.get("reply_markup")}
        self._show(*key, shown, edit=True, photo=str(media["media"]))
        return self._message(params, message_id=params.get("message_id"))

    async def _api_editMessageReplyMarkup(self, params: dict[str, Any]) -> Any:
        key = (params.get("chat_id"), params.get("message_id"))
        if key in self._shown:
            text, _, photo = self._shown[key]
            markup = {"text": text, "reply_markup": params.get("reply_markup")}
            self._show(*key, markup, edit=True, photo=photo)
        return self._message(params, message_id=params.get("message_id"))

    def _editable(self, params: dict[str, Any]) -> tuple[Any, Any]:
        """The message an edit names; one never sent is "not found", as Telegram says."""
        message_id = params.get("message_id")
        if not isinstance(message_id, int) or message_id >= self._next_message_id():
            raise ApiError("Bad Request: message to edit not found")
        return (params.get("chat_id"), message_id)

    def _next_message_id(self) -> int:
        issued = next(self._message_ids)
        self._message_ids = itertools.count(issued)
        return issued

    def shown(self, chat_id: Any, message_id: Any) -> tuple[str, Any, Any] | None:
        """What a message shows now: (text or caption, markup, picture or None)."""
        return self._shown.get((chat_id, message_id))

    def _show(
        self,
        chat_id: Any,
        message_id: Any,
        params: dict[str, Any],
        *,
        edit: bool = False,
        photo: str | None = None,
    ) -> None:
        """Remember what a message shows. An edit to exactly what it shows already is refused
        with the Bot API's own description (editMessageText, editMessageReplyMarkup). The
        text is compared as sent: the same markup is surely the same message (Telegram
        compares text and entities, which differently written HTML may still match)."""
        shown = (params.get("text", ""), params.get("reply_markup") or None, photo)
        key = (chat_id, message_id)
        if edit and self._shown.get(key) == shown:
            raise ApiError(
                "Bad Request: message is not modified: specified new message content and "
                "reply markup are exactly the same as a current content and reply markup of "
                "the message"
            )
        self._shown[key] = shown
        self._shown.move_to_end(key)
        while len(self._shown) > SHOWN_KEPT:
            self._shown.popitem(last=False)

    async def _api_deleteMessage(self, params: dict[str, Any]) -> Any:
        return True

    def _message(self, params: dict[str, Any], message_id: int | None = None) -> dict[str, Any]:
        chat_id = params.get("chat_id")
        chat = self.chats.get(chat_id or 0) or (
            self.private_chat(chat_id)
            if isinstance(chat_id, int) and chat_id > 0
            else {"id": chat_id, "type": "supergroup", "title": "Group"}
        )
        message: dict[str, Any] = {
            "message_id": message_id or next(self._message_ids),
            "date": int(time.time()),
            "chat": chat,
            "from": BOT_USER,
            "text": params.get("text", ""),
        }
        if params.get("reply_markup"):
            message["reply_markup"] = params["reply_markup"]
        if params.get("message_thread_id"):
            message["message_thread_id"] = params["message_thread_id"]
        if self.imperfect:
            message["date"] = time.time()  # a float
            del message["from"]  # optional
        return message
