"""Shared plumbing of SMS providers spoken to with our own HTTP client (Twilio): one client, transport errors
and status classes. Aliyun and Tencent go through their official SDKs (`templated.py`)."""

from __future__ import annotations

from typing import Any

import httpx

from crm_notify.providers.base import PermanentError, Provider, TransientError


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
