"""The SQLite engine: connections, pragmas, transactions.

Two aiosqlite connections per process: a writer whose transactions are serialised by an
asyncio lock and always `BEGIN IMMEDIATE` (so a writer never has to upgrade a read lock and
deadlock), and a reader that never sees another coroutine's uncommitted rows. WAL lets the
reader, other processes (the CLI) and the writer work side by side.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import sqlite3
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import aiosqlite

from storage import migrations
from storage.db import Dialect, Params, Reads
from storage.errors import DatabaseUnavailable, explain
from storage.migrations import Migration

MIN_SQLITE = (3, 39, 0)  # IS [NOT] DISTINCT FROM, the spelling PostgreSQL shares


async def connect(path: Path, busy_timeout: float) -> aiosqlite.Connection:
    """Open one connection with the pragmas every connection needs."""
    if sqlite3.sqlite_version_info < MIN_SQLITE:
        needed = ".".join(map(str, MIN_SQLITE))
        raise DatabaseUnavailable(
            f"articlebot needs SQLite {needed} or later; this Python has {sqlite3.sqlite_version}"
        )
    try:
        await asyncio.to_thread(create_private, path)
        conn = await aiosqlite.connect(path, timeout=busy_timeout, isolation_level=None)
    except sqlite3.Error as exc:
        raise explain(exc, path) from None
    try:
        conn.row_factory = sqlite3.Row
        await conn.execute_fetchall(f"PRAGMA busy_timeout = {int(busy_timeout * 1000)}")
        await conn.execute_fetchall("PRAGMA foreign_keys = ON")
        await conn.execute_fetchall("PRAGMA synchronous = NORMAL")
        # Reading the schema here surfaces "not a database" before anything is written.
        await conn.execute_fetchall("SELECT count(*) FROM sqlite_schema")
    except sqlite3.Error as exc:
        await conn.close()
        raise explain(exc, path) from None
    return conn


def create_private(path: Path) -> None:
    """Create the file readable by its owner only, unless it exists: it holds chat ids and
    usernames. SQLite gives its -wal and -shm files the database file's permissions."""
    # It exists; or no such folder, no permission: then SQLite's own error says so.
    with contextlib.suppress(OSError):
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))


class SQLiteDatabase(Reads):
    """The writer and the reader connection of one SQLite file."""

    dialect = Dialect.SQLITE
    migrations = migrations.MIGRATIONS

    def __init__(self, path: Path, writer: aiosqlite.Connection, reader: aiosqlite.Connection):
        self.path = path
        self.label = str(path)
        self._writer = writer
        self._reader = reader
        self._write_lock = asyncio.Lock()
        # Told how long each write waited for the lock (in this process and in SQLite).
        self.on_write_wait: Callable[[float], None] | None = None

    @classmethod
    async def open(cls, path: Path, busy_timeout: float = 5.0) -> SQLiteDatabase:
        writer = await connect(path, busy_timeout)
        try:
            async with _translated(path):
                mode = list(await writer.execute_fetchall("PRAGMA journal_mode = WAL"))
            if not mode or mode[0][0].lower() != "wal":
                raise explain(
                    sqlite3.OperationalError("attempt to write a readonly database"), path
                )
            reader = await connect(path, busy_timeout)
        except BaseException:
            await writer.close()
            raise
        return cls(path, writer, reader)

    async def close(self) -> None:
        await self._reader.close()
        await self._writer.close()

    @asynccontextmanager
    async def atomic(self) -> AsyncIterator[aiosqlite.Connection]:
        """One write transaction: commit on success, roll back and re-raise on any error."""
        started = time.perf_counter()
        async with self._write_lock, _translated(self.path):
            await self._writer.execute("BEGIN IMMEDIATE")
            if self.on_write_wait is not None:
                self.on_write_wait(time.perf_counter() - started)
            try:
                yield self._writer
            except BaseException:
                await self._writer.rollback()
                raise
            await self._writer.commit()

    async def fetchall(self, sql: str, params: Params = ()) -> list[sqlite3.Row]:
        async with _translated(self.path):
            return list(await self._reader.execute_fetchall(sql, params))

    async def stream(
        self, sql: str, params: Params = (), batch: int = 1000
    ) -> AsyncIterator[list[Any]]:
        """Yield plain tuples in batches, so a large result never sits in memory at once."""
        async with _translated(self.path), self._reader.execute(sql, params) as cursor:
            cursor.row_factory = None  # tuples: the cheapest rows for bulk reads
            while rows := list(await cursor.fetchmany(batch)):
                yield rows

    async def schema_version(self) -> int:
        return int(await self.fetchval("PRAGMA user_version"))

    async def current_version(self, conn: aiosqlite.Connection) -> int:
        """The schema's version, read in the caller's write transaction."""
        async with conn.execute("PRAGMA user_version") as cursor:
            row = await cursor.fetchone()
        return int(row[0]) if row else 0

    async def apply(self, conn: aiosqlite.Connection, migration: Migration) -> None:
        """Run one migration's statements; the caller holds the write transaction."""
        for statement in migration.statements:
            await conn.execute(statement)
        await conn.execute(f"PRAGMA user_version = {migration.version}")

    async def columns(self, table: str) -> list[str]:
        return [row["name"] for row in await self.fetchall(f"PRAGMA table_info({table})")]

    async def continue_ids(self, conn: aiosqlite.Connection, table: str) -> None:
        """Nothing to do: SQLite gives max(id) + 1, and AUTOINCREMENT's record follows
        inserted ids."""

    @asynccontextmanager
    async def loading(self, conn: aiosqlite.Connection, table: str) -> AsyncIterator[None]:
        """Nothing deferred: SQLite keeps its indexes as the rows arrive."""
        yield

    async def size(self) -> int:
        """Bytes of the database file (without its write-ahead log)."""
        return (await asyncio.to_thread(self.path.stat)).st_size

    async def backup(self, target: Path) -> None:
        """Copy with the online backup API, on a connection of its own: the copy holds a
        read snapshot for its whole run, which the shared reader must not be stuck in."""
        await asyncio.to_thread(create_private, target)
        async with (
            _translated(self.path),
            aiosqlite.connect(self.path) as source,
            aiosqlite.connect(target) as dest,
        ):
            await source.backup(dest)


@asynccontextmanager
async def _translated(path: Path) -> AsyncIterator[None]:
    try:
        yield
    except sqlite3.Error as exc:
        translated = explain(exc, path)
        if translated is exc:
            raise
        raise translated from None
