"""The console's only way to the data: the services' public HTTP API, with the user's token.

With `CRM_CONSOLE__API_URL` unset, requests go in-process to the app serving the console
(all-in-one mode: no network hop, same auth, same validation); otherwise over HTTP to
that URL (a gateway in front of one process per service).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import httpx
from fastapi import Request
from crm_console.settings import settings_of

TIMEOUT = httpx.Timeout(15.0)


@dataclass
class ApiError(Exception):
    """A problem+json answer (or a transport failure), ready to show on the form that caused it."""

    status: int
    title: str
    detail: str = ""
    type: str = ""
    errors: list[dict] = field(default_factory=list)
    body: dict = field(default_factory=dict)

    def __str__(self) -> str:
        return self.message

    @property
    def kind(self) -> str:
        """The last segment of the problem type: `duplicate-lead`, `report-conflict`, ..."""
        return self.type.rstrip("/").rsplit("/", 1)[-1] if self.type else ""

    @property
    def message(self) -> str:
        parts = [self.detail or self.title]
        for err in self.errors[:5]:
            loc = ".".join(str(x) for x in err.get("loc", []) if x not in ("body", "query", "path"))
            parts.append(f"{loc}: {err.get('msg', '')}" if loc else str(err.get("msg", "")))
        return "; ".join(p for p in parts if p)


def _client(request: Request, token: str | None) -> httpx.AsyncClient:
    base = settings_of(request).api_url
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    if cid := request.headers.get("x-correlation-id"):
        headers["X-Correlation-Id"] = cid
    if base:
        return httpx.AsyncClient(base_url=base.rstrip("/"), headers=headers, timeout=TIMEOUT)
    transport = httpx.ASGITransport(app=request.app, raise_app_exceptions=False)
    return httpx.AsyncClient(transport=transport, base_url="http://console.internal", headers=headers, timeout=TIMEOUT)


class Api:
    """One user's view of the API for one console request."""

    def __init__(self, request: Request, token: str | None) -> None:
        self.request, self.token = request, token

    async def call(self, method: str, path: str, *, params: dict | None = None, json: Any = None,
                   headers: dict | None = None, raw: bool = False) -> Any:
        params = {k: v for k, v in (params or {}).items() if v not in (None, "")}
        try:
            async with _client(self.request, self.token) as client:
                r = await client.request(method, path, params=params, json=json, headers=headers)
        except httpx.HTTPError as exc:
            raise ApiError(503, "service unreachable", f"{type(exc).__name__}: {exc}") from None
        if r.status_code >= 400:
            try:
                body = r.json()
            except ValueError:
                body = {}
            if not isinstance(body, dict):
                body = {}
            raise ApiError(r.status_code, str(body.get("title") or r.reason_phrase), str(body.get("detail") or ""),
                           str(body.get("type") or ""), body.get("errors") or [], body)
        if raw:
            return r
        return r.json() if r.content else None

    async def get(self, path: str, **params: Any) -> Any:
        return await self.call("GET", path, params=params)

    async def post(self, path: str, json: Any = None, **kw: Any) -> Any:
        return await self.call("POST", path, json=json if json is not None else {}, **kw)

    async def patch(self, path: str, json: Any, **kw: Any) -> Any:
        return await self.call("PATCH", path, json=json, **kw)

    async def items(self, path: str, **params: Any) -> list[dict]:
        """All pages of a list (bounded: a screen never shows more than a few hundred rows)."""
        out: list[dict] = []
        cursor = None
        for _ in range(10):
            page = await self.get(path, **params, limit=500, cursor=cursor)
            out.extend(page.get("items", []))
            cursor = page.get("next_cursor")
            if not cursor:
                break
        return out
