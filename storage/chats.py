"""Chats the bot knows, their lifecycle, and their subscriptions (with topic filters)."""

from __future__ import annotations

import enum
import json
from collections.abc import AsyncIterator, Iterable
from dataclasses import dataclass

from storage import days
from storage.db import Connection, Database, scalar
from storage.errors import N_, InvalidInput, NotFound
from storage.kinds import CardStyle, ChatType
from storage.text import MAX_TOPICS, now_iso
from storage.timing import DEFAULT_ZONE


@dataclass(frozen=True, slots=True)
class ChatInfo:
    """What Telegram tells us about a chat."""

    chat_id: int
    type: ChatType
    title: str = ""
    username: str | None = None
    is_forum: bool = False
    language_code: str | None = None


@dataclass(frozen=True, slots=True)
class ChatState:
    chat_id: int
    type: ChatType
    title: str
    username: str | None
    active: bool
    deactivated_reason: str | None


@dataclass(frozen=True, slots=True)
class Subscription:
    chat_id: int
    thread_id: int
    topics: tuple[str, ...]  # empty: every article

    @property
    def everything(self) -> bool:
        return not self.topics


@dataclass(frozen=True, slots=True)
class ChannelSubscription:
    channel: ChatState
    subscription: Subscription


class Change(enum.Enum):
    CREATED = "created"
    CHANGED = "changed"
    NARROWED = "narrowed"  # it received every article; now only some topics
    UNCHANGED = "unchanged"


