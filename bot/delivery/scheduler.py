"""What happens at a set time: scheduled articles are published, digests queued, and admins'
dialogues left idle ended, when theirs comes.

A supervised loop (bot.runtime.supervisor) that looks again when the next thing is due, at most a
second ahead, so a restarted bot does (once) what came due while it was down. `clock` is
the time it goes by: tests move it forward instead of waiting.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from bot.runtime.supervisor import Supervised
from storage import Storage, clock

log = logging.getLogger(__name__)
LOOK_EVERY = 1.0  # seconds: the longest something due waits


class Scheduler:
    def __init__(
        self,
        storage: Storage,
        *,
        wake: Callable[[], None] | None = None,
        end_idle: Callable[[list[int]], Awaitable[None]] | None = None,
    ) -> None:
        self.storage = storage
        self.clock: Callable[[], float] = clock.time
        self._wake_sender = wake
        self._end_idle = end_idle  # ends the dialogues of these admins (bot.handlers.dialogue)
        self._loop = Supervised("scheduler", self._step)

    def start(self) -> None:
        self._loop.start()

    def wake(self) -> None:
        """Something was scheduled, or the clock moved: look again now."""
        self._loop.wake()

    async def stop(self) -> None:
        await self._loop.stop()

    async def _step(self) -> float:
        now = self.clock()
        published = await self.storage.scheduled.publish_due(now)
        if published:
            log.info("published scheduled articles %s", published)
        digests = await self.storage.digests.schedule_due(now)
        if digests:
            log.info("queued %d digests", digests)
        if (published or digests) and self._wake_sender is not None:
            self._wake_sender()
        if self._end_idle is not None and (idle := await self.storage.sessions.idle()):
            await self._end_idle(idle)
        if published:
            return 0.0  # there may be more due
        candidates = (
            await self.storage.scheduled.next_due(),
            await self.storage.digests.next_due(),
            await self.storage.sessions.next_idle() if self._end_idle is not None else None,
        )
        upcoming = [due for due in candidates if due is not None]
        if not upcoming:
            return LOOK_EVERY
        return max(0.0, min(LOOK_EVERY, min(upcoming) - now))
