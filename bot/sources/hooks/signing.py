"""Signatures of hooks: Ghost's own, and articlebot's for every other CMS.

Both are an HMAC-SHA256 keyed with a shared secret over the raw body and a timestamp, so a
hook cannot be forged, altered, or replayed later than MAX_SKEW. The comparison takes the
same time however much of a signature is right (`hmac.compare_digest`).

- Ghost: `X-Ghost-Signature: sha256=<hex>, t=<ms>`, over the body followed by `t`.
- articlebot: `X-Articlebot-Signature: t=<unix seconds>,v1=<hex>`, over `<t>.<body>`; several
  `v1` may be given (one per secret while a secret is being replaced).
"""

from __future__ import annotations

import hashlib
import hmac

GHOST_HEADER = "X-Ghost-Signature"
SIGNED_HEADER = "X-Articlebot-Signature"
MAX_SKEW = 300.0  # seconds a signature's time may be away from ours, either way
_MAX_STAMP_DIGITS = 16


class Refused(Exception):
    """The hook is not the CMS's, or not any more; `str()` says why, for the log."""


def ghost_signed_at(header: str | None, body: bytes, secret: bytes, now: float) -> float:
    """When Ghost signed `body` (unix seconds), or `Refused`."""
    fields = _fields(header)
    digest, stamp = fields.get("sha256", [""])[0], fields.get("t", [""])[0]
    if not digest or not _is_stamp(stamp):
        raise Refused(f"no valid {GHOST_HEADER} header")
    expected = hmac.new(secret, body + stamp.encode(), hashlib.sha256).hexdigest()
    if not hmac.compare_digest(expected, digest.lower()):
        raise Refused("the signature does not match the body")
    return _fresh(int(stamp) / 1000, now)


def signed_at(header: str | None, body: bytes, secret: bytes, now: float) -> float:
    """When the CMS signed `body` with articlebot's scheme (unix seconds), or `Refused`."""
    fields = _fields(header)
    stamp, digests = fields.get("t", [""])[0], fields.get("v1", [])
    if not digests or not _is_stamp(stamp):
        raise Refused(f"no valid {SIGNED_HEADER} header")
    expected = hmac.new(secret, stamp.encode() + b"." + body, hashlib.sha256).hexdigest()
    # Every candidate is compared, so the time taken says nothing about which one is close.
    matches = [hmac.compare_digest(expected, digest.lower()) for digest in digests]
    if not any(matches):
        raise Refused("the signature does not match the body")
    return _fresh(float(stamp), now)


def sign_ghost(body: bytes, secret: bytes, at_ms: int) -> str:
    """The header Ghost would send (tests, and trying a set-up out)."""
    digest = hmac.new(secret, body + str(at_ms).encode(), hashlib.sha256).hexdigest()
    return f"sha256={digest}, t={at_ms}"


def sign(body: bytes, secret: bytes, at: int) -> str:
    """The header a CMS sends to /hooks/articles."""
    digest = hmac.new(secret, f"{at}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={at},v1={digest}"


def _fields(header: str | None) -> dict[str, list[str]]:
    fields: dict[str, list[str]] = {}
    for part in (header or "").split(","):
        name, _, value = part.strip().partition("=")
        if value:
            fields.setdefault(name.strip(), []).append(value.strip())
    return fields


def _is_stamp(stamp: str) -> bool:
    return stamp.isascii() and stamp.isdigit() and len(stamp) <= _MAX_STAMP_DIGITS


def _fresh(at: float, now: float) -> float:
    if now - at > MAX_SKEW:
        raise Refused(f"the signature is {now - at:.0f} s old (at most {MAX_SKEW:.0f})")
    if at - now > MAX_SKEW:
        raise Refused(f"the signature is dated {at - now:.0f} s ahead of our clock")
    return at
