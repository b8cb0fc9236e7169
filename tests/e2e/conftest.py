"""Sales-floor scenarios drive only the public HTTP API and read the event stream."""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import nats
import pytest
from pymongo import AsyncMongoClient

from crm_shared import sealing
from crm_shared.bus.outbox import OutboxRelay
from crm_shared.observability import PhoneRedactionFilter
from crm_shared.config import service_settings
from crm_shared.plugins import ServiceContext, discover
from tests.support.processes import Gateway, routes, service_processes
from tests.support.runtime import bearer, eventually, isolated_settings, running


UNKNOWN_YET = {"unknown-consultant", "unknown-lead", "unknown-host"}


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

    async def call_once_known(self, method: str, path: str, role: str, sub: str | None = None, timeout: float = 20.0, **kw):
        """A call naming staff or a lead that another service learns of from events (`staff.joined`,
        `lead.registered`): retried while that service answers `/unknown-<what>` (not seen yet)."""
        async def attempt():
            r = await self.client.request(method, path, headers=self.as_(role, sub), **kw)
            unknown = r.status_code == 422 and r.json().get("type", "").rsplit("/", 1)[-1] in UNKNOWN_YET
            return None if unknown else r

        r = await self.until(attempt, f"{path} to know the staff", timeout)
        assert r.status_code in (200, 201, 202), f"{method} {path} as {role}: {r.status_code} {r.text[:500]}"
        return r.json()

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


@dataclass
class System:
    """The system under test, however it is deployed."""

    mode: str
    client: httpx.AsyncClient
    settings: object
    contexts: dict
    log_files: list[Path] = field(default_factory=list)  # one-process-per-service: each process's output

    async def context(self, service: str):
        """A service's context, for driving its timers with an explicit clock."""
        if service not in self.contexts:
            mongo = AsyncMongoClient(self.settings.mongo_url, tz_aware=True)
            nc = await nats.connect(self.settings.nats_url)
            db = mongo[self.settings.database_name(service)]
            plugin = discover(service)[0]  # a context as the platform makes it: outbox, settings, state
            relay = OutboxRelay(db, plugin.outbox_collections, nc.jetstream(), self.settings)
            config = service_settings(plugin.settings_model, service, self.settings, plugin.settings)
            ctx = ServiceContext(service, self.settings, db, nc.jetstream(), relay, config=config,
                                 keys=await sealing.open_keys(nc.jetstream(), self.settings))
            await plugin.startup(ctx)
            self.contexts[service] = ctx
            self._owned.append((mongo, nc))
        return self.contexts[service]

    def __post_init__(self) -> None:
        self._owned: list = []

    async def close(self) -> None:
        for mongo, nc in self._owned:
            await nc.close()
            await mongo.close()


class LogCapture(logging.Handler):
    """Every log line of the in-process services, with its extra fields, for the privacy check."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.lines: list[str] = []
        self.addFilter(PhoneRedactionFilter())  # as configure_logging's handler does

    def emit(self, record: logging.LogRecord) -> None:
        standard = logging.LogRecord("", 0, "", 0, "", (), None).__dict__
        extras = {k: v for k, v in record.__dict__.items() if k not in standard and k != "message"}
        self.lines.append(f"{record.getMessage()} {extras}")


@pytest.fixture(scope="package")
def captured_logs():
    handler = LogCapture()
    root = logging.getLogger()
    old_level = root.level
    root.addHandler(handler)
    root.setLevel(logging.INFO)  # what a deployment logs; DEBUG driver traces are opt-in
    yield handler
    root.removeHandler(handler)
    root.setLevel(old_level)


@pytest.fixture(scope="package", params=["all-in-one", "one-process-per-service"])
async def system(request, urls, captured_logs, tmp_path_factory):
    if request.param == "all-in-one":
        settings = isolated_settings(*urls)
        async with running(discover("all"), settings) as (app, client):
            yield System(request.param, client, settings, app.state.contexts)
        return
    # as deployed: JSON lines at INFO on each process's stderr, kept in files for the privacy check
    settings = isolated_settings(*urls, log_json=True)
    logs = tmp_path_factory.mktemp("service-logs")
    with service_processes(settings, log_dir=logs, log_level="INFO") as bases:
        async with httpx.AsyncClient(transport=Gateway(routes(bases)), base_url="http://gateway", timeout=30) as client:
            sut = System(request.param, client, settings, {}, log_files=[bases.logs[name] for name in bases])
            yield sut
            await sut.close()
