"""Which replica leads: several `articlebot run` may share one database, and what must run
once runs on the one holding the lease (storage.replicas).

Every replica serves what it is asked (webhook updates, CMS hooks, metrics). The leader
also runs the delivery worker, corrections, the scheduler, feed polling and, in polling
mode, getUpdates (Telegram allows one consumer). It renews its lease every RENEW_EVERY
seconds; a standby looks every STANDBY_EVERY seconds and takes the lease once it has
expired, or at once when its holder was a process of this machine that is gone (a crash
on one host is taken over in about a second, a lost machine within LEASE_SECONDS plus a
look). A leader that cannot renew stops claiming work as its lease runs out (`valid`), and
one that finds the lease taken stops the process: a restart brings it back as a standby.
"""

from __future__ import annotations

import contextlib
import logging
import os
import secrets
import socket
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

from bot.runtime.supervisor import Supervised, describe
from storage import Storage, StorageError
from storage.kinds import Role
from storage.replicas import Replica

log = logging.getLogger(__name__)

LEASE_SECONDS = 10.0
RENEW_EVERY = 2.0
STANDBY_EVERY = 1.0
_LIVE: set[str] = set()  # holders running in this process (tests run several bots)


class Leadership:
    def __init__(
        self,
        storage: Storage,
        *,
        lead: Callable[[], Awaitable[None]],
        deposed: Callable[[str], None],
    ) -> None:
        self.storage = storage
        host, pid = socket.gethostname(), os.getpid()
        self.me = Replica(f"{host}:{pid}:{secrets.token_hex(4)}", host, pid)
        self.leading = False
        self.led = False  # it has led: what runs once was started here
        self._lead = lead
        self._deposed = deposed
        self._valid_until = 0.0  # monotonic: the lease is surely ours until then
        self._loop = Supervised("leadership", self._step)

    @property
    def role(self) -> Role:
        return Role.LEADER if self.leading else Role.STANDBY

    @property
    def valid(self) -> bool:
        """Whether work that must run once may go on here: leading, on a lease that has
        not run out (a process paused or cut off past its lease must not send)."""
        return self.leading and time.monotonic() < self._valid_until

    async def start(self) -> None:
        """Bid for the lead at once (a lone bot leads before it starts answering), then
        keep renewing or looking."""
        _LIVE.add(self.me.holder)
        wait = STANDBY_EVERY
        try:
            wait = await self._step()
        except StorageError as exc:  # the loop retries
            log.warning("could not bid for the lead yet: %s", exc)
        self._loop.start(delay=wait)

    async def stop(self) -> None:
        """Stop looking and hand the lease over at once."""
        await self._loop.stop()
        _LIVE.discard(self.me.holder)
        try:
            await self.storage.replicas.leave(self.me)
        except StorageError as exc:  # it expires by itself
            log.warning("could not hand over the lead: %s", exc)

    async def _step(self) -> float:
        asked_at = time.monotonic()
        try:
            held = await self.storage.replicas.lead(
                self.me, LEASE_SECONDS, take_from=await self._gone_holder()
            )
        except StorageError:
            if self.leading and not self.valid:
                log.warning("the lease ran out while the database did not answer")
            raise
        if held:
            self._valid_until = asked_at + LEASE_SECONDS
            if not self.leading:
                self.leading = self.led = True
                log.info("leading (%s): deliveries, feeds and polling run here", self.me.holder)
                try:
                    await self._lead()
                except Exception as exc:  # as a bot that cannot start: it stops
                    self._loop.request_stop()
                    self._deposed(f"could not start leading: {describe(exc)}")
            return RENEW_EVERY
        if self.leading:
            self.leading = False
            self._loop.request_stop()
            self._deposed("another replica took the lead")
        return STANDBY_EVERY

    async def _gone_holder(self) -> str | None:
        """The lease's holder when it is a process of this machine that no longer runs."""
        lease = await self.storage.replicas.lease()
        if lease is None or lease.replica.holder == self.me.holder or lease.expired:
            return None
        holder = lease.replica
        if holder.host != self.me.host:
            return None
        if holder.pid == os.getpid():
            return None if holder.holder in _LIVE else holder.holder
        return None if alive(holder.pid) else holder.holder


def alive(pid: int) -> bool:
    """Whether a process of this machine runs; a zombie (killed, not yet reaped by its
    parent) does not."""
    with contextlib.suppress(OSError, IndexError):
        stat = Path(f"/proc/{pid}/stat").read_text()
        return stat.rsplit(")", 1)[1].split()[0] not in ("Z", "X")
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process: alive
        return True
    return True
