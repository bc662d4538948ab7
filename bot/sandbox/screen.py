"""How the sandbox shows Telegram in a terminal: HTML as styled text, and buttons numbered
so that a number always means the button it was printed next to."""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, field
from typing import Any

import click

from bot.sandbox.standin import Call

_LINK = re.compile(r'<a href="([^"]*)">(.*?)</a>', re.S)
_BOLD = re.compile(r"<b>(.*?)</b>", re.S)
_TAG = re.compile(r"</?[a-z][^>]*>")


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


@dataclass(frozen=True)
class Pressable:
    """A button as printed: what it does, and the message (call) that carried it."""

    button: dict[str, Any]
    message: Call | None


@dataclass
class Buttons:
    """Every button printed gets a number of its own, for the whole session: typing it
    presses that button, whatever was printed since. A message edited with the same
    buttons (a broadcast's progress) keeps their numbers."""

    pressable: dict[int, Pressable] = field(default_factory=dict)
    _numbers: dict[tuple[object, ...], int] = field(default_factory=dict)

    def number(self, button: dict[str, Any], message: Call | None, key: object) -> int:
        """The number of `button` of the message known by `key` (a message id)."""
        identity = (key, button.get("text"), button.get("callback_data"), button.get("url"))
        if identity not in self._numbers:
            self._numbers[identity] = len(self.pressable) + 1
        number = self._numbers[identity]
        self.pressable[number] = Pressable(button, message)  # the latest version of it
        return number

    def labels(self, rows: list[list[dict[str, Any]]], message: Call | None, key: object) -> str:
        return "\n".join(
            "   ".join(f"[{self.number(button, message, key)}] {button['text']}" for button in row)
            for row in rows
        )

    def get(self, number: int) -> Pressable | None:
        return self.pressable.get(number)
