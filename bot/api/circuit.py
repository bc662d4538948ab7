"""Whether the Bot API is there at all: one circuit for the whole bot.

Two kinds of failure are told apart (DESIGN.md, convention 14). An answer about one chat
(a 400 for that chat, a 403) counts against that delivery. An answer that says the Bot API
or the network is unavailable (refused or reset connections, timeouts, DNS failures, 5xx,
a page that is not JSON) opens this circuit: broadcasts pause for everyone and count
against no delivery, and one probe at a time asks again, after 1 s, then 2, 4 ... up to
60 s, with jitter. The first answer that works closes it. An outage is logged twice, when it
starts and when it ends, whoever met it: the delivery worker, a reader's reply, polling.
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from telegram.error import BadRequest, NetworkError, TelegramError, TimedOut

log = logging.getLogger(__name__)
FIRST_WAIT = 1.0
LONGEST_WAIT = 60.0


def unavailable(error: BaseException) -> bool:
    """An error that says nothing about a chat: the Bot API or the way to it is down.
    (python-telegram-bot raises NetworkError for connection failures and 5xx; BadRequest
    is a NetworkError subclass, and is about the request.)"""
    if isinstance(error, TimedOut):
        return True
    return isinstance(error, NetworkError) and not isinstance(error, BadRequest)


@dataclass
class Circuit:
    failures: int = 0  # failed answers in a row, probes included
    retry_at: float = 0.0  # monotonic: when the next probe may go
    opened_at: float | None = None  # monotonic: when the outage began
    # Told when an outage ends (the delivery worker wakes, rather than sleep out its wait).
    on_recovery: list[Callable[[], None]] = field(default_factory=list)

    @property
    def open(self) -> bool:
        return self.opened_at is not None

    def wait(self, now: float | None = None) -> float:
        """Seconds until the next probe may go (0 when closed or due)."""
        if not self.open:
            return 0.0
        return max(0.0, self.retry_at - (time.monotonic() if now is None else now))

    def failed(self, error: TelegramError, who: str) -> None:
        """An answer said the Bot API is unavailable. Only a failure at or after the
        probe's time lengthens the wait: many sends failing at once are one failure."""
        now = time.monotonic()
        if not self.open:
            self.opened_at = now
            log.warning(
                "Telegram is not answering (%s: %s): %s paused, retrying",
                type(error).__name__,
                error,
                who,
            )
        elif now < self.retry_at:
            return
        else:
            log.debug("still not answering (%s): %s", who, error)
        self.failures += 1
        ceiling = min(LONGEST_WAIT, FIRST_WAIT * 2.0 ** (self.failures - 1))
        self.retry_at = now + random.uniform(0.5, 1.0) * ceiling

    def succeeded(self) -> None:
        """An answer came: the outage, if there was one, is over."""
        if self.opened_at is None:
            return
        log.warning(
            "Telegram answers again after %.0f s: resuming", time.monotonic() - self.opened_at
        )
        self.opened_at, self.failures, self.retry_at = None, 0, 0.0
        for listener in self.on_recovery:
            listener()
