"""All SQL lives here. Knows nothing of Telegram."""

from storage.chats import Change as SubscriptionChange
from storage.chats import ChannelSubscription, ChatInfo, ChatState, Subscription
from storage.errors import (
    DatabaseUnavailable,
    DuplicateArticle,
    InvalidInput,
    NotFound,
    StorageError,
)
from storage.models import Article, NewArticle, SearchHit, SearchPage
from storage.store import Storage

__all__ = [
    "Article",
    "ChannelSubscription",
    "ChatInfo",
    "ChatState",
    "DatabaseUnavailable",
    "DuplicateArticle",
    "InvalidInput",
    "NewArticle",
    "NotFound",
    "SearchHit",
    "SearchPage",
    "Storage",
    "StorageError",
    "Subscription",
    "SubscriptionChange",
]
