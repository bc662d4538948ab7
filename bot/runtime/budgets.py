"""A budget per reader, so that one user cannot starve the others (bot.handlers.flood).

Buckets are aiolimiter's leaky buckets: a burst of BURST, refilled at RATE a second. One is
kept per user who wrote lately; a bucket that has drained entirely is forgotten, so memory
follows the users of the last minute, not every user ever seen.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from aiolimiter import AsyncLimiter

BURST = 20  # updates one user may send at once
RATE = 1.0  # updates a second after that
FORGET_EVERY = 60.0  # seconds between sweeps of drained buckets


@dataclass
class Budgets:
    burst: int = BURST
    rate: float = RATE
    forget_every: float = FORGET_EVERY
    _buckets: dict[int, AsyncLimiter] = field(default_factory=dict)
    _warned: set[int] = field(default_factory=set)
    _swept_at: float = field(default_factory=time.monotonic)

    async def take(self, user_id: int) -> bool:
        """Spend one update of this user's budget; False when there is none left."""
        if time.monotonic() - self._swept_at >= self.forget_every:
            self.forget_drained()
        bucket = self._buckets.get(user_id)
        if bucket is None:
            bucket = self._buckets[user_id] = AsyncLimiter(self.burst, self.burst / self.rate)
        if not bucket.has_capacity():
            return False
        await bucket.acquire()  # at once: there is capacity
        return True

    def first_refusal(self, user_id: int) -> bool:
        """Whether this refusal is the first of this flood (told once, until the user's
        bucket has drained and been forgotten)."""
        if user_id in self._warned:
            return False
        self._warned.add(user_id)
        return True

    def __len__(self) -> int:
        return len(self._buckets)

    def forget_drained(self) -> None:
        """Drop the buckets of users who have not written for as long as a full bucket
        takes to drain."""
        self._swept_at = time.monotonic()
        drained = [u for u, bucket in self._buckets.items() if bucket.has_capacity(self.burst)]
        for user_id in drained:
            del self._buckets[user_id]
            self._warned.discard(user_id)
