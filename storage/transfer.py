"""Moving a store to another database (`articlebot db copy --to`): SQLite to PostgreSQL
when a publication outgrows one machine, and back.

Every table is copied whole, counters and cursors included, into a target that holds no
articles, chats or feeds yet, in one transaction of the target's: a copy that fails
leaves it as empty as it was. The counts of both sides are compared before that
transaction commits. What belongs to the running replicas (the lease, who was seen, the
webhook updates taken) is not copied: a moved store starts with none.
"""

from __future__ import annotations

from dataclasses import dataclass

from storage.errors import StorageError
from storage.store import Storage

# In an order that never inserts a row before the row it refers to.
TABLES = (
    "articles",
    "chats",
    "subscriptions",
    "subscription_topics",
    "feeds",
    "broadcasts",
    "deliveries",
    "digests",
    "scheduled",
    "corrections",
    "hook_events",
    "delivery_days",
    "subscription_days",
    "counters",
    "heartbeats",
    "sessions",
)
NOT_COPIED = ("leases", "replicas", "updates_taken")
MUST_BE_EMPTY = ("articles", "chats", "feeds", "scheduled")
BATCH = 2000


@dataclass(frozen=True, slots=True)
class Copied:
    table: str
    rows: int


async def copy_store(source: Storage, target: Storage) -> list[Copied]:
    """Copy every table of `source` into `target` (both at the same schema version)."""
    if source.db.label == target.db.label:
        raise StorageError("the copy would overwrite its own source")
    if await source.schema_version() != await target.schema_version():
        raise StorageError(
            f"{source.db.label} and {target.db.label} are at different schema versions; "
            "run the same articlebot on both"
        )
    for table in MUST_BE_EMPTY:
        if await target.db.fetchval(f"SELECT count(*) FROM {table}"):
            raise StorageError(
                f"{target.db.label} already holds {table}: copy into an empty database"
            )
    copied: list[Copied] = []
    async with target.db.atomic() as conn:
        for table in TABLES:
            columns = await target.db.columns(table)
            listed = ", ".join(columns)
            insert = f"INSERT INTO {table} ({listed}) VALUES ({', '.join('?' * len(columns))})"
            await conn.execute(f"DELETE FROM {table}")  # what migrating seeded (counters)
            async with target.db.loading(conn, table):
                async for rows in source.db.stream(f"SELECT {listed} FROM {table}", batch=BATCH):
                    await conn.executemany(insert, rows)
            await target.db.continue_ids(conn, table)
            wanted = int(await source.db.fetchval(f"SELECT count(*) FROM {table}"))
            async with conn.execute(f"SELECT count(*) FROM {table}") as cursor:
                row = await cursor.fetchone()
            if row is None or int(row[0]) != wanted:
                raise StorageError(
                    f"{table}: {wanted} rows in {source.db.label}, but the copy has "
                    f"{row[0] if row else 0}; the source changed meanwhile? Stop the bot "
                    "and copy again (nothing was written)"
                )
            copied.append(Copied(table, wanted))
    return copied
