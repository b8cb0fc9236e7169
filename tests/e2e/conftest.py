"""Sales-floor scenarios drive only the public HTTP API and read the event stream."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

import httpx
import pytest

from crm_shared.plugins import discover
from tests.support.runtime import bearer, eventually, isolated_settings, running


@dataclass
class Floor:
    """One branch with its people, and a client that acts as any of them."""

    client: httpx.AsyncClient
    settings: object
    branch: str
    staff: dict[str, str]

    def as_(self, role: str, sub: str | None = None) -> dict[str, str]:
        return bearer(self.settings, role, [self.branch], sub or self.staff.get(role, f"{role}-x"))

    async def call(self, method: str, path: str, role: str, sub: str | None = None, expect: int | tuple = (200, 201, 202), **kw):
        r = await self.client.request(method, path, headers=self.as_(role, sub) | kw.pop("headers", {}), **kw)
        expected = (expect,) if isinstance(expect, int) else expect
        assert r.status_code in expected, f"{method} {path} as {role}: {r.status_code} {r.text[:500]}"
        return r.json() if r.content and r.headers.get("content-type", "").endswith("json") else r

    async def until(self, check, what: str, timeout: float = 20.0):
        result = await eventually(check, timeout)
        assert result, f"timed out waiting for {what}"
        return result


async def open_floor(client, settings, consultants: int = 2) -> Floor:
    branch = f"e2e-{uuid.uuid4().hex[:8]}"
    admin = bearer(settings, "admin", ["*"], "admin-1")
    r = await client.post("/v1/branches", json={"id": branch, "name": "深圳湾售楼处", "timezone": "Asia/Shanghai"}, headers=admin)
    assert r.status_code in (200, 201), r.text
    staff = {}
    people = [("manager", "王经理")] + [(f"consultant{i}", f"顾问{i}") for i in range(1, consultants + 1)] + [("reception", "前台")]
    for key, name in people:
        role = "consultant" if key.startswith("consultant") else key
        r = await client.post("/v1/staff", json={"branch_id": branch, "name": name, "role": role,
                                                 "email": f"{key}@{branch}.example.com", "phone": f"139{len(staff):08d}"}, headers=admin)
        assert r.status_code == 201, r.text
        staff[key] = r.json()["id"]
    staff["consultant"] = staff["consultant1"]
    return Floor(client, settings, branch, staff)


@pytest.fixture(scope="module")
async def all_in_one(urls):
    settings = isolated_settings(*urls)
    async with running(discover("all"), settings) as (app, client):
        yield app, client, settings
