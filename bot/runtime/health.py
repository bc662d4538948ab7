"""Health: whether a running bot receives updates and sends, as a container check asks.

The bot writes a heartbeat for each part every few seconds: `sending` when the delivery
worker last worked and, in polling mode, `updates` when getUpdates last answered.
`articlebot health`, run in another process, reads them in polling mode (in webhook mode it
asks `/healthz` instead), and `articlebot add --wait` tells whether a bot is sending. Both
say which replica leads (bot.runtime.leadership).
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from bot.runtime.supervisor import Supervised
from storage import Storage, StorageError, clock
from storage.kinds import Role
from storage.replicas import Seen

if TYPE_CHECKING:
    from bot.api.updates import UpdatesRequest
    from bot.delivery.worker import DeliveryWorker

log = logging.getLogger(__name__)
BEAT_EVERY = 10.0  # seconds between heartbeats
STALE_AFTER = 60.0  # a heartbeat older than this means its part is not working
PARTS = {"updates": "no updates received", "sending": "the delivery worker is not working"}
STOPPED = "stopped"  # written once, by a bot that stops cleanly


class Heartbeat:
    def __init__(
        self, storage: Storage, worker: DeliveryWorker, updates: UpdatesRequest | None
    ) -> None:
        self.storage = storage
        self.worker = worker
        self.updates = updates
        self._loop = Supervised("heartbeat", self._beat)

    def start(self) -> None:
        self._loop.start()

    async def stop(self) -> None:
        """The last beat says the bot stopped: health is not "ok" for a minute after."""
        await self._loop.stop()
        try:
            await self.storage.record_heartbeats({STOPPED: clock.time()})
        except StorageError as exc:  # a locked database must not hold the shutdown up
            log.warning("could not record that the bot stopped: %s", exc)

    async def _beat(self) -> float:
        beats: dict[str, float] = {}
        if self.updates is not None:
            beats["updates"] = self.updates.answered_at
        if self.worker.healthy:
            beats["sending"] = clock.time()
        await self.storage.record_heartbeats(beats)
        return BEAT_EVERY


def problems(beats: dict[str, float], now: float) -> list[str]:
    """What is wrong, going by the heartbeats of a bot in polling mode; empty if nothing."""
    stopped = beats.get(STOPPED)
    if stopped is not None and stopped >= max(beats.get(part, 0.0) for part in PARTS):
        return [f"the bot stopped {now - stopped:.0f} s ago"]
    found = []
    for part, trouble in PARTS.items():
        at = beats.get(part)
        if at is None:
            found.append(f"{trouble} (no heartbeat yet: is the bot running?)")
        elif now - at > STALE_AFTER:
            found.append(f"{trouble} for {now - at:.0f} s")
    return found


def replicas(seen: list[Seen], now: float) -> str:
    """The replicas seen in the last minute: `leader host:pid, standby host:pid`."""
    recent = [s for s in seen if now - s.seen_at <= STALE_AFTER]
    recent.sort(key=lambda s: (s.role is not Role.LEADER, s.replica.host, s.replica.pid))
    if not recent:
        return "no replica seen in the last minute"
    return ", ".join(f"{s.role} {s.replica.host}:{s.replica.pid}" for s in recent)
