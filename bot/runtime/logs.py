"""Logging set-up: quiet HTTP libraries, and no secret ever reaches a log line.

`redact` is the one place secrets are taken out of text: log lines and their tracebacks
(`RedactingFormatter`), and every error the command line prints (bot.cli.main). The
settings' secrets are registered once, as soon as they are read (`keep_secret`); anything
shaped like a bot token goes too, registered or not.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Iterable
from typing import TextIO
from urllib.parse import quote

# Bot tokens look like 123456789:AA...; redact anything of that shape, known or not.
TOKEN_SHAPE = re.compile(r"\d{5,}:[A-Za-z0-9_-]{20,}")
REDACTED = "[REDACTED]"
_secrets: set[str] = set()


def keep_secret(*values: str | None) -> None:
    """Never print these (nor their URL-encoded forms, as a URL echoed back carries them)."""
    for value in values:
        if value:
            _secrets.update({value, quote(value, safe=""), quote(value)})


class RedactingFormatter(logging.Formatter):
    """Formats the record (traceback included), then removes secrets from the result."""

    def __init__(self, secrets: Iterable[str], fmt: str | None = None, as_json: bool = False):
        super().__init__(fmt)
        self._secrets = sorted({s for s in secrets if s}, key=len, reverse=True)
        self._as_json = as_json

    def format(self, record: logging.LogRecord) -> str:
        if self._as_json:
            payload = {
                "time": self.formatTime(record),
                "level": record.levelname,
                "logger": record.name,
                "message": record.getMessage(),
            }
            if record.exc_info:
                payload["traceback"] = self.formatException(record.exc_info)
            text = json.dumps(payload, ensure_ascii=False)
        else:
            text = super().format(record)
        return self.redact(text)

    def redact(self, text: str) -> str:
        return redact(text, self._secrets)


def redact(text: str, secrets: Iterable[str] = ()) -> str:
    """`text` without the registered secrets, the given ones, and anything shaped like a
    bot token."""
    for secret in sorted({*_secrets, *secrets}, key=len, reverse=True):
        text = text.replace(secret, REDACTED)
    return TOKEN_SHAPE.sub(REDACTED, text)


def configure(
    level: str, log_format: str, secrets: Iterable[str] = (), stream: TextIO | None = None
) -> logging.Handler:
    """Route every log record through one redacting handler; returns that handler."""
    handler = logging.StreamHandler(stream)
    handler.setFormatter(
        RedactingFormatter(
            secrets,
            fmt="%(asctime)s level=%(levelname)s logger=%(name)s %(message)s",
            as_json=log_format == "json",
        )
    )
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    # httpx logs every request URL at INFO, and the URL contains the token.
    for noisy in ("httpx", "httpcore"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    return handler
