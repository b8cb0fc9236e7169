"""Overdue follow-ups, reclaim to the pool, claim limits and orphans, with time driven explicitly."""

import json
from datetime import timedelta

from crm_leads.timers import due_work
from crm_shared.ids import utcnow
from tests.leads.builders import office
from tests.support.runtime import eventually, stream_messages


async def events(settings, type_: str) -> list[dict]:
    return [d for d in (json.loads(m.data) for m in await stream_messages(settings)) if d["type"] == type_]


async def test_overdue_fires_once_per_missed_date(urls):
    async with office(urls) as o:
        cid = await o.add_staff("wu")
        lead = await o.register(o.as_("consultant", cid), grade="A")
        due = (await o.lead(lead["id"]))["next_follow_up_at"]
        assert (await due_work(o.ctx, due - timedelta(minutes=1)))["overdue"] == 0
        assert (await due_work(o.ctx, due + timedelta(hours=1)))["overdue"] == 1
        assert (await due_work(o.ctx, due + timedelta(hours=2)))["overdue"] == 0, "same missed date: no second event"
        assert (await due_work(o.ctx, due + timedelta(days=3, hours=1)))["overdue"] == 1, "next cadence date missed"
        fired = await eventually(lambda: _n(o.settings, "lead.follow_up_overdue", 2))
        assert [e["data"]["missed_count"] for e in fired] == [1, 2]
        assert fired[1]["data"]["due_at"] > fired[0]["data"]["due_at"]
        r = await o.client.get("/v1/leads", params={"overdue": "true"}, headers=o.manager)
        assert r.json()["items"] == [], "not overdue by the wall clock yet"
        r = await o.client.post(f"/v1/leads/{lead['id']}/follow-ups", json={"kind": "call"}, headers=o.as_("consultant", cid))
        assert (await o.lead(lead["id"]))["missed_count"] == 0


async def test_overdue_filter_uses_next_follow_up(urls):
    async with office(urls) as o:
        cid = await o.add_staff("wu")
        lead = await o.register(o.as_("consultant", cid))
        past = (utcnow() - timedelta(hours=1)).isoformat()
        r = await o.client.patch(f"/v1/leads/{lead['id']}", json={"next_follow_up_at": past}, headers=o.manager)
        assert r.status_code == 200 and r.json()["overdue"] is True
        r = await o.client.get("/v1/leads", params={"overdue": "true", "branch_id": "b1"}, headers=o.manager)
        assert [x["id"] for x in r.json()["items"]] == [lead["id"]]


async def _n(settings, type_, n):
    got = await events(settings, type_)
    return got if len(got) >= n else None


async def test_two_replicas_scanning_fire_once(urls):
    import asyncio
    async with office(urls) as o:
        cid = await o.add_staff("wu")
        for _ in range(5):
            await o.register(o.as_("consultant", cid), grade="O")
        later = utcnow() + timedelta(days=2, hours=1)
        results = await asyncio.gather(due_work(o.ctx, later), due_work(o.ctx, later))
        assert sum(r["overdue"] for r in results) == 5


async def test_reclaim_warns_then_releases_and_blocks_the_loser(urls):
    async with office(urls, reclaim_after_days=15, reclaim_warning_days=2, pool_claims_per_day=5) as o:
        cid = await o.add_staff("zheng")
        lead = await o.register(o.as_("consultant", cid), grade="C")
        start = (await o.lead(lead["id"]))["last_activity_at"]
        assert (await due_work(o.ctx, start + timedelta(days=13, hours=1)))["reclaim_warned"] == 1
        assert (await due_work(o.ctx, start + timedelta(days=13, hours=2)))["reclaim_warned"] == 0
        done = await due_work(o.ctx, start + timedelta(days=15, hours=1))
        assert done["reclaimed"] == 1
        doc = await o.lead(lead["id"])
        assert doc["in_pool"] and doc["owner_id"] is None
        released = await eventually(lambda: events(o.settings, "lead.released"))
        assert released[0]["data"]["reason"] == "no_follow_up" and released[0]["data"]["previous_owner_id"] == cid
        assert await events(o.settings, "lead.reclaim_warning")
        r = await o.client.post(f"/v1/leads/{lead['id']}/claim", headers=o.as_("consultant", cid))
        assert r.status_code == 409, "cannot take back a lead lost to the pool within the window"
        other = await o.add_staff("feng")
        r = await o.client.post(f"/v1/leads/{lead['id']}/claim", headers=o.as_("consultant", other))
        assert r.status_code == 200 and r.json()["owner_id"] == other and not r.json()["in_pool"]


