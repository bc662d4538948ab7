"""Corrections: an edited article's cards, already in subscribers' chats, edited in place.

An edit of what a card shows (title, summary, tags, picture) raises the article's
`revision` and opens its correction, in the same transaction. Each delivery row remembers
the revision its card shows, so the cards sent after the edit, which show it already, are
left alone. The correction walks the article's sent cards in id order from a cursor that
moves only when a wave's outcomes are recorded: a process killed mid-wave leaves the
cursor before that wave, which is edited again at the next start (Telegram answers
"message is not modified", which counts as done) — at most one wave twice, none missed.
The cursor never passes a card still being sent, which may show the old text.

A card sent more than 48 hours ago (RECALL_WINDOW) stays as it was: it is counted as
expired. A later edit of the same article restarts its correction at the new revision.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from storage import clock
from storage.db import Connection, Database, scalar
from storage.deliveries import RECALL_WINDOW
from storage.errors import N_, NotFound
from storage.kinds import ChatType
from storage.text import iso, now_iso, parse_datetime

NOTE_GRACE = timedelta(seconds=10)  # for the admin's progress message to be sent


@dataclass(frozen=True, slots=True)
class Correction:
    article_id: int
    revision: int
    total: int  # its cards sent, when it began (the progress bar's 100 %)
    edited: int = 0
    failed: int = 0
    expired: int = 0  # sent more than 48 h ago: left as they were
    media: bool = False  # the picture changed too: photo cards get the new one
    notify_chat_id: int | None = None
    notify_message_id: int | None = None
    started_at: datetime | None = None
    finished: bool = False

    @property
    def done(self) -> int:
        return self.edited + self.failed + self.expired


@dataclass(frozen=True, slots=True)
class SentCard:
    """A card to edit: where it is, what kind of message it is, and its chat's language."""

    delivery_id: int
    chat_id: int
    message_id: int
    card: str  # 'text' or 'photo'
    chat_type: ChatType
    language_code: str | None
    timezone: str | None
    expired: bool  # sent before the window: not edited


@dataclass(frozen=True, slots=True)
class Edited:
    """How one card's correction ended: `ok` (edited, or showing it already) or not."""

    delivery_id: int
    ok: bool


CLAIM_SQL = """
    SELECT d.id, d.chat_id, d.message_id, d.card, d.updated_at < :window,
           c.type, coalesce(c.language_choice, c.language_code), c.timezone
    FROM deliveries AS d JOIN chats AS c ON c.chat_id = d.chat_id
    WHERE d.article_id = :article AND d.status = 'sent' AND d.id > :cursor
      AND d.message_id IS NOT NULL AND d.revision < :revision
    ORDER BY d.id LIMIT :limit
"""


async def begin(
    conn: Connection,
    article_id: int,
    notify_chat_id: int | None = None,
    *,
    media: bool = False,
) -> Correction:
    """Raise the article's revision and (re)open its correction, inside the caller's
    transaction (the one that changed the article). `media`: its picture changed."""
    revision = await scalar(
        conn,
        "UPDATE articles SET revision = revision + 1 WHERE id = ? RETURNING revision",
        article_id,
    )
    if revision is None:
        raise NotFound(N_("article {id} not found"), id=article_id)
    total = await scalar(
        conn,
        "SELECT count(*) FROM deliveries WHERE article_id = ? AND status IN ('sent', 'sending')",
        article_id,
    )
    now = now_iso()
    await conn.execute(
        """INSERT INTO corrections
               (article_id, revision, total, notify_chat_id, started_at, media)
           VALUES (?, ?, ?, ?, ?, ?)
           ON CONFLICT (article_id) DO UPDATE SET revision = excluded.revision, cursor = 0,
               total = excluded.total, edited = 0, failed = 0, expired = 0,
               media = corrections.media | excluded.media,
               notify_chat_id = excluded.notify_chat_id, notify_message_id = NULL,
               started_at = excluded.started_at, finished_at = NULL""",
        (article_id, revision, total, notify_chat_id, now, int(media)),
    )
    return Correction(article_id, revision, total, notify_chat_id=notify_chat_id, media=media)


