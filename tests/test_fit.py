"""Every text the bot sends parses as Telegram's HTML and fits on what a reader sees, however
many quotes, ampersands, angle brackets, emoji and long words its fields hold. Checked with
the stand-in's parser, written from the Bot API's HTML rules, not with the bot's own."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from bot import render
from bot.i18n import Catalog
from bot.render.common import MAX_CAPTION, MAX_MESSAGE, caption, escape
from bot.render.fit import fit, utf16_length, visible_length
from bot.sandbox.rules import telegram_html_text
from tests.test_render import make_article

EN = Catalog.load().for_language("en")
HOSTILE = st.text(alphabet=st.sampled_from("\"&<>'ab é 🙂\n" + "x" * 5), max_size=256)
LONG = st.text(alphabet=st.sampled_from('"&<> a🙂'), min_size=0, max_size=2000)
TAGS = st.lists(st.text(alphabet=st.sampled_from('ab"&<'), min_size=1, max_size=20), max_size=5)


def shown(markup: str) -> int:
    """Telegram's length of `markup`, or its refusal (raised)."""
    return utf16_length(telegram_html_text(markup))


@settings(max_examples=200, deadline=None)
@given(title=HOSTILE, author=HOSTILE, summary=LONG, tags=TAGS)
def test_cards_parse_and_fit(title: str, author: str, summary: str, tags: list[str]) -> None:
    article = make_article(title=title or "t", author=author, summary=summary, tags=tuple(tags))
    for card in (render.article_card(article, EN, "bot"), render.broadcast_card(article, EN, "b")):
        assert shown(card.text) <= MAX_MESSAGE


@settings(max_examples=100, deadline=None)
@given(titles=st.lists(HOSTILE, min_size=1, max_size=30), summary=LONG)
def test_digests_parse_and_fit(titles: list[str], summary: str) -> None:
    articles = [
        make_article(id=n + 1, title=t or "t", summary=summary) for n, t in enumerate(titles)
    ]
    for part in render.digest(EN, "daily", articles, "bot"):
        assert shown(part.text) <= MAX_MESSAGE


@settings(max_examples=200, deadline=None)
@given(
    pieces=st.lists(st.tuples(st.sampled_from(["b", "i", "a", "code"]), HOSTILE), max_size=40),
    limit=st.integers(min_value=2, max_value=MAX_MESSAGE),
)
def test_fit_keeps_tags_balanced_and_fits_any_limit(
    pieces: list[tuple[str, str]], limit: int
) -> None:
    markup = "".join(
        f'<a href="https://x.example/?q=&quot;">{escape(text)}</a>'
        if tag == "a"
        else f"<{tag}>{escape(text)}</{tag}>"
        for tag, text in pieces
    )
    fitted = fit(markup, limit)
    assert shown(fitted) <= limit
    assert shown(fitted) == visible_length(fitted)
    if shown(markup) <= limit:
        assert fitted == markup


@settings(max_examples=100, deadline=None)
@given(lines=st.lists(HOSTILE, max_size=40))
def test_captions_fit(lines: list[str]) -> None:
    text = "\n".join(f"<b>{escape(line)}</b>" for line in lines)
    assert shown(caption(text)) <= MAX_CAPTION


def test_twenty_quote_heavy_titles_make_one_digest_message() -> None:
    """Split by what a reader sees: 20 titles of quotes are one message, not twenty."""
    articles = [make_article(id=n, title='"' * 150, summary="") for n in range(1, 21)]
    assert len(render.digest(EN, "daily", articles, "bot")) == 1


def test_a_card_of_quotes_keeps_its_link_whole() -> None:
    article = make_article(title='"' * 256, author='"' * 256, summary='"' * 2000)
    card = render.article_card(article, EN, "bot")
    assert len(card.text) > MAX_MESSAGE  # the HTML is longer than a message ...
    assert shown(card.text) <= MAX_MESSAGE  # ... what a reader sees is not
    assert card.text.count("<b>") == card.text.count("</b>")
