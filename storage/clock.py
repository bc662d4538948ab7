"""The program's one clock: wall time, which the sandbox can move ahead (`:later`) so that
everything the bot shows and does — replies, digests, schedules, the outbox — agrees.

Timers that measure how long something takes use `time.monotonic()` and are not moved."""

from __future__ import annotations

import time as _time
from datetime import UTC, datetime

_ahead = 0.0  # seconds this process runs ahead of the wall clock


def time() -> float:
    """Seconds since the epoch, as `time.time()`, moved ahead in the sandbox."""
    return _time.time() + _ahead


def now() -> datetime:
    """This moment, in UTC."""
    return datetime.fromtimestamp(time(), UTC)


def move_ahead(seconds: float) -> float:
    """Move the clock on (the sandbox's `:later`); returns how far ahead it now is."""
    global _ahead
    _ahead += seconds
    return _ahead
