"""📖 Read here end to end: the whole article as a rich message (sendRichMessage, Bot API
10.1), and as HTML messages where the Bot API has no such method."""

from __future__ import annotations

from bot.i18n import Catalog
from bot.render import reading_copy
from bot.render.fit import visible_length
from bot.render.rich import RICH_TEXT
from bot.sandbox import BotApiStandIn
from bot.sandbox.rich import check_rich_message
from storage import Article, Storage, clock
from tests.conftest import article
from tests.e2e import running_bot

READER = 5
BODY_HTML = """
<h1>Perú aprueba la reforma</h1>
<p>El Congreso <b>aprobó</b> la reforma con <a href="https://news.example/votes">80 votos</a>.</p>
<h2>Qué cambia</h2>
<ul><li>Las pensiones suben.</li><li>La edad no cambia.</li></ul>
<blockquote>Es un día histórico, dijo la presidenta.</blockquote>
<img src="https://news.example/p/pleno.jpg" alt="El pleno">
<p>Un párrafo con <script>alert(1)</script> y un <a href="javascript:alert(1)">enlace</a>.</p>
"""


def long_html(words: int) -> str:
    paragraph = " ".join(f"palabra{n}" for n in range(60))
    return "".join(f"<h2>Parte {n}</h2><p>{paragraph}</p>" for n in range(words // 60))


async def ask(api: BotApiStandIn, text: str) -> int:
    mark = api.mark()
    api.push_command(text, user=api.user(READER))
    return mark


async def test_read_here_sends_the_article_as_a_rich_message(
    api: BotApiStandIn, storage: Storage
) -> None:
    stored = await storage.articles.add(
        article(1, title="Perú aprueba la reforma", body_html=BODY_HTML), announce=False
    )
    async with running_bot(api, storage):
        mark = await ask(api, f"/start r{stored.id}")
        sent = await api.wait_for("sendRichMessage", after=mark, chat_id=READER)
        assert "_result" in sent.params  # Telegram's rules (bot.sandbox.rich) accepted it
        html = sent["rich_message"]["html"]
        blocks = sent["_result"]["rich_message"]["blocks"]
        assert blocks[:2] == ["h1", "p"]  # the page's own headline is not said twice
        assert {"h2", "ul", "li", "blockquote", "img", "footer"} <= set(blocks)
        assert "<b>aprobó</b>" in html
        assert '<a href="https://news.example/votes">80 votos</a>' in html
        assert "Es un día histórico" in html
        assert "alert" not in html and "javascript" not in html  # sanitised when stored
        assert html.endswith("</footer>")
        assert "Read on the site ↗" in html
        # Under /article in a private chat: a button that does the same.
        mark = await ask(api, f"/article {stored.id}")
        card = await api.wait_for("sendMessage", after=mark, chat_id=READER)
        assert "📖 Read here" in card.button_texts()
        mark = api.mark()
        api.push_callback(f"R{stored.id}", message=card, user=api.user(READER))
        await api.wait_for("sendRichMessage", after=mark, chat_id=READER)


async def test_without_rich_messages_the_article_comes_as_a_few_html_messages(
    api: BotApiStandIn, storage: Storage
) -> None:
    api.rich_messages = False  # an older Bot API: sendRichMessage is 404 Not Found
    stored = await storage.articles.add(article(1, body_html=long_html(3_000)), announce=False)
    async with running_bot(api, storage):
        mark = await ask(api, f"/start r{stored.id}")
        await api.wait_for(
            "sendMessage", after=mark, chat_id=READER, where=lambda c: "continues" in c.text
        )
        parts = api.calls_to("sendMessage", chat_id=READER)
        assert 2 <= len(parts) <= 5
        assert all("_result" in part.params for part in parts)  # each within 4,096
        assert parts[0].text.startswith("<b>Article number 1</b>")
        assert "continues on the site ↗" in parts[-1].text
        assert len(api.calls_to("sendRichMessage")) == 1  # asked once, then remembered
        mark = await ask(api, f"/start r{stored.id}")
        await api.wait_for("sendMessage", after=mark, chat_id=READER)
        assert len(api.calls_to("sendRichMessage")) == 1


async def test_an_article_without_a_text_says_so(api: BotApiStandIn, storage: Storage) -> None:
    stored = await storage.articles.add(article(1), announce=False)
    async with running_bot(api, storage):
        mark = await ask(api, f"/start r{stored.id}")
        said = await api.wait_for("sendMessage", after=mark, chat_id=READER)
        assert said.text == "This article has no text to read here."
        mark = await ask(api, "/start r999")
        missing = await api.wait_for(
            "sendMessage", after=mark, chat_id=READER, where=lambda c: "999" in c.text
        )
        assert "999" in missing.text and "not found" in missing.text
    assert not api.calls_to("sendRichMessage")


def test_a_long_article_fits_a_rich_message_and_ends_with_the_link() -> None:
    texts = Catalog.load().for_language("en")
    big = article(1, body_html=long_html(12_000)).body_html
    shown = Article(
        *(1, "https://news.example/1", "Big", "", "", (), clock.now(), clock.now(), "cli"),
        body_html=big,
        readable=True,
    )
    copy = reading_copy(shown, texts)
    rich = check_rich_message({"html": copy.rich})  # within Telegram's documented limits
    assert len(rich["text"]) <= RICH_TEXT + 200
    assert "continues on the site ↗" in copy.rich
    assert len(copy.parts) == 5
    assert all(visible_length(part) <= 4096 for part in copy.parts)