class ChatRepository:
    def __init__(self, db: Database) -> None:
        self._db = db

    # -- chats ---------------------------------------------------------------------------

    async def remember(self, chat: ChatInfo) -> None:
        """Record or refresh a chat's details; its active flag is left as it is."""
        async with self._db.atomic() as conn:
            await _upsert_chat(conn, chat)

    async def language(self, chat_id: int) -> str | None:
        """The language the chat's messages are written in, as last given."""
        value = await self._db.fetchval(
            "SELECT coalesce(language_choice, language_code) FROM chats WHERE chat_id = ?",
            (chat_id,),
        )
        return value if isinstance(value, str) else None

    async def choose_language(self, chat: ChatInfo, language: str | None) -> None:
        """The language the chat's cards and replies are written in, whoever acts for it;
        None: each person's own again."""
        await self._set(chat, "language_choice", language)

    async def choices(self, chat_id: int) -> tuple[str | None, str | None]:
        """What the chat set that every reply follows: its language and time zone (None:
        not set)."""
        row = await self._db.fetchone(
            "SELECT language_choice, timezone FROM chats WHERE chat_id = ?", (chat_id,)
        )
        return (row[0], row[1]) if row is not None else (None, None)

    async def set_silent(self, chat: ChatInfo, silent: bool) -> None:
        """Cards to this chat come without a notification sound."""
        await self._set(chat, "silent", int(silent))

    async def silent(self, chat_id: int) -> bool:
        value = await self._db.fetchval("SELECT silent FROM chats WHERE chat_id = ?", (chat_id,))
        return bool(value)

    async def set_card_style(self, chat: ChatInfo, style: CardStyle) -> None:
        """How this chat's cards look, over the CARD_STYLE default."""
        await self._set(chat, "card_style", str(style))

    async def card_style(self, chat_id: int) -> CardStyle | None:
        """The chat's choice, if it made one."""
        value = await self._db.fetchval(
            "SELECT card_style FROM chats WHERE chat_id = ?", (chat_id,)
        )
        return CardStyle(value) if value else None

    async def timezone(self, chat_id: int) -> str:
        """The chat's time zone (storage.timing); UTC until one is set."""
        value = await self._db.fetchval("SELECT timezone FROM chats WHERE chat_id = ?", (chat_id,))
        return value if isinstance(value, str) else DEFAULT_ZONE

    async def set_timezone(self, chat: ChatInfo, zone: str) -> None:
        """`zone` as storage.timing.parse_zone gives it."""
        await self._set(chat, "timezone", zone)

    async def _set(self, chat: ChatInfo, setting: str, value: object) -> None:
        """One of the chat's settings (a column name of ours, never a user's word)."""
        assert setting in ("timezone", "silent", "language_choice", "card_style")
        async with self._db.atomic() as conn:
            await _upsert_chat(conn, chat)
            await conn.execute(
                f"UPDATE chats SET {setting} = ?, updated_at = ? WHERE chat_id = ?",
                (value, now_iso(), chat.chat_id),
            )

    async def get(self, chat_id: int) -> ChatState | None:
        row = await self._db.fetchone(
            """SELECT chat_id, type, title, username, active, deactivated_reason
               FROM chats WHERE chat_id = ?""",
            (chat_id,),
        )
        if row is None:
            return None
        return ChatState(row[0], ChatType(row[1]), row[2], row[3], bool(row[4]), row[5])

    async def deactivate(self, chat_id: int, reason: str) -> bool:
        """The bot can no longer write there (blocked, kicked, chat gone). Subscriptions are
        kept, so they resume if the chat comes back. Returns whether anything changed."""
        async with self._db.atomic() as conn:
            cursor = await conn.execute(
                """UPDATE chats SET active = 0, deactivated_reason = ?, updated_at = ?
                   WHERE chat_id = ? AND active = 1""",
                (reason, now_iso(), chat_id),
            )
            return cursor.rowcount > 0

    async def reactivate(self, chat: ChatInfo) -> bool:
        """The chat is reachable again (re-added, unblocked); True if it had been inactive."""
        async with self._db.atomic() as conn:
            await _upsert_chat(conn, chat)
            cursor = await conn.execute(
                """UPDATE chats SET active = 1, deactivated_reason = NULL, updated_at = ?
                   WHERE chat_id = ? AND active = 0""",
                (now_iso(), chat.chat_id),
            )
            return cursor.rowcount > 0

    async def migrate(self, old_id: int, new_id: int) -> None:
        """A group became a supergroup: everything of the old id now belongs to the new one,
        once. Safe to repeat, and safe if the new chat was already seen."""
        async with self._db.atomic() as conn:
            if await _exists(conn, "SELECT 1 FROM chats WHERE chat_id = ?", new_id):
                await conn.execute(
                    """INSERT INTO subscriptions
                       (chat_id, thread_id, everything, active, since, created_at, updated_at,
                        instant, mode_since, digest_minute, digest_weekday, next_digest_at,
                        digest_from)
                       SELECT CAST(?1 AS BIGINT), thread_id, everything,
                              (SELECT active FROM chats WHERE chat_id = ?1),
                              since, created_at, updated_at, instant, mode_since, digest_minute,
                              digest_weekday, next_digest_at, digest_from
                       FROM subscriptions WHERE chat_id = ?2 ON CONFLICT DO NOTHING""",
                    (new_id, old_id),
                )
                await conn.execute(
                    """INSERT INTO subscription_topics
                       (chat_id, thread_id, topic, active, since, instant, mode_since)
                       SELECT CAST(?1 AS BIGINT), thread_id, topic,
                              (SELECT active FROM chats WHERE chat_id = ?1), since, instant,
                              mode_since
                       FROM subscription_topics WHERE chat_id = ?2 ON CONFLICT DO NOTHING""",
                    (new_id, old_id),
                )
                await conn.execute(
                    """INSERT INTO deliveries
                       (article_id, chat_id, thread_id, status, attempts, next_attempt_at,
                        message_id, last_error, created_at, updated_at)
                       SELECT article_id, CAST(? AS BIGINT), thread_id,
                              CASE status WHEN 'sending' THEN 'pending' ELSE status END,
                              attempts, next_attempt_at, message_id, last_error, created_at,
                              updated_at
                       FROM deliveries WHERE chat_id = ? ON CONFLICT DO NOTHING""",
                    (new_id, old_id),
                )
                await conn.execute("DELETE FROM chats WHERE chat_id = ?", (old_id,))
            else:
                # ON UPDATE CASCADE carries subscriptions, topics and deliveries along.
                await conn.execute(
                    "UPDATE chats SET chat_id = ?, type = 'supergroup', updated_at = ? "
                    "WHERE chat_id = ?",
                    (new_id, now_iso(), old_id),
                )

    # -- subscriptions -------------------------------------------------------------------

    async def subscription(self, chat_id: int, thread_id: int = 0) -> Subscription | None:
        row = await self._db.fetchone(
            "SELECT everything FROM subscriptions WHERE chat_id = ? AND thread_id = ?",
            (chat_id, thread_id),
        )
        if row is None:
            return None
        topics = await self._db.fetchall(
            """SELECT topic FROM subscription_topics WHERE chat_id = ? AND thread_id = ?
               ORDER BY topic""",
            (chat_id, thread_id),
        )
        return Subscription(chat_id, thread_id, tuple(r[0] for r in topics))

    async def subscriptions_of(self, chat_id: int) -> list[Subscription]:
        rows = await self._db.fetchall(
            "SELECT thread_id FROM subscriptions WHERE chat_id = ? ORDER BY thread_id",
            (chat_id,),
        )
        found = [await self.subscription(chat_id, row[0]) for row in rows]
        return [s for s in found if s is not None]

    async def subscribe(
        self, chat: ChatInfo, thread_id: int = 0, topics: Iterable[str] = ()
    ) -> tuple[Change, Subscription]:
        """Subscribe to everything (no topics) or add topics to the filter.

        Topics given to a chat that receives everything narrow it to those topics; no topics
        given to a chat with a filter widens it to everything. Subscribing also marks the
        chat active: whoever subscribes it can evidently be written to.
        """
        wanted = tuple(topics)
        before = await self.subscription(chat.chat_id, thread_id)
        current = set(before.topics) if before else set()
        if wanted and len(current | set(wanted)) > MAX_TOPICS:
            raise InvalidInput(N_("at most {limit} topics per subscription"), limit=MAX_TOPICS)
        now = now_iso()
        async with self._db.atomic() as conn:
            await _upsert_chat(conn, chat)
            await conn.execute(
                "UPDATE chats SET active = 1, deactivated_reason = NULL WHERE chat_id = ?",
                (chat.chat_id,),
            )
            # Broadcasts published from now on reach this subscription (and topics), not
            # those published before: see storage.deliveries.
            since = await scalar(
                conn,
                "UPDATE counters SET value = value + 1 WHERE name = 'subscriptions' "
                "RETURNING value",
            )
            await conn.execute(
                """INSERT INTO subscriptions (chat_id, thread_id, everything, since,
                                              created_at, updated_at)
                   VALUES (?, ?, ?, ?, ?, ?)
                   ON CONFLICT (chat_id, thread_id) DO UPDATE SET
                       everything = excluded.everything, updated_at = excluded.updated_at""",
                (chat.chat_id, thread_id, int(not wanted), since, now, now),
            )
            if before is None:
                await days.add_today(conn, "subscription_days", {"subscribed": 1})
            if not wanted:
                await conn.execute(
                    "DELETE FROM subscription_topics WHERE chat_id = ? AND thread_id = ?",
                    (chat.chat_id, thread_id),
                )
            else:
                await conn.executemany(
                    """INSERT INTO subscription_topics
                       (chat_id, thread_id, topic, since, instant, mode_since)
                       SELECT CAST(?1 AS BIGINT), CAST(?2 AS BIGINT), CAST(?3 AS TEXT),
                              CAST(?4 AS BIGINT), instant, mode_since FROM subscriptions
                       WHERE chat_id = ?1 AND thread_id = ?2 ON CONFLICT DO NOTHING""",
                    [(chat.chat_id, thread_id, topic, since) for topic in wanted],
                )
        after = await self.subscription(chat.chat_id, thread_id)
        assert after is not None
        if before is None:
            return Change.CREATED, after
        if after == before:
            return Change.UNCHANGED, after
        return (Change.NARROWED if before.everything else Change.CHANGED), after

    async def unsubscribe(
        self, chat_id: int, thread_id: int = 0, topics: Iterable[str] = ()
    ) -> Subscription | None:
        """Remove topics (the subscription ends with its last topic) or, with no topics,
        the whole subscription. Returns what remains; `NotFound` if nothing to remove."""
        remove = set(topics)
        before = await self.subscription(chat_id, thread_id)
        if before is None:
            raise NotFound(N_("not subscribed"))
        if remove and not remove & set(before.topics):
            raise NotFound(N_("none of those topics is subscribed"))
        async with self._db.atomic() as conn:
            if remove and set(before.topics) - remove:
                await conn.executemany(
                    """DELETE FROM subscription_topics
                       WHERE chat_id = ? AND thread_id = ? AND topic = ?""",
                    [(chat_id, thread_id, topic) for topic in remove],
                )
            else:
                await conn.execute(
                    "DELETE FROM subscriptions WHERE chat_id = ? AND thread_id = ?",
                    (chat_id, thread_id),
                )
                await days.add_today(conn, "subscription_days", {"unsubscribed": 1})
        return await self.subscription(chat_id, thread_id)

    async def days(self, since: str) -> dict[str, dict[str, int]]:
        """Subscriptions made and ended per day (YYYY-MM-DD, from `since` on)."""
        return await days.read(self._db, "subscription_days", since)

    async def channel_subscriptions(
        self, limit: int, offset: int = 0
    ) -> list[ChannelSubscription]:
        """Subscribed channels, active or not, by title: what bot admins look after."""
        rows = await self._db.fetchall(
            """SELECT c.chat_id, c.type, c.title, c.username, c.active, c.deactivated_reason,
                      s.thread_id,
                      (SELECT coalesce(json_group_array(topic), '[]') FROM (
                           SELECT topic FROM subscription_topics t
                           WHERE t.chat_id = s.chat_id AND t.thread_id = s.thread_id
                           ORDER BY topic) AS topics)
               FROM chats c JOIN subscriptions s ON s.chat_id = c.chat_id
               WHERE c.type = 'channel'
               ORDER BY lower(c.title), c.chat_id LIMIT ? OFFSET ?""",
            (limit, offset),
        )
        return [
            ChannelSubscription(
                ChatState(row[0], ChatType(row[1]), row[2], row[3], bool(row[4]), row[5]),
                Subscription(row[0], row[6], tuple(json.loads(row[7]))),
            )
            for row in rows
        ]

    async def recipients(
        self, article_terms: Iterable[str], batch: int = 1000
    ) -> AsyncIterator[list[tuple[int, int]]]:
        """(chat_id, thread_id) of every active subscription that wants an article with
        these folded terms: one statement, streamed in batches."""
        params = {"terms": json.dumps(sorted(article_terms))}
        async for rows in self._db.stream(RECIPIENTS_SQL, params, batch):
            yield rows


