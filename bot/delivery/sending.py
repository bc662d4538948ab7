"""How one card goes out: encoded once per article and language, sent by a Bot that does
not parse the answer, at a pace each chat can take."""

from __future__ import annotations

import json
from collections import deque
from dataclasses import dataclass, field

from telegram import Bot, InputMediaPhoto, LinkPreviewOptions
from telegram.constants import ParseMode

from bot import render
from storage.kinds import CardStyle, ChatType

PER_CHAT_GAP = 1.0  # seconds between two messages to one chat
GROUP_PER_MINUTE = 20  # messages a minute to one group or channel


@dataclass
class Pacer:
    """When each chat may get its next message: a second after its last one, and for groups
    and channels also no more than 20 in a minute. Private chats keep one float each."""

    last: dict[int, float] = field(default_factory=dict)
    groups: dict[int, deque[float]] = field(default_factory=dict)

    def ready_at(self, chat_id: int, chat_type: ChatType) -> float:
        ready = self.last.get(chat_id, -PER_CHAT_GAP) + PER_CHAT_GAP
        sent = self.groups.get(chat_id)
        if chat_type != ChatType.PRIVATE and sent is not None and len(sent) >= GROUP_PER_MINUTE:
            ready = max(ready, sent[0] + 60.0)
        return ready

    def record(self, chat_id: int, chat_type: ChatType, at: float) -> None:
        self.last[chat_id] = at
        if chat_type != ChatType.PRIVATE:
            self.groups.setdefault(chat_id, deque(maxlen=GROUP_PER_MINUTE)).append(at)

    def forget_past(self, now: float) -> None:
        """Drop what can no longer hold a chat back: its last send over a second ago, a
        group's sends over a minute ago."""
        self.last = {chat: at for chat, at in self.last.items() if at > now - PER_CHAT_GAP}
        self.groups = {chat: sent for chat, sent in self.groups.items() if sent[-1] > now - 60}


@dataclass(frozen=True, slots=True)
class Card:
    """A broadcast card as sent: its buttons and link preview are JSON-encoded once, here,
    and passed through `api_kwargs` (PTB sends strings as they are), because encoding them
    again for each of a hundred thousand recipients is a tenth of a delivery's CPU. A photo
    card is the picture with the text as its caption."""

    text: str
    parse_mode: str | None
    encoded: dict[str, str]
    style: CardStyle = CardStyle.PREVIEW
    photo: str | None = None  # the picture's URL, for a photo card

    @classmethod
    def of(cls, reply: render.Reply, style: CardStyle = CardStyle.PREVIEW) -> Card:
        """A text card, or a photo card when `style` is photo and the reply has a picture."""
        encoded = {}
        if reply.markup is not None:
            encoded["reply_markup"] = json.dumps(reply.markup.to_dict())
        if style is CardStyle.PHOTO and reply.photo:
            return cls(render.caption(reply.text), ParseMode.HTML, encoded, style, reply.photo)
        preview = reply.link_preview if style is CardStyle.PREVIEW else NO_PREVIEW
        encoded["link_preview_options"] = json.dumps(preview.to_dict())
        return cls(reply.text, ParseMode.HTML, encoded, CardStyle(style))

    @classmethod
    def caption_of(cls, reply: render.Reply) -> Card:
        """A photo card's caption and buttons without a picture: what correcting a photo
        card whose article has lost its picture edits."""
        encoded = {"reply_markup": json.dumps(reply.markup.to_dict())} if reply.markup else {}
        return cls(render.caption(reply.text), ParseMode.HTML, encoded, CardStyle.PHOTO)

    def plain(self) -> Card:
        """The text without its HTML, buttons or preview: what still goes out when Telegram
        refuses the markup."""
        return Card(render.plain_text(self.text), None, {}, self.style, self.photo)


NO_PREVIEW = LinkPreviewOptions(is_disabled=True)


class BroadcastBot(Bot):
    """The worker's Bot: it sends cards without parsing the Message Telegram answers. A
    broadcast needs only the message id, and a card Telegram accepted (`ok: true`) is sent,
    even when the answer carries fields this python-telegram-bot cannot read; taking it for
    a failure would send the card again and again."""

    async def send_card(
        self, chat_id: int, card: Card, *, thread_id: int | None, paid: bool, silent: bool = False
    ) -> int | None:
        """Send a card; returns its message id, when the answer has one."""
        data: dict[str, object] = {
            "chat_id": chat_id,
            "parse_mode": card.parse_mode,
            "message_thread_id": thread_id,
            "allow_paid_broadcast": paid or None,
            "disable_notification": silent or None,
        }
        if card.photo is not None:
            data |= {"photo": card.photo, "caption": card.text}
            result = await self._post("sendPhoto", data, api_kwargs=card.encoded)
        else:
            data["text"] = card.text
            result = await self._post("sendMessage", data, api_kwargs=card.encoded)
        message_id = result.get("message_id") if isinstance(result, dict) else None
        return message_id if isinstance(message_id, int) else None

    async def edit_card(
        self, chat_id: int, message_id: int, card: Card, *, media: bool = False
    ) -> None:
        """Show `card` in a card already sent, as what it was sent as: a text card's text,
        a photo card's caption, or with `media` its picture too."""
        where: dict[str, object] = {"chat_id": chat_id, "message_id": message_id}
        styled = {**where, "parse_mode": card.parse_mode}
        if card.style is not CardStyle.PHOTO:
            text = {**styled, "text": card.text}
            await self._post("editMessageText", text, api_kwargs=card.encoded)
        elif media and card.photo is not None:
            # PTB fills in an InputMedia's defaults itself: a JSON string would not do.
            photo = InputMediaPhoto(card.photo, caption=card.text, parse_mode=card.parse_mode)
            await self._post(
                "editMessageMedia", {**where, "media": photo}, api_kwargs=card.encoded
            )
        else:
            caption = {**styled, "caption": card.text}
            await self._post("editMessageCaption", caption, api_kwargs=card.encoded)
