from __future__ import annotations

from datetime import UTC, datetime

import pytest

from storage import InvalidInput
from storage.text import clean_text, fold, fts_query, normalize_url, parse_datetime, parse_tags


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("HTTPS://News.Example/a/", "https://news.example/a"),
        ("https://news.example/a?utm_source=x&utm_medium=y", "https://news.example/a"),
        ("https://news.example/a?b=2&a=1&fbclid=z", "https://news.example/a?a=1&b=2"),
        ("https://news.example:443/a#comments", "https://news.example/a"),
        ("http://news.example:8080/a", "http://news.example:8080/a"),
        ("https://news.example/", "https://news.example"),
        ("  https://news.example/a  ", "https://news.example/a"),
        ("https://news.example/a?id=5", "https://news.example/a?id=5"),
    ],
)
def test_normalize_url(raw: str, expected: str) -> None:
    assert normalize_url(raw) == expected


@pytest.mark.parametrize(
    "raw",
    [
        "javascript:alert(1)",
        "ftp://news.example/a",
        "news.example/a",
        "https://",
        "https://user:pw@news.example/a",
        "https://news.example:99999/a",
        "https://news.example/" + "a" * 3000,
        "https://news.example/a b",
    ],
)
def test_normalize_url_rejects(raw: str) -> None:
    with pytest.raises(InvalidInput):
        normalize_url(raw)


def test_parse_tags_dedupes_ignoring_case_and_accents() -> None:
    assert parse_tags(" Perú, peru ,#economía,, Economia ") == ("Perú", "economía")


def test_parse_tags_bounds() -> None:
    with pytest.raises(InvalidInput, match="at most 20"):
        parse_tags(",".join(f"t{i}" for i in range(21)))
    with pytest.raises(InvalidInput, match="at most 64 characters"):
        parse_tags("x" * 65)


def test_clean_text_strips_control_characters() -> None:
    assert clean_text("a\x00b\x02c\x03 \n\n d ") == "abc\n\n d"
    assert clean_text(" a \n\t b ", single_line=True) == "a b"


def test_fold() -> None:
    assert fold("Perú MARIÁTEGUI") == fold("peru mariategui")


def test_parse_datetime() -> None:
    assert parse_datetime("2026-03-01") == datetime(2026, 3, 1, tzinfo=UTC)
    assert parse_datetime("2026-03-01T12:00:00+02:00") == datetime(2026, 3, 1, 10, tzinfo=UTC)
    assert parse_datetime("2026-03-01T10:00Z") == datetime(2026, 3, 1, 10, tzinfo=UTC)
    with pytest.raises(InvalidInput):
        parse_datetime("yesterday")


@pytest.mark.parametrize(
    ("words", "expected"),
    [
        ("peru", '"peru"*'),
        ("peru castil", '"peru" "castil"*'),
        ("a OR b", '"a" "OR" "b"'),
        ('NEAR(a b) "x', '"NEAR" "a" "b" "x"'),
        ("C++", '"C"'),
        ("don't", '"don" "t"'),
        ("", None),
        ("  * ^ - ", None),
        ("😀🇵🇪", None),
    ],
)
def test_fts_query_quotes_every_token(words: str, expected: str | None) -> None:
    assert fts_query(words) == expected


def test_fts_query_is_bounded() -> None:
    query = fts_query("word " * 5000)
    assert query is not None
    assert query.count('"word"') == 16


@pytest.mark.parametrize(
    ("raw", "normalized"),
    [
        ("http://[::1]:8080/x", "http://[::1]:8080/x"),  # brackets kept: a valid URL
        ("https://[2001:DB8::1]/a/", "https://[2001:db8::1]/a"),
        ("http://１２７.０.０.１:8080/", "http://127.0.0.1:8080"),
        ("http://①②⑦.⓪.⓪.①/", "http://127.0.0.1"),
        ("http://127。0。0。1/", "http://127.0.0.1"),
        ("https://Perú.Example/a", "https://xn--per-boa.example/a"),
    ],
)
def test_hosts_are_normalised_as_clients_connect_to_them(raw: str, normalized: str) -> None:
    assert normalize_url(raw) == normalized


@pytest.mark.parametrize("host", ["a" * 64 + ".example", "a..example"])
def test_a_host_that_cannot_be_encoded_is_refused_in_a_sentence(host: str) -> None:
    with pytest.raises(InvalidInput, match=r"host name .* is not valid"):
        normalize_url(f"https://{host}/")
