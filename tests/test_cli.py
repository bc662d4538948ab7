from __future__ import annotations

import asyncio
import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from bot.cli import cli
from storage.migrations import LATEST_VERSION
from tests.e2e import child


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.chdir(tmp_path)  # no stray .env
    for name in list(os.environ):
        if name in {"BOT_TOKEN", "DATABASE_PATH", "ADMIN_IDS", "DATABASE_TIMEOUT"}:
            monkeypatch.delenv(name)


def run(*args: str, stdin: str | None = None) -> Result:
    result = CliRunner().invoke(cli, ["--db", "news.db", *args], input=stdin)
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    assert "Traceback" not in result.output
    return result


def add(n: int, *extra: str) -> int:
    result = run("add", "--url", f"https://news.example/{n}", "--title", f"Story {n}", *extra)
    assert result.exit_code == 0, result.output
    return int(result.stdout)


def test_add_prints_the_new_id_and_show_reads_it(tmp_path: Path) -> None:
    body = tmp_path / "body.txt"
    body.write_text("El cuerpo del artículo.", encoding="utf-8")
    new_id = add(
        1,
        "--summary",
        "Resumen",
        "--body-file",
        str(body),
        "--tags",
        "Perú, economía",
        "--author",
        "Ana",
        "--published",
        "2026-03-01T10:00:00-05:00",
    )
    assert new_id == 1
    shown = json.loads(run("show", "1", "--json").stdout)
    assert shown["tags"] == ["Perú", "economía"]
    assert shown["body"] == "El cuerpo del artículo."
    assert shown["published_at"] == "2026-03-01T15:00:00Z"
    assert shown["source"] == "cli"
    text = run("show", "1").stdout
    assert "Story 1" in text and "#Perú #economía" in text and "Ana" in text


def test_body_from_stdin() -> None:
    result = run(
        "add",
        "--url",
        "https://news.example/s",
        "--title",
        "t",
        "--body-file",
        "-",
        stdin="from stdin",
    )
    assert result.exit_code == 0
    assert json.loads(run("show", "1", "--json").stdout)["body"] == "from stdin"


def test_duplicate_url_is_refused() -> None:
    add(1)
    result = run("add", "--url", "HTTPS://NEWS.example/1/?utm_source=x", "--title", "Again")
    assert result.exit_code == 1
    assert "already exists: #1" in result.stderr
    assert len(json.loads(run("latest", "--json").stdout)) == 1


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["add", "--title", "no url"], "Missing option '--url'"),
        (["add", "--url", "https://x.example"], "Missing option '--title'"),
        (["latest", "-n", "0"], "Invalid value"),
        (["latest", "--offset", "-1"], "Invalid value"),
        (["show", "abc"], "is not a valid integer"),
        (["show"], "Missing argument"),
        (["search"], "Missing argument"),
        (["delete"], "Missing argument"),
        (["frobnicate"], "No such command"),
        (["db", "backup"], "Missing argument"),
    ],
)
def test_usage_errors_exit_2(args: list[str], message: str) -> None:
    result = run(*args)
    assert result.exit_code == 2
    assert message in result.stderr
    assert "Usage:" in result.stderr


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["add", "--url", "javascript:alert(1)", "--title", "x"], "not a web address"),
        (["add", "--url", "https://x.example", "--title", "x" * 300], "longer than 256"),
        (
            ["add", "--url", "https://x.example", "--title", "x", "--published", "soon"],
            "not a date like",
        ),
        (["show", "999"], "article 999 not found"),
        (["delete", "999"], "article 999 not found"),
    ],
)
def test_bad_values_exit_1_with_one_line(args: list[str], message: str) -> None:
    run("db", "migrate")  # an archive, empty
    result = run(*args)
    assert result.exit_code == 1
    assert message in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_latest_text_and_json() -> None:
    add(1, "--published", "2026-01-01")
    add(2, "--published", "2026-02-01", "--tags", "lima")
    lines = run("latest").stdout.splitlines()
    assert lines == ["#2  2026-02-01  Story 2  [lima]", "#1  2026-01-01  Story 1"]
    data = json.loads(run("latest", "-n", "1", "--offset", "1", "--json").stdout)
    assert [item["id"] for item in data] == [1]
    assert {
        "id",
        "url",
        "title",
        "summary",
        "tags",
        "author",
        "published_at",
        "created_at",
    } <= set(data[0])


