"""Admins' sessions in the store: one step holds a session at a time, a hold whose replica
died runs out, an idle dialogue's end is found, and sessions long untouched go."""

from __future__ import annotations

import pytest

from storage import Storage, clock
from storage.sessions import HOLD_SECONDS, KEPT_SECONDS

ADMIN, OTHER, LATER = 7, 8, 9


async def test_a_session_is_held_by_one_step_at_a_time(storage: Storage) -> None:
    first = await storage.sessions.take(ADMIN)
    assert first is not None and (first.state, first.data) == (None, "{}")
    assert await storage.sessions.take(ADMIN) is None  # the next update waits
    assert await storage.sessions.take(OTHER) is not None  # another admin does not
    assert await storage.sessions.keep(first, state=3, data='{"editing": 1}', expires_at=None)
    second = await storage.sessions.take(ADMIN)
    assert second is not None and (second.state, second.data) == (3, '{"editing": 1}')
    await storage.sessions.release(second)  # unchanged
    third = await storage.sessions.take(ADMIN)
    assert third is not None and (third.state, third.data) == (3, '{"editing": 1}')


async def test_a_hold_runs_out_and_its_late_step_writes_nothing(
    storage: Storage, monkeypatch: pytest.MonkeyPatch
) -> None:
    stuck = await storage.sessions.take(ADMIN)  # its replica died mid-step
    assert stuck is not None
    monkeypatch.setattr(clock, "_ahead", HOLD_SECONDS + 1)
    taken = await storage.sessions.take(ADMIN)
    assert taken is not None
    assert not await storage.sessions.keep(stuck, state=1, data='{"late": 1}', expires_at=None)
    await storage.sessions.release(stuck)  # not its any more: changes nothing
    assert await storage.sessions.take(ADMIN) is None  # still held by `taken`
    assert await storage.sessions.keep(taken, state=2, data="{}", expires_at=None)
    again = await storage.sessions.take(ADMIN)
    assert again is not None and again.state == 2


async def test_an_idle_dialogue_is_found_when_its_end_comes(
    storage: Storage, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert await storage.sessions.next_idle() is None
    held = await storage.sessions.take(ADMIN)
    assert held is not None
    ends = clock.time() + 600
    assert await storage.sessions.keep(held, state=1, data="{}", expires_at=ends)
    ended = await storage.sessions.take(OTHER)  # no dialogue open: never idle
    assert ended is not None
    assert await storage.sessions.keep(ended, state=None, data="{}", expires_at=None)
    assert await storage.sessions.idle() == []
    assert await storage.sessions.next_idle() == pytest.approx(ends)
    monkeypatch.setattr(clock, "_ahead", 601.0)
    assert await storage.sessions.idle() == [ADMIN]
    assert await storage.sessions.next_idle() is None  # found: not counted again
    found = await storage.sessions.take(ADMIN)
    assert found is not None and found.expired


async def test_sessions_untouched_for_a_month_are_deleted(
    storage: Storage, monkeypatch: pytest.MonkeyPatch
) -> None:
    for user in (ADMIN, OTHER):
        held = await storage.sessions.take(user)
        assert held is not None
        assert await storage.sessions.keep(held, state=None, data='{"aside": 1}', expires_at=None)
    monkeypatch.setattr(clock, "_ahead", KEPT_SECONDS - 60)
    recent = await storage.sessions.take(OTHER)
    assert recent is not None
    assert await storage.sessions.keep(recent, state=None, data='{"aside": 2}', expires_at=None)
    monkeypatch.setattr(clock, "_ahead", KEPT_SECONDS + 60)
    passing = await storage.sessions.take(LATER)
    assert passing is not None
    assert await storage.sessions.keep(passing, state=None, data="{}", expires_at=None)
    rows = await storage.db.fetchall("SELECT user_id, data FROM sessions ORDER BY user_id")
    assert [tuple(row) for row in rows] == [(OTHER, '{"aside": 2}'), (LATER, "{}")]