async def test_daily_claim_limit(urls):
    async with office(urls, pool_claims_per_day=2) as o:
        pooled = [(await o.register(o.manager))["id"] for _ in range(4)]  # no consultants: all in the pool
        cid = await o.add_staff("he")
        me = o.as_("consultant", cid)
        codes = [(await o.client.post(f"/v1/leads/{i}/claim", headers=me)).status_code for i in pooled[:3]]
        assert codes == [200, 200, 409]
        r = await o.client.post(f"/v1/leads/{pooled[3]}/claim", headers=me)
        assert r.status_code == 409 and r.json()["type"].endswith("/claim-limit")
        r = await o.client.post(f"/v1/leads/{pooled[0]}/claim", headers=o.as_("consultant", "x2"))
        assert r.status_code == 404, "another consultant's lead now: not even there for x2"
        r = await o.client.post(f"/v1/leads/{pooled[3]}/claim", headers=o.manager)
        assert r.status_code == 403


async def test_old_claim_counters_are_cleaned_up(urls):
    from crm_leads.plugin import service
    from crm_shared.timers import clean_up
    async with office(urls) as o:
        lead = (await o.register(o.manager))["id"]
        cid = await o.add_staff("counter")
        assert (await o.client.post(f"/v1/leads/{lead}/claim", headers=o.as_("consultant", cid))).status_code == 200
        counter = await o.ctx.db.pool_claims.find_one({})
        run = clean_up(service.retention(o.ctx))
        assert await run(o.ctx, counter["at"] + timedelta(days=1)) == {}, "today's counter still counts"
        assert await run(o.ctx, counter["at"] + timedelta(days=3)) == {"pool_claims": 1}


async def test_concurrent_claims_of_one_lead_have_one_winner(urls):
    import asyncio
    async with office(urls) as o:
        lead = (await o.register(o.manager))["id"]
        staff = [await o.add_staff(f"s{i}") for i in range(6)]
        rs = await asyncio.gather(*(o.client.post(f"/v1/leads/{lead}/claim", headers=o.as_("consultant", s)) for s in staff))
        codes = sorted(r.status_code for r in rs)
        assert codes[0] == 200 and set(codes[1:]) <= {404, 409}, "late losers no longer see the winner's lead"
        counts = await o.ctx.db.pool_claims.find({}).to_list()
        assert sum(c["n"] for c in counts) == 1, "losers get their daily quota back"


async def test_release_assign_and_orphans(urls):
    async with office(urls) as o:
        a, b = await o.add_staff("a"), await o.add_staff("b")
        mine = [(await o.register(o.as_("consultant", a)))["id"] for _ in range(3)]
        r = await o.client.post(f"/v1/leads/{mine[0]}/release", headers=o.as_("consultant", b))
        assert r.status_code == 404, "another consultant's lead"
        r = await o.client.post(f"/v1/leads/{mine[0]}/release", headers=o.as_("consultant", a))
        assert r.status_code == 200 and r.json()["in_pool"]
        r = await o.client.post(f"/v1/leads/{mine[0]}/assign", json={"owner_id": b}, headers=o.manager)
        assert r.status_code == 200 and r.json()["owner_id"] == b
        r = await o.client.post(f"/v1/leads/{mine[1]}/assign", json={"owner_id": "nobody"}, headers=o.manager)
        assert r.status_code == 422
        r = await o.client.post(f"/v1/staff/{a}/leave", headers=o.manager)
        assert r.json()["leads_released"] == 2
        assert [(await o.lead(i))["in_pool"] for i in mine[1:]] == [True, True]
        c = await o.add_staff("c")
        await o.client.post(f"/v1/leads/{mine[1]}/assign", json={"owner_id": c}, headers=o.manager)
        r = await o.client.post(f"/v1/staff/{c}/leave", json={"owner_id": b}, headers=o.manager)
        assert r.json()["leads_reassigned"] == 1 and (await o.lead(mine[1]))["owner_id"] == b


async def test_scan_releases_orphans_a_crashed_leave_left_behind(urls):
    async with office(urls) as o:
        a = await o.add_staff("a")
        lead = await o.register(o.as_("consultant", a))
        await o.ctx.db.staff.update_one({"_id": a}, {"$set": {"active": False}})  # left, orphan sweep never ran
        assert (await due_work(o.ctx, utcnow()))["reclaimed"] == 1
        doc = await o.lead(lead["id"])
        assert doc["in_pool"] and doc["owner_id"] is None
