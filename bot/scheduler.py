"""What happens at a set time: scheduled articles are published when theirs comes.

A supervised loop (bot.supervisor) that looks when the next one is due, at most a second
ahead, so a restarted bot publishes what came due while it was down, once.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

from bot.supervisor import Supervised
from storage import Storage

log = logging.getLogger(__name__)
LOOK_EVERY = 1.0  # seconds: the longest a due article waits


class Scheduler:
    def __init__(self, storage: Storage, *, wake: Callable[[], None] | None = None) -> None:
        self.storage = storage
        self._wake_sender = wake
        self._loop = Supervised("scheduler", self._step)

    def start(self) -> None:
        self._loop.start()

    def wake(self) -> None:
        """Something was scheduled: look again now."""
        self._loop.wake()

    async def stop(self) -> None:
        await self._loop.stop()

    async def _step(self) -> float:
        published = await self.storage.scheduled.publish_due()
        if published:
            log.info("published scheduled articles %s", published)
            if self._wake_sender is not None:
                self._wake_sender()
            return 0.0  # there may be more due
        due = await self.storage.scheduled.next_due()
        return LOOK_EVERY if due is None else max(0.0, min(LOOK_EVERY, due - time.time()))
