"""The rules that make a correction once: the revision a card shows, a cursor that moves
only when a wave is recorded and never past a card still being sent, a newer edit taking
over, retention."""

from __future__ import annotations

from datetime import timedelta

import pytest

from storage import ChatInfo, Storage, clock
from storage.corrections import Edited
from storage.deliveries import Outcome
from storage.kinds import DeliveryStatus
from tests.conftest import article


async def sent_to(storage: Storage, chats: int, *, leave_sending: int = 0) -> int:
    """An article whose card reached `chats` chats (the last `leave_sending` still in
    flight)."""
    for chat_id in range(1, chats + 1):
        await storage.chats.subscribe(ChatInfo(chat_id, "private"))
    stored = await storage.articles.add(article(1))
    claimed = await storage.deliveries.claim(chats)
    done = claimed[: chats - leave_sending]
    await storage.deliveries.settle(
        [Outcome(d.id, DeliveryStatus.SENT, message_id=500 + d.chat_id) for d in done]
    )
    return stored.id


async def test_an_edit_of_what_cards_show_opens_a_correction_and_others_do_not(
    storage: Storage,
) -> None:
    article_id = await sent_to(storage, 3)
    same = await storage.articles.update(article_id, title="Article number 1")
    assert (same.changed, same.correction) == (False, None)
    quiet = await storage.articles.update(article_id, title="Quietly", correct=False)
    assert quiet.changed and quiet.correction is None
    edit = await storage.articles.update(article_id, image="https://news.example/p.jpg")
    assert edit.correction is not None
    assert (edit.correction.revision, edit.correction.total, edit.correction.media) == (1, 3, True)
    assert edit.article.revision == 1


async def test_the_cursor_moves_when_a_wave_is_recorded_and_a_crash_repeats_one_wave(
    storage: Storage,
) -> None:
    article_id = await sent_to(storage, 5)
    correction = (await storage.articles.update(article_id, title="New")).correction
    assert correction is not None
    wave = await storage.corrections.claim(correction, 2)
    assert [card.chat_id for card in wave] == [1, 2]
    # A crash before recording: the same wave again.
    assert await storage.corrections.claim(correction, 2) == wave
    now = await storage.corrections.settle(
        correction, wave, [Edited(card.delivery_id, ok=True) for card in wave], False
    )
    assert now is not None and (now.edited, now.finished) == (2, False)
    rest = await storage.corrections.claim(correction, 10)
    assert [card.chat_id for card in rest] == [3, 4, 5]
    outcomes = [
        Edited(rest[0].delivery_id, ok=False),
        *(Edited(c.delivery_id, True) for c in rest[1:]),
    ]
    now = await storage.corrections.settle(correction, rest, outcomes, True)
    assert now is not None and (now.edited, now.failed, now.finished) == (4, 1, True)
    assert await storage.corrections.next_open() is None


async def test_the_cursor_never_passes_a_card_still_being_sent(storage: Storage) -> None:
    article_id = await sent_to(storage, 4, leave_sending=1)
    correction = (await storage.articles.update(article_id, title="New")).correction
    assert correction is not None
    wave = await storage.corrections.claim(correction, 10)
    assert [card.chat_id for card in wave] == [1, 2, 3]
    now = await storage.corrections.settle(
        correction, wave, [Edited(c.delivery_id, ok=True) for c in wave], True
    )
    assert now is not None and not now.finished  # chat 4's card may show the old title
    (flying,) = await storage.db.fetchall("SELECT id FROM deliveries WHERE status = 'sending'")
    await storage.deliveries.settle([Outcome(flying[0], DeliveryStatus.SENT, message_id=9)])
    (late,) = await storage.corrections.claim(correction, 10)
    assert late.chat_id == 4
    now = await storage.corrections.settle(
        correction, [late], [Edited(late.delivery_id, True)], True
    )
    assert now is not None and (now.edited, now.finished) == (4, True)


async def test_a_newer_edit_takes_over_and_cards_showing_it_are_left_alone(
    storage: Storage,
) -> None:
    article_id = await sent_to(storage, 3)
    first = (await storage.articles.update(article_id, title="One")).correction
    assert first is not None
    wave = await storage.corrections.claim(first, 1)
    second = (await storage.articles.update(article_id, title="Two")).correction
    assert second is not None and second.revision == 2
    assert (
        await storage.corrections.settle(first, wave, [Edited(wave[0].delivery_id, True)], False)
        is None
    )
    assert len(await storage.corrections.claim(second, 10)) == 3  # from the start again


async def test_finished_corrections_are_forgotten_after_the_window(
    storage: Storage, monkeypatch: pytest.MonkeyPatch
) -> None:
    article_id = await sent_to(storage, 1)
    correction = (await storage.articles.update(article_id, title="New")).correction
    assert correction is not None
    cards = await storage.corrections.claim(correction, 10)
    await storage.corrections.settle(
        correction, cards, [Edited(c.delivery_id, True) for c in cards], True
    )
    assert await storage.corrections.prune(clock.now() - timedelta(hours=48)) == 0
    monkeypatch.setattr(clock, "_ahead", timedelta(hours=49).total_seconds())
    assert await storage.corrections.prune(clock.now() - timedelta(hours=48)) == 1
    assert await storage.corrections.get(article_id) is None
