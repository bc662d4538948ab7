"""Logging set-up: quiet HTTP libraries, and no secret ever reaches a log line."""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Iterable
from typing import TextIO

# Bot tokens look like 123456789:AA...; redact anything of that shape, known or not.
TOKEN_SHAPE = re.compile(r"\d{5,}:[A-Za-z0-9_-]{20,}")
REDACTED = "[REDACTED]"


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
    """`text` without the given secrets and without anything shaped like a bot token."""
    for secret in secrets:
        text = text.replace(secret, REDACTED)
    return TOKEN_SHAPE.sub(REDACTED, text)


def configure(
    level: str, log_format: str, secrets: Iterable[str], stream: TextIO | None = None
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
