"""The delivery worker: drains the outbox at Telegram's pace, through errors and restarts.

It works in waves. A wave claims the due deliveries that the rate lets out in about half a
second, at most BROADCAST_CONCURRENCY of them (marking them `sending`), sends them
concurrently under a global rate limit, and records every outcome in one transaction: the
one that claims the next wave. A process killed mid-wave leaves at most one wave `sending`;
those rows go back to pending at the next start and are sent again, so at most
BROADCAST_CONCURRENCY chats (default 32) can receive a card twice, and none is lost. Going
back counts an attempt, so not even a process that dies in every wave repeats a card more
than MAX_ATTEMPTS times.

Two kinds of failure (bot.api.circuit): an answer about one chat counts against that delivery;
an answer that says Telegram or the network is unavailable opens the bot's circuit, and
sending pauses for everyone, counting against no delivery, with one probe at a time until
Telegram answers again. A delivery not sent within DELIVERY_GIVE_UP_HOURS of its broadcast
fails then, however long the outage. Nothing that goes wrong in one delivery leaves it: an
answer not understood counts an attempt and backs off. The loop itself is supervised
(bot.runtime.supervisor): a database locked for longer than DATABASE_TIMEOUT delays the
recording of a wave's outcomes, which are kept until it can be written, and the loop
retries with backoff.

Pacing: BROADCAST_RATE messages/s overall (aiolimiter), one message a second per chat, and
20 a minute per group or channel. A card due in its chat's quiet hours waits until they end
(storage.quiet gathers more than three into one digest then). A 429 pauses the whole worker
for `retry_after`. The worker sends through its own Bot and connection pool, so readers'
replies never wait behind a broadcast.
"""

from __future__ import annotations

import asyncio
import logging
import math
import random
import time
from collections.abc import Callable

from aiolimiter import AsyncLimiter
from telegram.error import (
    BadRequest,
    ChatMigrated,
    Conflict,
    InvalidToken,
    RetryAfter,
    TelegramError,
)

from bot.api.circuit import Circuit, unavailable
from bot.api.replies import chat_is_gone, photo_refused, retry_after_seconds
from bot.delivery.cards import CardBook
from bot.delivery.progress import GAVE_UP, ProgressReporter
from bot.delivery.sending import PER_CHAT_GAP, BroadcastBot, Card, Pacer
from bot.i18n import Catalog
from bot.runtime.metrics import Metrics
from bot.runtime.supervisor import Supervised, describe
from storage import Storage, StorageError, clock
from storage.deliveries import MAX_ATTEMPTS, RECALL_WINDOW, Delivery, Outcome
from storage.kinds import TERMINAL, CardStyle, DeliveryStatus
from storage.quiet import quiet_until

log = logging.getLogger(__name__)

BACKOFF_BASE = 2.0  # seconds before the first retry; doubles each attempt
BACKOFF_CAP = 300.0
WAVE_SECONDS = 0.5
BUCKET_SECONDS = 0.1
PRUNE_EVERY = 2.0  # seconds between sweeps of the pacer's memory of recent sends
PRUNE_BATCH = 500  # delivery rows deleted per transaction (a few milliseconds)
PRUNE_PAUSE = 0.05  # seconds between two batches, so other writers get their turn
PRUNE_IDLE = 60.0  # seconds before looking for prunable rows again


class FatalBotError(Exception):
    """The token is wrong or another instance is running: nothing can be sent."""


