"""The states and kinds the store records, as enums: their values are what the rows hold,
and being `StrEnum`s they compare, hash and format as those strings do."""

from __future__ import annotations

from enum import StrEnum


class DeliveryStatus(StrEnum):
    """Where a card or a digest is on its way to one chat."""

    PENDING = "pending"  # due at next_attempt_at (again, after a retryable failure)
    SENDING = "sending"  # claimed by the worker; back to pending if it crashes
    SENT = "sent"
    FAILED = "failed"
    SKIPPED = "skipped"  # the chat is gone: blocked, kicked, deleted
    CANCELLED = "cancelled"  # the broadcast was stopped, or its article deleted


TERMINAL = (
    DeliveryStatus.SENT,
    DeliveryStatus.FAILED,
    DeliveryStatus.SKIPPED,
    DeliveryStatus.CANCELLED,
)


class Role(StrEnum):
    """What a running `articlebot run` is among the replicas on one database."""

    LEADER = "leader"  # holds the lease: runs what must run once
    STANDBY = "standby"


class CadenceKind(StrEnum):
    """How a subscription receives its articles."""

    INSTANT = "instant"
    DAILY = "daily"
    WEEKLY = "weekly"


class DigestKind(StrEnum):
    """What gathered a digest's articles."""

    DAILY = "daily"
    WEEKLY = "weekly"
    QUIET = "quiet"  # the cards held during a chat's quiet hours


class SearchOrder(StrEnum):
    RELEVANCE = "relevance"
    RECENCY = "recency"  # when the words are too common to rank by


class ChatType(StrEnum):
    """Telegram's chat types (the Bot API's `Chat.type`)."""

    PRIVATE = "private"
    GROUP = "group"
    SUPERGROUP = "supergroup"
    CHANNEL = "channel"


class HookAction(StrEnum):
    """What a CMS's hook asks for (storage.hooks)."""

    PUBLISH = "publish"  # store and broadcast, or schedule when its time is ahead
    REVISE = "revise"  # correct the stored copy
    WITHDRAW = "withdraw"  # take it out of the archive and recall its cards
    IGNORE = "ignore"  # nothing to do (a draft saved, Ghost's own scheduling)


class HookOutcome(StrEnum):
    PUBLISHED = "published"
    SCHEDULED = "scheduled"
    UPDATED = "updated"
    UNCHANGED = "unchanged"
    ARCHIVED = "archived"  # an edit of a post the bot had not seen: stored, not broadcast
    WITHDRAWN = "withdrawn"
    UNSCHEDULED = "unscheduled"
    NOT_FOUND = "not found"
    IGNORED = "ignored"
    REPEATED = "repeated"  # the same state of the post came before (a retry)
    STALE = "stale"  # a newer state of the post came before
    INVALID = "invalid"  # signed, but not a usable article


class CardStyle(StrEnum):
    """How a chat's cards look (/cards, CARD_STYLE)."""

    PHOTO = "photo"  # the article's picture with the card as its caption, when it has one
    PREVIEW = "preview"  # text with the page's link preview
    TEXT = "text"  # text only
