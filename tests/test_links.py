"""The links readers get: the publisher's as given, with LINK_PARAMS added."""

from __future__ import annotations

import pytest

from bot.sandbox import BotApiStandIn
from config import SettingsError, load_settings
from storage import ChatInfo, Storage
from tests.conftest import article
from tests.e2e import running_bot

PARAMS = "utm_source=telegram&utm_medium=bot"


@pytest.mark.parametrize(
    ("given", "sent"),
    [
        ("https://news.example/a", f"https://news.example/a?{PARAMS}"),
        ("https://news.example/a?id=3", f"https://news.example/a?id=3&{PARAMS}"),
        ("https://news.example/a#guid=7", f"https://news.example/a?{PARAMS}#guid=7"),
    ],
)
async def test_cards_carry_the_publications_link_params(
    api: BotApiStandIn, storage: Storage, given: str, sent: str
) -> None:
    await storage.chats.subscribe(ChatInfo(1, "private"))
    async with running_bot(api, storage, link_params=PARAMS):
        stored = await storage.articles.add(article(1, url=given))
        card = await api.wait_for("sendMessage", chat_id=1, timeout=10)
        assert card.buttons[0][0]["url"] == sent
        mark = api.mark()
        api.push_command(f"/article {stored.id}", user=api.user(1))
        opened = await api.wait_for("sendMessage", after=mark, chat_id=1)
        assert opened.buttons[0][0]["url"] == sent
    assert (await storage.articles.get(stored.id)).link == given  # stored as given


def test_link_params_that_are_not_parameters_are_refused(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("LINK_PARAMS", raising=False)
    with pytest.raises(SettingsError, match="invalid setting LINK_PARAMS"):
        load_settings(_env_file=None, link_params="telegram")
    assert load_settings(_env_file=None, link_params=f"?{PARAMS}").link_params == PARAMS
