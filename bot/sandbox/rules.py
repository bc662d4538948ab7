"""What Telegram does with the text of a message, as the Bot API documents it (and tdlib,
its server side, implements it): where command entities end, which HTML parses, how long a
text may be. The stand-in applies these rules; they are taken from the documentation and
tdlib's source, never from the bot they test.
"""

from __future__ import annotations

import re
from typing import Any


def command_entities(text: str) -> list[dict[str, Any]]:
    """The `bot_command` entities Telegram marks in `text` (tdlib's match_bot_commands): a
    `/` not after a word character or `/<>`, 1-64 of `[A-Za-z0-9_]`, optionally `@` and a
    3-32 character username, and then no word character or `/<>`. So `/stats.` is the
    command `/stats`, and `/stats/x` no command at all. Offsets count UTF-16 code units."""
    entities = []
    for match in _COMMAND.finditer(text):
        before, after = text[: match.start()], text[match.end() :]
        if _breaks_command(before[-1:]) or _breaks_command(after[:1]):
            continue
        entities.append(
            {
                "type": "bot_command",
                "offset": utf16_len(before),
                "length": utf16_len(match.group()),
            }
        )
    return entities


_COMMAND = re.compile(r"/[A-Za-z0-9_]{1,64}(?:@[A-Za-z0-9_]{3,32})?(?![A-Za-z0-9_@])")


def _breaks_command(char: str) -> bool:
    """A word character, `/`, `<` or `>` (tdlib's is_word_character and the three)."""
    return bool(char) and (char.isalnum() or char in "_/<>\u200c")


def utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


class ApiError(Exception):
    """A refusal as the Bot API words it; most are 400 Bad Request."""

    def __init__(self, description: str, code: int = 400) -> None:
        self.description = description
        self.code = code


def check_text(params: dict[str, Any], field: str = "text", limit: int = 4096) -> None:
    """What Telegram checks of a text or caption: with parse_mode HTML, markup it can
    parse; then at most `limit` characters of what a reader sees, in UTF-16 code units."""
    text = params.get(field, "")
    if params.get("parse_mode") == "HTML":
        text = telegram_html_text(text)
    if field == "text" and not text.strip():
        raise ApiError("Bad Request: message text is empty")
    if utf16_len(text) > limit:
        raise ApiError(
            "Bad Request: message is too long"
            if field == "text"
            else "Bad Request: message caption is too long"
        )


# The Bot API's HTML style (core.telegram.org/bots/api#html-style): these tags only, the
# named entities &lt; &gt; &amp; &quot; and numeric ones; every tag closed, innermost first.
HTML_TAGS = frozenset(
    {
        "b",
        "strong",
        "i",
        "em",
        "u",
        "ins",
        "s",
        "strike",
        "del",
        "span",
        "tg-spoiler",
        "a",
        "tg-emoji",
        "code",
        "pre",
        "blockquote",
    }
)
_HTML_TAG = re.compile(r"<(/?)([A-Za-z][A-Za-z0-9-]*)(\s[^<>]*)?>")
_HTML_ENTITY = re.compile(r"&(lt|gt|amp|quot|#[0-9]{1,7}|#x[0-9A-Fa-f]{1,6});")
_NAMED = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}


def telegram_html_text(markup: str) -> str:
    """The text Telegram shows for `markup`, or the 400 it answers when it cannot parse it."""
    shown: list[str] = []
    open_tags: list[str] = []
    at = 0
    while at < len(markup):
        char = markup[at]
        if char == "<":
            tag = _HTML_TAG.match(markup, at)
            if tag is None:
                raise ApiError(
                    f"Bad Request: can't parse entities: Unexpected character at "
                    f"byte offset {len(markup[:at].encode())}"
                )
            closing, name = tag.group(1) == "/", tag.group(2).lower()
            if name not in HTML_TAGS:
                raise ApiError(
                    f'Bad Request: can\'t parse entities: Unsupported start tag "{name}"'
                )
            if not closing:
                open_tags.append(name)
            elif not open_tags or open_tags[-1] != name:
                raise ApiError(f'Bad Request: can\'t parse entities: Unmatched end tag "{name}"')
            else:
                open_tags.pop()
            at = tag.end()
        elif char == "&" and (entity := _HTML_ENTITY.match(markup, at)):
            name = entity.group(1)
            shown.append(
                _NAMED.get(name) or chr(int(name[2:], 16) if name[1] == "x" else int(name[1:]))
            )
            at = entity.end()
        else:
            shown.append(char)
            at += 1
    if open_tags:
        raise ApiError(
            "Bad Request: can't parse entities: Can't find end tag corresponding "
            f'to start tag "{open_tags[-1]}"'
        )
    return "".join(shown)
