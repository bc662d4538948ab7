"""The SQLite spellings the PostgreSQL engine rewrites (storage.engines.translate), and the
settings that select PostgreSQL."""

from __future__ import annotations

import pytest

from config import SettingsError, load_settings
from storage.engines.postgres import redacted
from storage.engines.translate import arguments, translate


@pytest.mark.parametrize(
    ("sqlite", "postgres"),
    [
        ("SELECT a FROM t WHERE b = ? AND c = ?", "SELECT a FROM t WHERE b = $1 AND c = $2"),
        ("SELECT ?1, ?2 WHERE x = ?1", "SELECT $1, $2 WHERE x = $1"),
        (
            "UPDATE t SET a = :a WHERE b = :b OR a = :a",
            "UPDATE t SET a = $1 WHERE b = $2 OR a = $1",
        ),
        (
            "SELECT json_array(a, b), json_group_array(c)",
            "SELECT json_build_array(a, b), json_agg(c)",
        ),
        (
            "SELECT 1 WHERE +topic IN (1) AND a + b > 0",
            "SELECT 1 WHERE topic IN (1) AND a + b > 0",
        ),
        (
            "SELECT x::json, '?', ':name', \"a?\" WHERE y = ?",
            "SELECT x::json, '?', ':name', \"a?\" WHERE y = $1",
        ),
        ("SELECT 'it''s ?' || ?", "SELECT 'it''s ?' || $1"),
    ],
)
def test_sqlite_spellings_become_postgresql_ones(sqlite: str, postgres: str) -> None:
    assert translate(sqlite).sql == postgres


def test_named_parameters_are_given_in_their_order() -> None:
    translated = translate("SELECT :b, :a, :b")
    assert arguments(translated, {"a": 1, "b": 2, "unused": 3}) == (2, 1)
    assert arguments(translate("SELECT ?, ?"), [1, 2]) == (1, 2)


def test_a_database_url_must_be_postgresql() -> None:
    with pytest.raises(SettingsError, match=r"DATABASE_URL.*postgresql://"):
        load_settings(_env_file=None, database_url="mysql://x/y")
    chosen = load_settings(_env_file=None, database_url="postgresql://bot:hunter2@db/news")
    assert chosen.database == "postgresql://bot:hunter2@db/news"
    assert "hunter2" in chosen.secrets  # kept out of every log line


def test_messages_name_the_database_without_its_password() -> None:
    assert redacted("postgresql://bot:hunter2@db:5433/news") == "postgresql://bot:***@db:5433/news"
    assert redacted("postgresql://db/news") == "postgresql://db/news"


def test_both_engines_know_the_same_schema_version() -> None:
    """A migration is added to both lists under one number (storage.engines.pg_schema)."""
    from storage.engines import pg_schema
    from storage.migrations import MIGRATIONS

    assert pg_schema.MIGRATIONS[-1].version == MIGRATIONS[-1].version


def test_an_unreachable_postgresql_is_one_line_without_its_password() -> None:
    from click.testing import CliRunner

    from bot.cli import cli

    url = "postgresql://bot:hunter2@127.0.0.1:1/news"
    result = CliRunner().invoke(cli, ["--db", url, "latest"])
    assert result.exit_code == 1
    assert "cannot open postgresql://bot:***@127.0.0.1:1/news" in result.output
    assert "hunter2" not in result.output
    assert "Traceback" not in result.output
