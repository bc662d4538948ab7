"""The admin gate holds whatever happens to its refusal: a non-admin whose refusal cannot be
delivered (blocked, no rights, flood control, a timeout, an old button) changes nothing and
gets nothing but that one attempt."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from time import time
from typing import Any

import pytest

from bot import app as app_module
from bot.context import BotApplication
from bot.sandbox import BotApiStandIn, Fault
from storage import ChatInfo, Storage
from tests.conftest import article
from tests.e2e import running_bot, wait_until

ADMIN, STRANGER, CHANNEL = 7, 99, -100_777
SETTLE = 0.5  # time enough for an admin handler that wrongly ran to show itself
REFUSAL_FAULTS = {
    "blocked": Fault("", 403, "Forbidden: bot was blocked by the user"),
    "no rights": Fault("", 400, "Bad Request: not enough rights to send text messages"),
    "flood": Fault("", 429, "Too Many Requests: retry after 5", retry_after=5),
    "timeout": Fault("", 504, "Gateway Timeout", delay=0.5),  # answered after we gave up
    "too old": Fault("", 400, "Bad Request: query is too old and response timeout expired"),
}
COMMANDS = [
    "/add",
    "/add https://x.example | t | s | a",
    "/stats",
    "/delete 1",
    "/edit 1",
    "/feeds",
    "/feeds pause 1",
    "/feeds remove 1",
    "/channels",
]
BUTTONS = ["Dp", "Xd1", "Xr1", "Et1", "Bc1", "Cl0", f"Cr0 {CHANNEL}"]


@pytest.fixture
async def guarded(
    api: BotApiStandIn, storage: Storage, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[BotApplication]:
    """An article whose broadcast is still running, a followed feed and a subscribed
    channel: everything the admin commands and buttons above could change."""
    monkeypatch.setattr(app_module, "REQUEST_TIMEOUT", 0.2)
    await storage.chats.subscribe(ChatInfo(CHANNEL, "channel", title="News"))
    api.inject(Fault("sendMessage", 403, "Forbidden: bot is not a member", chat_id=CHANNEL))
    feed = await storage.feeds.add("https://feeds.example/rss")
    await storage.feeds.checked(feed.id, next_check_at=time() + 3600)
    async with running_bot(api, storage, admin_ids=str(ADMIN)) as application:
        await storage.chats.subscribe(ChatInfo(5, "private"))
        await storage.articles.add(article(1), notify_chat_id=ADMIN)
        await wait_until(lambda: broadcast_done(storage))
        yield application


async def broadcast_done(storage: Storage) -> bool:
    progress = await storage.broadcasts.progress(1)
    return progress is not None and progress.pending == 0


async def state(storage: Storage) -> tuple[object, ...]:
    progress = await storage.broadcasts.progress(1)
    assert progress is not None
    return (
        [(a.id, a.title) for a in await storage.articles.latest(10)],
        [(f.id, f.active) for f in await storage.feeds.all()],
        await storage.chats.subscription(CHANNEL),
        progress.cancelled,
    )


def failing(name: str, method: str, times: int) -> Fault:
    fault = REFUSAL_FAULTS[name]
    return Fault(
        method,
        fault.error_code,
        fault.description,
        retry_after=fault.retry_after,
        chat_id=STRANGER if method == "sendMessage" else None,
        times=times,
        delay=fault.delay,
    )


async def refused_without_effect(
    api: BotApiStandIn,
    storage: Storage,
    mark: int,
    before: tuple[object, ...],
    method: str,
    pushes: list[int],
) -> None:
    """The pushed updates, whose refusals (by `method`) all fail with `fault`, change no
    stored state and send nothing but those refusal attempts. A call is recorded once
    answered, so a slow one shows up after its delay; then any wrongly running handler
    gets time to show itself."""

    def to_stranger() -> list[str]:
        return [c.method for c in api.calls[mark:] if c.get("chat_id") in (STRANGER, None)]

    await wait_until(lambda: to_stranger().count(method) >= len(pushes))
    await asyncio.sleep(SETTLE)
    assert to_stranger() == [method] * len(pushes)
    assert await state(storage) == before


@pytest.mark.parametrize("fault", ["blocked", "no rights", "flood", "timeout"])
async def test_commands_stay_refused_when_the_refusal_fails(
    api: BotApiStandIn, guarded: BotApplication, storage: Storage, fault: str
) -> None:
    before = await state(storage)
    api.inject(failing(fault, "sendMessage", times=len(COMMANDS)))
    mark = api.mark()
    pushes = [api.push_message(c, user=api.user(STRANGER)) for c in COMMANDS]
    await refused_without_effect(api, storage, mark, before, "sendMessage", pushes)


@pytest.mark.parametrize("fault", ["blocked", "too old", "flood", "timeout"])
async def test_buttons_stay_refused_when_the_refusal_fails(
    api: BotApiStandIn, guarded: BotApplication, storage: Storage, fault: str
) -> None:
    before = await state(storage)
    api.inject(failing(fault, "answerCallbackQuery", times=len(BUTTONS)))
    mark = api.mark()
    pushes = [api.push_callback(d, user=api.user(STRANGER)) for d in BUTTONS]
    await refused_without_effect(api, storage, mark, before, "answerCallbackQuery", pushes)


async def test_group_subscriptions_stay_refused_when_the_refusal_fails(
    api: BotApiStandIn, bot: BotApplication, storage: Storage
) -> None:
    group_id = -100_555
    group, member = api.group_chat(group_id), api.user(STRANGER)
    api.set_member(group_id, api.member(member))
    api.inject(Fault("sendMessage", 403, "Forbidden: bot was kicked", chat_id=group_id, times=2))
    mark = api.mark()
    api.push_message("/subscribe", chat=group, user=member)
    api.push_message("/unsubscribe", chat=group, user=member)
    await wait_until(lambda: len(api.calls_to("sendMessage", chat_id=group_id)) == 2)
    await asyncio.sleep(SETTLE)
    # Each update checks membership, then refuses; two may interleave either way.
    assert sorted(c.method for c in api.calls[mark:]) == [
        "getChatMember",
        "getChatMember",
        "sendMessage",
        "sendMessage",
    ]
    assert await storage.chats.subscription(group_id) is None


async def test_buttons_act_when_answering_them_fails(
    api: BotApiStandIn, guarded: BotApplication, storage: Storage
) -> None:
    """Answering a press only stops its spinner: "query is too old" changes nothing."""
    api.inject(Fault("answerCallbackQuery", 400, "Bad Request: query is too old", times=10))
    mark = api.mark()
    api.push_message("/delete 1", user=api.user(ADMIN))
    asked = await api.wait_for("sendMessage", after=mark, chat_id=ADMIN)
    api.push_callback("Xd1", message=asked, user=api.user(ADMIN))
    await api.wait_for("editMessageText", after=mark, where=lambda c: "deleted" in c["text"])
    assert await storage.articles.count() == 0


@pytest.mark.expect_tracebacks  # the handler's own error is logged with its trace
async def test_the_error_handler_survives_a_reply_it_cannot_understand(
    api: BotApiStandIn, bot: BotApplication, caplog: pytest.LogCaptureFixture
) -> None:
    """`ok: true` without a result breaks the reply and then the error report alike."""
    api.inject(Fault("sendMessage", 200, "", body={"ok": True}, times=2))
    api.push_command("/help")
    await wait_until(lambda: len(api.calls_to("sendMessage")) == 2)
    await asyncio.sleep(SETTLE)
    assert any("could not report the error" in r.getMessage() for r in caplog.records)
    assert not any("while handling the error" in r.getMessage() for r in caplog.records)


SPELLINGS = [".", ",", "!", "@articlebot_test_bot", "@otherbot", "\n"]
ADMIN_LINES = [
    "/add https://x.example | t | s | a",
    "/edit 1",
    "/delete 1",
    "/stats",
    "/feeds",
    "/feeds pause 1",
    "/feeds remove 1",
    "/channels",
    "/scheduled",
]


@pytest.mark.parametrize("after", SPELLINGS, ids=["dot", "comma", "bang", "me", "other", "nl"])
async def test_no_spelling_of_an_admin_command_reaches_a_stranger(
    api: BotApiStandIn, guarded: BotApplication, storage: Storage, after: str
) -> None:
    """Telegram ends a command at the first character outside [A-Za-z0-9_] (`/stats.` runs
    `stats`): as a stranger, each admin command so spelled is refused, or (addressed to
    another bot) ignored, and nothing of the admin's is sent or changed."""
    before = await state(storage)
    mark = api.mark()
    for line in ADMIN_LINES:
        command, _, rest = line.partition(" ")
        api.push_message(f"{command}{after} {rest}".rstrip(), user=api.user(STRANGER))
    api.push_message("/help", user=api.user(STRANGER))  # the last one sent
    refused = "Only the bot's admins can do that."

    def answers() -> list[Any]:
        return [c for c in api.calls[mark:] if c.method != "getChatMember"]

    def refusals() -> int:
        return sum(c.method == "sendMessage" and c["text"] == refused for c in answers())

    await api.wait_for("sendMessage", after=mark, where=lambda c: "What I can do" in c["text"])
    if after != "@otherbot":  # updates are handled concurrently: /help may come first
        await wait_until(lambda: refusals() >= len(ADMIN_LINES))
    await asyncio.sleep(SETTLE)
    assert all(c.get("chat_id") == STRANGER for c in answers())
    texts = [c["text"] for c in answers() if c.method == "sendMessage"]
    texts.remove(next(text for text in texts if "What I can do" in text))
    if after == "@otherbot":  # not for us: PTB runs nothing, nor does the gate refuse
        assert refused not in texts
    else:
        assert texts == [refused] * len(ADMIN_LINES)
    assert not api.calls_to("sendPhoto")  # the /stats chart
    assert await state(storage) == before


async def test_admin_handlers_admit_only_admins_even_without_the_gate(
    api: BotApiStandIn, storage: Storage, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The second line: with the gate switched off, no admin command runs for a stranger."""

    async def no_gate(update: object, context: object) -> None:
        return None

    monkeypatch.setattr(app_module.gate, "gate", no_gate)
    await storage.articles.add(article(1))
    async with running_bot(api, storage, admin_ids=str(ADMIN)):
        mark = api.mark()
        for line in [*ADMIN_LINES, "/add"]:
            api.push_message(line, user=api.user(STRANGER))
        api.push_message("/help", user=api.user(STRANGER))
        await api.wait_for("sendMessage", after=mark, where=lambda c: "What I can do" in c["text"])
        await asyncio.sleep(SETTLE)
        sent = [c["text"] for c in api.calls[mark:] if c.method == "sendMessage"]
        assert not api.calls_to("sendPhoto")
        assert not any("Send me the link" in text or "Delete" in text for text in sent)
        assert await storage.articles.count() == 1
