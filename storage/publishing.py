"""How an article enters, changes and leaves the store, inside the caller's transaction:
the archive's repository, the CMS hooks and the scheduler all write through these."""

from __future__ import annotations

import json
from enum import Enum

from storage.db import Connection, scalar
from storage.errors import N_, DuplicateArticle, NotFound
from storage.models import NewArticle, join_tags, published_or_now
from storage.text import now_iso, terms


async def insert(
    conn: Connection,
    article: NewArticle,
    announce: bool = True,
    notify_chat_id: int | None = None,
) -> int:
    """Add an article (and with `announce`, its broadcast) inside the caller's transaction;
    returns its id. `DuplicateArticle` if its URL or feed guid is stored already."""
    now = now_iso()
    existing = await find_existing(conn, article)
    if existing is not None:
        raise DuplicateArticle(article.url, existing)
    article_id = await scalar(
        conn,
        """INSERT INTO articles
           (url, title, summary, body, author, tags, published_at, created_at, source, guid,
            link, image, body_html)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id""",
        *(
            article.url,
            article.title,
            article.summary,
            article.body,
            article.author,
            join_tags(article.tags),
            published_or_now(article, now),
            now,
            article.source,
            article.guid,
            article.link,
            article.image,
            article.body_html,
        ),
    )
    if announce:
        await _queue_deliveries(conn, article_id, article, notify_chat_id, now)
    return int(article_id)


async def _queue_deliveries(
    conn: Connection,
    article_id: int,
    article: NewArticle,
    notify_chat_id: int | None,
    now: str,
) -> None:
    """Record the broadcast in O(1): the moment (the subscription counter's value) and the
    article's terms that are subscribed topics; the delivery worker walks the recipients
    wave by wave (storage.deliveries)."""
    words = terms(" ".join((article.title, article.summary, *article.tags)))
    horizon = await scalar(conn, "SELECT value FROM counters WHERE name = 'subscriptions'")
    async with conn.execute(
        """SELECT value FROM json_each(?) AS term
           WHERE EXISTS (SELECT 1 FROM subscription_topics WHERE topic = term.value)""",
        (json.dumps(sorted(words)),),
    ) as cursor:
        topics = [row[0] for row in await cursor.fetchall()]
    seq = await scalar(
        conn, "UPDATE counters SET value = value + 1 WHERE name = 'broadcasts' RETURNING value"
    )
    await conn.execute(
        """INSERT INTO broadcasts (article_id, total, notify_chat_id, started_at, horizon,
                                   topics, walked, counted, seq)
           VALUES (?, 0, ?, ?, ?, ?, 0, 0, ?)""",
        (article_id, notify_chat_id, now, horizon, json.dumps(topics), seq),
    )


async def find_existing(conn: Connection, article: NewArticle) -> int | None:
    return await find_post(conn, article.source, article.guid, article.url)


async def find_post(
    conn: Connection, source: str, guid: str | None, url: str | None
) -> int | None:
    """The stored article with this guid of `source`, or else this (normalised) URL."""
    found = await scalar(
        conn,
        """SELECT id FROM articles
           WHERE (guid IS NOT NULL AND guid = ? AND source = ?) OR url = ?
           ORDER BY guid IS NOT NULL AND guid = ? AND source = ? DESC LIMIT 1""",
        guid,
        source,
        url,
        guid,
        source,
    )
    return None if found is None else int(found)


class Change(Enum):
    """What rewriting an article changed."""

    NOTHING = "nothing"
    ARCHIVE = "archive"  # only what readers see in the bot: its text, author, link
    CARDS = "cards"  # also what its cards show: title, summary or tags
    PICTURE = "picture"  # its picture too


CARD_SQL = "SELECT json_array(title, summary, tags, image) FROM articles WHERE id = ?"


def card_fields(article: NewArticle) -> list[str]:
    """What a card shows of an article, as CARD_SQL reads it from the store."""
    return [article.title, article.summary, join_tags(article.tags), article.image]


async def rewrite(conn: Connection, article_id: int, article: NewArticle) -> Change:
    """Replace what the publisher may change (title, summary, text, author, tags, link,
    picture and, unless another article has it, the URL); the publication time stays."""
    card = await scalar(conn, CARD_SQL, article_id)
    cursor = await conn.execute(
        """UPDATE articles SET title = :title, summary = :summary, body = :body,
                  author = :author, tags = :tags, link = :link, body_html = :body_html,
                  image_refused = CASE WHEN image = :image THEN image_refused ELSE 0 END,
                  image = :image,
                  url = CASE WHEN EXISTS (SELECT 1 FROM articles
                                          WHERE url = :url AND id != :id)
                        THEN url ELSE :url END
           WHERE id = :id
             AND (title, summary, body, author, tags, coalesce(link, url), url, image,
                  body_html)
                 IS DISTINCT FROM (:title, :summary, :body, :author, :tags, :link, :url,
                                   :image, :body_html)""",
        {
            "id": article_id,
            "title": article.title,
            "summary": article.summary,
            "body": article.body,
            "author": article.author,
            "tags": join_tags(article.tags),
            "link": article.link,
            "url": article.url,
            "image": article.image,
            "body_html": article.body_html,
        },
    )
    if cursor.rowcount == 0:
        return Change.NOTHING
    now = await scalar(conn, CARD_SQL, article_id)
    if now == card:
        return Change.ARCHIVE
    return Change.PICTURE if json.loads(now)[3] != json.loads(card)[3] else Change.CARDS


async def remove(conn: Connection, article_id: int) -> None:
    """Delete an article (its index entry, broadcast and deliveries with it)."""
    cursor = await conn.execute("DELETE FROM articles WHERE id = ?", (article_id,))
    if cursor.rowcount == 0:
        raise NotFound(N_("article {id} not found"), id=article_id)
