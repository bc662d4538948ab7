"""One reader cannot starve the others; the budgets forget those who stopped writing."""

from __future__ import annotations

import asyncio

from bot.runtime.budgets import Budgets
from bot.sandbox import BotApiStandIn
from storage import Storage
from tests.conftest import article
from tests.e2e import running_bot, wait_until

FLOODER, OTHER, ADMIN = 66, 77, 7


async def test_a_flood_from_one_user_is_dropped_and_told_once(
    api: BotApiStandIn, storage: Storage
) -> None:
    await storage.articles.add(article(1))
    async with running_bot(api, storage, admin_ids=str(ADMIN)):
        for n in range(200):
            api.push_message(f"search {n}", user=api.user(FLOODER))
        api.push_message("/latest", user=api.user(OTHER))
        for _ in range(30):  # admins have no budget
            api.push_message("/help", user=api.user(ADMIN))
        await api.wait_for("sendMessage", chat_id=OTHER)
        await wait_until(lambda: len(api.calls_to("sendMessage", chat_id=ADMIN)) == 30)
        await asyncio.sleep(0.5)  # time for any wrongly kept update to be answered
        to_flooder = [c["text"] for c in api.calls_to("sendMessage", chat_id=FLOODER)]
    slow_down = [t for t in to_flooder if t.startswith("You are sending a lot at once")]
    assert len(slow_down) == 1
    assert len(to_flooder) <= 20 + 1 + 2  # the burst, the one warning, a refill or two


async def test_buckets_of_users_who_stopped_writing_are_forgotten() -> None:
    budgets = Budgets(burst=2, rate=1_000)
    for user_id in range(1_000):
        assert await budgets.take(user_id)
    assert len(budgets) == 1_000

    def swept() -> bool:
        budgets.forget_drained()
        return len(budgets) == 0

    await wait_until(swept)  # a bucket of 2 at 1,000/s drains in 2 ms


async def test_over_budget_and_back() -> None:
    budgets = Budgets(burst=3, rate=0.001)
    assert [await budgets.take(1) for _ in range(4)] == [True, True, True, False]
    assert await budgets.take(2)  # another user has their own
    assert budgets.first_refusal(1) and not budgets.first_refusal(1)
