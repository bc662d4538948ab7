"""`Storage`: opens the database, migrates it, and hands out the repositories."""

from __future__ import annotations

import asyncio
import os
from datetime import UTC
from pathlib import Path
from types import TracebackType
from typing import Any

from storage import clock
from storage.articles import ArticleRepository
from storage.broadcasts import BroadcastRepository
from storage.chats import ChatRepository
from storage.corrections import CorrectionRepository
from storage.db import Database, open_database
from storage.deliveries import DeliveryRepository
from storage.digests import DigestRepository
from storage.engines.sqlite import SQLiteDatabase
from storage.errors import DatabaseUnavailable, StorageError
from storage.feeds import FeedRepository
from storage.hooks import HookRepository
from storage.kinds import DeliveryStatus
from storage.migrations import Migration
from storage.quiet import QuietRepository
from storage.replicas import ReplicaRepository
from storage.scheduled import ScheduledRepository
from storage.sessions import SessionRepository


class Storage:
    def __init__(self, db: Database) -> None:
        self.db = db
        self.articles = ArticleRepository(db)
        self.chats = ChatRepository(db)
        self.deliveries = DeliveryRepository(db)
        self.broadcasts = BroadcastRepository(db)
        self.feeds = FeedRepository(db)
        self.scheduled = ScheduledRepository(db)
        self.digests = DigestRepository(db)
        self.quiet = QuietRepository(db)
        self.hooks = HookRepository(db)
        self.corrections = CorrectionRepository(db)
        self.replicas = ReplicaRepository(db)
        self.sessions = SessionRepository(db)
        self.migrated: list[Migration] = []  # what opening it applied ([] : up to date)

    @classmethod
    async def open(
        cls, target: Path | str, *, busy_timeout: float = 5.0, migrate: bool = True
    ) -> Storage:
        """Open an SQLite file (a Path; created with its folder if needed) or a PostgreSQL
        database (a `postgresql://…` string), and bring the schema up to date."""
        if isinstance(target, Path):
            await asyncio.to_thread(target.parent.mkdir, parents=True, exist_ok=True)
        storage = cls(await open_database(target, busy_timeout))
        try:
            if migrate:
                storage.migrated = await storage.migrate()
        except BaseException:
            await storage.close()
            raise
        return storage

    async def close(self) -> None:
        await self.db.close()

    async def __aenter__(self) -> Storage:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()

    async def schema_version(self) -> int:
        return await self.db.schema_version()

    async def migrate(self, target: int | None = None) -> list[Migration]:
        """Apply the pending migrations, each with its version bump in one transaction."""
        latest = self.db.migrations[-1].version
        applied: list[Migration] = []
        for migration in self.db.migrations:
            if target is not None and migration.version > target:
                break
            async with self.db.atomic() as conn:
                # Read inside the write lock: another process may have migrated meanwhile.
                version = await self.db.current_version(conn)
                if version > latest:
                    raise DatabaseUnavailable(
                        f"{self.db.label} was written by a newer articlebot "
                        f"(schema {version}, this one knows {latest}); upgrade first"
                    )
                if version >= migration.version:
                    continue
                await self.db.apply(conn, migration)
            applied.append(migration)
        return applied

    async def backup(self, target: Path, *, overwrite: bool = False) -> int:
        """Copy the live database with SQLite's online backup API; returns the bytes written.

        The copy is written beside the target and renamed into place, so a reader of
        `target` never sees half a backup.
        """
        target = Path(target)
        if not isinstance(self.db, SQLiteDatabase):
            raise StorageError(
                "articlebot db backup copies SQLite files; back PostgreSQL up with pg_dump, "
                "or copy it to a file with articlebot db copy --to PATH.db"
            )
        if target.exists() and not overwrite:
            raise StorageError(f"{target} already exists (use --force to overwrite)")
        if target.resolve() == self.db.path.resolve():
            raise StorageError("the backup cannot overwrite the live database")
        if not await asyncio.to_thread(target.parent.is_dir):
            raise StorageError(f"cannot write the backup: there is no folder {target.parent}")
        partial = target.with_name(target.name + ".partial")
        await asyncio.to_thread(partial.unlink, missing_ok=True)
        try:
            await self.db.backup(partial)
            await asyncio.to_thread(os.replace, partial, target)
        except BaseException:
            await asyncio.to_thread(partial.unlink, missing_ok=True)
            raise
        return (await asyncio.to_thread(target.stat)).st_size

    async def size(self) -> int:
        """Bytes the database takes (SQLite: its file, without the write-ahead log)."""
        return await self.db.size()

    async def record_heartbeats(self, beats: dict[str, float]) -> None:
        """When each named part of the running bot last worked (unix time)."""
        if beats:
            async with self.db.atomic() as conn:
                await conn.executemany(
                    "INSERT INTO heartbeats (part, at) VALUES (?, ?) "
                    "ON CONFLICT (part) DO UPDATE SET at = excluded.at",
                    list(beats.items()),
                )

    async def heartbeats(self) -> dict[str, float]:
        rows = await self.db.fetchall("SELECT part, at FROM heartbeats")
        return {row[0]: float(row[1]) for row in rows}

    async def stats(self) -> dict[str, Any]:
        await self.broadcasts.count_recipients()  # broadcasts the worker has not counted yet
        db = self.db
        chats = await db.fetchall(
            "SELECT type, active, count(*) AS n FROM chats GROUP BY type, active"
        )
        # The chart's day (UTC), so that the caption and the chart's last bar agree.
        today = clock.now().astimezone(UTC).date().isoformat()
        deliveries_today = (await self.deliveries.days(today)).get(today, {})
        topics = await db.fetchall(
            """SELECT topic, count(*) AS n FROM subscription_topics
               GROUP BY topic ORDER BY n DESC, topic LIMIT 20"""
        )
        return {
            "articles": await self.articles.count(),
            "articles_last_7_days": await self.articles.count_since(days=7),
            "chats": {
                f"{row['type']}_{'active' if row['active'] else 'inactive'}": row["n"]
                for row in chats
            },
            "subscriptions": await db.fetchval("SELECT count(*) FROM subscriptions"),
            "subscriptions_to_everything": await db.fetchval(
                "SELECT count(*) FROM subscriptions WHERE everything = 1"
            ),
            "subscriptions_by_topic": {row["topic"]: row["n"] for row in topics},
            "deliveries_today_utc": deliveries_today,
            "broadcasts_in_progress": [
                {
                    "article_id": p.article_id,
                    "title": p.title,
                    "total": p.total,
                    "sent": p.count(DeliveryStatus.SENT),
                    "pending": p.pending,
                }
                for p in await self.broadcasts.running()
            ],
            "feeds": await db.fetchval("SELECT count(*) FROM feeds"),
            "hooks_last_24h": await self.hooks.counts(days=1),
            "schema_version": await self.schema_version(),
            "database_bytes": await self.size(),
        }