# Subscribers to everything (a partial index holds exactly them), then topic subscribers
# with a topic among the article's terms. The second part walks subscription_topics in
# primary-key order (`+topic` keeps the topic index out), so GROUP BY folds a chat's several
# matching topics into one row as it goes: no temporary b-tree, and memory stays flat
# however many chats match. `active` is the chat's flag, copied by a trigger (migration 5).
RECIPIENTS_SQL = """
    SELECT chat_id, thread_id FROM subscriptions
    WHERE everything = 1 AND active = 1 AND instant = 1
    UNION ALL
    SELECT chat_id, thread_id FROM subscription_topics
    WHERE +topic IN (SELECT value FROM json_each(:terms)) AND active = 1 AND instant = 1
    GROUP BY chat_id, thread_id
"""


async def _upsert_chat(conn: Connection, chat: ChatInfo) -> None:
    now = now_iso()
    await conn.execute(
        """INSERT INTO chats (chat_id, type, title, username, is_forum, language_code,
                              created_at, updated_at)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?)
           ON CONFLICT (chat_id) DO UPDATE SET
               type = excluded.type, title = excluded.title, username = excluded.username,
               is_forum = excluded.is_forum,
               language_code = coalesce(excluded.language_code, chats.language_code),
               updated_at = excluded.updated_at""",
        (
            chat.chat_id,
            chat.type,
            chat.title,
            chat.username,
            int(chat.is_forum),
            chat.language_code,
            now,
            now,
        ),
    )


async def _exists(conn: Connection, sql: str, *params: object) -> bool:
    async with conn.execute(sql, params) as cursor:
        return await cursor.fetchone() is not None
