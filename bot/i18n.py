"""Every text the bot says goes through here: gettext catalogs managed with Babel.

Catalogs are the `.po` files under `bot/locales/`; they are compiled in memory when the
application is built, so there is no binary `.mo` to keep in step. The language follows
the user's Telegram `language_code` and falls back to English. Article content is never
translated.
"""

from __future__ import annotations

import dataclasses
import functools
import gettext
import io
from dataclasses import dataclass
from datetime import UTC, date, datetime, tzinfo
from datetime import date as datetime_date
from pathlib import Path

from babel.dates import format_date, format_datetime, get_day_names
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

from storage import timing
from storage.errors import N_, Explained
from storage.text import fold

__all__ = ["N_", "Catalog", "Texts", "medium_date"]

DOMAIN = "articlebot"
LOCALES = Path(__file__).resolve().parent / "locales"
DEFAULT_LANGUAGE = "en"
ENGLISH_DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
# The words of /digest and /quiet in each language, as its speakers write them (folded:
# lower case, no accents); English is always understood too. Day names come from CLDR.
COMMAND_WORDS: dict[str, dict[str, str]] = {
    "es": {
        "diario": "daily",
        "diaria": "daily",
        "semanal": "weekly",
        "no": "off",
        "desactivar": "off",
        "apagado": "off",
    },
}


@dataclass(frozen=True)
class Texts:
    """The bot's words in one language."""

    language: str
    translations: gettext.NullTranslations
    zone: tzinfo = UTC  # the reader's (chat's) time zone: what day an article's date is
    link_params: str = ""  # LINK_PARAMS: added to every article link the reader is given

    def gettext(self, message: str, /, **values: object) -> str:
        text = self.translations.gettext(message)
        return text.format(**values) if values else text

    def ngettext(self, singular: str, plural: str, count: int, /, **values: object) -> str:
        text = self.translations.ngettext(singular, plural, count)
        return text.format(count=count, **values)

    def explain(self, error: Explained) -> str:
        """An error's sentence in this language, without the machine's detail, ended by a
        full stop unless it asks or ends already ("did you mean America/Lima?")."""
        text = self.gettext(error.message, **error.values)
        return text if text.endswith((".", "?", "!", "…")) else f"{text}."

    def in_zone(self, zone: tzinfo) -> Texts:
        """The same words, dates told in `zone` (a Lima evening is not tomorrow there)."""
        return dataclasses.replace(self, zone=zone)

    def link(self, url: str) -> str:
        """An article's link as the reader gets it: the publication's LINK_PARAMS added
        (its analytics sees readers from Telegram), a fragment kept last."""
        if not self.link_params:
            return url
        address, hash_mark, fragment = url.partition("#")
        joined = f"{address}{'&' if '?' in address else '?'}{self.link_params}"
        return f"{joined}{hash_mark}{fragment}"

    def date(self, moment: datetime) -> str:
        """A moment as a short date, in the reader's zone: "Nov 28, 2026" / "28 nov 2026"."""
        return medium_date(moment.astimezone(self.zone).date(), self.language)

    def moment(self, when: datetime, zone: tzinfo) -> str:
        """A moment as a chat's clock shows it, its day written as every date is (`date`):
        "Tue, Dec 1, 2026, 08:00" / "mar, 1 dic 2026, 08:00"."""
        local = when.astimezone(zone)
        weekday = format_datetime(local, "EEE", locale=self.language)
        clock = format_datetime(local, "HH:mm", locale=self.language)
        return f"{weekday}, {medium_date(local.date(), self.language)}, {clock}"

    def clock_and_day(self, when: datetime, zone: tzinfo) -> tuple[str, str]:
        """A moment as a sentence says it: ("20:34", "Tue 1 Dec") / ("20:34", "mar 1 dic")."""
        return (
            format_datetime(when, "HH:mm", tzinfo=zone, locale=self.language),
            format_datetime(when, "EEE d MMM", tzinfo=zone, locale=self.language),
        )

    def weekday(self, index: int) -> str:
        """0 → "Monday" / "lunes"."""
        return str(get_day_names("wide", locale=self.language)[index])

    def in_english(self, words: list[str]) -> list[str]:
        """A command's words as the parsers take them: `semanal lun 08:00` → `weekly mon
        08:00` for a Spanish speaker. Words not in the language pass unchanged."""
        known = command_words(self.language)
        return [known.get(fold(word).rstrip("."), word) for word in words]

    def day_month(self, day: datetime_date) -> str:
        """A day of the /stats chart: "Nov 28" / "28 nov"."""
        return format_date(day, format="d MMM", locale=self.language)


@functools.lru_cache(maxsize=4096)
def medium_date(day: date, language: str) -> str:
    """Cached: Babel takes about 30 µs per date, and every list shows five, mostly of the
    same few days."""
    return format_date(day, format="medium", locale=language)


@functools.lru_cache(maxsize=16)
def command_words(language: str) -> dict[str, str]:
    """Folded words of `language` → English: its day names, wide and abbreviated (CLDR,
    as Babel knows them), and COMMAND_WORDS."""
    words = dict(COMMAND_WORDS.get(language, {}))
    for width in ("wide", "abbreviated"):
        for context in ("format", "stand-alone"):
            names = get_day_names(width, context=context, locale=language)
            for index, name in names.items():
                words.setdefault(fold(str(name)).rstrip("."), ENGLISH_DAYS[index])
    return words


class Catalog:
    """All languages, loaded once."""

    def __init__(
        self, translations: dict[str, gettext.NullTranslations], link_params: str = ""
    ) -> None:
        self._texts = {
            lang: Texts(lang, tr, link_params=link_params) for lang, tr in translations.items()
        }
        self._texts.setdefault(
            DEFAULT_LANGUAGE,
            Texts(DEFAULT_LANGUAGE, gettext.NullTranslations(), link_params=link_params),
        )

    @classmethod
    def load(cls, directory: Path = LOCALES, *, link_params: str = "") -> Catalog:
        translations: dict[str, gettext.NullTranslations] = {}
        for po_path in sorted(directory.glob(f"*/LC_MESSAGES/{DOMAIN}.po")):
            language = po_path.parent.parent.name
            with po_path.open("rb") as po_file:
                catalog = read_po(po_file, locale=language)
            buffer = io.BytesIO()
            write_mo(buffer, catalog)
            buffer.seek(0)
            translations[language] = gettext.GNUTranslations(buffer)
        return cls(translations, link_params)

    @property
    def languages(self) -> list[str]:
        return sorted(self._texts)

    def for_reader(self, language_code: str | None, zone_name: str | None) -> Texts:
        """In a reader's language, dates in their chat's time zone when it set one."""
        texts = self.for_language(language_code)
        return texts.in_zone(timing.zone(zone_name)) if zone_name else texts

    def for_language(self, language_code: str | None) -> Texts:
        """`es-419` → Spanish; unknown or missing → English."""
        language = (language_code or "").split("-")[0].split("_")[0].lower()
        return self._texts.get(language, self._texts[DEFAULT_LANGUAGE])
