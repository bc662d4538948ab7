"""Errors a person reads: each is one sentence, translatable, with the machine's detail apart."""

from __future__ import annotations

import sqlite3
from pathlib import Path


def N_(message: str) -> str:
    """Mark a sentence for translation where it is written (Babel extracts it); the bot
    translates it where a person reads it."""
    return message


class Explained(Exception):
    """`message` is an English sentence, marked with N_, with `{name}` fields that `values`
    fill: the bot says it in the reader's language. `detail` is what the machine saw (an
    exception, a parser's complaint): for the log and the command line, never for a chat.
    `str()` is the English sentence with its detail, on one line."""

    def __init__(self, message: str, /, *, detail: str = "", **values: object) -> None:
        self.message, self.values, self.detail = message, values, detail
        text = message.format(**values) if values else message
        super().__init__(f"{text} ({detail})" if detail else text)


class StorageError(Explained):
    """Base class of what storage refuses or cannot do."""


class DatabaseUnavailable(StorageError):
    """The file is not a database, cannot be written, or stayed locked too long."""


class NotFound(StorageError):
    pass


class DuplicateArticle(StorageError):
    def __init__(self, url: str, existing_id: int) -> None:
        super().__init__(
            N_("an article with this URL already exists: #{id} ({url})"), id=existing_id, url=url
        )
        self.url = url
        self.existing_id = existing_id


class InvalidInput(StorageError, ValueError):
    """A value was rejected before anything was written."""


def explain(exc: sqlite3.Error, path: Path | str) -> Exception:
    """Turn an sqlite3 error that is about the file itself into a clear one-liner.

    Any other error (a bug in our SQL, say) is returned as it is, so it still surfaces as a bug.
    """
    message = str(exc).lower()
    if "not a database" in message or "malformed" in message:
        return DatabaseUnavailable(f"{path} is not an articlebot database (not SQLite or damaged)")
    if "readonly" in message or "read-only" in message:
        return DatabaseUnavailable(f"{path} is read-only: articlebot needs to write to it")
    if "locked" in message or "busy" in message:
        return DatabaseUnavailable(
            f"{path} is locked by another process; try again, or raise DATABASE_TIMEOUT"
        )
    if "unable to open" in message:
        return DatabaseUnavailable(
            f"cannot open {path}: check that its folder exists and is writable"
        )
    return exc
