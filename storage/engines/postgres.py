"""The PostgreSQL engine (asyncpg): the same contract as storage.engines.sqlite.

A pool of connections. Reads run on any of them. A write transaction first takes one
transaction-level advisory lock, so writers queue one behind the other across every
replica, as SQLite's single writer does: a repository's read-then-write inside `atomic()`
stays true until it commits, and no repository needs its own locking. Transactions are
short by design (storage.deliveries), so one writer at a time is not the bottleneck;
`lock_timeout` bounds the wait as SQLite's busy timeout does.
"""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import AsyncIterator, Callable, Generator, Sequence
from contextlib import asynccontextmanager
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import asyncpg
from asyncpg.pool import PoolConnectionProxy

from storage.db import Dialect, Params, Reads
from storage.engines import pg_schema
from storage.engines.translate import arguments, translate
from storage.errors import DatabaseUnavailable
from storage.migrations import Migration

WRITER_LOCK = 0x61727469  # "arti": the advisory lock every write transaction holds
POOL_SIZE = 10
_AFFECTED = re.compile(r"(\d+)$")


class PostgresDatabase(Reads):
    dialect = Dialect.POSTGRESQL
    migrations: tuple[Migration, ...] = pg_schema.MIGRATIONS

    def __init__(self, url: str, pool: asyncpg.Pool) -> None:
        self.label = redacted(url)
        self._pool = pool
        self._write_lock = asyncio.Lock()
        self.on_write_wait: Callable[[float], None] | None = None

    @classmethod
    async def open(cls, url: str, busy_timeout: float = 5.0) -> PostgresDatabase:
        label = redacted(url)
        try:
            pool = await asyncpg.create_pool(
                url,
                min_size=1,
                max_size=POOL_SIZE,
                init=_prepare_connection,
                timeout=busy_timeout * 2,
                server_settings={
                    "lock_timeout": str(int(busy_timeout * 1000)),
                    "application_name": "articlebot",
                    # A generic plan does not know which words a search asks for and
                    # scans every article's vector (116 ms against 0.6 ms at 10,000).
                    "plan_cache_mode": "force_custom_plan",
                },
            )
        except (TimeoutError, OSError, ValueError, asyncpg.PostgresError) as exc:
            raise DatabaseUnavailable(f"cannot open {label}: {_reason(exc)}") from None
        return cls(url, pool)

    async def close(self) -> None:
        await self._pool.close()

    @asynccontextmanager
    async def atomic(self) -> AsyncIterator[PostgresConnection]:
        started = time.perf_counter()
        async with (
            self._write_lock,
            self._translated(),
            self._pool.acquire() as conn,
            conn.transaction(),
        ):
            await conn.execute("SELECT pg_advisory_xact_lock($1)", WRITER_LOCK)
            if self.on_write_wait is not None:
                self.on_write_wait(time.perf_counter() - started)
            yield PostgresConnection(conn)

    async def fetchall(self, sql: str, params: Params = ()) -> list[asyncpg.Record]:
        async with self._translated():
            return await _fetch(self._pool, sql, params)

    @asynccontextmanager
    async def steered(self, **settings: str) -> AsyncIterator[Reads]:
        """Reads planned with these settings (`enable_seqscan="off"`), in a read-only
        transaction of their own: for a query whose best plan the planner cannot see."""
        async with (
            self._translated(),
            self._pool.acquire() as conn,
            conn.transaction(readonly=True),
        ):
            for name, value in settings.items():
                await conn.execute("SELECT set_config($1, $2, true)", name, value)
            yield _Steered(conn)

    async def stream(
        self, sql: str, params: Params = (), batch: int = 1000
    ) -> AsyncIterator[list[Any]]:
        """Yield tuples in batches from a server-side cursor (in a read-only transaction of
        its own connection), so a large result never sits in memory at once."""
        translated = translate(sql)
        async with (
            self._translated(),
            self._pool.acquire() as conn,
            conn.transaction(readonly=True),
        ):
            cursor = await conn.cursor(translated.sql, *arguments(translated, params))
            while rows := await cursor.fetch(batch):
                yield [tuple(row) for row in rows]

    async def schema_version(self) -> int:
        async with self._translated(), self._pool.acquire() as conn:
            return await self.current_version(PostgresConnection(conn))

    async def current_version(self, conn: PostgresConnection) -> int:
        return await pg_schema.current_version(conn.raw)

    async def apply(self, conn: PostgresConnection, migration: Migration) -> None:
        await pg_schema.apply(conn.raw, migration)

    async def columns(self, table: str) -> list[str]:
        """The columns a row is written with (not the generated ones), in order."""
        rows = await self.fetchall(
            """SELECT column_name FROM information_schema.columns
               WHERE table_schema = current_schema() AND table_name = ?
                 AND is_generated = 'NEVER'
               ORDER BY ordinal_position""",
            (table,),
        )
        return [row[0] for row in rows]

    async def continue_ids(self, conn: PostgresConnection, table: str) -> None:
        sequence = await conn.raw.fetchval(
            """SELECT pg_get_serial_sequence(table_name, column_name)
               FROM information_schema.columns
               WHERE table_schema = current_schema() AND table_name = $1
                 AND column_name = 'id'""",
            table,
        )
        if sequence is not None:
            await conn.raw.execute(
                f"SELECT setval($1, coalesce((SELECT max(id) FROM {table}), 0) + 1, false)",
                sequence,
            )

    @asynccontextmanager
    async def loading(self, conn: PostgresConnection, table: str) -> AsyncIterator[None]:
        """GIN indexes (search's) are dropped, then built again from all the rows at once:
        a copy of 100k articles took 3 minutes so, 10 by inserting into them row by row."""
        indexes = await conn.raw.fetch(
            """SELECT indexname, indexdef FROM pg_indexes
               WHERE schemaname = current_schema() AND tablename = $1
                 AND indexdef LIKE '% USING gin %'""",
            table,
        )
        for index in indexes:
            await conn.raw.execute(f'DROP INDEX "{index["indexname"]}"')
        yield
        for index in indexes:
            await conn.raw.execute(index["indexdef"])

    async def size(self) -> int:
        return int(await self.fetchval("SELECT pg_database_size(current_database())"))

    @asynccontextmanager
    async def _translated(self) -> AsyncIterator[None]:
        """The server gone, or a lock waited on too long: a DatabaseUnavailable that names
        the database (never its password). Errors in our SQL stay what they are."""
        try:
            yield
        except asyncpg.LockNotAvailableError:
            raise DatabaseUnavailable(
                f"{self.label} is locked by another writer; try again, or raise DATABASE_TIMEOUT"
            ) from None
        except (
            OSError,
            asyncpg.ConnectionDoesNotExistError,
            asyncpg.CannotConnectNowError,
            asyncpg.InterfaceError,
        ) as exc:
            raise DatabaseUnavailable(f"{self.label} is unreachable: {_reason(exc)}") from None


