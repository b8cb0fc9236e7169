"""Branches and staff over HTTP, with their events."""

import json

from crm_leads.plugin import LeadsService
from crm_leads.settings import LeadsSettings
from crm_shared.branches import BranchSettings
from tests.leads.builders import office
from tests.support.runtime import bearer, eventually, isolated_settings, running, stream_messages


async def events_of(settings, type_: str) -> list[dict]:
    return [json.loads(m.data) for m in await stream_messages(settings) if json.loads(m.data)["type"] == type_]


async def test_branch_defaults_and_configured_event(urls):
    async with office(urls) as o:
        r = await o.client.get("/v1/branches/b1", headers=o.as_("consultant"))
        assert r.status_code == 200
        body = r.json()
        assert body["timezone"] == "Asia/Shanghai"
        assert body["settings"]["cadence_days"] == {"O": 1, "A": 3, "B": 7, "C": 14}
        assert body["settings"]["reclaim_after_days"] == 15 and body["settings"]["report_valid_days"] == 7
        assert body["settings"]["protection_days"] == 30
        r = await o.client.post("/v1/branches", json={"id": "b1", "name": "Bay", "timezone": "Europe/Berlin",
                                                      "settings": {"reclaim_after_days": 10}}, headers=o.admin)
        assert r.status_code == 200 and r.json()["version"] == 2
        events = await eventually(lambda: _two(o.settings))
        last = events[-1]["data"]
        assert last["timezone"] == "Europe/Berlin"
        assert BranchSettings.from_event(last["settings"]).reclaim_after_days == 10
        assert last["settings"] == BranchSettings(reclaim_after_days=10).model_dump(mode="json")


async def test_a_branch_without_a_zone_takes_the_default_timezone(urls):
    settings = isolated_settings(*urls, default_timezone="Asia/Tokyo")
    async with running([LeadsService(LeadsSettings(timers=False))], settings) as (_, client):
        admin = bearer(settings, "admin", ["*"], "admin-1")
        r = await client.post("/v1/branches", json={"id": "tk", "name": "Tokyo"}, headers=admin)
        assert r.status_code == 201 and r.json()["timezone"] == "Asia/Tokyo"
        r = await client.post("/v1/branches", json={"id": "tk", "name": "Tokyo", "timezone": None}, headers=admin)
        assert r.status_code == 422 and r.json()["errors"][0]["loc"] == ["body", "timezone"]


async def _two(settings):
    events = await events_of(settings, "branch.configured")
    return events if len(events) == 2 else None


async def test_branch_bad_inputs_and_scope(urls):
    async with office(urls) as o:
        bad = [
            {"id": "B 1", "name": "x"}, {"id": "b2", "name": "x", "timezone": "Mars/Base"},
            {"id": "b2", "name": "x", "settings": {"cadence_days": {"O": 0}}},
            {"id": "b2", "name": "x", "settings": {"nope": 1}}, {"id": {"$ne": None}, "name": "x"},
            {"id": "b2", "name": "x" * 500},
        ]
        for body in bad:
            r = await o.client.post("/v1/branches", json=body, headers=o.admin)
            assert r.status_code == 422, (body, r.text)
            assert r.headers["content-type"].startswith("application/problem+json")
        assert await o.ctx.db.branches.count_documents({}) == 1
        r = await o.client.post("/v1/branches", json={"id": "b2", "name": "x"}, headers=o.manager)
        assert r.status_code == 403
        r = await o.client.get("/v1/branches/b1", headers=o.as_("manager", branches=["b9"]))
        assert r.status_code == 404
        r = await o.client.get("/v1/branches/b1")
        assert r.status_code == 401


async def test_staff_join_and_leave_events_carry_contacts(urls):
    async with office(urls) as o:
        sid = await o.add_staff("li")
        r = await o.client.post(f"/v1/staff/{sid}/leave", headers=o.manager)
        assert r.status_code == 200 and r.json()["staff"]["active"] is False
        left = await eventually(lambda: events_of(o.settings, "staff.left"))
        joined = await events_of(o.settings, "staff.joined")
        assert joined[0]["data"]["email"] == "li@office.example" and left[0]["data"]["staff_id"] == sid
        r = await o.client.post("/v1/staff", json={"branch_id": "b1", "name": "x", "role": "partner"}, headers=o.admin)
        assert r.status_code == 422
        r = await o.client.post("/v1/staff", json={"branch_id": "b1", "name": "x", "role": "consultant"},
                                headers=o.as_("consultant"))
        assert r.status_code == 403
        r = await o.client.post(f"/v1/staff/{sid}/leave", headers=o.as_("manager", branches=["b2"]))
        assert r.status_code == 404


async def test_branch_list_is_scoped_to_the_token(urls):
    async with office(urls) as o:
        r = await o.client.post("/v1/branches", json={"id": "b2", "name": "North"}, headers=o.admin)
        assert r.status_code == 201
        everyone = await o.client.get("/v1/branches", headers=o.admin)
        assert {b["id"] for b in everyone.json()["items"]} >= {"b1", "b2"}
        mine = await o.client.get("/v1/branches", headers=o.as_("consultant"))
        assert [b["id"] for b in mine.json()["items"]] == ["b1"]
        assert mine.json()["items"][0]["settings"]["protection_days"] == 30
        assert (await o.client.get("/v1/branches")).status_code == 401
