"""The desk: what a verified hook does, as the bot's own commands would.

Published: stored and broadcast through the outbox (or scheduled when its time is ahead).
Edited: the archive's copy corrected. Unpublished or deleted: gone from the archive, search
and inline, and its cards of the last 48 hours recalled as /delete recalls them. Each hook
is applied once (storage.hooks) and said once: a log line, and a metric by outcome. The
CMS is answered as soon as the hook is stored; recalls go on in the background.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Coroutine
from typing import Any, TypeVar

from telegram import Bot

from bot.delivery.recall import recall_cards
from storage import Storage, StorageError
from storage.hooks import Applied, Hook
from storage.kinds import HookOutcome

log = logging.getLogger(__name__)
T = TypeVar("T")


class HookDesk:
    def __init__(
        self,
        storage: Storage,
        bot: Bot,
        *,
        wake_worker: Callable[[], None] | None = None,
        wake_scheduler: Callable[[], None] | None = None,
        wake_corrections: Callable[[], None] | None = None,
        on_hook: Callable[[str, str, str], None] | None = None,
    ) -> None:
        self.storage = storage
        self.bot = bot
        # A new broadcast starts at once, a scheduled article is counted in at once.
        self._wakes = {HookOutcome.PUBLISHED: wake_worker, HookOutcome.SCHEDULED: wake_scheduler}
        self._wake_corrections = wake_corrections
        self._on_hook = on_hook or (lambda endpoint, event, outcome: None)
        self._work: set[asyncio.Task[Any]] = set()

    async def take(self, hook: Hook) -> Applied:
        applied = await self.storage.hooks.apply(hook)
        about = f" article_id={applied.article_id}" if applied.article_id else ""
        log.info(
            "hook %s %s %s: %s%s", hook.endpoint, hook.event, hook.post, applied.outcome, about
        )
        self._on_hook(hook.endpoint, hook.event, applied.outcome)
        wake = self._wakes.get(applied.outcome)
        if wake is not None:
            wake()
        if applied.correcting and self._wake_corrections is not None:  # its cards sent
            self._wake_corrections()
        if applied.recall:
            self.in_background(self._recall(applied))
        return applied

    async def refuse(self, endpoint: str, event: str, reason: str) -> None:
        """A signed hook that is not a usable article: logged, kept in the hooks log."""
        log.warning("hook %s %s not used: %s", endpoint, event, reason)
        self._on_hook(endpoint, "unknown", HookOutcome.INVALID)  # `event` is the CMS's text
        try:
            await self.storage.hooks.refused(endpoint, event, "?", reason)
        except StorageError as exc:
            log.error("could not log the unused hook: %s", exc)

    def turned_away(self, endpoint: str) -> None:
        """A request that was not a signed hook (counted; the endpoint logs why)."""
        self._on_hook(endpoint, "unknown", "refused")

    def in_background(self, work: Coroutine[Any, Any, T]) -> asyncio.Task[T]:
        """Run `work` past the request that started it; `stop` ends it."""
        task = asyncio.create_task(work)
        self._work.add(task)
        task.add_done_callback(self._finished)
        return task

    def _finished(self, task: asyncio.Task[Any]) -> None:
        self._work.discard(task)
        error = None if task.cancelled() else task.exception()
        if error is not None:  # the database explains itself; anything else is a bug
            trace = None if isinstance(error, StorageError) else error
            log.error("hook work failed: %s: %s", type(error).__name__, error, exc_info=trace)

    async def stop(self) -> None:
        """End what still runs: a hook being stored is rolled back (its CMS was answered 503
        and sends it again), a recall is cut short (logged)."""
        for task in list(self._work):
            task.cancel()
        await asyncio.gather(*self._work, return_exceptions=True)

    async def _recall(self, applied: Applied) -> None:
        try:
            removed = await recall_cards(self.bot, applied.recall)
        except asyncio.CancelledError:
            log.warning("recall of article_id=%s's cards stopped by shutdown", applied.article_id)
            raise
        log.info(
            "recalled %d of %d cards of article_id=%s",
            removed,
            len(applied.recall),
            applied.article_id,
        )
