"""Ghost's post webhooks, read as they are sent (`{"post": {"current": …, "previous": …}}`).

Ghost names the event only in the webhook's settings, not in what it sends, so the event is
read from the post's state: `previous` holds just the fields that changed. One URL can then
take every post event: published (from a draft, or created published), published.edited,
unpublished, deleted. Scheduling stays Ghost's: at the time, Ghost publishes the post and
sends `post.published`, which is when the bot broadcasts it; `post.scheduled`,
`post.rescheduled` and `post.unscheduled` are acknowledged and change nothing.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from bot.sources.hooks.payload import (
    Unusable,
    article,
    moment,
    post_id,
    text,
    url_of,
    version,
)
from storage import NewArticle
from storage.hooks import Hook
from storage.kinds import HookAction

ENDPOINT = "ghost"
SOURCE = "ghost"
PUBLISHED = "published"


def ghost_hook(data: dict[str, Any], signed_at: float) -> Hook:
    """The hook a Ghost webhook's JSON means, or `Unusable`."""
    if "page" in data and "post" not in data:
        return _page(data["page"], signed_at)
    post = data.get("post")
    if not isinstance(post, dict):
        raise Unusable('not a Ghost post webhook (no "post")')
    current, previous = _part(post, "current"), _part(post, "previous")
    state = current or previous
    guid = f"ghost:{post_id(state)}"
    event, action = _event(current, previous)
    hook = Hook(
        endpoint=ENDPOINT,
        event=event,
        action=action,
        source=SOURCE,
        guid=guid,
        url=url_of(state),
        version=version(state, signed_at),
        title=text(state, "title"),
    )
    if action is HookAction.IGNORE:
        return replace(hook, reason=REASONS[event])
    if action is HookAction.WITHDRAW:
        return hook
    return replace(hook, article=_article(current, guid))


def _event(current: dict[str, Any], previous: dict[str, Any]) -> tuple[str, HookAction]:
    if not current:
        return "post.deleted", HookAction.WITHDRAW
    status = current.get("status")
    was = previous.get("status", status)
    if status == PUBLISHED and (was != PUBLISHED or not previous):
        return "post.published", HookAction.PUBLISH
    if status == PUBLISHED:
        return "post.published.edited", HookAction.REVISE
    if was == PUBLISHED:
        return "post.unpublished", HookAction.WITHDRAW
    if status == "scheduled":
        return ("post.rescheduled" if was == status else "post.scheduled"), HookAction.IGNORE
    if was == "scheduled":
        return "post.unscheduled", HookAction.IGNORE
    return "post.edited", HookAction.IGNORE


def _article(post: dict[str, Any], guid: str) -> NewArticle:
    author = post.get("primary_author")
    return article(
        url=text(post, "url"),
        title=text(post, "title"),
        summary=text(post, "custom_excerpt", "excerpt"),
        body="",
        html=text(post, "html") or text(post, "plaintext"),
        author=text(author, "name") if isinstance(author, dict) else "",
        tags=_public_tags(post.get("tags")),
        published_at=moment(post, "published_at"),
        source=SOURCE,
        guid=guid,
        image=text(post, "feature_image"),
    )


def _public_tags(tags: object) -> list[str]:
    """Tag names, without Ghost's internal tags (`#name`, visibility "internal")."""
    if not isinstance(tags, list):
        return []
    return [
        tag["name"]
        for tag in tags
        if isinstance(tag, dict)
        and isinstance(tag.get("name"), str)
        and not tag["name"].startswith("#")
        and tag.get("visibility", "public") != "internal"
    ]


def _part(post: dict[str, Any], name: str) -> dict[str, Any]:
    value = post.get(name) or {}
    if not isinstance(value, dict):
        raise Unusable(f'"post.{name}" is not an object')
    return value


REASONS = {
    "post.scheduled": "Ghost publishes it at its time and sends post.published then",
    "post.rescheduled": "Ghost publishes it at its time and sends post.published then",
    "post.unscheduled": "it was not published",
    "post.edited": "a draft: nothing is published",
}


def _page(page: object, signed_at: float) -> Hook:
    """A page's webhook, acknowledged: pages are not articles."""
    state: dict[str, Any] = {}
    if isinstance(page, dict):
        state = page.get("current") or page.get("previous") or {}
    return Hook(
        endpoint=ENDPOINT,
        event="page.*",
        action=HookAction.IGNORE,
        source=SOURCE,
        guid=f"ghost:{text(state, 'id') or '?'}",
        url=None,
        version=signed_at,
        title=text(state, "title"),
        reason="pages are not articles",
    )
