"""Per-day counts: deliveries ended by outcome (`delivery_days`), subscriptions made and
ended (`subscription_days`). They are what statistics and charts read, and they stay when
the rows they count are pruned; they are kept DAYS_KEPT days themselves."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date

from storage.db import Connection, Database
from storage.text import now_iso

DAYS_KEPT = 400
KEYS = {"delivery_days": "status", "subscription_days": "event"}  # table: what it counts by


async def add_today(conn: Connection, table: str, counts: Mapping[str, int]) -> None:
    """Add `counts` to today's (UTC) in `table`, inside the caller's transaction."""
    await conn.executemany(
        f"""INSERT INTO {table} (day, {KEYS[table]}, n) VALUES (?, ?, ?)
            ON CONFLICT (day, {KEYS[table]}) DO UPDATE SET n = {table}.n + excluded.n""",
        [(now_iso()[:10], key, n) for key, n in counts.items() if n],
    )


async def read(db: Database, table: str, since: str) -> dict[str, dict[str, int]]:
    """{day: {key: n}} from `since` (YYYY-MM-DD) on."""
    found: dict[str, dict[str, int]] = {}
    for day, key, n in await db.fetchall(
        f"SELECT day, {KEYS[table]}, n FROM {table} WHERE day >= ? ORDER BY day", (since,)
    ):
        found.setdefault(day, {})[key] = n
    return found


async def forget_before(conn: Connection, day: date) -> None:
    for table in KEYS:
        await conn.execute(f"DELETE FROM {table} WHERE day < ?", (day.isoformat(),))
