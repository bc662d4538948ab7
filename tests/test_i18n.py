"""Every text the bot says is in the catalog, and Spanish is complete."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path

from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

from bot.i18n import LOCALES, Catalog

ROOT = Path(__file__).resolve().parent.parent
PLACEHOLDER = re.compile(r"\{\w+\}")
TAG = re.compile(r"</?\w+>")


def source_messages() -> set[str]:
    """Every text of the bot and every error sentence of storage (`N_`)."""
    keywords = {"_": None, "gettext": None, "ngettext": (1, 2), "N_": None}
    found = [
        message
        for package in ("bot", "storage")
        for _, _, message, _, _ in extract_from_dir(
            str(ROOT / package), method_map=[("**.py", "python")], keywords=keywords
        )
    ]
    return {msg if isinstance(msg, str) else msg[0] for msg in found}


def test_spanish_translates_every_message_with_the_same_placeholders_and_tags() -> None:
    with (LOCALES / "es/LC_MESSAGES/articlebot.po").open("rb") as po_file:
        spanish = read_po(po_file, locale="es")
    wanted = source_messages()
    assert len(wanted) > 30
    for msgid in wanted:
        message = spanish.get(msgid)
        assert message is not None, f"not in the Spanish catalog: {msgid!r}"
        assert not message.fuzzy, msgid
        translations = [message.string] if isinstance(message.string, str) else message.string
        for text in translations:
            assert text, f"untranslated: {msgid!r}"
            assert sorted(PLACEHOLDER.findall(text)) == sorted(PLACEHOLDER.findall(msgid)), msgid
            assert sorted(TAG.findall(text)) == sorted(TAG.findall(msgid)), msgid


def test_template_is_current() -> None:
    with (LOCALES / "articlebot.pot").open("rb") as pot_file:
        template = {m.id if isinstance(m.id, str) else m.id[0] for m in read_po(pot_file) if m.id}
    assert template == source_messages(), "run `make messages`"


def test_language_follows_telegram_language_code() -> None:
    catalog = Catalog.load()
    assert catalog.for_language("es-419").gettext("/help — this message") == "/help — este mensaje"
    assert catalog.for_language("ES").language == "es"
    assert catalog.for_language("de").language == "en"
    assert catalog.for_language(None).language == "en"
    assert catalog.for_language("es").ngettext("{count} result", "{count} results", 1) == (
        "1 resultado"
    )
    moment = datetime(2026, 11, 28, 10, tzinfo=UTC)
    assert catalog.for_language("en").date(moment) == "Nov 28, 2026"
    assert catalog.for_language("es").date(moment) == "28 nov 2026"