class CorrectionRepository:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def next_open(self) -> Correction | None:
        """The oldest correction still running. One an admin watches waits, for up to
        NOTE_GRACE, until the message that shows its progress is noted."""
        row = await self._db.fetchone(
            f"""SELECT {_COLUMNS} FROM corrections
                WHERE finished_at IS NULL
                  AND (notify_chat_id IS NULL OR notify_message_id IS NOT NULL
                       OR started_at < ?)
                ORDER BY started_at, article_id LIMIT 1""",
            (iso(clock.now() - NOTE_GRACE),),
        )
        return None if row is None else _correction(row)

    async def get(self, article_id: int) -> Correction | None:
        row = await self._db.fetchone(
            f"SELECT {_COLUMNS} FROM corrections WHERE article_id = ?", (article_id,)
        )
        return None if row is None else _correction(row)

    async def claim(self, correction: Correction, limit: int) -> list[SentCard]:
        """The next cards of a correction, after its cursor; nothing is written."""
        cursor = await self._db.fetchval(
            "SELECT cursor FROM corrections WHERE article_id = ? AND revision = ?",
            (correction.article_id, correction.revision),
        )
        if cursor is None:  # finished, or restarted by a newer edit meanwhile
            return []
        window = iso(clock.now() - RECALL_WINDOW)
        rows = await self._db.fetchall(
            CLAIM_SQL,
            {
                "article": correction.article_id,
                "cursor": cursor,
                "revision": correction.revision,
                "limit": limit,
                "window": window,
            },
        )
        return [_sent_card(row) for row in rows]

    async def settle(
        self,
        correction: Correction,
        cards: list[SentCard],
        outcomes: list[Edited],
        exhausted: bool,
    ) -> Correction | None:
        """Record a wave: each card edited now shows the correction's revision; the cursor
        moves past `cards` (never past a card still being sent); `exhausted` (the claim
        found no more) and no card still being sent, the correction is finished. Returns it
        as it now stands (None: a newer edit took over)."""
        async with self._db.atomic() as conn:
            current = await scalar(
                conn,
                "SELECT revision FROM corrections WHERE article_id = ?",
                correction.article_id,
            )
            if current != correction.revision:
                return None
            ok = [o.delivery_id for o in outcomes if o.ok]
            await conn.executemany(
                "UPDATE deliveries SET revision = ? WHERE id = ? AND revision < ?",
                [(correction.revision, d, correction.revision) for d in ok],
            )
            sending = await scalar(
                conn,
                "SELECT min(id) FROM deliveries WHERE article_id = ? AND status = 'sending'",
                correction.article_id,
            )
            reached = max((card.delivery_id for card in cards), default=0)
            if sending is not None:
                reached = min(reached, sending - 1)
            expired = sum(card.expired for card in cards)
            finished = exhausted and sending is None
            await conn.execute(
                """UPDATE corrections
                   SET cursor = CASE WHEN cursor > :reached THEN cursor ELSE :reached END,
                       edited = edited + :edited, failed = failed + :failed,
                       expired = expired + :expired,
                       finished_at = CASE WHEN :finished = 1 THEN :now END
                   WHERE article_id = :article""",
                {
                    "reached": reached,
                    "edited": len(ok),
                    "failed": len(outcomes) - len(ok),
                    "expired": expired,
                    "finished": finished,
                    "now": now_iso(),
                    "article": correction.article_id,
                },
            )
            row = await (
                await conn.execute(
                    f"SELECT {_COLUMNS} FROM corrections WHERE article_id = ?",
                    (correction.article_id,),
                )
            ).fetchone()
        return None if row is None else _correction(row)

    async def noted(self, article_id: int, revision: int, message_id: int) -> None:
        """The message that shows this correction's progress to the admin who edited."""
        async with self._db.atomic() as conn:
            await conn.execute(
                """UPDATE corrections SET notify_message_id = ?
                   WHERE article_id = ? AND revision = ?""",
                (message_id, article_id, revision),
            )

    async def prune(self, before: datetime) -> int:
        """Forget corrections finished before `before` (their cards are past the window)."""
        async with self._db.atomic() as conn:
            cursor = await conn.execute(
                "DELETE FROM corrections WHERE finished_at < ?", (iso(before),)
            )
            return cursor.rowcount


_COLUMNS = """article_id, revision, total, edited, failed, expired, notify_chat_id,
              notify_message_id, started_at, finished_at, media"""


def _correction(row: Any) -> Correction:
    return Correction(
        article_id=row[0],
        revision=row[1],
        total=row[2],
        edited=row[3],
        failed=row[4],
        expired=row[5],
        notify_chat_id=row[6],
        notify_message_id=row[7],
        started_at=parse_datetime(row[8]),
        finished=row[9] is not None,
        media=bool(row[10]),
    )


def _sent_card(row: Any) -> SentCard:
    delivery_id, chat_id, message_id, card, expired, chat_type, language, timezone = row
    return SentCard(
        delivery_id,
        chat_id,
        message_id,
        card,
        ChatType(chat_type),
        language,
        timezone,
        bool(expired),
    )
