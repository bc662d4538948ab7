"""Storage errors: each carries one line a person can act on."""

from __future__ import annotations

import sqlite3
from pathlib import Path


class StorageError(Exception):
    """Base class; `str()` is a one-line, user-facing explanation."""


class DatabaseUnavailable(StorageError):
    """The file is not a database, cannot be written, or stayed locked too long."""


class NotFound(StorageError):
    pass


class DuplicateArticle(StorageError):
    def __init__(self, url: str, existing_id: int) -> None:
        super().__init__(f"an article with this URL already exists: #{existing_id} ({url})")
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
