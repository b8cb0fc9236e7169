"""The plugin: settings, assigners fail fast, documents describe the routes, the scans are leased platform timers."""

from types import SimpleNamespace

import pytest

from crm_leads.assigners.base import load
from crm_leads.context import LeadsState, load_branch
from crm_leads.plugin import LeadsService, service
from crm_leads.settings import LeadsSettings
from crm_shared.config import Settings, service_settings
from crm_shared.plugins import PluginError
from tests.support.runtime import isolated_settings, running

SCANS = ("overdue", "reclaim", "report-expiry", "report-lapse", "dispute-escalation", "import-resume")


def test_shipped_assigners_load_and_unknown_fails():
    assert load("round_robin").name == "round_robin" and load("least_loaded").name == "least_loaded"
    with pytest.raises(PluginError, match="unknown lead assigner 'coin_flip'"):
        load("coin_flip")


async def test_unknown_assigner_stops_start_up(urls):
    svc = LeadsService(LeadsSettings(assigner="coin_flip", timers=False))
    with pytest.raises(PluginError):
        async with running([svc], isolated_settings(*urls)):
            pass


async def test_openapi_documents_every_contract_route(urls):
    async with running([LeadsService(LeadsSettings(timers=False))], isolated_settings(*urls)) as (_, client):
        spec = (await client.get("/openapi.json")).json()
        paths = spec["paths"]
        for path, method in [("/v1/branches", "post"), ("/v1/branches/{branch_id}", "get"), ("/v1/staff", "post"),
                             ("/v1/staff/{staff_id}/leave", "post"), ("/v1/leads", "post"), ("/v1/leads", "get"),
                             ("/v1/leads/{lead_id}", "patch"), ("/v1/leads/{lead_id}/follow-ups", "post"),
                             ("/v1/leads/{lead_id}/assign", "post"), ("/v1/leads/{lead_id}/release", "post"),
                             ("/v1/leads/{lead_id}/claim", "post"), ("/v1/leads/{lead_id}/close", "post"),
                             ("/v1/leads/{lead_id}/phone", "get"), ("/v1/audit", "get"), ("/v1/channel-reports", "post"),
                             ("/v1/channel-reports/{report_id}", "get"), ("/v1/attribution-disputes", "post"),
                             ("/v1/attribution-disputes/{dispute_id}/decision", "post"), ("/v1/leads/import", "post")]:
            assert paths[path][method]["summary"], (path, method)
        asyncapi = (await client.get("/asyncapi.json")).json()
        assert {"lead.follow_up_overdue", "channel_report.confirmed"} <= set(asyncapi["channels"])


async def test_scans_run_as_leased_platform_timers(urls):
    from tests.support.runtime import eventually
    async with running([LeadsService(LeadsSettings(timers=True, timer_interval_seconds=0.1))], isolated_settings(*urls)) as (app, _):
        db = app.state.contexts["leads"].db
        for name in SCANS:
            lease = await eventually(lambda: db.leases.find_one({"_id": f"leads:{name}"}))
            assert lease and lease["owner"], name


def test_timers_follow_the_settings():
    ctx = SimpleNamespace(config=LeadsSettings(timer_interval_seconds=7))
    declared = service.timers(ctx)
    assert [t.name for t in declared] == list(SCANS)
    assert all(t.every == 7 and t.leased for t in declared)
    assert service.timers(SimpleNamespace(config=LeadsSettings(timers=False))) == []


def test_settings_come_from_crm_leads_double_underscore(monkeypatch):
    monkeypatch.setenv("CRM_LEADS__ASSIGNER", "least_loaded")
    monkeypatch.setenv("CRM_LEADS__TIMER_INTERVAL_SECONDS", "5")
    monkeypatch.setenv("CRM_LEADS__TIMERS", "false")
    monkeypatch.setenv("CRM_DEFAULT_TIMEZONE", "Asia/Tokyo")
    loaded = service_settings(LeadsSettings, "leads", Settings())
    assert (loaded.assigner, loaded.timer_interval_seconds, loaded.timers) == ("least_loaded", 5, False)
    assert loaded.default_timezone == "Asia/Tokyo", "inherited from the root settings"
    monkeypatch.setenv("CRM_LEADS__TIMER_INTERVAL_SECONDS", "0")
    with pytest.raises(ValueError, match="CRM_LEADS__TIMER_INTERVAL_SECONDS"):
        service_settings(LeadsSettings, "leads", Settings())


async def test_the_assigner_and_branch_cache_live_on_the_context(urls):
    settings = isolated_settings(*urls)
    async with running([LeadsService(LeadsSettings(assigner="least_loaded", timers=False))], settings) as (app, _):
        ctx = app.state.contexts["leads"]
        assert isinstance(ctx.state, LeadsState) and ctx.state.assigner.name == "least_loaded"
        await ctx.db.branches.insert_one({"_id": "b9", "name": "b9", "timezone": "Asia/Tokyo", "settings": {}, "version": 1})
        assert (await load_branch(ctx, "b9")).timezone == "Asia/Tokyo"
        assert "b9" in ctx.state.branches
