"""Signed public unsubscribe links: HMAC-SHA256 over (channel, to, category) with a settings secret."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from urllib.parse import quote


class BadToken(ValueError):
    pass


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def sign(secret: str, channel: str, to: str, category: str | None) -> str:
    payload = _b64(json.dumps({"c": channel, "t": to, "k": category}, separators=(",", ":")).encode())
    mac = _b64(hmac.new(secret.encode(), payload.encode(), hashlib.sha256).digest())
    return f"{payload}.{mac}"


def verify(secret: str, token: str) -> tuple[str, str, str | None]:
    payload, _, mac = token.partition(".")
    expected = _b64(hmac.new(secret.encode(), payload.encode(), hashlib.sha256).digest())
    if not mac or not hmac.compare_digest(expected.encode(), mac.encode()):  # str form rejects non-ASCII with TypeError
        raise BadToken("the unsubscribe link is not valid")
    try:
        obj = json.loads(_unb64(payload))
        channel, to, category = obj["c"], obj["t"], obj.get("k")
    except (ValueError, KeyError, TypeError):
        raise BadToken("the unsubscribe link is not valid") from None
    if channel not in ("sms", "email") or not isinstance(to, str) or category not in (None, "marketing", "transactional"):
        raise BadToken("the unsubscribe link is not valid")
    return channel, to, category


def unsubscribe_url(base_url: str, secret: str, channel: str, to: str, category: str | None = "marketing") -> str:
    return f"{base_url.rstrip('/')}/v1/opt-outs/unsubscribe?token={quote(sign(secret, channel, to, category))}"
