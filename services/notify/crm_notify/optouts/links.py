"""Signed public unsubscribe links: HMAC-SHA256 over (channel, to, category, branch) with a settings secret.

A link names the branch whose message carried it: the customer stops that branch (brand), the
one that holds their consent. Links sent before links named a branch carry none; they were
promised to stop every branch and still do (`GROUP_WIDE`).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
from typing import NamedTuple
from urllib.parse import quote

from crm_shared.events import BRANCH_ID_PATTERN

GROUP_WIDE = "*"
_BRANCH = re.compile(BRANCH_ID_PATTERN)


class BadToken(ValueError):
    pass


class Link(NamedTuple):
    channel: str
    to: str
    category: str | None
    branch_id: str  # GROUP_WIDE for a link without a branch


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def sign(secret: str, channel: str, to: str, category: str | None, branch_id: str | None = None) -> str:
    fields = {"c": channel, "t": to, "k": category} | ({"b": branch_id} if branch_id else {})
    payload = _b64(json.dumps(fields, separators=(",", ":")).encode())
    mac = _b64(hmac.new(secret.encode(), payload.encode(), hashlib.sha256).digest())
    return f"{payload}.{mac}"


def verify(secret: str, token: str) -> Link:
    payload, _, mac = token.partition(".")
    expected = _b64(hmac.new(secret.encode(), payload.encode(), hashlib.sha256).digest())
    if not mac or not hmac.compare_digest(expected.encode(), mac.encode()):  # str form rejects non-ASCII with TypeError
        raise BadToken("the unsubscribe link is not valid")
    try:
        obj = json.loads(_unb64(payload))
        channel, to, category, branch = obj["c"], obj["t"], obj.get("k"), obj.get("b", GROUP_WIDE)
    except (ValueError, KeyError, TypeError, AttributeError):
        raise BadToken("the unsubscribe link is not valid") from None
    if channel not in ("sms", "email") or not isinstance(to, str) or category not in (None, "marketing", "transactional"):
        raise BadToken("the unsubscribe link is not valid")
    if branch != GROUP_WIDE and not (isinstance(branch, str) and _BRANCH.fullmatch(branch)):
        raise BadToken("the unsubscribe link is not valid")
    return Link(channel, to, category, branch)


def unsubscribe_url(base_url: str, secret: str, channel: str, to: str, category: str | None = "marketing",
                    branch_id: str | None = None) -> str:
    token = sign(secret, channel, to, category, branch_id)
    return f"{base_url.rstrip('/')}/v1/opt-outs/unsubscribe?token={quote(token)}"