def test_latest_aligns_ids_cuts_long_titles_and_says_when_empty(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    run("db", "migrate")
    empty = run("latest")
    assert (empty.exit_code, empty.stdout, empty.stderr) == (0, "", "no articles\n")
    for n in range(1, 11):
        add(n, "--published", f"2026-01-{n:02}")
    long_title = "A very long title " * 10
    run(
        "add",
        "--url",
        "https://news.example/long",
        "--title",
        long_title,
        "--published",
        "2026-02-01",
    )
    monkeypatch.setenv("COLUMNS", "60")
    lines = run("latest", "-n", "3").stdout.splitlines()
    assert lines[0].startswith("#11  2026-02-01  A very long title") and lines[0].endswith("…")
    assert len(lines[0]) == 60
    assert lines[1:] == ["#10  2026-01-10  Story 10", "# 9  2026-01-09  Story 9"]
    past_the_end = run("latest", "--offset", "50")
    assert (past_the_end.stdout, past_the_end.stderr) == ("", "no more articles\n")


def test_search_text_and_json() -> None:
    add(1, "--summary", "Elecciones en Perú & <Bolivia>")
    add(2, "--summary", "Nothing related")
    data = json.loads(run("search", "peru", "--json").stdout)
    assert [item["id"] for item in data] == [1]
    assert data[0]["rank"] == 1
    assert "<b>Perú</b>" in data[0]["snippet"] and "&lt;Bolivia&gt;" in data[0]["snippet"]
    result = run("search", "elecciones", "peru")
    assert result.stdout.splitlines()[0].startswith("#1")
    assert "Elecciones en Perú & <Bolivia>" in result.stdout
    assert "1-1 of 1 result," in result.stderr


@pytest.mark.parametrize("query", ['"', "(x", "NEAR(a b)", "-foo", "*", "😀", "a OR", "^x", ""])
def test_search_hostile_strings(query: str) -> None:
    add(1)
    result = run("search", query)
    assert result.exit_code == 0
    assert json.loads(run("search", query, "--json").stdout) == [] or query == "-foo"


def test_search_nothing_found() -> None:
    run("db", "migrate")
    result = run("search", "zzz")
    assert result.exit_code == 0
    assert result.stdout == ""
    assert "nothing found" in result.stderr


def test_delete_removes_from_search() -> None:
    add(1)
    assert run("delete", "1").stdout.strip() == "deleted #1"
    assert json.loads(run("search", "story", "--json").stdout) == []


def test_stats() -> None:
    add(1)
    data = json.loads(run("stats", "--json").stdout)
    assert data["articles"] == 1 and data["articles_last_7_days"] == 1
    text = run("stats").stdout
    assert "articles: 1" in text and "feeds: 0" in text
    assert "broadcasts in progress: #1 Story 1: not started (the running bot" in text


def test_db_migrate_and_backup(tmp_path: Path) -> None:
    created = run("db", "migrate").stdout.strip()
    assert created == f"created a new database at news.db (schema version {LATEST_VERSION})"
    add(1)
    assert run("db", "migrate").stdout.strip() == (
        f"schema is at version {LATEST_VERSION}, up to date"
    )
    result = run("db", "backup", "copy.db")
    assert result.exit_code == 0 and "backed up to copy.db" in result.stdout
    assert (
        sqlite3.connect(tmp_path / "copy.db").execute("SELECT count(*) FROM articles").fetchone()
    )
    again = run("db", "backup", "copy.db")
    assert again.exit_code == 1 and "already exists" in again.stderr
    assert run("db", "backup", "copy.db", "--force").exit_code == 0
    nowhere = run("db", "backup", str(tmp_path / "missing" / "b.db"))
    assert nowhere.exit_code == 1
    assert "there is no folder" in nowhere.stderr and "news.db" not in nowhere.stderr


def test_run_without_token_is_one_clear_line() -> None:
    result = run("run")
    assert result.exit_code == 1
    assert "BOT_TOKEN is not set" in result.stderr


def test_an_empty_variable_is_an_unset_one(tmp_path: Path) -> None:
    """`cp .env.example .env` then `make run`: `BOT_TOKEN=` is no token, so the sandbox
    starts (here: `run` says the token is missing, not that Telegram rejected it)."""
    (tmp_path / ".env").write_text("BOT_TOKEN=\nMETRICS_PORT=\nWEBHOOK_SECRET=\n")
    result = run("run")
    assert result.exit_code == 1
    assert "BOT_TOKEN is not set" in result.stderr


def test_make_run_installs_what_running_needs_and_no_dev_tools(tmp_path: Path) -> None:
    """A dry run of `make run` in a fresh checkout's place: the runtime lock only."""
    root = Path(__file__).resolve().parent.parent
    planned = subprocess.run(
        ["make", "-n", "-C", str(root), "run", f"VENV={tmp_path / 'venv'}"],
        capture_output=True,
        text=True,
        check=True,
        timeout=30,
    ).stdout
    assert "-r requirements.txt" in planned
    assert "requirements-dev.txt" not in planned
    assert "articlebot run --sandbox-if-no-token" in planned


def test_invalid_settings_name_the_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ADMIN_IDS", "12,@alice")
    result = run("latest")
    assert result.exit_code == 1
    assert "ADMIN_IDS" in result.stderr and "@alice" in result.stderr


def test_not_a_database(tmp_path: Path) -> None:
    (tmp_path / "news.db").write_text("hello")
    result = run("latest")
    assert result.exit_code == 1
    assert "not an articlebot database" in result.stderr
    assert (tmp_path / "news.db").read_text() == "hello"


def test_locked_database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    add(1)
    monkeypatch.setenv("DATABASE_TIMEOUT", "0.2")
    blocker = sqlite3.connect(tmp_path / "news.db", isolation_level=None)
    blocker.execute("BEGIN EXCLUSIVE")
    try:
        result = run("add", "--url", "https://news.example/2", "--title", "t")
    finally:
        blocker.execute("ROLLBACK")
        blocker.close()
    assert result.exit_code == 1
    assert "locked by another process" in result.stderr


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes to read-only files")
def test_read_only_database(tmp_path: Path) -> None:
    add(1)
    (tmp_path / "news.db").chmod(0o444)
    result = run("add", "--url", "https://news.example/2", "--title", "t")
    assert result.exit_code == 1
    assert "read-only" in result.stderr


def test_the_installed_command_never_prints_a_traceback(tmp_path: Path) -> None:
    """Through the real console script, as a user runs it."""
    command = Path(sys.executable).with_name("articlebot")
    (tmp_path / "dir.db").mkdir()
    cases = [
        ["--db", "dir.db", "latest"],  # a folder where the file should be
        ["--db", "n.db", "show", "x"],
        ["--db", "n.db", "show", "7"],
        ["--db", "n.db", "search", '"(', "--json"],
    ]
    for args in cases:
        proc = subprocess.run(
            [str(command), *args], capture_output=True, text=True, cwd=tmp_path, timeout=30
        )
        assert proc.returncode in (0, 1, 2), (args, proc.stderr)
        assert "Traceback" not in proc.stderr + proc.stdout, args


async def test_run_with_a_token_telegram_rejects(tmp_path: Path) -> None:
    from bot.sandbox import BotApiStandIn

    async with BotApiStandIn() as api:
        env = {
            **os.environ,
            "BOT_TOKEN": "999:wrong-token-for-this-test-abcdefghijk",
            "TELEGRAM_API_URL": api.base_url,
            "DATABASE_PATH": str(tmp_path / "x.db"),
        }
        async with child(
            str(Path(sys.executable).with_name("articlebot")),
            "run",
            env=env,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        ) as proc:
            out, err = await asyncio.wait_for(proc.communicate(), 30)
    assert proc.returncode == 1
    assert "Telegram refused BOT_TOKEN (Unauthorized)" in err.decode()
    assert "Traceback" not in err.decode()
    assert "wrong-token" not in (out + err).decode()


def test_health_in_polling_mode_without_a_running_bot() -> None:
    add(1)
    result = run("health")
    assert result.exit_code == 1
    assert "no heartbeat yet: is the bot running?" in result.stderr


def test_health_in_webhook_mode_without_a_server(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BOT_MODE", "webhook")
    monkeypatch.setenv("WEBHOOK_URL", "https://bot.example/tg")
    monkeypatch.setenv("WEBHOOK_SECRET", "abc")
    monkeypatch.setenv("WEBHOOK_PORT", "9")
    result = run("health")
    assert result.exit_code == 1
    assert "unhealthy" in result.stderr


def test_the_command_line_loads_no_telegram_stack_until_a_verb_needs_it() -> None:
    """Start-up: `bot.cli` (and so `--help`) imports none of the heavy packages."""
    heavy = (
        "telegram",
        "aiohttp",
        "trafilatura",
        "feedparser",
        "pydantic",
        "uvloop",
        "matplotlib",
    )
    probe = f"import sys, bot.cli; print([m for m in {heavy!r} if m in sys.modules])"
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_the_bot_starts_without_the_plotting_library() -> None:
    """matplotlib costs ≈0.4 s and 55 MB: loaded when /stats draws, not before."""
    probe = "import sys, bot.app, bot.render.chart; print('matplotlib' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


@pytest.mark.parametrize(
    "verb",
    [["latest"], ["search", "lima"], ["show", "1"], ["stats"], ["delete", "1"], ["feeds", "list"]],
)
def test_read_verbs_refuse_a_database_that_does_not_exist(tmp_path: Path, verb: list[str]) -> None:
    """A mistyped --db must not quietly give an empty archive (and leave a new file)."""
    result = CliRunner().invoke(cli, ["--db", str(tmp_path / "nwes.db"), *verb])
    assert result.exit_code == 1
    assert "there is no database at" in result.stderr and "nwes.db" in result.stderr
    assert not (tmp_path / "nwes.db").exists()
