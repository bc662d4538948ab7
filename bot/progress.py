"""The publisher's view of a broadcast: a progress message, edited every few seconds, with a
bar, the counts, the rate over the last half minute and the time left; and the outbox's
gauges for monitoring."""

from __future__ import annotations

import logging
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field

from telegram import Bot
from telegram.constants import ParseMode
from telegram.error import BadRequest, TelegramError

from bot import render
from bot.i18n import Catalog
from bot.metrics import Metrics
from storage import Storage
from storage.broadcasts import Progress
from storage.text import parse_datetime

log = logging.getLogger(__name__)

RATE_WINDOW = 30.0  # seconds of sending the progress's rate is measured over


@dataclass(frozen=True)
class Snapshot:
    done: int
    at: float


@dataclass
class Pace:
    """A broadcast's rate over the last RATE_WINDOW seconds: a queued broadcast or one that
    sat behind another is not averaged with its wait."""

    snapshots: deque[Snapshot] = field(default_factory=deque)

    def rate(self, done: int, now: float) -> float | None:
        self.snapshots.append(Snapshot(done, now))
        while now - self.snapshots[0].at > RATE_WINDOW:
            self.snapshots.popleft()
        first = self.snapshots[0]
        if now <= first.at or done <= first.done:
            return None
        return (done - first.done) / (now - first.at)


class ProgressReporter:
    def __init__(
        self,
        bot: Bot,
        storage: Storage,
        catalog: Catalog,
        *,
        interval: float,
        metrics: Metrics | None,
        on_finished: Callable[[int], None],
    ) -> None:
        self.bot = bot
        self.storage = storage
        self.catalog = catalog
        self.interval = interval
        self.metrics = metrics
        self._on_finished = on_finished
        self._paces: dict[int, Pace] = {}
        self._unedited: set[int] = set()  # broadcasts whose progress message cannot be edited

    async def step(self) -> float:
        await self.storage.broadcasts.count_recipients()
        if self.metrics is not None:
            await self._measure_outbox(self.metrics)
        try:
            ahead = False  # broadcasts go out in the order they were published
            for progress in await self.storage.broadcasts.running():
                await self.report(progress, queued=ahead and progress.done == 0)
                ahead = True
        except TelegramError as exc:
            log.warning("could not update a progress message: %s", exc)
        return self.interval

    async def _measure_outbox(self, metrics: Metrics) -> None:
        depth, oldest = await self.storage.deliveries.depth()
        metrics.outbox_depth.set(depth)
        age = 0.0 if oldest is None else time.time() - parse_datetime(oldest).timestamp()
        metrics.oldest_pending.set(max(0.0, age))
        metrics.db_bytes.set(await self.storage.size())

    async def report(self, progress: Progress, *, queued: bool = False) -> None:
        """Edit (or first send) the publisher's progress message; close finished ones.
        `queued`: nothing sent yet because an earlier broadcast goes first."""
        pace = self._paces.setdefault(progress.article_id, Pace())
        rate = pace.rate(progress.done, time.monotonic())
        eta = progress.pending / rate if rate else None
        finished = progress.pending == 0
        if finished:
            await self.storage.broadcasts.finish(progress.article_id)
            self._paces.pop(progress.article_id, None)
            self._on_finished(progress.article_id)
        if progress.notify_chat_id is None:
            return
        texts = self.catalog.for_language(progress.language_code)
        reply = render.broadcast_progress(texts, progress, rate, eta, queued=queued)
        if progress.progress_message_id is None:
            sent = await self.bot.send_message(
                progress.notify_chat_id, reply.text, parse_mode=ParseMode.HTML,
                reply_markup=reply.markup,
            )  # fmt: skip
            await self.storage.broadcasts.set_progress_message(
                progress.article_id, sent.message_id
            )
            return
        try:
            await self.bot.edit_message_text(
                reply.text, chat_id=progress.notify_chat_id,
                message_id=progress.progress_message_id, parse_mode=ParseMode.HTML,
                reply_markup=reply.markup,
            )  # fmt: skip
        except TelegramError as exc:
            unchanged = isinstance(exc, BadRequest) and "not modified" in exc.message.lower()
            if not unchanged and progress.article_id not in self._unedited:  # once each
                self._unedited.add(progress.article_id)
                log.warning("could not update the progress of article %s: %s",
                            progress.article_id, exc)  # fmt: skip
        if finished:
            self._unedited.discard(progress.article_id)
