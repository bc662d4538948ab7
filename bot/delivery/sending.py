"""How one card goes out: encoded once per article and language, sent by a Bot that does
not parse the answer, at a pace each chat can take."""

from __future__ import annotations

import json
from collections import deque
from dataclasses import dataclass, field

from telegram import Bot
from telegram.constants import ParseMode

from bot import render
from storage.kinds import ChatType

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
    again for each of a hundred thousand recipients is a tenth of a delivery's CPU."""

    text: str
    parse_mode: str | None
    encoded: dict[str, str]

    @classmethod
    def of(cls, reply: render.Reply) -> Card:
        encoded = {"link_preview_options": json.dumps(reply.link_preview.to_dict())}
        if reply.markup is not None:
            encoded["reply_markup"] = json.dumps(reply.markup.to_dict())
        return cls(reply.text, ParseMode.HTML, encoded)

    def plain(self) -> Card:
        """The text without its HTML, buttons or preview: what still goes out when Telegram
        refuses the markup."""
        return Card(render.plain_text(self.text), None, {})


class BroadcastBot(Bot):
    """The worker's Bot: it sends cards without parsing the Message Telegram answers. A
    broadcast needs only the message id, and a card Telegram accepted (`ok: true`) is sent,
    even when the answer carries fields this python-telegram-bot cannot read; taking it for
    a failure would send the card again and again."""

    async def send_card(
        self, chat_id: int, card: Card, *, thread_id: int | None, paid: bool, silent: bool = False
    ) -> int | None:
        """Send a card; returns its message id, when the answer has one."""
        data = {
            "chat_id": chat_id,
            "text": card.text,
            "parse_mode": card.parse_mode,
            "message_thread_id": thread_id,
            "allow_paid_broadcast": paid or None,
            "disable_notification": silent or None,
        }
        result = await self._post("sendMessage", data, api_kwargs=card.encoded)
        message_id = result.get("message_id") if isinstance(result, dict) else None
        return message_id if isinstance(message_id, int) else None
