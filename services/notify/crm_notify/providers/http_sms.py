"""Shared plumbing of HTTP SMS providers: one client, transport errors and status classes."""

from __future__ import annotations

import re
from typing import Any

import httpx

from crm_notify.providers.base import PermanentError, Provider, TransientError


def national_or_international(e164: str) -> str:
    """Mainland numbers as 11 digits, others as country code + number (Aliyun's format)."""
    return e164[3:] if e164.startswith("+86") else e164.lstrip("+")


SIGNATURE_RE = re.compile(r"^【[^】]{1,20}】")


def template_params(data: dict[str, Any], body: str) -> dict[str, str]:
    """Provider templates take strings; the text rides as `content`, without the 【签名】 the provider adds."""
    params = {k: str(v) for k, v in data.items() if isinstance(v, str | int | float) and not isinstance(v, bool)}
    return params | {"content": SIGNATURE_RE.sub("", body, count=1)}


class HttpSmsProvider(Provider):
    channels = ("sms",)
    client: httpx.AsyncClient

    async def start(self) -> None:
        self.client = httpx.AsyncClient(timeout=self.settings.timeout_seconds)

    async def close(self) -> None:
        if getattr(self, "client", None) is not None:
            await self.client.aclose()

    async def request(self, method: str, url: str, **kwargs: Any) -> httpx.Response:
        if getattr(self, "client", None) is None:
            await self.start()
        try:
            response = await self.client.request(method, url, **kwargs)
        except (httpx.TimeoutException, httpx.TransportError) as exc:
            raise TransientError(f"{type(exc).__name__}: {exc}") from exc
        if response.status_code == 429 or response.status_code >= 500:
            raise TransientError(f"HTTP {response.status_code}: {response.text[:300]}")
        return response

    @staticmethod
    def json_of(response: httpx.Response) -> dict:
        try:
            body = response.json()
        except ValueError:
            raise PermanentError(f"HTTP {response.status_code}: not JSON: {response.text[:300]}") from None
        if not isinstance(body, dict):
            raise PermanentError(f"HTTP {response.status_code}: unexpected body")
        return body
