"""The delivery engine: the outbox worker, sending, pacing, progress and the scheduler."""
