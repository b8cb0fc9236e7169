"""Scenario 2: a consultant leaves; their leads go to the pool; two consultants race to
claim; the daily claim limit holds."""

import asyncio
import random

from tests.e2e.conftest import open_floor


async def test_leaver_leads_go_to_pool_and_claims_race_fairly(system):
    client, settings = system.client, system.settings
    floor = await open_floor(client, settings, consultants=3)
    b = floor.staff
    admin_branch = {"id": floor.branch, "name": "深圳湾售楼处", "timezone": "Asia/Shanghai", "settings": {"pool_claims_per_day": 2}}
    await floor.call("POST", "/v1/branches", "admin", "admin-1", json=admin_branch)

    leaver = b["consultant1"]
    leads = []
    for i in range(5):
        lead = await floor.call("POST", "/v1/leads", "consultant", leaver, json={
            "branch_id": floor.branch, "customer": {"name": f"客户{i}", "phone": f"1380000{random.randint(1000, 9999)}{i}"[:11]},
            "source": {"channel": "phone"}, "grade": "B"})
        assert lead["owner_id"] == leaver
        leads.append(lead["id"])

    left = await floor.call("POST", f"/v1/staff/{leaver}/leave", "manager", json={})
    assert left["leads_released"] == 5
    pool = await floor.call("GET", "/v1/leads", "manager", params={"branch_id": floor.branch, "pool": "true"})
    assert sorted(lead["id"] for lead in pool["items"]) == sorted(leads)
    assert all(lead["owner_id"] is None for lead in pool["items"])

    racers = [b["consultant2"], b["consultant3"]]
    first = leads[0]
    results = await asyncio.gather(*(client.post(f"/v1/leads/{first}/claim", headers=floor.as_("consultant", c)) for c in racers))
    assert sorted(r.status_code for r in results) == [200, 409], [r.text for r in results]
    winner = racers[[r.status_code for r in results].index(200)]
    loser = racers[1 - racers.index(winner)]
    assert (await floor.call("GET", f"/v1/leads/{first}", "manager"))["owner_id"] == winner

    # the daily limit (2): the winner gets one more, then is refused; the loser still has two
    await floor.call("POST", f"/v1/leads/{leads[1]}/claim", "consultant", winner)
    over = await floor.call("POST", f"/v1/leads/{leads[2]}/claim", "consultant", winner, expect=409)
    assert "limit" in over["detail"].lower() or "limit" in over["type"]
    await floor.call("POST", f"/v1/leads/{leads[2]}/claim", "consultant", loser)
    await floor.call("POST", f"/v1/leads/{leads[3]}/claim", "consultant", loser)
    await floor.call("POST", f"/v1/leads/{leads[4]}/claim", "consultant", loser, expect=409)
    still = await floor.call("GET", "/v1/leads", "manager", params={"branch_id": floor.branch, "pool": "true"})
    assert [lead["id"] for lead in still["items"]] == [leads[4]]

    # the leaver is gone: no new appointments, no rotation
    gone = await client.post(f"/v1/rotation/{floor.branch}/join", json={"consultant_id": leaver}, headers=floor.as_("reception"))
    assert gone.status_code in (404, 409, 422), gone.text
