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
