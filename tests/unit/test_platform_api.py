"""The platform's API without I/O: domain errors, service settings, timers, subscription tables, route mounting."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import ClassVar

import pytest
from fastapi import APIRouter, Depends, FastAPI, Header
from fastapi.testclient import TestClient
from pydantic import Field

from crm_shared.aggregates import HIDDEN, hidden
from crm_shared.app import _leaf_routes
from crm_shared.bus.consumers import SubscriptionTable
from crm_shared.config import ServiceSettings, Settings, secret, service_settings
from crm_shared.errors import Busy, Conflict, Forbidden, Invalid, NotFound, Stale
from crm_shared.events import EventData, registry
from crm_shared.events.leads import StaffJoined, StaffLeft
from crm_shared.http import problems
from crm_shared.plugins import PluginError, ServiceContext
from crm_shared.timers import AGAIN, Timer, TimerRunner


def _answer(exc: Exception) -> tuple[int, dict, dict]:
    app = FastAPI()
    problems.install(app)

    @app.get("/x")
    async def x() -> None:
        raise exc

    response = TestClient(app, raise_server_exceptions=False).get("/x")
    return response.status_code, response.json(), dict(response.headers)


@pytest.mark.parametrize("exc,status,kind,extra", [
    (NotFound("lead"), 404, "not-found", {"detail": "lead not found"}),
    (Forbidden(), 403, "forbidden", {"detail": "your role may not do this"}),
    (Conflict("duplicate-lead", "exists", existing_lead_id="L1"), 409, "duplicate-lead", {"existing_lead_id": "L1"}),
    (Stale(3, 2), 412, "stale-version", {"current_version": 3, "detail": "version is 3, not 2"}),
    (Invalid("bad phone", loc=["body", "phone"]), 422, "validation",
     {"errors": [{"loc": ["body", "phone"], "msg": "bad phone"}]}),
    (Invalid("too late", kind="start-in-past"), 422, "start-in-past", {}),
    (Busy("rotation-busy", "retry"), 503, "rotation-busy", {}),
])
def test_domain_errors_become_the_same_problem_bodies(exc, status, kind, extra):
    code, body, headers = _answer(exc)
    assert code == status and body["type"] == problems.PROBLEM_BASE + kind and body["status"] == status
    assert headers["content-type"] == problems.MEDIA_TYPE
    assert extra.items() <= body.items()
    assert ("retry-after" in headers) == (status == 503)


class _Demo(ServiceSettings):
    assigner: str = Field("round_robin", description="who")
    period: float = Field(60.0, gt=0, description="how often")
    providers: dict[str, dict] = Field(default_factory=dict, description="nested")
    token: str = secret("dev-demo-token", "a secret")


def test_service_settings_come_from_their_own_prefix_and_inherit_the_root(monkeypatch):
    monkeypatch.setenv("CRM_DEMO__ASSIGNER", "coin_flip")
    monkeypatch.setenv("CRM_DEMO__PERIOD", "5")
    monkeypatch.setenv("CRM_DEMO__PROVIDERS", '{"aliyun": {"region": "cn-hangzhou"}}')
    monkeypatch.setenv("CRM_DEMO__ENVIRONMENT", "production")  # not the service's to choose
    config = service_settings(_Demo, "demo", Settings(environment="test", default_timezone="Asia/Urumqi"))
    assert (config.assigner, config.period, config.providers) == ("coin_flip", 5.0, {"aliyun": {"region": "cn-hangzhou"}})
    assert (config.environment, config.default_timezone) == ("test", "Asia/Urumqi")


def test_a_given_instance_wins_over_the_environment_but_not_over_the_root(monkeypatch):
    monkeypatch.setenv("CRM_DEMO__PERIOD", "5")
    config = service_settings(_Demo, "demo", Settings(environment="test"), _Demo(period=1.5, environment="production"))
    assert config.period == 1.5 and config.environment == "test"


def test_a_bad_value_names_the_variable(monkeypatch):
    monkeypatch.setenv("CRM_DEMO__PERIOD", "-1")
    with pytest.raises(ValueError, match="CRM_DEMO__PERIOD"):
        service_settings(_Demo, "demo", Settings())


PRODUCTION = dict(environment="production", jwt_secret="j" * 40, phone_hash_key="h" * 40, phone_seal_key="s" * 40)


@pytest.mark.parametrize("token", [None, "short-but-not-default"])
def test_production_refuses_a_default_or_short_secret_naming_it(monkeypatch, token):
    if token:
        monkeypatch.setenv("CRM_DEMO__TOKEN", token)
    with pytest.raises(ValueError, match="CRM_DEMO__TOKEN"):
        service_settings(_Demo, "demo", Settings(**PRODUCTION))


def test_production_takes_a_real_secret(monkeypatch):
    monkeypatch.setenv("CRM_DEMO__TOKEN", "t" * 40)
    assert service_settings(_Demo, "demo", Settings(**PRODUCTION)).token == "t" * 40
    monkeypatch.delenv("CRM_DEMO__TOKEN")
    assert service_settings(_Demo, "demo", Settings(environment="development")).token == "dev-demo-token"


def test_tables_take_registered_event_classes_only():
    table = SubscriptionTable()
    with pytest.raises(TypeError):
        table.on("staff.joined")(lambda *a: None)  # type: ignore[arg-type]
    table.on(StaffJoined, StaffLeft)(lambda *a: None)
    assert table.event_types == ["staff.joined", "staff.left"]
    with pytest.raises(ValueError, match="already"):
        table.on(StaffJoined)(lambda *a: None)
    table.check(registry())

    class Stray(EventData):
        event_type: ClassVar[str] = "stray.happened"
        event_source: ClassVar[str] = "nobody"

    stray = SubscriptionTable(consumer="stray")
    stray.on(Stray)(lambda *a: None)
    with pytest.raises(ValueError, match="not a registered event type"):
        stray.check(registry())


def test_a_batch_table_has_one_handler():
    table = SubscriptionTable()
    table.handle_batch(lambda ctx, items: None, StaffJoined, batch_size=50)
    assert table.batch_size == 50 and table.event_types == ["staff.joined"]
    with pytest.raises(ValueError):
        table.on(StaffLeft)(lambda *a: None)


def test_timers_need_a_positive_period():
    with pytest.raises(ValueError):
        Timer("x", 0, lambda ctx, now: None)  # type: ignore[arg-type,return-value]


def test_an_unleased_pass_gets_the_given_time_and_again_means_at_once():
    seen: list[datetime] = []

    async def job(ctx, now):
        seen.append(now)
        return AGAIN if len(seen) < 3 else 0

    async def scenario():
        ctx = ServiceContext("demo", Settings(), db=None, js=None, relay=None)  # type: ignore[arg-type]
        runner = TimerRunner(ctx)
        at = datetime(2026, 11, 30, tzinfo=UTC)
        assert await runner.once(Timer("t", 60, job, leased=False), at) is AGAIN and seen == [at]
        runner.start([Timer("t", 60, job, leased=False)])
        await asyncio.sleep(0.05)  # AGAIN once more, then a pass that waits its 60 s period
        for task in ctx.tasks:
            task.cancel()
        await asyncio.gather(*ctx.tasks, return_exceptions=True)

    asyncio.run(scenario())
    assert len(seen) == 3, "the pass after the first AGAIN ran at once, and the one after the second too"


def test_timer_names_are_unique_per_service():
    ctx = ServiceContext("demo", Settings(), db=None, js=None, relay=None)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="twice"):
        TimerRunner(ctx).start([Timer("a", 1, lambda c, n: None), Timer("a", 2, lambda c, n: None)])  # type: ignore


def test_aggregate_refuses_a_collection_outside_the_outbox():
    class Relay:
        collections = ("accounts",)

    ctx = ServiceContext("demo", Settings(), db={}, js=None, relay=Relay())  # type: ignore[arg-type]
    with pytest.raises(PluginError, match="outbox_collections"):
        ctx.aggregate("payments")


def test_reads_hide_the_outbox_fields():
    assert hidden() == dict(HIDDEN)
    assert hidden({"follow_ups": 0})["pending_events"] == 0 and hidden({"follow_ups": 0})["follow_ups"] == 0
    assert hidden({"name": 1, "_id": 0}) == {"name": 1, "_id": 0}, "an inclusion projection already leaves them out"


async def _tenant(x_tenant: str = Header("none")) -> str:
    return x_tenant


def test_included_routers_keep_their_prefix_tags_and_dependencies():
    seen = []

    async def audit() -> None:
        seen.append(1)

    inner = APIRouter()

    @inner.get("/items/{item_id}", tags=["items"])
    async def item(item_id: int, tenant: str = Depends(_tenant)) -> dict:
        return {"id": item_id, "tenant": tenant}

    middle = APIRouter()
    middle.include_router(inner, prefix="/v1", tags=["catalogue"], dependencies=[Depends(audit)])
    outer = APIRouter()
    outer.include_router(middle)
    app = FastAPI()
    app.router.routes.extend(_leaf_routes(outer))
    client = TestClient(app)
    assert client.get("/v1/items/7", headers={"x-tenant": "sz"}).json() == {"id": 7, "tenant": "sz"}
    assert seen == [1], "the include's dependency runs"
    assert client.get("/items/7").status_code == 404
    operation = app.openapi()["paths"]["/v1/items/{item_id}"]["get"]
    assert operation["tags"] == ["catalogue", "items"]


def test_an_include_option_the_flat_mount_cannot_carry_fails_loudly():
    inner = APIRouter()

    @inner.get("/x")
    async def x() -> None: ...

    outer = APIRouter()
    outer.include_router(inner, prefix="/p", callbacks=[*inner.routes])
    with pytest.raises(PluginError, match="callbacks"):
        _leaf_routes(outer)
