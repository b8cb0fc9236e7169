"""The platform at run time, against the real stack: declared timers under leases, the clean-up
of bounded-life records, start-up refusals (unknown event classes, default secrets in production)."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from datetime import timedelta
from typing import ClassVar

import pytest
from pydantic import Field

from crm_shared.app import _platform_timers, create_app
from crm_shared.bus.consumers import SubscriptionTable
from crm_shared.config import ServiceSettings
from crm_shared.events import EventData
from crm_shared.ids import utcnow
from crm_shared.plugins import PluginError, ServiceContext, ServicePlugin
from crm_shared.timers import Retention, Timer
from tests.support.runtime import eventually, isolated_settings, running


class TickSettings(ServiceSettings):
    tick_seconds: float = Field(0.05, gt=0, description="Period of the test timer.")
    keep_hours: float = Field(1, gt=0, description="How long a tick record is kept.")


async def tick(ctx: ServiceContext, now) -> int:
    await ctx.db.ticks.insert_one({"replica": ctx.state, "at": now})
    return 1


class TickService(ServicePlugin):
    name = "ticker"
    settings_model = TickSettings

    def __init__(self, replica: str, settings: TickSettings | None = None) -> None:
        super().__init__(settings)
        self.replica = replica

    def timers(self, ctx: ServiceContext) -> list[Timer]:
        return [Timer("tick", ctx.config.tick_seconds, tick)]

    def retention(self, ctx: ServiceContext) -> list[Retention]:
        return [Retention("ticks", "at", timedelta(hours=ctx.config.keep_hours))]

    async def startup(self, ctx: ServiceContext) -> None:
        ctx.state = self.replica


async def test_a_leased_timer_runs_on_one_replica_at_a_time(urls):
    settings = isolated_settings(*urls)
    async with running([TickService("a")], settings) as (app_a, _), running([TickService("b")], settings):
        db = app_a.state.contexts["ticker"].db
        assert await eventually(lambda: db.ticks.count_documents({}), timeout=10)
        await asyncio.sleep(0.5)
        replicas = await db.ticks.distinct("replica")
        assert len(replicas) == 1, f"both replicas ran the leased timer: {replicas}"
        lease = await db.leases.find_one({"_id": "ticker:tick"})
        assert lease is not None and lease["until"] > utcnow()


async def test_the_clean_up_deletes_expired_records_and_keeps_fresh_ones(urls):
    settings = isolated_settings(*urls, inbox_retention_days=1, idempotency_retention_hours=2)
    async with running([TickService("a", TickSettings(tick_seconds=3600))], settings) as (app, _):
        ctx = app.state.contexts["ticker"]
        now = utcnow()
        old, fresh = now - timedelta(days=2), now - timedelta(minutes=5)
        for collection in ("inbox", "idempotency_keys", "dead_letters", "ticks"):
            await ctx.db[collection].insert_many([{"_id": f"old-{collection}", "at": old},
                                                  {"_id": f"fresh-{collection}", "at": fresh}])
        await ctx.db.dead_letters.insert_one({"_id": "ancient", "at": now - timedelta(days=400)})
        plugin = app.state.plugins[0]
        timer = next(t for t in _platform_timers(plugin, ctx) if t.name == "platform:clean-up")
        removed = await ctx._timers.once(timer, now)  # (the pass the platform ran at start may have raced us)
        assert isinstance(removed, dict) and set(removed) <= {"inbox", "idempotency_keys", "dead_letters", "ticks"}
        for collection in ("inbox", "idempotency_keys", "ticks"):
            assert await ctx.db[collection].find_one({"_id": f"old-{collection}"}) is None
            assert await ctx.db[collection].find_one({"_id": f"fresh-{collection}"}) is not None
        assert {d["_id"] for d in await ctx.db.dead_letters.find().to_list()} == {"old-dead_letters", "fresh-dead_letters"}


class Stray(EventData):
    event_type: ClassVar[str] = "stray.happened"
    event_source: ClassVar[str] = "nobody"


class StrayService(ServicePlugin):
    name = "stray"

    def subscriptions(self) -> list[SubscriptionTable]:
        table = SubscriptionTable()
        table.on(Stray)(lambda ctx, env, data: None)
        return [table]


def test_a_subscription_to_an_unregistered_event_stops_start_up(urls):
    with pytest.raises(PluginError, match="stray.happened"):
        create_app([StrayService()], isolated_settings(*urls))


PRODUCTION = {"CRM_ENVIRONMENT": "production", "CRM_JWT_SECRET": "j" * 40, "CRM_PHONE_HASH_KEY": "h" * 40,
              "CRM_PHONE_SEAL_KEY": "s" * 40}


def _serve(extra: dict[str, str]) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CRM_")} | PRODUCTION | extra
    crm = os.path.join(os.path.dirname(sys.executable), "crm")
    return subprocess.run([crm, "serve", "--services", "all", "--port", "1"], env=env, capture_output=True,
                          text=True, timeout=60)


def test_production_with_a_service_default_secret_exits_at_start_naming_it():
    done = _serve({})
    assert done.returncode == 2, done.stderr
    assert "CRM_NOTIFY__UNSUBSCRIBE_SECRET" in done.stderr and "Traceback" not in done.stderr


def test_production_with_a_root_default_secret_exits_naming_it():
    done = _serve({"CRM_JWT_SECRET": "dev-secret-change-me"})
    assert done.returncode == 2 and "CRM_JWT_SECRET" in done.stderr and "Traceback" not in done.stderr


async def test_the_streams_are_bounded_as_configured(urls):
    """D12: the event stream keeps what a rebuild replays, the dead-letter stream less."""
    import nats

    settings = isolated_settings(*urls, stream_max_age_days=10, dead_letter_max_age_days=2, dead_letter_max_bytes=1 << 20)
    async with running([TickService("a", TickSettings(tick_seconds=3600))], settings):
        nc = await nats.connect(settings.nats_url)
        try:
            js = nc.jetstream()
            events = (await js.stream_info(settings.stream_name)).config
            dead = (await js.stream_info(settings.dead_letter_stream)).config
        finally:
            await nc.close()
    assert events.max_age == 10 * 86400 and dead.max_age == 2 * 86400 and dead.max_bytes == 1 << 20
    assert str(getattr(events.discard, "value", events.discard)) == str(getattr(dead.discard, "value", dead.discard)) == "old"


async def test_every_retention_has_an_index_on_its_time_field(urls):
    """The clean-up deletes by a time range: on MongoDB that must not scan every handled-event id."""
    settings = isolated_settings(*urls)
    async with running([TickService("a", TickSettings(tick_seconds=3600))], settings) as (app, _):
        db = app.state.contexts["ticker"].db
        for collection in ("inbox", "idempotency_keys", "dead_letters", "ticks"):
            keys = [list(ix["key"].items()) for ix in await (await db[collection].list_indexes()).to_list()]
            assert [("at", 1)] in keys, (collection, keys)
