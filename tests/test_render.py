from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bot import callbacks, render
from bot.i18n import Catalog
from storage import Article, NewArticle, SearchHit, SearchPage
from storage.scheduled import Scheduled

EN = Catalog.load().for_language("en")


def make_article(**fields: object) -> Article:
    values: dict[str, object] = {
        "id": 7,
        "url": "https://news.example/a",
        "title": "Title",
        "summary": "Summary",
        "author": "",
        "tags": (),
        "published_at": datetime(2026, 11, 28, 10, tzinfo=UTC),
        "created_at": datetime(2026, 11, 28, 10, tzinfo=UTC),
        "source": "cli",
    }
    values.update(fields)
    return Article(**values)  # type: ignore[arg-type]


def test_card_escapes_every_field() -> None:
    card = render.article_card(
        make_article(
            title="<b>x</b> & </a>",
            summary="<script>",
            author="<i>A</i>",
            tags=("<b>", "human rights"),
        ),
        EN,
        "bot",
    )
    assert card.text.startswith(
        "<b>&lt;b&gt;x&lt;/b&gt; &amp; &lt;/a&gt;</b>\n&lt;i&gt;A&lt;/i&gt;"
    )
    assert "&lt;script&gt;" in card.text
    assert "#human_rights" in card.text
    assert "#b" in card.text


@pytest.mark.parametrize("url", ["javascript:alert(1)", "tg://user?id=1", "data:text/html,x"])
def test_only_http_links_are_emitted(url: str) -> None:
    card = render.article_card(make_article(url=url), EN, "bot")
    assert "<a href" not in card.text
    assert card.preview_url is None
    assert all(
        "url" not in button.to_dict() for row in card.markup.inline_keyboard for button in row
    )  # type: ignore[union-attr]


def test_card_fits_and_cuts_at_a_word() -> None:
    card = render.article_card(make_article(title="t" * 256, summary="word " * 1000), EN, "bot")
    assert len(card.text) <= render.MAX_MESSAGE
    assert "word word…" in card.text


@pytest.mark.parametrize(
    ("text", "limit", "expected"),
    [
        ("short", 10, "short"),
        ("one two three four", 10, "one two…"),
        ("abcdefghijklmnop", 10, "abcdefghi…"),
        ("end of sentence. More", 18, "end of sentence…"),
    ],
)
def test_truncate(text: str, limit: int, expected: str) -> None:
    assert render.truncate(text, limit) == expected
    assert len(render.truncate(text, limit)) <= limit


def test_search_page_keeps_snippet_markup_and_escapes_query() -> None:
    page = SearchPage(
        [SearchHit(make_article(), "a <b>match</b> &amp; more", 1, -1.0)], 1, True, "relevance"
    )
    reply = render.search_page(page, "<peru>", 0, EN)
    assert reply.text.startswith("🔎 <b>&lt;peru&gt;</b> — 1 result")
    assert "a <b>match</b> &amp; more" in reply.text


def test_every_button_payload_fits_64_bytes() -> None:
    articles = [make_article(id=10**11 + n) for n in range(5)]
    reply = render.latest_page(articles, 9_995, True, EN)
    query = callbacks.compact_query("ñandú " * 200)
    page = SearchPage(
        [SearchHit(a, "", n, None) for n, a in enumerate(articles)],
        None,
        False,
        "recency",
        has_more=True,
    )
    search = render.search_page(page, query, 9_995, EN)
    for markup in (reply.markup, search.markup):
        assert markup is not None
        for row in markup.inline_keyboard:
            for button in row:
                assert button.callback_data is not None
                assert len(str(button.callback_data).encode()) <= 64
                assert callbacks.parse(str(button.callback_data)) is not None


@pytest.mark.parametrize(
    ("words", "expected"),
    [
        ("Perú  castillo!", "Perú castillo"),
        ("C++ (NEAR", "C NEAR"),
        ("😀", ""),
        ("x" * 100, "x" * 57),
    ],
)
def test_compact_query(words: str, expected: str) -> None:
    assert callbacks.compact_query(words) == expected


@pytest.mark.parametrize(
    ("data", "parsed"),
    [
        ("L5", callbacks.LatestPage(5)),
        ("S10 peru castillo", callbacks.SearchResults(10, "peru castillo")),
        ("A12", callbacks.OpenArticle(12)),
        ("Cl10", callbacks.ChannelPage(10)),
        ("Cr10 -1001234567890", callbacks.RemoveChannel(-1001234567890, 10)),
        ("Dp", callbacks.DraftAction(callbacks.DraftAction.PUBLISH)),
        ("Dw", callbacks.DraftAction(callbacks.DraftAction.SCHEDULE)),
        ("Dg", callbacks.DraftAction(callbacks.ArticleField.TAGS)),
        ("Es12", callbacks.EditField(callbacks.ArticleField.SUMMARY, 12)),
        ("Xr7", callbacks.DeleteArticle(7, recall=True)),
        ("Xd7", callbacks.DeleteArticle(7)),
        ("Xc", callbacks.DeleteArticle(None)),
        ("Zx3", callbacks.Unschedule(3)),
        ("Dq", None),
        ("Ex12", None),
        ("Xc7", None),
        ("Zx", None),
        ("Cr10", None),
        ("Cl99999", None),
        ("L99999", None),
        ("L-1", None),
        ("S5", None),
        ("X", None),
        ("", None),
        (None, None),
    ],
)
def test_parse_callback(data: str | None, parsed: object) -> None:
    assert callbacks.parse(data) == parsed


def test_admin_buttons_are_typed_payloads_that_parse_back() -> None:
    """Every button of the draft preview, the edit menu, the delete confirmation and the
    scheduled list is a payload `parse` gives back as the same typed value."""
    article = make_article(id=10**11)
    new = NewArticle(url=article.url, title=article.title, summary=article.summary)
    waiting = Scheduled(10**11, article.url, "t", datetime(2026, 12, 2, 8, tzinfo=UTC), "UTC")
    replies = [
        render.draft_preview(EN, new, "bot"),
        render.edit_menu(EN, article, "bot"),
        render.delete_confirmation(EN, article),
        render.scheduled_list(EN, [waiting], "UTC"),
    ]
    kinds = set()
    for reply in replies:
        assert reply.markup is not None
        for row in reply.markup.inline_keyboard:
            for button in row:
                data = str(button.callback_data)
                parsed = callbacks.parse(data)
                assert parsed is not None, data
                assert parsed.encode() == data
                assert len(data.encode()) <= 64
                kinds.add(type(parsed))
    assert kinds == {
        callbacks.DraftAction,
        callbacks.EditField,
        callbacks.DeleteArticle,
        callbacks.Unschedule,
    }
