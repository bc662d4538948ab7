"""The signed JSON any CMS can send to `/hooks/articles` (README "CMS hooks"):

    {"event": "published" | "updated" | "deleted",
     "article": {"id": "…", "url": "…", "title": "…", "summary": "…",
                 "body": "…" or "html": "…", "author": "…", "tags": ["…"],
                 "published_at": "ISO-8601", "updated_at": "ISO-8601"}}

`id` (the CMS's own) or `url` names the post; `deleted` needs only one of them. The fields
are those of `articlebot add`. A `published_at` ahead schedules the article.
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
from storage.hooks import Hook
from storage.kinds import HookAction
from storage.text import parse_tags

ENDPOINT = "articles"
SOURCE = "hooks"
ACTIONS = {
    "published": HookAction.PUBLISH,
    "updated": HookAction.REVISE,
    "deleted": HookAction.WITHDRAW,
}


def signed_hook(data: dict[str, Any], signed_at: float) -> Hook:
    """The hook this JSON means, or `Unusable`."""
    event = data.get("event")
    if not isinstance(event, str) or event not in ACTIONS:
        raise Unusable('"event" must be one of: ' + ", ".join(ACTIONS))
    post = data.get("article")
    if not isinstance(post, dict):
        raise Unusable('"article" must be an object')
    guid = f"hooks:{post_id(post)}" if "id" in post else None
    url = url_of(post)
    if guid is None and url is None:
        raise Unusable('the article needs an "id" or a "url"')
    action = ACTIONS[event]
    hook = Hook(
        endpoint=ENDPOINT,
        event=event,
        action=action,
        source=SOURCE,
        guid=guid,
        url=url,
        version=version(post, signed_at),
        title=text(post, "title"),
    )
    if action is HookAction.WITHDRAW:
        return hook
    published_at = moment(post, "published_at")
    new = article(
        url=text(post, "url"),
        title=text(post, "title"),
        summary=text(post, "summary"),
        body=text(post, "body"),
        html=text(post, "html"),
        author=text(post, "author"),
        tags=_tags(post.get("tags")),
        published_at=published_at,
        source=SOURCE,
        guid=guid,
        image=text(post, "image"),
    )
    return replace(hook, url=new.url, title=new.title, article=new, publish_at=published_at)


def _tags(value: object) -> tuple[str, ...]:
    if isinstance(value, str):
        return parse_tags(value)
    if isinstance(value, list):
        return parse_tags(", ".join(tag for tag in value if isinstance(tag, str)))
    return ()
