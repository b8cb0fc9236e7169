"""The plugin: assigners fail fast, documents describe the routes, the timer loop runs under a lease."""

import pytest

from crm_leads.assigners.base import LeadsSettings, load
from crm_leads.plugin import LeadsService
from crm_shared.plugins import PluginError
from tests.support.runtime import isolated_settings, running


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
        asyncapi = (await client.get("/asyncapi.json")).text
        assert "lead.follow_up_overdue" in asyncapi and "channel_report.confirmed" in asyncapi


async def test_timer_loop_takes_the_lease(urls):
    from tests.support.runtime import eventually
    async with running([LeadsService(LeadsSettings(timers=True, timer_interval_seconds=0.1))], isolated_settings(*urls)) as (app, _):
        db = app.state.contexts["leads"].db
        lease = await eventually(lambda: db.leases.find_one({"_id": "leads:timers"}))
        assert lease and lease["owner"]
