"""CMS hooks without the network: signatures, what a Ghost payload means, the signed JSON,
the hook log's retention, `articlebot hooks log`, and the settings that enable hooks."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from bot.cli import cli
from bot.sources.hooks.generic import signed_hook
from bot.sources.hooks.ghost import ghost_hook
from bot.sources.hooks.payload import Unusable
from bot.sources.hooks.signing import Refused, ghost_signed_at, sign, sign_ghost, signed_at
from config import SettingsError, load_settings
from storage import Storage, clock
from storage.hooks import LOG_DAYS, Hook
from storage.kinds import HookAction
from tests.hooklib import deleted, edited, ghost_payload, ghost_post, published, unpublished

SECRET = b"0123456789abcdef-secret"
BODY = b'{"post": {}}'
NOW = 1_800_000_000.0


def test_ghost_signature_is_the_hmac_of_the_body_and_the_time() -> None:
    header = sign_ghost(BODY, SECRET, int(NOW * 1000))
    assert ghost_signed_at(header, BODY, SECRET, NOW + 1) == NOW
    assert (
        ghost_signed_at(
            header.upper().replace("SHA256", "sha256").replace("T=", "t="), BODY, SECRET, NOW
        )
        == NOW
    )


@pytest.mark.parametrize(
    ("header", "body", "now", "reason"),
    [
        (None, BODY, NOW, "no valid X-Ghost-Signature header"),
        ("sha256=abc", BODY, NOW, "no valid X-Ghost-Signature header"),
        ("sha256=abc, t=" + "9" * 5000, BODY, NOW, "no valid X-Ghost-Signature header"),
        ("sha256=abc, t=-5", BODY, NOW, "no valid X-Ghost-Signature header"),
        (sign_ghost(BODY, b"another secret!!", int(NOW * 1000)), BODY, NOW, "does not match"),
        (sign_ghost(BODY, SECRET, int(NOW * 1000)), BODY + b" ", NOW, "does not match"),
        (sign_ghost(BODY, SECRET, int(NOW * 1000)), BODY, NOW + 301, "is 301 s old"),
        (sign_ghost(BODY, SECRET, int(NOW * 1000)), BODY, NOW - 301, "dated 301 s ahead"),
    ],
)
def test_ghost_signatures_that_do_not_hold_are_refused(
    header: str | None, body: bytes, now: float, reason: str
) -> None:
    with pytest.raises(Refused, match=reason):
        ghost_signed_at(header, body, SECRET, now)


def test_articlebot_signature_accepts_any_of_several_while_a_secret_is_replaced() -> None:
    header = sign(BODY, SECRET, int(NOW))
    assert signed_at(header, BODY, SECRET, NOW) == NOW
    old = sign(BODY, b"the old secret, retired", int(NOW)).split(",")[1]
    assert signed_at(f"{header},{old}", BODY, SECRET, NOW) == NOW
    with pytest.raises(Refused, match="does not match"):
        signed_at(f"t={int(NOW)},{old}", BODY, SECRET, NOW)
    with pytest.raises(Refused, match="no valid"):
        signed_at(f"t={int(NOW)}", BODY, SECRET, NOW)
    # The time is inside the signature: changing it breaks it.
    moved = header.replace(f"t={int(NOW)}", f"t={int(NOW) + 1}")
    with pytest.raises(Refused, match="does not match"):
        signed_at(moved, BODY, SECRET, NOW)


@pytest.mark.parametrize(
    ("payload", "event", "action"),
    [
        (published(ghost_post()), "post.published", HookAction.PUBLISH),
        (ghost_payload(ghost_post(), {}), "post.published", HookAction.PUBLISH),  # created so
        (edited(ghost_post(), title="before"), "post.published.edited", HookAction.REVISE),
        (unpublished(ghost_post()), "post.unpublished", HookAction.WITHDRAW),
        (deleted(ghost_post()), "post.deleted", HookAction.WITHDRAW),
        (
            ghost_payload(ghost_post(status="scheduled"), {"status": "draft"}),
            "post.scheduled",
            HookAction.IGNORE,
        ),
        (
            ghost_payload(ghost_post(status="scheduled"), {"published_at": "x"}),
            "post.rescheduled",
            HookAction.IGNORE,
        ),
        (
            ghost_payload(ghost_post(status="draft"), {"status": "scheduled"}),
            "post.unscheduled",
            HookAction.IGNORE,
        ),
        (
            ghost_payload(ghost_post(status="draft"), {"title": "x"}),
            "post.edited",
            HookAction.IGNORE,
        ),
    ],
)
def test_a_ghost_event_is_read_from_the_post_s_state(
    payload: dict[str, Any], event: str, action: HookAction
) -> None:
    hook = ghost_hook(payload, NOW)
    assert (hook.event, hook.action) == (event, action)
    assert hook.guid == "ghost:6751a0c2e4b0a1b2c3d4e5f6"
    assert hook.url == "https://news.example/peru-congreso-reforma"
    assert (hook.article is not None) == (action in {HookAction.PUBLISH, HookAction.REVISE})
    assert hook.reason or action is not HookAction.IGNORE


def test_a_ghost_post_s_version_is_its_updated_at_else_the_signature_s_time() -> None:
    post = ghost_post(updated_at="2026-12-02T09:00:00.000Z")
    assert ghost_hook(published(post), NOW).version == 1_796_202_000.0
    del post["updated_at"]
    assert ghost_hook(ghost_payload(post, {}), NOW).version == NOW


@pytest.mark.parametrize(
    ("payload", "reason"),
    [
        ({"member": {}}, 'no "post"'),
        ({"post": {"current": "x"}}, '"post.current" is not an object'),
        (published(ghost_post(id=None)), 'no "id"'),
        (published(ghost_post(url=None)), 'no "url"'),
        (published(ghost_post(url="ftp://x")), "http"),
        (published(ghost_post(published_at="yesterday")), '"published_at"'),
        (published(ghost_post(title="x" * 300)), "longer than 256"),
    ],
)
def test_unusable_ghost_payloads_say_why(payload: dict[str, Any], reason: str) -> None:
    with pytest.raises(Unusable, match=reason):
        ghost_hook(payload, NOW)


def test_the_signed_json_maps_onto_an_article() -> None:
    hook = signed_hook(
        {
            "event": "published",
            "article": {
                "id": 42,
                "url": "https://news.example/a?utm_source=x",
                "title": "Title",
                "html": "<p>Body <b>text</b></p>",
                "tags": "economía, perú",
                "author": "Ana",
                "published_at": "2030-01-01T08:00:00Z",
            },
        },
        NOW,
    )
    assert (hook.guid, hook.url, hook.version) == ("hooks:42", "https://news.example/a", NOW)
    assert hook.article is not None
    assert (hook.article.body, hook.article.tags) == ("Body text", ("economía", "perú"))
    assert hook.publish_at is not None and hook.publish_at.year == 2030
    gone = signed_hook({"event": "deleted", "article": {"url": "https://news.example/a"}}, NOW)
    assert (gone.action, gone.guid, gone.article) == (HookAction.WITHDRAW, None, None)
    with pytest.raises(Unusable, match='"id" or a "url"'):
        signed_hook({"event": "deleted", "article": {}}, NOW)
    with pytest.raises(Unusable, match='"article" must be an object'):
        signed_hook({"event": "updated", "article": []}, NOW)


def hook(post: str, version: float) -> Hook:
    return Hook(
        endpoint="articles",
        event="deleted",
        action=HookAction.WITHDRAW,
        source="hooks",
        guid=post,
        url=None,
        version=version,
    )


async def test_the_hook_log_keeps_thirty_days(
    storage: Storage, monkeypatch: pytest.MonkeyPatch
) -> None:
    await storage.hooks.apply(hook("hooks:1", 1.0))
    await storage.hooks.refused("ghost", "?", "?", "the title is empty")
    monkeypatch.setattr(clock, "_ahead", (LOG_DAYS + 1) * 86400)  # undone after the test
    await storage.hooks.apply(hook("hooks:2", 2.0))
    assert [r.post for r in await storage.hooks.log()] == ["hooks:2"]
    assert await storage.hooks.counts(days=1) == {"not found": 1}


def test_hooks_log_prints_the_latest_first(db_path: Path) -> None:
    async def two_hooks() -> None:
        async with await Storage.open(db_path) as storage:
            await storage.hooks.apply(hook("hooks:1", 1.0))
            await storage.hooks.apply(hook("hooks:1", 1.0))

    asyncio.run(two_hooks())
    text = CliRunner().invoke(cli, ["--db", str(db_path), "hooks", "log"])
    assert text.exit_code == 0, text.output
    assert [line.split()[4] for line in text.output.splitlines()] == ["repeated", "not"]
    listed = CliRunner().invoke(
        cli, ["--db", str(db_path), "hooks", "log", "--json", "--limit", "1"]
    )
    assert [r["outcome"] for r in json.loads(listed.output)] == ["repeated"]


def test_hooks_need_a_long_enough_secret_to_be_served() -> None:
    with pytest.raises(SettingsError, match="HOOKS_PORT: set GHOST_WEBHOOK_SECRET or"):
        load_settings(_env_file=None, hooks_port=8080)
    with pytest.raises(SettingsError, match="GHOST_WEBHOOK_SECRET: use 16-256 characters"):
        load_settings(_env_file=None, ghost_webhook_secret="short")
    settings = load_settings(_env_file=None, hooks_port=8080, hooks_secret="s" * 16)
    assert settings.hooks_enabled and "s" * 16 not in repr(settings)
