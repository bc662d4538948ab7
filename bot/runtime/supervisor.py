"""Background loops that outlive their failures.

The delivery worker, its progress reports and the feed poller each run as a `Supervised`
loop of one step at a time; a step returns how long to wait before the next. A step that
raises (the database locked past DATABASE_TIMEOUT
by an operator's shell, a bug) is logged once, then retried after a pause that doubles up
to a cap, as python-telegram-bot's own network retry loop does for polling; the first step
that works again is logged too. `healthy` tells a health check whether the loop is alive and
its last step worked recently.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable

from storage import StorageError

log = logging.getLogger(__name__)

FIRST_RETRY = 0.5  # seconds before retrying a failed step; doubles with each failure
MAX_RETRY = 30.0
STALE_AFTER = 120.0  # a loop whose last good step is older than this is not healthy


class Supervised:
    def __init__(self, name: str, step: Callable[[], Awaitable[float]]) -> None:
        self.name = name
        self._step = step
        self._task: asyncio.Task[None] | None = None
        self._wake = asyncio.Event()
        self.stopping = False
        self.failures = 0
        self.last_success = time.monotonic()

    def start(self, delay: float = 0.0) -> None:
        """Run the loop, its first step after `delay` seconds."""
        self._task = asyncio.create_task(self._loop(delay), name=self.name)

    def request_stop(self) -> None:
        """Stop after the current step (also from inside a step)."""
        self.stopping = True
        self._wake.set()

    async def stop(self) -> None:
        """Stop after the current step and wait for it."""
        self.request_stop()
        if self._task is not None:
            await self._task

    def wake(self) -> None:
        """End the current `sleep` early."""
        self._wake.set()

    async def sleep(self, seconds: float) -> None:
        """Wait up to `seconds`, or until woken or stopped; a wake-up that came during the
        step before ends the wait at once."""
        if self.stopping:
            return
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._wake.wait(), seconds)
        self._wake.clear()

    @property
    def running(self) -> bool:
        return self._task is not None and not self._task.done()

    @property
    def healthy(self) -> bool:
        recent = time.monotonic() - self.last_success < STALE_AFTER
        return self.running and self.failures == 0 and recent

    async def _loop(self, delay: float) -> None:
        if delay > 0:
            await self.sleep(delay)
        while not self.stopping:
            try:
                wait = await self._step()
            except Exception as exc:
                self.failures += 1
                retry = min(MAX_RETRY, FIRST_RETRY * 2 ** (self.failures - 1))
                if self.failures == 1:
                    # Storage errors explain themselves; anything else is a bug worth a trace.
                    log.error(
                        "%s failed, retrying with backoff until it works: %s",
                        self.name,
                        describe(exc),
                        exc_info=not isinstance(exc, StorageError),
                    )
                await self.sleep(retry)
                continue
            if self.failures:
                log.warning("%s works again after %d failed steps", self.name, self.failures)
                self.failures = 0
            self.last_success = time.monotonic()
            if wait > 0:
                await self.sleep(wait)


def describe(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}"