class _Steered(Reads):
    def __init__(self, raw: asyncpg.Connection | PoolConnectionProxy) -> None:
        self._raw = raw

    async def fetchall(self, sql: str, params: Params = ()) -> list[asyncpg.Record]:
        return await _fetch(self._raw, sql, params)


async def _fetch(
    source: asyncpg.Pool | asyncpg.Connection | PoolConnectionProxy, sql: str, params: Params
) -> list[asyncpg.Record]:
    """Every row of a read, in PostgreSQL's spelling of the statement."""
    translated = translate(sql)
    return list(await source.fetch(translated.sql, *arguments(translated, params)))


class PostgresConnection:
    """One write transaction's connection, with the calls the repositories make of an
    aiosqlite connection: `execute` (awaited, or with `async with`), `executemany`,
    `execute_fetchall`."""

    def __init__(self, raw: asyncpg.Connection | PoolConnectionProxy) -> None:
        self.raw = raw

    def execute(self, sql: str, parameters: Params = ()) -> _Execution:
        return _Execution(self._run(sql, parameters))

    async def execute_fetchall(self, sql: str, parameters: Params = ()) -> list[asyncpg.Record]:
        return await (await self._run(sql, parameters)).fetchall()

    async def executemany(self, sql: str, parameters: Any) -> PostgresCursor:
        translated = translate(sql)
        rows = [arguments(translated, params) for params in parameters]
        if not rows:
            return PostgresCursor([], 0)
        if translated.returns_rows:
            await self.raw.executemany(translated.sql, rows)
            return PostgresCursor([], -1)
        # One row back per row changed: how many changed, as sqlite3's rowcount says.
        changed = await self.raw.fetchmany(translated.sql + " RETURNING 1", rows)
        return PostgresCursor([], len(changed))

    async def _run(self, sql: str, parameters: Params) -> PostgresCursor:
        translated = translate(sql)
        args = arguments(translated, parameters)
        if translated.returns_rows:
            rows = await self.raw.fetch(translated.sql, *args)
            return PostgresCursor(rows, len(rows))
        status = await self.raw.execute(translated.sql, *args)
        affected = _AFFECTED.search(status)
        return PostgresCursor([], int(affected.group(1)) if affected else -1)


class PostgresCursor:
    def __init__(self, rows: Sequence[asyncpg.Record], rowcount: int) -> None:
        self._rows = list(rows)
        self.rowcount = rowcount

    async def fetchone(self) -> asyncpg.Record | None:
        return self._rows.pop(0) if self._rows else None

    async def fetchall(self) -> list[asyncpg.Record]:
        rows, self._rows = self._rows, []
        return rows


class _Execution:
    """A statement on its way: await it, or `async with` it, for its cursor."""

    def __init__(self, running: Any) -> None:
        self._running = running

    def __await__(self) -> Generator[Any, None, PostgresCursor]:
        return self._running.__await__()  # type: ignore[no-any-return]

    async def __aenter__(self) -> PostgresCursor:
        return await self._running  # type: ignore[no-any-return]

    async def __aexit__(self, *exc: object) -> None:
        return None


async def _prepare_connection(conn: asyncpg.Connection) -> None:
    """NUMERIC (what sum() of integers gives) read as int when whole, as SQLite gives it.
    (JSON already comes as its text, asyncpg's default, as SQLite gives it.)"""
    await conn.set_type_codec(
        "numeric", encoder=str, decoder=_number, schema="pg_catalog", format="text"
    )


def _number(text: str) -> int | float:
    return float(text) if any(c in text for c in ".eEnN") else int(text)


def redacted(url: str) -> str:
    """The URL without its password: what logs and messages may show."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    host = parts.hostname or ""
    netloc = f"{parts.username}:***@{host}" + (f":{parts.port}" if parts.port else "")
    return urlunsplit(parts._replace(netloc=netloc))


def _reason(exc: BaseException) -> str:
    return str(exc).splitlines()[0] if str(exc) else type(exc).__name__
