"""The publisher's view of a broadcast: a progress message, edited every few seconds, with a
bar, the counts, the rate over the last half minute and the time left; and the outbox's
gauges for monitoring."""

from __future__ import annotations

import logging
import time
from collections import Counter, deque
from collections.abc import Callable
from dataclasses import dataclass, field

from telegram import Bot
from telegram.constants import ParseMode
from telegram.error import TelegramError

from bot import render
from bot.api.circuit import Circuit, unavailable
from bot.api.replies import GONE_MARKERS, not_modified
from bot.i18n import Catalog
from bot.runtime.metrics import Metrics
from storage import Storage, clock
from storage.broadcasts import Progress

log = logging.getLogger(__name__)

GAVE_UP = "GaveUp"  # the first word of the error of a delivery given up by age
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
        circuit: Circuit,
    ) -> None:
        self.bot = bot
        self.storage = storage
        self.catalog = catalog
        self.interval = interval
        self.metrics = metrics
        self._on_finished = on_finished
        self.circuit = circuit
        self._paces: dict[int, Pace] = {}
        self._unedited: set[int] = set()  # broadcasts whose progress message cannot be edited

    async def step(self) -> float:
        await self.storage.broadcasts.count_recipients()
        if self.metrics is not None:
            await self._measure_outbox(self.metrics)
            self.metrics.telegram_unavailable.set(int(self.circuit.open))
        try:
            ahead = False  # broadcasts go out in the order they were published
            for progress in await self.storage.broadcasts.running():
                await self.report(progress, queued=ahead and progress.done == 0)
                ahead = True
        except TelegramError as exc:
            if unavailable(exc):  # the circuit has said so; the next step tries again
                self.circuit.failed(exc, "progress messages")
            else:
                log.warning("could not update a progress message: %s", exc)
        return self.interval

    async def _measure_outbox(self, metrics: Metrics) -> None:
        depth, oldest = await self.storage.deliveries.depth()
        metrics.outbox_depth.set(depth)
        age = 0.0 if oldest is None else clock.time() - oldest.timestamp()
        metrics.oldest_pending.set(max(0.0, age))
        metrics.db_bytes.set(await self.storage.size())

    async def report(self, progress: Progress, *, queued: bool = False) -> None:
        """Edit (or first send) the publisher's progress message; close finished ones once
        their last report went out (a broadcast that ends while Telegram is away is told
        when it is back). `queued`: nothing sent yet because an earlier broadcast goes
        first."""
        pace = self._paces.setdefault(progress.article_id, Pace())
        rate = pace.rate(progress.done, time.monotonic())
        eta = progress.pending / rate if rate else None
        finished = progress.pending == 0
        undelivered = {}
        if finished:
            errors = await self.storage.broadcasts.undelivered(progress.article_id)
            undelivered = undelivered_reasons(errors)
        if progress.notify_chat_id is not None:
            texts = self.catalog.for_language(progress.language_code)
            paused = self.circuit.wait() if self.circuit.open else None
            reply = render.broadcast_progress(
                texts, progress, rate, eta, queued=queued, undelivered=undelivered, paused=paused
            )
            await self._show(progress, reply)
        if finished:
            await self.storage.broadcasts.finish(progress.article_id)
            self._paces.pop(progress.article_id, None)
            self._unedited.discard(progress.article_id)
            self._on_finished(progress.article_id)
            if undelivered:  # said once: the broadcast has ended for good
                self._tell_undelivered(progress.article_id, undelivered)

    def _tell_undelivered(self, article_id: int, reasons: dict[str, int]) -> None:
        kinds = ", ".join(f"{kind} {count}" for kind, count in reasons.items())
        log.warning(
            "broadcast of article %s ended: %d could not be delivered (%s)",
            article_id,
            sum(reasons.values()),
            kinds,
        )
        if self.metrics is not None:
            self.metrics.undelivered_broadcasts.inc()

    async def _show(self, progress: Progress, reply: render.Reply) -> None:
        """Send the progress message, or edit it. A failure that is not an outage (the
        message deleted, say) is logged once and does not hold the broadcast open."""
        assert progress.notify_chat_id is not None
        if progress.progress_message_id is None:
            sent = await self.bot.send_message(
                progress.notify_chat_id,
                reply.text,
                parse_mode=ParseMode.HTML,
                reply_markup=reply.markup,
            )
            await self.storage.broadcasts.set_progress_message(
                progress.article_id, sent.message_id
            )
            return
        try:
            await self.bot.edit_message_text(
                reply.text,
                chat_id=progress.notify_chat_id,
                message_id=progress.progress_message_id,
                parse_mode=ParseMode.HTML,
                reply_markup=reply.markup,
            )
        except TelegramError as exc:
            if unavailable(exc):
                raise
            if not not_modified(exc) and progress.article_id not in self._unedited:  # once each
                self._unedited.add(progress.article_id)
                log.warning(
                    "could not update the progress of article %s: %s", progress.article_id, exc
                )


def undelivered_reasons(errors: dict[str, int]) -> dict[str, int]:
    """Last errors, by the kind a publisher understands: blocked, chat gone, not sent in
    time, other; largest first."""
    kinds: Counter[str] = Counter()
    for error, count in errors.items():
        lowered = error.lower()
        if "blocked" in lowered:
            kinds["blocked"] += count
        elif lowered.startswith(GAVE_UP.lower()):
            kinds["too late"] += count
        elif any(marker in lowered for marker in GONE_MARKERS) or "forbidden" in lowered:
            kinds["chat gone"] += count
        else:
            kinds["other"] += count
    return dict(kinds.most_common())
