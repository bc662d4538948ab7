"""What the two kinds of hook share: reading their JSON into a storage `Hook`, and the one
way a hook's content is found unusable."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from bot.sources.entries import html_text
from storage import InvalidInput, NewArticle
from storage.text import normalize_url, parse_datetime

MAX_ID = 200  # characters of a CMS's post id


class Unusable(Exception):
    """Signed by the CMS, but not an article the bot can use; `str()` says why."""


def text(data: dict[str, Any], *names: str) -> str:
    """The first of these fields that is a non-empty string ("" if none)."""
    for name in names:
        value = data.get(name)
        if isinstance(value, str) and value.strip():
            return value
    return ""


def post_id(data: dict[str, Any]) -> str:
    value = data.get("id")
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str) or not value.strip() or len(value) > MAX_ID:
        raise Unusable('the post has no "id"')
    return value.strip()


def moment(data: dict[str, Any], name: str) -> datetime | None:
    """A date field, or None when it is missing; `Unusable` when it is not a date."""
    raw = data.get(name)
    if raw is None or raw == "":
        return None
    if not isinstance(raw, str):
        raise Unusable(f'"{name}" is not a date')
    try:
        return parse_datetime(raw)
    except InvalidInput as exc:
        raise Unusable(f'"{name}": {exc}') from None


def version(data: dict[str, Any], signed_at: float) -> float:
    """When the CMS last changed the post: `updated_at`, else when it signed the hook."""
    updated = moment(data, "updated_at")
    return updated.timestamp() if updated is not None else signed_at


def url_of(data: dict[str, Any]) -> str | None:
    url = text(data, "url")
    try:
        return normalize_url(url) if url else None
    except InvalidInput:
        return None


def article(
    *,
    url: str,
    title: str,
    summary: str,
    body: str,
    html: str,
    author: str,
    tags: Iterable[str],
    published_at: datetime | None,
    source: str,
    guid: str | None,
    image: str = "",
) -> NewArticle:
    """The article a hook describes (`html` is kept for the 📖 rich message and read as
    text where `body` is empty), or `Unusable` saying what is wrong with it."""
    if not url:
        raise Unusable('the post has no "url"')
    try:
        return NewArticle(
            url=url,
            title=title,
            summary=html_text(summary),
            body=body or html_text(html),
            author=author,
            tags=tuple(tags),
            published_at=published_at,
            source=source,
            guid=guid,
            image=image,
            body_html=html if "<" in html else "",
        )
    except InvalidInput as exc:
        raise Unusable(str(exc)) from None
