"""The stand-in marks commands as Telegram does (tdlib's match_bot_commands), not as the bot
assumes: a test that shares the bot's beliefs proves nothing."""

from __future__ import annotations

import pytest

from bot.sandbox.rules import command_entities


@pytest.mark.parametrize(
    ("text", "commands"),
    [
        ("/stats", ["/stats"]),
        ("/stats.", ["/stats"]),
        ("/feeds, add https://x 20", ["/feeds"]),
        ("/scheduled!", ["/scheduled"]),
        ("/stats\nmore", ["/stats"]),
        ("/stats@articlebot_test_bot now", ["/stats@articlebot_test_bot"]),
        ("/stats@ab", []),  # a username has 3 to 32 characters
        ("/stats/x", []),
        ("/statsé", []),
        ("a/stats", []),
        ("see /help, or /latest", ["/help", "/latest"]),
        ("/" + "a" * 65, []),
        ("/", []),
    ],
)
def test_command_entities_follow_telegram(text: str, commands: list[str]) -> None:
    found = [text[e["offset"] : e["offset"] + e["length"]] for e in command_entities(text)]
    assert found == commands


def test_offsets_count_utf16_code_units() -> None:
    [entity] = command_entities("🙂 /help")
    assert (entity["offset"], entity["length"]) == (3, 5)
