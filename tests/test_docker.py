"""The image as `docker compose up` runs it, read without a Docker engine: the image's ENV,
then `.env` (a copy of `.env.example`) through `env_file`, which wins over the image."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from config import Settings

ROOT = Path(__file__).resolve().parent.parent


def image_environment() -> dict[str, str]:
    dockerfile = (ROOT / "Dockerfile").read_text()
    block = re.search(r"^ENV (.+?)(?<!\\)$", dockerfile, re.M | re.S)
    assert block is not None
    pairs = re.findall(r"(\w+)=(\S+)", block.group(1))
    return dict(pairs)


def env_file(path: Path) -> dict[str, str]:
    values = {}
    for line in path.read_text().splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            name, _, value = line.partition("=")
            values[name.strip()] = value.strip()
    return values


def test_the_container_keeps_its_database_on_the_volume_and_serves_metrics(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    environment = {**image_environment(), **env_file(ROOT / ".env.example")}
    environment["BOT_TOKEN"] = "123:abc"
    environment["METRICS_PORT"] = "9108"  # as the compose comment says
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    settings = Settings(_env_file=None)  # type: ignore[call-arg]
    assert settings.database_path == Path("/data/articlebot.db")  # on the volume
    assert settings.metrics_listen == "0.0.0.0"  # Prometheus reaches articlebot:9108


def test_the_image_needs_no_frontend_image() -> None:
    """`# syntax=` makes BuildKit pull a frontend image the build does not need."""
    assert not (ROOT / "Dockerfile").read_text().startswith("# syntax=")


def test_the_postgresql_compose_gives_both_replicas_the_database_and_webhooks(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """compose.postgres.yaml's replicas: the image's ENV, then .env, then `environment`."""
    compose = (ROOT / "compose.postgres.yaml").read_text()
    block = re.search(r"^x-articlebot:.*?^\S", compose, re.M | re.S)
    assert block is not None
    given = dict(re.findall(r"^    (\w+): \"?(.+?)\"?$", block.group(0), re.M))
    url = re.sub(r"\$\{POSTGRES_PASSWORD:\?[^}]*\}", "s3cret", given["DATABASE_URL"])
    environment = {**image_environment(), **env_file(ROOT / ".env.example")}
    environment |= {"BOT_TOKEN": "123:abc", "WEBHOOK_URL": "https://bot.example/tg"}
    environment |= {"WEBHOOK_SECRET": "abc", "BOT_MODE": given["BOT_MODE"], "DATABASE_URL": url}
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    settings = Settings(_env_file=None)  # type: ignore[call-arg]
    assert settings.database == "postgresql://articlebot:s3cret@postgres:5432/articlebot"
    assert settings.bot_mode == "webhook"
    assert (settings.webhook_listen, settings.webhook_port) == ("0.0.0.0", 8443)
    assert "articlebot-1:8443 --to articlebot-2:8443" in compose
