"""The provider contract: one base class, a settings model per provider, two error kinds.

Providers are entry points in group `crm.notify.providers`. `send` returns the provider's
message ids, raises `TransientError` (retry with backoff) or `PermanentError` (fail now).
"""

from __future__ import annotations

import hmac
import unicodedata
from dataclasses import dataclass, field
from typing import Any, ClassVar, Literal
from urllib.parse import parse_qsl, urlsplit

from pydantic import BaseModel, ConfigDict, Field

Channel = Literal["sms", "email", "wecom"]


class ProviderSettings(BaseModel):
    """Base of every provider's settings; unknown keys are a start-up error."""

    model_config = ConfigDict(extra="forbid")
    receipt_token: str | None = Field(
        None, max_length=200, title="Receipt token",
        description="Shared secret a receipt callback must present: header X-Receipt-Token, or `token` in the "
                    "callback URL's query (for consoles that take only a URL).",
    )
    timeout_seconds: float = Field(10.0, gt=0, le=120, title="Timeout", description="Per-request timeout.")


@dataclass(frozen=True)
class Outgoing:
    """A rendered message ready for a provider."""

    message_id: str
    channel: Channel
    to: str
    body: str
    subject: str | None = None
    template: str | None = None
    data: dict[str, Any] = field(default_factory=dict)
    segments: int = 1
    branch_id: str = ""


@dataclass(frozen=True)
class SendResult:
    provider_message_ids: list[str]
    parts: int = 1


@dataclass(frozen=True)
class Receipt:
    provider_message_id: str
    status: Literal["delivered", "failed"]
    part: int | None = None
    parts: int | None = None
    error: str | None = None


class ProviderError(Exception):
    pass


def printable(text: str) -> str:
    """A provider's words as stored text: control characters become spaces, surrogate and unassigned
    ones U+FFFD, so an error a provider sent can never break an export or a report later."""
    def one(ch: str) -> str:
        category = unicodedata.category(ch)
        return " " if category == "Cc" else "\ufffd" if category in ("Cs", "Co", "Cn") else ch

    return "".join(map(one, text)).strip()


class TransientError(ProviderError):
    """Timeouts, 5xx, throttling: worth another attempt later."""


class PermanentError(ProviderError):
    """Bad number, rejected content, auth: retrying cannot help."""


class Provider:
    """Base of every provider plugin."""

    name: ClassVar[str]
    channels: ClassVar[tuple[Channel, ...]]
    Settings: ClassVar[type[ProviderSettings]] = ProviderSettings
    receipt_answer: ClassVar[dict[str, Any]] = {}
    """Fields the provider's receipt callback expects in a 200 answer (else it pushes again)."""

    def __init__(self, settings: ProviderSettings, db: Any) -> None:
        self.settings = settings
        self.db = db

    async def start(self) -> None:
        """Open clients; raise to stop the service at start."""

    async def close(self) -> None:
        """Release clients."""

    async def send(self, message: Outgoing) -> SendResult:
        raise NotImplementedError

    def check_receipt_auth(self, headers: dict[str, str], url: str, body: bytes) -> bool:
        """Default: the shared token; providers with signed callbacks override."""
        token = self.settings.receipt_token
        given = headers.get("x-receipt-token") or dict(parse_qsl(urlsplit(url).query)).get("token", "")
        return bool(token) and hmac.compare_digest(token.encode(), given.encode())

    def parse_receipts(self, content_type: str, body: bytes) -> list[Receipt]:
        """Default: our generic JSON shape (see the receipts route)."""
        from crm_notify.providers.receipts import parse_generic

        return parse_generic(body)