class DeliveryWorker:
    def __init__(
        self,
        bot: BroadcastBot,
        storage: Storage,
        catalog: Catalog,
        *,
        rate: float,
        paid: bool = False,
        concurrency: int = 32,
        poll_interval: float = 1.0,
        progress_interval: float = 3.0,
        retention_days: float = 30,
        give_up_hours: float = 24,
        circuit: Circuit | None = None,
        card_style: CardStyle = CardStyle.PHOTO,
        clock: Callable[[], float] = clock.time,
        on_fatal: Callable[[str], None] | None = None,
        metrics: Metrics | None = None,
        may_work: Callable[[], bool] = lambda: True,
    ) -> None:
        self.bot = bot
        self.storage = storage
        self.catalog = catalog
        self.paid = paid
        # A wave holds what the rate lets out in about half a second (at most `concurrency`):
        # claimed rows stay cancellable until then, and a crash re-sends at most one wave.
        self.wave_size = max(1, min(concurrency, math.ceil(rate * WAVE_SECONDS)))
        self.poll_interval = poll_interval
        self.retention_days = retention_days
        # A bucket of a tenth of a second's messages: steady at `rate`, never more than 10%
        # over it in any second (a bucket as big as the rate would let twice the rate through
        # in its first second), and big enough that late wake-ups do not lose throughput.
        # Below 10/s a bucket holds one message and drains in 1/rate seconds.
        bucket = max(1.0, rate * BUCKET_SECONDS)
        self.limiter = AsyncLimiter(bucket, bucket / rate)  # corrections share it
        self.give_up_seconds = give_up_hours * 3600
        self.circuit = circuit or Circuit()
        self.circuit.on_recovery.append(self.wake)  # polling may see Telegram back first
        self.clock = clock  # what a delivery's age is measured by (tests move it)
        self._outages: list[TelegramError] = []  # met by the wave being sent
        self._pacer = Pacer()
        self._paused_until = 0.0
        self.cards = CardBook(storage, catalog, bot, card_style)
        self._pruned_at = 0.0
        # Outcomes of the last wave not yet recorded: kept until a transaction takes them,
        # so a database that is busy for a while delays them but loses none.
        self._unsettled: list[Outcome] = []
        self._leftovers_released = False
        self._unexpected_seen: set[str] = set()
        self._sending = Supervised("delivery worker", self._step)
        self.progress = ProgressReporter(
            bot,
            storage,
            catalog,
            interval=progress_interval,
            metrics=metrics,
            on_finished=self.cards.forget,
            circuit=self.circuit,
        )
        self._reporting = Supervised("broadcast progress", self.progress.step)
        self._pruning = Supervised("delivery pruning", self._prune)
        self.fatal: FatalBotError | None = None
        self._on_fatal = on_fatal
        self.metrics = metrics
        # False on a replica whose lease ran out (bot.runtime.leadership): claim nothing.
        self.may_work = may_work

    # -- lifecycle -------------------------------------------------------------------------

    async def start(self) -> None:
        self._sending.start()
        self._reporting.start()
        self._pruning.start()

    def wake(self) -> None:
        """Something was queued in this process: look now rather than at the next poll."""
        self._sending.wake()

    async def stop(self) -> None:
        """Let the current wave finish and settle, then stop; nothing stays `sending`
        (unless the lease went to another replica: its worker owns what is in flight)."""
        self._reporting.request_stop()
        self._pruning.request_stop()
        await self._sending.stop()
        await self._reporting.stop()
        await self._pruning.stop()
        try:
            await self._settle()
            if self.may_work():
                await self.storage.deliveries.release_claimed()
        except StorageError as exc:  # the next start puts them back, counting an attempt
            log.error("could not record the last wave before stopping: %s", exc)

    @property
    def running(self) -> bool:
        return self._sending.running

    @property
    def healthy(self) -> bool:
        """Sending works: the loop is alive and its last step succeeded recently."""
        return self._sending.healthy and self.fatal is None

    # -- the loop --------------------------------------------------------------------------

    async def _step(self) -> float:
        """One wave, or a pause; returns how long to wait before the next. A wave's outcomes
        are recorded in the transaction that claims the next wave: one transaction per wave,
        and still at most one wave `sending`."""
        if not self._leftovers_released:
            released = await self.storage.deliveries.release_claimed()
            if released:
                log.warning("re-queued %d deliveries left in flight by the last run", released)
            self._leftovers_released = True
        pause = max(self._paused_until - time.monotonic(), self.circuit.wait())
        if pause > 0 or not self.may_work():
            await self._settle()
            return pause if pause > 0 else self.poll_interval
        sent_any = await self._wave()
        if self.fatal is not None:
            await self._settle()
            log.error("delivery worker stopped, deliveries stay pending: %s", self.fatal)
            self._sending.request_stop()
            if self._on_fatal is not None:
                self._on_fatal(f"sending failed: {self.fatal}")
            return 0.0
        if sent_any:
            return 0.0
        await self._settle()
        return await self._idle_time()

    async def _settle(self) -> None:
        await self.storage.deliveries.settle(self._unsettled)
        self._unsettled = []

    async def _wave(self) -> bool:
        """Settle the last wave, claim and send the next; returns whether anything was sent."""
        size = 1 if self.circuit.open else self.wave_size  # while Telegram is away: a probe
        wave = await self.storage.deliveries.claim(size, settle=self._unsettled)
        self._unsettled = []
        if not wave:
            return False
        outages: list[TelegramError] = []
        self._outages = outages
        try:
            ready, deferred = self._paced(wave)
            outcomes = await asyncio.gather(*(self._deliver(d) for d in ready))
        except Exception as exc:  # a bug outside any one delivery: each counts an attempt
            log.exception("a delivery wave failed")
            self._unsettled = [self._retry_or_fail(d, describe(exc)) for d in wave]
            return True
        self._unsettled = [*outcomes, *deferred]
        if outages:
            self.circuit.failed(outages[0], "broadcasts")
        elif any(outcome.status == DeliveryStatus.SENT for outcome in outcomes):
            self.circuit.succeeded()
        if self.metrics is not None:
            for outcome in outcomes:
                if outcome.status in TERMINAL:
                    self.metrics.deliveries.labels(outcome.status).inc()
        if time.monotonic() - self._pruned_at > PRUNE_EVERY:
            self._pacer.forget_past(clock.time())
            self._pruned_at = time.monotonic()
        return bool(ready)

    def _paced(self, wave: list[Delivery]) -> tuple[list[Delivery], list[Outcome]]:
        """Split a wave into deliveries whose chat may get a message now, and the others,
        put back for when it may."""
        now = clock.time()
        ready: list[Delivery] = []
        deferred: list[Outcome] = []
        taken: set[int] = set()
        for delivery in wave:
            if delivery.quiet is not None and delivery.digest is None:
                until = quiet_until(now, *delivery.quiet)
                if until is not None:  # the chat's quiet hours: it waits until they end
                    deferred.append(
                        Outcome.of(
                            delivery,
                            DeliveryStatus.PENDING,
                            retry_at=until,
                            attempted=False,
                            held=True,
                        )
                    )
                    continue
            at = self._pacer.ready_at(delivery.chat_id, delivery.chat_type)
            if delivery.chat_id in taken or at > now:
                retry = max(at, now + PER_CHAT_GAP)
                deferred.append(
                    Outcome.of(delivery, DeliveryStatus.PENDING, retry_at=retry, attempted=False)
                )
            else:
                taken.add(delivery.chat_id)
                ready.append(delivery)
        return ready, deferred

    async def _idle_time(self) -> float:
        due = await self.storage.deliveries.next_due()
        if due is None:
            return self.poll_interval
        return max(0.0, min(self.poll_interval, due - clock.time()))

    # -- one delivery ----------------------------------------------------------------------

    async def _deliver(self, delivery: Delivery) -> Outcome:
        """Whatever happens stays in this delivery: what is not understood counts an
        attempt and backs off, and fails the delivery at its last attempt."""
        try:
            return await self._attempt(delivery)
        except Exception as exc:
            kind = type(exc).__name__
            if kind not in self._unexpected_seen:  # a storm logs one trace, not thousands
                self._unexpected_seen.add(kind)
                log.exception("unexpected error delivering delivery_id=%s", delivery.id)
            return self._retry_or_fail(delivery, describe(exc))

    async def _attempt(self, delivery: Delivery) -> Outcome:
        if self.clock() - delivery.queued_at > self.give_up_seconds:
            hours = self.give_up_seconds / 3600
            return Outcome.of(
                delivery,
                DeliveryStatus.FAILED,
                attempted=False,
                error=f"{GAVE_UP}: not sent within {hours:g} h",
            )
        cards = await self.cards.of(delivery)
        if not cards:  # its article (a digest's every article) was deleted meanwhile
            return Outcome.of(
                delivery, DeliveryStatus.CANCELLED, error="article deleted", attempted=False
            )
        if self.fatal is not None:
            return Outcome.of(delivery, DeliveryStatus.PENDING, attempted=False)
        first: int | None = None
        sent_as = CardStyle.TEXT  # a digest's parts
        for index, card in enumerate(cards):  # a long digest is sent in parts, in order
            outcome, message_id, sent = await self._send_one(delivery, card)
            if outcome is not None:
                return outcome
            if index == 0:
                first, sent_as = message_id, sent.style
        self._pacer.record(delivery.chat_id, delivery.chat_type, clock.time())
        return Outcome.of(
            delivery,
            DeliveryStatus.SENT,
            message_id=first,
            card=str(sent_as if delivery.digest is None else CardStyle.TEXT),
            revision=self.cards.revision(delivery),
        )

    async def _send_one(
        self, delivery: Delivery, card: Card
    ) -> tuple[Outcome | None, int | None, Card]:
        """Send one message; (None, its id, the card as sent) when it went, else (the
        outcome, None, the card)."""
        await self.limiter.acquire()
        try:
            message_id = await self._send(delivery, card)
        except BadRequest as exc:
            if card.photo is not None and photo_refused(exc):
                log.warning("article %s: picture refused (%s)", delivery.article_id, exc)
                return await self._send_one(delivery, await self.cards.refuse_picture(delivery))
            if "can't parse entities" not in exc.message.lower():
                return await self._failed(delivery, exc), None, card
            card = card.plain()
            try:  # our HTML was refused: the text still goes out, without formatting
                message_id = await self._send(delivery, card)
            except TelegramError as again:
                return await self._failed(delivery, again), None, card
        except TelegramError as exc:
            return await self._failed(delivery, exc), None, card
        return None, message_id, card

    async def _send(self, delivery: Delivery, card: Card) -> int | None:
        return await self.bot.send_card(
            delivery.chat_id,
            card,
            thread_id=delivery.thread_id or None,
            paid=self.paid,
            silent=delivery.silent,
        )

    async def _failed(self, delivery: Delivery, exc: TelegramError) -> Outcome:
        """Each kind of failure on purpose; see the module docstring and README."""
        error = f"{type(exc).__name__}: {exc.message}"
        if isinstance(exc, RetryAfter):
            wait = retry_after_seconds(exc)
            self._paused_until = max(self._paused_until, time.monotonic() + wait)
            log.warning("flood control: pausing broadcasts for %.0f s", wait)
            if self.metrics is not None:
                self.metrics.flood_waits.inc()
                self.metrics.flood_paused.inc(wait)
            return Outcome.of(
                delivery, DeliveryStatus.PENDING, retry_at=clock.time() + wait, attempted=False
            )
        if isinstance(exc, ChatMigrated):
            await self.storage.chats.migrate(delivery.chat_id, exc.new_chat_id)
            log.info("chat migrated chat_id=%s new=%s", delivery.chat_id, exc.new_chat_id)
            return Outcome.of(delivery, DeliveryStatus.PENDING, attempted=False)
        if isinstance(exc, InvalidToken | Conflict):
            self.fatal = FatalBotError(error)
            return Outcome.of(delivery, DeliveryStatus.PENDING, attempted=False)
        if unavailable(exc):  # nothing about this chat: due again once Telegram answers
            self._outages.append(exc)
            return Outcome.of(delivery, DeliveryStatus.PENDING, error=error, attempted=False)
        if chat_is_gone(exc):
            await self.storage.chats.deactivate(delivery.chat_id, exc.message)
            skipped = await self.storage.deliveries.skip_chat(delivery.chat_id, exc.message)
            if self.metrics is not None:
                self.metrics.deliveries.labels(DeliveryStatus.SKIPPED).inc(skipped)
            return Outcome.of(delivery, DeliveryStatus.SKIPPED, error=error)
        if isinstance(exc, BadRequest):  # our request is wrong for this chat: no retry helps
            return Outcome.of(delivery, DeliveryStatus.FAILED, error=error)
        return self._retry_or_fail(delivery, error)

    @staticmethod
    def _retry_or_fail(delivery: Delivery, error: str) -> Outcome:
        """An attempt that may work next time: later, with backoff, up to MAX_ATTEMPTS."""
        if delivery.attempts + 1 < MAX_ATTEMPTS:
            return Outcome.of(
                delivery,
                DeliveryStatus.PENDING,
                error=error,
                retry_at=clock.time() + backoff(delivery.attempts),
            )
        return Outcome.of(delivery, DeliveryStatus.FAILED, error=error)

    async def _prune(self) -> float:
        """Delete delivery rows nothing needs any more, a small batch at a time (each a
        short transaction), until none is left; then look again in a while."""
        deleted = await self.storage.deliveries.prune(
            retention_days=self.retention_days, batch=PRUNE_BATCH
        )
        if deleted == PRUNE_BATCH:
            return PRUNE_PAUSE
        # A correction finished before the recall window has no card left to edit.
        await self.storage.corrections.prune(clock.now() - RECALL_WINDOW)
        return PRUNE_IDLE


def backoff(attempts: int) -> float:
    """Exponential, capped, with jitter so that retries do not all arrive together."""
    ceiling: float = min(BACKOFF_CAP, BACKOFF_BASE * 2.0**attempts)
    return random.uniform(0.5, 1.0) * ceiling
