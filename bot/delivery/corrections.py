"""The correction worker: edits an article's cards already sent, in place, after an edit
of what they show (storage.corrections has the rules that make it once, crash or not).

It works in waves like the delivery worker, under the same rate limit and circuit: a wave
takes the next cards of the oldest open correction, edits each as it was sent (a text
card's text, a photo card's caption, and its picture when that changed), each chat in its
own language, and records the wave. "Message is not modified" is a card that shows the
correction already: done. A card that can no longer be edited (deleted, chat gone) is
counted and left. Flood control or Telegram being away stops the wave before that card:
it and the ones after it are edited in a later wave. The admin who edited watches a
progress message.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable

from aiolimiter import AsyncLimiter
from telegram.constants import ParseMode
from telegram.error import RetryAfter, TelegramError

from bot import render
from bot.api.circuit import Circuit, unavailable
from bot.api.replies import not_modified, photo_refused, retry_after_seconds
from bot.delivery.cards import card_of
from bot.delivery.sending import BroadcastBot
from bot.i18n import Catalog
from bot.runtime.supervisor import Supervised
from storage import Article, NotFound, Storage
from storage.corrections import Correction, Edited, SentCard
from storage.kinds import CardStyle

log = logging.getLogger(__name__)

IDLE_SECONDS = 2.0  # between looks for a correction opened by another process (the CLI)
REPORT_EVERY = 3.0  # seconds between two edits of the admin's progress message


class CorrectionWorker:
    def __init__(
        self,
        bot: BroadcastBot,
        storage: Storage,
        catalog: Catalog,
        *,
        limiter: AsyncLimiter,
        circuit: Circuit,
        wave_size: int = 32,
        may_work: Callable[[], bool] = lambda: True,
    ) -> None:
        self.bot = bot
        self.storage = storage
        self.catalog = catalog
        self.limiter = limiter
        self.circuit = circuit
        self.wave_size = wave_size
        self.may_work = may_work  # False on a replica whose lease ran out
        self._paused_until = 0.0
        self._reported_at: dict[int, float] = {}
        self._loop = Supervised("card corrections", self._step)

    def start(self) -> None:
        self._loop.start()

    def wake(self) -> None:
        self._loop.wake()

    async def stop(self) -> None:
        """Let the wave in flight finish and be recorded, then stop."""
        await self._loop.stop()

    @property
    def healthy(self) -> bool:
        return self._loop.healthy

    async def _step(self) -> float:
        pause = max(self._paused_until - time.monotonic(), self.circuit.wait())
        if pause > 0:
            return pause
        if not self.may_work():
            return IDLE_SECONDS
        correction = await self.storage.corrections.next_open()
        if correction is None:
            return IDLE_SECONDS
        try:
            article = await self.storage.articles.get(correction.article_id, with_body=False)
        except NotFound:  # deleted meanwhile: its cards went with it
            return 0.0
        cards = await self.storage.corrections.claim(correction, self.wave_size)
        outcomes = await asyncio.gather(*(self._edit(card, article, correction) for card in cards))
        settled: list[SentCard] = []
        edited: list[Edited] = []
        for card, outcome in zip(cards, outcomes, strict=True):
            if outcome is None:  # flood control or an outage: this one and the rest later
                break
            settled.append(card)
            edited.append(outcome)
        exhausted = len(settled) == len(cards) < self.wave_size
        now = await self.storage.corrections.settle(correction, settled, edited, exhausted)
        if now is not None:
            await self._report(now, article)
        if len(settled) < len(cards):
            return max(0.5, self._paused_until - time.monotonic(), self.circuit.wait())
        return 0.0 if cards else 0.2  # a card still being sent holds it back a moment

    async def _edit(
        self, sent: SentCard, article: Article, correction: Correction
    ) -> Edited | None:
        """Edit one card: Edited(ok) when it shows the correction, Edited(not ok) when it
        cannot, None when it must wait (flood control, Telegram away)."""
        if sent.expired:
            return Edited(sent.delivery_id, ok=False)
        texts = self.catalog.for_reader(sent.language_code, sent.timezone)
        style = CardStyle(sent.card) if sent.card in set(CardStyle) else CardStyle.PREVIEW
        card = card_of(article, texts, self.bot.username, style, as_sent=True)
        await self.limiter.acquire()
        try:
            await self.bot.edit_card(sent.chat_id, sent.message_id, card, media=correction.media)
        except RetryAfter as exc:
            wait = retry_after_seconds(exc)
            self._paused_until = max(self._paused_until, time.monotonic() + wait)
            return None
        except TelegramError as exc:
            if not_modified(exc):
                return Edited(sent.delivery_id, ok=True)
            if unavailable(exc):
                self.circuit.failed(exc, "corrections")
                return None
            if photo_refused(exc):
                log.warning("article %s: new picture refused (%s)", article.id, exc)
            return Edited(sent.delivery_id, ok=False)
        return Edited(sent.delivery_id, ok=True)

    async def _report(self, correction: Correction, article: Article) -> None:
        """Edit the admin's progress message, every few seconds and when it is done."""
        if correction.notify_chat_id is None or correction.notify_message_id is None:
            return
        now = time.monotonic()
        last = self._reported_at.get(correction.article_id, 0.0)
        if not correction.finished and now - last < REPORT_EVERY:
            return
        self._reported_at[correction.article_id] = now
        if correction.finished:
            self._reported_at.pop(correction.article_id, None)
        language = await self.storage.chats.language(correction.notify_chat_id)
        reply = render.correction_progress(
            self.catalog.for_language(language), correction, article.title
        )
        try:
            await self.bot.edit_message_text(
                reply.text,
                chat_id=correction.notify_chat_id,
                message_id=correction.notify_message_id,
                parse_mode=ParseMode.HTML,
            )
        except TelegramError as exc:
            if not not_modified(exc):
                log.warning("could not update the correction of article %s: %s", article.id, exc)
