"""SQLite's numbered, append-only schema migrations, tracked in `PRAGMA user_version`.

Never edit a migration that has shipped: add the next one. Each migration and the bump of
`user_version` are applied in one transaction, so a crash leaves the old or the new schema,
never half of one.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Migration:
    version: int
    name: str
    statements: tuple[str, ...]


MIGRATIONS: tuple[Migration, ...] = (
    Migration(
        1,
        "articles with full-text search",
        (
            """CREATE TABLE articles (
                id INTEGER PRIMARY KEY AUTOINCREMENT,
                url TEXT NOT NULL UNIQUE,
                title TEXT NOT NULL,
                summary TEXT NOT NULL DEFAULT '',
                body TEXT NOT NULL DEFAULT '',
                author TEXT NOT NULL DEFAULT '',
                tags TEXT NOT NULL DEFAULT '',
                published_at TEXT NOT NULL,
                created_at TEXT NOT NULL,
                source TEXT NOT NULL DEFAULT 'manual',
                guid TEXT
            )""",
            "CREATE INDEX articles_by_published ON articles (published_at DESC, id DESC)",
            "CREATE UNIQUE INDEX articles_by_guid ON articles (guid) WHERE guid IS NOT NULL",
            # External content: the text lives once, in `articles`; the triggers keep the
            # index in step. The prefix indexes make a 4- or 5-letter prefix (a word being
            # typed) one doclist lookup instead of a merge of every term that starts so.
            """CREATE VIRTUAL TABLE articles_fts USING fts5(
                title, summary, body, tags,
                content='articles', content_rowid='id',
                tokenize='unicode61 remove_diacritics 2', prefix='4 5'
            )""",
            """CREATE TRIGGER articles_fts_insert AFTER INSERT ON articles BEGIN
                INSERT INTO articles_fts (rowid, title, summary, body, tags)
                VALUES (new.id, new.title, new.summary, new.body, new.tags);
            END""",
            """CREATE TRIGGER articles_fts_delete AFTER DELETE ON articles BEGIN
                INSERT INTO articles_fts (articles_fts, rowid, title, summary, body, tags)
                VALUES ('delete', old.id, old.title, old.summary, old.body, old.tags);
            END""",
            """CREATE TRIGGER articles_fts_update
            AFTER UPDATE OF title, summary, body, tags ON articles BEGIN
                INSERT INTO articles_fts (articles_fts, rowid, title, summary, body, tags)
                VALUES ('delete', old.id, old.title, old.summary, old.body, old.tags);
                INSERT INTO articles_fts (rowid, title, summary, body, tags)
                VALUES (new.id, new.title, new.summary, new.body, new.tags);
            END""",
        ),
    ),
    Migration(
        2,
        "chats, subscriptions, the delivery outbox and feeds",
        (
            """CREATE TABLE chats (
                chat_id INTEGER PRIMARY KEY,
                type TEXT NOT NULL
                    CHECK (type IN ('private', 'group', 'supergroup', 'channel')),
                title TEXT NOT NULL DEFAULT '',
                username TEXT,
                is_forum INTEGER NOT NULL DEFAULT 0,
                language_code TEXT,
                active INTEGER NOT NULL DEFAULT 1,
                deactivated_reason TEXT,
                created_at TEXT NOT NULL,
                updated_at TEXT NOT NULL
            )""",
            # One row per subscribed chat (and forum topic; thread_id 0 is none).
            # `everything` = no topic filter; otherwise the topics are the rows of
            # subscription_topics, folded (lower case, no accents) like search tokens.
            """CREATE TABLE subscriptions (
                chat_id INTEGER NOT NULL
                    REFERENCES chats (chat_id) ON UPDATE CASCADE ON DELETE CASCADE,
                thread_id INTEGER NOT NULL DEFAULT 0,
                everything INTEGER NOT NULL DEFAULT 1,
                created_at TEXT NOT NULL,
                updated_at TEXT NOT NULL,
                PRIMARY KEY (chat_id, thread_id)
            )""",
            "CREATE INDEX subscriptions_to_everything ON subscriptions (everything, chat_id)",
            """CREATE TABLE subscription_topics (
                chat_id INTEGER NOT NULL,
                thread_id INTEGER NOT NULL,
                topic TEXT NOT NULL,
                PRIMARY KEY (chat_id, thread_id, topic),
                FOREIGN KEY (chat_id, thread_id) REFERENCES subscriptions (chat_id, thread_id)
                    ON UPDATE CASCADE ON DELETE CASCADE
            ) WITHOUT ROWID""",
            "CREATE INDEX subscription_topics_by_topic ON subscription_topics (topic)",
            """CREATE TABLE deliveries (
                id INTEGER PRIMARY KEY,
                article_id INTEGER NOT NULL REFERENCES articles (id) ON DELETE CASCADE,
                chat_id INTEGER NOT NULL
                    REFERENCES chats (chat_id) ON UPDATE CASCADE ON DELETE CASCADE,
                thread_id INTEGER NOT NULL DEFAULT 0,
                status TEXT NOT NULL DEFAULT 'pending' CHECK (status IN
                    ('pending', 'sending', 'sent', 'failed', 'skipped', 'cancelled')),
                attempts INTEGER NOT NULL DEFAULT 0,
                next_attempt_at REAL NOT NULL DEFAULT 0,
                message_id INTEGER,
                last_error TEXT,
                created_at TEXT NOT NULL,
                updated_at TEXT NOT NULL,
                UNIQUE (article_id, chat_id, thread_id)
            )""",
            """CREATE INDEX deliveries_due ON deliveries (next_attempt_at)
                WHERE status IN ('pending', 'sending')""",
            "CREATE INDEX deliveries_by_chat ON deliveries (chat_id, status)",
            """CREATE TABLE feeds (
                id INTEGER PRIMARY KEY AUTOINCREMENT,
                url TEXT NOT NULL UNIQUE,
                title TEXT NOT NULL DEFAULT '',
                etag TEXT,
                last_modified TEXT,
                next_check_at REAL NOT NULL DEFAULT 0,
                last_checked_at TEXT,
                error_count INTEGER NOT NULL DEFAULT 0,
                last_error TEXT,
                active INTEGER NOT NULL DEFAULT 1,
                created_at TEXT NOT NULL
            )""",
        ),
    ),
)

MIGRATIONS += (
    Migration(
        3,
        "broadcast progress, and an index of deliveries that are due",
        (
            # One row per announced article: where its progress is shown, and its end.
            """CREATE TABLE broadcasts (
                article_id INTEGER PRIMARY KEY REFERENCES articles (id) ON DELETE CASCADE,
                total INTEGER NOT NULL,
                notify_chat_id INTEGER,
                progress_message_id INTEGER,
                cancelled INTEGER NOT NULL DEFAULT 0,
                started_at TEXT NOT NULL,
                finished_at TEXT
            )""",
            "CREATE INDEX broadcasts_running ON broadcasts (article_id) WHERE finished_at IS NULL",
            # The claim query asks for status = 'pending' exactly; a partial index on an IN
            # list is not used for it.
            "DROP INDEX deliveries_due",
            """CREATE INDEX deliveries_pending ON deliveries (next_attempt_at, id)
                WHERE status = 'pending'""",
            "CREATE INDEX deliveries_by_article ON deliveries (article_id, status)",
        ),
    ),
)

MIGRATIONS += (
    Migration(
        4,
        "articles by source, to count what each feed brought",
        ("CREATE INDEX articles_by_source ON articles (source)",),
    ),
)

MIGRATIONS += (
    Migration(
        5,
        "subscriptions carry their chat's active flag, so choosing recipients needs no join",
        (
            "ALTER TABLE subscriptions ADD COLUMN active INTEGER NOT NULL DEFAULT 1",
            "ALTER TABLE subscription_topics ADD COLUMN active INTEGER NOT NULL DEFAULT 1",
            """UPDATE subscriptions SET active =
                (SELECT active FROM chats WHERE chats.chat_id = subscriptions.chat_id)""",
            """UPDATE subscription_topics SET active =
                (SELECT active FROM chats WHERE chats.chat_id = subscription_topics.chat_id)""",
            # The flag has one source, chats.active; this trigger copies every change.
            """CREATE TRIGGER chats_active_to_subscriptions AFTER UPDATE OF active ON chats
            BEGIN
                UPDATE subscriptions SET active = new.active WHERE chat_id = new.chat_id;
                UPDATE subscription_topics SET active = new.active WHERE chat_id = new.chat_id;
            END""",
            "DROP INDEX subscriptions_to_everything",
            """CREATE INDEX subscriptions_to_everything ON subscriptions (chat_id, thread_id)
                WHERE everything = 1 AND active = 1""",
        ),
    ),
)

MIGRATIONS += (
    Migration(
        6,
        "heartbeats: when each part of the running bot last worked, for health checks",
        (
            # One row per part ('updates', 'sending'), overwritten: the table never grows.
            "CREATE TABLE heartbeats (part TEXT PRIMARY KEY, at REAL NOT NULL)",
        ),
    ),
)

MIGRATIONS += (
    Migration(
        7,
        "broadcasts recorded in O(1) and walked wave by wave; delivery rows pruned, day counts",
        (
            # Every subscription (and topic) carries the value of this counter when it was
            # made; a broadcast keeps the value at its publication (its horizon): recipients
            # are the subscriptions made up to then.
            """CREATE TABLE counters (
                name TEXT PRIMARY KEY,
                value INTEGER NOT NULL
            ) WITHOUT ROWID""",
            "INSERT INTO counters (name, value) VALUES ('subscriptions', 0)",
            "ALTER TABLE subscriptions ADD COLUMN since INTEGER NOT NULL DEFAULT 0",
            "ALTER TABLE subscription_topics ADD COLUMN since INTEGER NOT NULL DEFAULT 0",
            "ALTER TABLE broadcasts ADD COLUMN horizon INTEGER NOT NULL DEFAULT 0",
            # The article's terms that were subscribed topics at publication (JSON).
            "ALTER TABLE broadcasts ADD COLUMN topics TEXT NOT NULL DEFAULT '[]'",
            # The walk: the last (chat_id, thread_id) given a delivery row; `walked` once
            # every recipient has one. Broadcasts from before were written whole.
            "ALTER TABLE broadcasts ADD COLUMN cursor_chat INTEGER",
            "ALTER TABLE broadcasts ADD COLUMN cursor_thread INTEGER",
            "ALTER TABLE broadcasts ADD COLUMN walked INTEGER NOT NULL DEFAULT 1",
            "ALTER TABLE broadcasts ADD COLUMN materialized INTEGER NOT NULL DEFAULT 0",
            "UPDATE broadcasts SET materialized = total",
            # `total` is counted by a read after publication (`counted` = 1 then) and made
            # exact when the walk ends; `unsent` are recipients a cancel left unwalked.
            "ALTER TABLE broadcasts ADD COLUMN counted INTEGER NOT NULL DEFAULT 1",
            "ALTER TABLE broadcasts ADD COLUMN unsent INTEGER NOT NULL DEFAULT 0",
            "CREATE INDEX broadcasts_open ON broadcasts (article_id) WHERE walked = 0",
            """CREATE INDEX broadcasts_by_end ON broadcasts (finished_at)
                WHERE finished_at IS NOT NULL""",
            # What remains of delivery rows once pruned: how many ended each way, each day.
            """CREATE TABLE delivery_days (
                day TEXT NOT NULL,
                status TEXT NOT NULL,
                n INTEGER NOT NULL,
                PRIMARY KEY (day, status)
            ) WITHOUT ROWID""",
            """INSERT INTO delivery_days (day, status, n)
                SELECT substr(updated_at, 1, 10), status, count(*) FROM deliveries
                WHERE status IN ('sent', 'failed', 'skipped', 'cancelled')
                GROUP BY 1, 2""",
        ),
    ),
)

MIGRATIONS += (
    Migration(
        8,
        "subscriptions made and ended per day, for statistics and charts",
        (
            """CREATE TABLE subscription_days (
                day TEXT NOT NULL,
                event TEXT NOT NULL CHECK (event IN ('subscribed', 'unsubscribed')),
                n INTEGER NOT NULL,
                PRIMARY KEY (day, event)
            ) WITHOUT ROWID""",
            """INSERT INTO subscription_days (day, event, n)
                SELECT substr(created_at, 1, 10), 'subscribed', count(*) FROM subscriptions
                GROUP BY 1""",
        ),
    ),
)

MIGRATIONS += (
    Migration(
        9,
        "chats' time zones; articles scheduled to be published later",
        (
            # An IANA name (America/Lima) or a fixed offset (-05:00): see storage.timing.
            "ALTER TABLE chats ADD COLUMN timezone TEXT NOT NULL DEFAULT 'UTC'",
            # Not in `articles` until their time: readers, search and inline mode cannot
            # see them, and publishing one is exactly adding it then.
            """CREATE TABLE scheduled (
                id INTEGER PRIMARY KEY,
                url TEXT NOT NULL UNIQUE,
                article TEXT NOT NULL,
                publish_at REAL NOT NULL,
                timezone TEXT NOT NULL,
                notify_chat_id INTEGER,
                created_at TEXT NOT NULL
            )""",
            "CREATE INDEX scheduled_due ON scheduled (publish_at)",
        ),
    ),
)

MIGRATIONS += (
    Migration(
        10,
        "digests: a subscription's cadence, and the digests' own outbox",
        (
            # `instant` is 0 for a digest subscription, since the broadcasts counter was
            # `mode_since`: a broadcast's walk reaches the subscriptions that were instant
            # when it was published. Both copied to subscription_topics, as `active` is, so
            # walking a topic needs no join.
            "ALTER TABLE subscriptions ADD COLUMN instant INTEGER NOT NULL DEFAULT 1",
            "ALTER TABLE subscription_topics ADD COLUMN instant INTEGER NOT NULL DEFAULT 1",
            "ALTER TABLE subscriptions ADD COLUMN mode_since INTEGER NOT NULL DEFAULT 0",
            "ALTER TABLE subscription_topics ADD COLUMN mode_since INTEGER NOT NULL DEFAULT 0",
            "ALTER TABLE subscriptions ADD COLUMN digest_minute INTEGER",  # local time
            "ALTER TABLE subscriptions ADD COLUMN digest_weekday INTEGER",  # NULL: daily
            "ALTER TABLE subscriptions ADD COLUMN next_digest_at REAL",  # unix time
            # The broadcasts counter when the digest's window opened: the next digest holds
            # the matching articles published after it.
            "ALTER TABLE subscriptions ADD COLUMN digest_from INTEGER NOT NULL DEFAULT 0",
            """CREATE INDEX subscriptions_digest_due ON subscriptions (next_digest_at)
                WHERE next_digest_at IS NOT NULL""",
            # Broadcasts numbered in the order they were published (a scheduled article's
            # id is older than its publication).
            "ALTER TABLE broadcasts ADD COLUMN seq INTEGER",
            "UPDATE broadcasts SET seq = article_id",
            """INSERT INTO counters (name, value)
                VALUES ('broadcasts', (SELECT coalesce(max(article_id), 0) FROM broadcasts))""",
            "CREATE INDEX broadcasts_by_seq ON broadcasts (seq)",
            """CREATE TABLE digests (
                id INTEGER PRIMARY KEY,
                chat_id INTEGER NOT NULL
                    REFERENCES chats (chat_id) ON UPDATE CASCADE ON DELETE CASCADE,
                thread_id INTEGER NOT NULL DEFAULT 0,
                kind TEXT NOT NULL CHECK (kind IN ('daily', 'weekly', 'quiet')),
                articles TEXT NOT NULL,
                status TEXT NOT NULL DEFAULT 'pending',
                attempts INTEGER NOT NULL DEFAULT 0,
                next_attempt_at REAL NOT NULL DEFAULT 0,
                message_id INTEGER,
                last_error TEXT,
                created_at TEXT NOT NULL,
                updated_at TEXT NOT NULL
            )""",
            """CREATE INDEX digests_pending ON digests (next_attempt_at, id)
                WHERE status = 'pending'""",
            "CREATE INDEX digests_by_status ON digests (status, updated_at)",
        ),
    ),
)

MIGRATIONS += (
    Migration(
        11,
        "quiet hours: a chat's local hours without instant cards",
        (
            "ALTER TABLE chats ADD COLUMN quiet_start INTEGER",  # local minutes; NULL: none
            "ALTER TABLE chats ADD COLUMN quiet_end INTEGER",
            "ALTER TABLE deliveries ADD COLUMN held INTEGER NOT NULL DEFAULT 0",
            """CREATE INDEX deliveries_held ON deliveries (next_attempt_at)
                WHERE held = 1 AND status = 'pending'""",
        ),
    ),
)

MIGRATIONS += (
    Migration(
        12,
        "feed guids unique per feed; unbelievable publication dates replaced",
        (
            "DROP INDEX articles_by_guid",
            """CREATE UNIQUE INDEX articles_by_source_guid ON articles (source, guid)
                WHERE guid IS NOT NULL""",
            # A year of fewer than four digits (stored unpadded), before 1995 or more than a
            # day ahead: the time the article was discovered stands instead.
            """UPDATE articles SET published_at = created_at
                WHERE published_at NOT GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]T*'
                   OR published_at < '1995'
                   OR published_at > strftime('%Y-%m-%dT%H:%M:%SZ', 'now', '+1 day')""",
        ),
    ),
)

MIGRATIONS += (
    Migration(
        13,
        "a feed's name and tags, as the reader's OPML gave them",
        (
            "ALTER TABLE feeds ADD COLUMN name TEXT",
            "ALTER TABLE feeds ADD COLUMN tags TEXT NOT NULL DEFAULT ''",
        ),
    ),
)

MIGRATIONS += (
    Migration(
        14,
        "what a chat chose: cards without sound, a language over its members' own",
        (
            "ALTER TABLE chats ADD COLUMN silent INTEGER NOT NULL DEFAULT 0",
            "ALTER TABLE chats ADD COLUMN language_choice TEXT",
        ),
    ),
)

MIGRATIONS += (
    Migration(
        15,
        "an article's link as the publisher gave it (the URL stays the duplicate key)",
        ("ALTER TABLE articles ADD COLUMN link TEXT",),
    ),
)

MIGRATIONS += (
    Migration(
        16,
        "what the CMS pushed: each hook once, with what it did (the admins' log)",
        (
            """CREATE TABLE hook_events (
                id INTEGER PRIMARY KEY,
                received_at TEXT NOT NULL,
                endpoint TEXT NOT NULL,
                event TEXT NOT NULL,
                post TEXT NOT NULL,
                version REAL NOT NULL,
                title TEXT NOT NULL DEFAULT '',
                outcome TEXT NOT NULL,
                article_id INTEGER,
                detail TEXT NOT NULL DEFAULT ''
            )""",
            "CREATE INDEX hook_events_by_post ON hook_events (endpoint, post, version)",
            "CREATE INDEX hook_events_by_time ON hook_events (received_at)",
        ),
    ),
)

MIGRATIONS += (
    Migration(
        17,
        "articles with a picture and their HTML; cards as sent, and their corrections",
        (
            "ALTER TABLE articles ADD COLUMN image TEXT NOT NULL DEFAULT ''",
            # Telegram would not show the picture: the cards still to go out are text.
            "ALTER TABLE articles ADD COLUMN image_refused INTEGER NOT NULL DEFAULT 0",
            "ALTER TABLE articles ADD COLUMN body_html TEXT NOT NULL DEFAULT ''",
            # Counts the corrections: a card shows the revision it was sent or edited at.
            "ALTER TABLE articles ADD COLUMN revision INTEGER NOT NULL DEFAULT 0",
            "ALTER TABLE chats ADD COLUMN card_style TEXT",
            "ALTER TABLE deliveries ADD COLUMN revision INTEGER NOT NULL DEFAULT 0",
            "ALTER TABLE deliveries ADD COLUMN card TEXT NOT NULL DEFAULT 'preview'",
            """CREATE TABLE corrections (
                article_id INTEGER PRIMARY KEY REFERENCES articles (id) ON DELETE CASCADE,
                revision INTEGER NOT NULL,
                cursor INTEGER NOT NULL DEFAULT 0,
                total INTEGER NOT NULL,
                edited INTEGER NOT NULL DEFAULT 0,
                failed INTEGER NOT NULL DEFAULT 0,
                expired INTEGER NOT NULL DEFAULT 0,
                media INTEGER NOT NULL DEFAULT 0,
                notify_chat_id INTEGER,
                notify_message_id INTEGER,
                started_at TEXT NOT NULL,
                finished_at TEXT
            )""",
            "CREATE INDEX corrections_open ON corrections (started_at) WHERE finished_at IS NULL",
        ),
    ),
)

MIGRATIONS += (
    Migration(
        18,
        "replicas: the leader's lease, which replicas run, the updates they took",
        (
            """CREATE TABLE leases (
                name TEXT PRIMARY KEY,
                holder TEXT NOT NULL,
                host TEXT NOT NULL,
                pid INTEGER NOT NULL,
                expires_at REAL NOT NULL
            )""",
            """CREATE TABLE replicas (
                holder TEXT PRIMARY KEY,
                host TEXT NOT NULL,
                pid INTEGER NOT NULL,
                role TEXT NOT NULL,
                seen_at REAL NOT NULL
            )""",
            # Webhook updates handed to the handlers, by any replica: each is taken once.
            "CREATE TABLE updates_taken (update_id INTEGER PRIMARY KEY, at REAL NOT NULL)",
            "CREATE INDEX updates_taken_at ON updates_taken (at)",
        ),
    ),
)

MIGRATIONS += (
    Migration(
        19,
        "admins' sessions: the open dialogue, its state and draft, for any replica",
        (
            """CREATE TABLE sessions (
                user_id INTEGER PRIMARY KEY,
                state INTEGER,
                data TEXT NOT NULL,
                expires_at REAL,
                updated_at REAL NOT NULL,
                held_until REAL NOT NULL DEFAULT 0,
                holder TEXT
            )""",
            "CREATE INDEX sessions_open ON sessions (expires_at) WHERE state IS NOT NULL",
        ),
    ),
)

LATEST_VERSION = MIGRATIONS[-1].version
