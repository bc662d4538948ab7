"""The seam between the repositories and a database engine.

Repositories write their SQL once, in the spelling both engines accept (`?` or `:name`
parameters, `ON CONFLICT`, `RETURNING`, `IS [NOT] DISTINCT FROM`, row values), and run it
through these protocols. What differs lives behind `Dialect`: the engines
(storage.engines.sqlite, storage.engines.postgres), their schemas, and full-text search
(storage.search). `open_database` picks the engine from where the data is.
"""

from __future__ import annotations

import enum
from collections.abc import AsyncIterator, Generator, Sequence
from contextlib import AbstractAsyncContextManager
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from storage.migrations import Migration

Params = Sequence[Any] | dict[str, Any]


class Dialect(enum.StrEnum):
    SQLITE = "sqlite"
    POSTGRESQL = "postgresql"


class Row(Protocol):
    """A result row: by position and by column name (sqlite3.Row, asyncpg.Record)."""

    def __getitem__(self, key: int | str, /) -> Any: ...
    def __len__(self) -> int: ...
    def __iter__(self) -> Any: ...
    def keys(self) -> Any: ...


class Cursor(Protocol):
    @property
    def rowcount(self) -> int: ...
    async def fetchone(self) -> Any: ...
    async def fetchall(self) -> Any: ...


class Execution(Protocol):
    """What `execute` returns: awaited, or used with `async with`, it gives the cursor."""

    def __await__(self) -> Generator[Any, None, Cursor]: ...
    async def __aenter__(self) -> Cursor: ...
    async def __aexit__(self, *exc: Any) -> Any: ...


class Connection(Protocol):
    """The connection of one write transaction (`Database.atomic`)."""

    def execute(self, sql: str, parameters: Params = ..., /) -> Execution: ...
    async def executemany(self, sql: str, parameters: Any, /) -> Cursor: ...
    async def execute_fetchall(self, sql: str, parameters: Params = ..., /) -> Any: ...


class Database(Protocol):
    dialect: Dialect
    label: str  # what error messages and the CLI call it: a path, or a URL without password
    migrations: tuple[Migration, ...]  # this dialect's, numbered as the other's
    on_write_wait: Any  # Callable[[float], None] | None: told how long each write waited

    def atomic(self) -> AbstractAsyncContextManager[Connection]:
        """One write transaction: commit on success, roll back and re-raise on any error.
        Writers queue one behind the other (in this process and across processes), so a
        transaction's reads stay true until it commits, as with SQLite's one writer."""
        ...

    async def fetchall(self, sql: str, params: Params = ...) -> list[Any]: ...
    async def fetchone(self, sql: str, params: Params = ...) -> Any: ...
    async def fetchval(self, sql: str, params: Params = ...) -> Any: ...
    def stream(self, sql: str, params: Params = ..., batch: int = ...) -> AsyncIterator[Any]: ...
    async def schema_version(self) -> int: ...
    async def columns(self, table: str) -> list[str]: ...
    async def continue_ids(self, conn: Any, table: str) -> None:
        """After rows were copied in with their ids, new rows get ids after them."""
        ...

    def loading(self, conn: Any, table: str) -> AbstractAsyncContextManager[None]:
        """A bulk load into `table` (in `conn`'s transaction): the indexes that cost most
        per row inserted are built once, after it."""
        ...

    async def current_version(self, conn: Any) -> int: ...
    async def apply(self, conn: Any, migration: Migration) -> None: ...
    async def size(self) -> int: ...
    async def close(self) -> None: ...


class Reads:
    """What both engines derive from `fetchall`."""

    async def fetchall(self, sql: str, params: Params = ()) -> list[Any]:
        raise NotImplementedError

    async def fetchone(self, sql: str, params: Params = ()) -> Any:
        """The first row of a query that has at most a few. Read whole, in one step: a
        statement left open between awaits would hold a snapshot (SQLite's reader), and
        another coroutine reading meanwhile would not see rows committed since."""
        rows = await self.fetchall(sql, params)
        return rows[0] if rows else None

    async def fetchval(self, sql: str, params: Params = ()) -> Any:
        row = await self.fetchone(sql, params)
        return None if row is None else row[0]


async def open_database(target: str | Path, busy_timeout: float = 5.0) -> Database:
    """A Path is an SQLite file; a string is a PostgreSQL URL (config checks its scheme)."""
    if isinstance(target, str):
        from storage.engines.postgres import PostgresDatabase

        return await PostgresDatabase.open(target, busy_timeout)
    from storage.engines.sqlite import SQLiteDatabase

    return await SQLiteDatabase.open(target, busy_timeout)


async def scalar(conn: Connection, sql: str, *params: object) -> Any:
    """The first column of the first row, inside a transaction `conn` holds."""
    async with conn.execute(sql, params) as cursor:
        row = await cursor.fetchone()
    return None if row is None else row[0]
