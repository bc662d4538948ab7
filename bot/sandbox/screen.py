"""How the sandbox shows Telegram in a terminal: HTML as styled text, and buttons numbered
so that a number always means the button it was printed next to."""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, field
from typing import Any

import click

from bot.sandbox.messages import Call

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


_RICH_BLOCK = re.compile(r"<(h[1-6]|p|li|blockquote|footer|hr|img)\b([^>]*)>", re.S)
_SOURCE = re.compile(r'src="([^"]*)"')
_OPENING_PARAGRAPH = re.compile(r"<(blockquote|li)\b[^>]*>\s*<p\b[^>]*>", re.S)


def rich_to_terminal(rich_html: str) -> str:
    """A rich message's HTML as terminal text: a line per block, headings bold, list
    items bulleted, quotations barred, pictures named."""

    def block(match: re.Match[str]) -> str:
        tag, attributes = match[1], match[2]
        if tag.startswith("h"):
            return "\n\n<b>"
        if tag == "li":
            return "\n  • "
        if tag == "blockquote":
            return "\n  │ "
        if tag == "hr":
            return "\n────────"
        if tag == "img":
            found = _SOURCE.search(attributes)
            return f"\n[🖼 {found[1] if found else ''}]"
        return "\n"

    text = _OPENING_PARAGRAPH.sub(r"<\1>", rich_html)  # a quote's text stays on its bar
    text = _RICH_BLOCK.sub(block, text)
    text = re.sub(r"</h[1-6]>", "</b>", text)
    return to_terminal(text).strip()


@dataclass(frozen=True)
class Pressable:
    """A button as printed: what it does, the message (call) that carried it, and where it
    is seen (a chat's id; inline results: ("inline", the user who asked))."""

    button: dict[str, Any]
    message: Call | None
    place: object


@dataclass
class Buttons:
    """Every button printed gets a number of its own, for the whole session: typing it
    presses that button, whatever was printed since. A message edited with the same
    buttons (a broadcast's progress) keeps their numbers; buttons edited away stop working,
    as they do on Telegram."""

    pressable: dict[int, Pressable] = field(default_factory=dict)
    gone: set[int] = field(default_factory=set)
    _numbers: dict[tuple[object, ...], int] = field(default_factory=dict)

    def number(
        self, button: dict[str, Any], message: Call | None, key: object, place: object
    ) -> int:
        """The number of `button` of the message known by `key` (a message id)."""
        identity = self._identity(button, key)
        if identity not in self._numbers:
            self._numbers[identity] = len(self._numbers) + 1
        number = self._numbers[identity]
        self.pressable[number] = Pressable(button, message, place)  # the latest version of it
        self.gone.discard(number)
        return number

    def labels(
        self, rows: list[list[dict[str, Any]]], message: Call | None, key: object, place: object
    ) -> str:
        self.retire(key, keep=rows)
        return "\n".join(
            "   ".join(
                f"[{self.number(button, message, key, place)}] {button['text']}" for button in row
            )
            for row in rows
        )

    def retire(self, key: object, keep: list[list[dict[str, Any]]] | None = None) -> None:
        """The message known by `key` was edited: its buttons not among `keep` are gone."""
        kept = {self._identity(button, key) for row in keep or [] for button in row}
        for identity, number in self._numbers.items():
            if identity[0] == key and identity not in kept and number in self.pressable:
                del self.pressable[number]
                self.gone.add(number)

    def get(self, number: int) -> Pressable | None:
        return self.pressable.get(number)

    @staticmethod
    def _identity(button: dict[str, Any], key: object) -> tuple[object, ...]:
        return (key, button.get("text"), button.get("callback_data"), button.get("url"))
