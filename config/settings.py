"""The bot's configuration: one pydantic-settings model, validated once in `main`.

Every variable of DESIGN.md's table lives here. A bad value becomes one line that names
the variable, never a pydantic traceback.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated, Literal
from urllib.parse import parse_qsl, urlsplit

from pydantic import (
    Field,
    SecretStr,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

TELEGRAM_API_URL = "https://api.telegram.org/bot"
SECRET_SHAPE = re.compile(r"[A-Za-z0-9_-]{1,256}")
HOOK_SECRET_SHAPE = re.compile(r"[!-~]{16,256}")  # printable ASCII, no spaces
SECRET_HINT = 'generate one with: python -c "import secrets; print(secrets.token_urlsafe(32))"'


POSTGRES_SCHEMES = ("postgresql://", "postgres://")


def store_location(value: str) -> Path | str:
    """A store named on the command line: a postgresql:// URL as given, else an SQLite file."""
    return value if value.startswith(POSTGRES_SCHEMES) else Path(value)


class SettingsError(Exception):
    """The configuration is invalid; `str()` is one line per problem."""


class Settings(BaseSettings):
    # An empty variable (`BOT_TOKEN=` as .env.example has it) is an unset one.
    model_config = SettingsConfigDict(
        env_file=".env",
        env_file_encoding="utf-8",
        extra="ignore",
        frozen=True,
        env_ignore_empty=True,
    )

    bot_token: SecretStr | None = None
    database_path: Path = Path("data/articlebot.db")
    # postgresql://user:password@host:port/name selects PostgreSQL (it may hold a password).
    database_url: SecretStr | None = None
    database_timeout: float = Field(default=5.0, gt=0, le=600)
    admin_ids: Annotated[frozenset[int], NoDecode] = frozenset()
    telegram_api_url: str = TELEGRAM_API_URL
    bot_mode: Literal["polling", "webhook"] = "polling"
    webhook_url: str | None = None
    webhook_secret: SecretStr | None = None
    webhook_listen: str = "127.0.0.1"
    webhook_port: int = Field(default=8443, ge=1, le=65535)
    broadcast_rate: float = Field(default=25.0, gt=0, le=1000)
    broadcast_paid: bool = False
    card_style: Literal["photo", "preview", "text"] = "photo"
    broadcast_concurrency: int = Field(default=32, ge=1, le=256)
    broadcast_progress_interval: float = Field(default=3.0, gt=0, le=600)
    delivery_retention_days: float = Field(default=30, ge=1, le=3650)
    delivery_give_up_hours: float = Field(default=24, gt=0, le=24 * 365)
    metrics_listen: str = "127.0.0.1"
    metrics_port: int | None = Field(default=None, ge=0, le=65535)
    feed_interval: int = Field(default=600, ge=1)
    allow_private_urls: bool = False
    link_params: str = ""  # added to card links, e.g. utm_source=telegram&utm_medium=bot
    ghost_webhook_secret: SecretStr | None = None
    hooks_secret: SecretStr | None = None
    hooks_listen: str = "127.0.0.1"
    hooks_port: int | None = Field(default=None, ge=0, le=65535)  # after the secrets it needs
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"] = "INFO"
    log_format: Literal["text", "json"] = "text"

    @field_validator("admin_ids", mode="before")
    @classmethod
    def _split_admin_ids(cls, value: object) -> object:
        if not isinstance(value, str):
            return value
        ids: set[int] = set()
        for part in value.replace(";", ",").split(","):
            part = part.strip()
            if not part:
                continue
            if not part.lstrip("-").isdigit():
                raise ValueError(f"{part!r} is not a numeric Telegram user id")
            ids.add(int(part))
        return frozenset(ids)

    @field_validator("telegram_api_url")
    @classmethod
    def _check_api_url(cls, value: str) -> str:
        if not value.startswith(("http://", "https://")):
            raise ValueError("must start with http:// or https://")
        return value

    @field_validator("database_url")
    @classmethod
    def _check_database_url(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and not value.get_secret_value().startswith(POSTGRES_SCHEMES):
            raise ValueError("must start with postgresql:// (unset it to use DATABASE_PATH)")
        return value

    @property
    def database(self) -> Path | str:
        """Where the store is: the PostgreSQL URL when set, else the SQLite file."""
        if self.database_url is not None:
            return self.database_url.get_secret_value()
        return self.database_path

    @property
    def secrets(self) -> list[str]:
        """What logs must never show: the token, the secrets, the database's password."""
        held = (self.bot_token, self.webhook_secret, self.ghost_webhook_secret)
        found = [s.get_secret_value() for s in (*held, self.hooks_secret) if s is not None]
        if self.database_url is not None:
            found += [password_of(self.database_url.get_secret_value())]
        return [secret for secret in found if secret]

    @field_validator("webhook_secret")
    @classmethod
    def _check_secret(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and not SECRET_SHAPE.fullmatch(value.get_secret_value()):
            raise ValueError('use 1-256 characters of A-Z, a-z, 0-9, "_" and "-"; ' + SECRET_HINT)
        return value

    @model_validator(mode="after")
    def _webhook_needs_url_and_secret(self) -> Settings:
        if self.bot_mode != "webhook":
            return self
        if not self.webhook_url or not self.webhook_url.startswith(("https://", "http://")):
            raise ValueError(
                "WEBHOOK_URL (the public https:// address) is required in webhook mode"
            )
        if self.webhook_secret is None:
            raise ValueError("WEBHOOK_SECRET is required in webhook mode; " + SECRET_HINT)
        return self

    @field_validator("ghost_webhook_secret", "hooks_secret")
    @classmethod
    def _check_hook_secret(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and not HOOK_SECRET_SHAPE.fullmatch(value.get_secret_value()):
            raise ValueError(
                "use 16-256 characters without spaces (the same in the CMS); " + SECRET_HINT
            )
        return value

    @field_validator("hooks_port")
    @classmethod
    def _hooks_need_a_secret(cls, value: int | None, info: ValidationInfo) -> int | None:
        secrets = (info.data.get("ghost_webhook_secret"), info.data.get("hooks_secret"))
        if value is not None and not any(secrets):
            raise ValueError(
                "set GHOST_WEBHOOK_SECRET or HOOKS_SECRET too, or no hook could be accepted"
            )
        return value

    @property
    def hooks_enabled(self) -> bool:
        return self.ghost_webhook_secret is not None or self.hooks_secret is not None

    @field_validator("link_params")
    @classmethod
    def _check_link_params(cls, value: str) -> str:
        value = value.strip().lstrip("?")
        try:
            parse_qsl(value, keep_blank_values=True, strict_parsing=bool(value))
        except ValueError:
            raise ValueError("write parameters like utm_source=telegram&utm_medium=bot") from None
        return value

    @field_validator("log_level", mode="before")
    @classmethod
    def _upper_level(cls, value: object) -> object:
        return value.upper() if isinstance(value, str) else value


def load_settings(**overrides: object) -> Settings:
    """Read the environment (and `.env`); raise `SettingsError` with one line per problem."""
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        raise SettingsError(describe(exc)) from None


def describe(exc: ValidationError) -> str:
    lines = []
    for error in exc.errors(include_url=False, include_input=False):
        name = "_".join(str(part) for part in error["loc"]).upper() or "BOT_MODE=webhook"
        message = error["msg"].removeprefix("Value error, ")
        lines.append(f"invalid setting {name}: {message}")
    return "\n".join(lines)


def password_of(url: str) -> str:
    return urlsplit(url).password or ""
