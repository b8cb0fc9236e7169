"""D8 (issue 14): every id a request or an event refers to exists in the same branch."""

from tests.leads.builders import new_phone, office
from tests.leads.test_attribution import report, visit
from tests.support.runtime import eventually, publish_event


async def test_a_consultant_owns_leads_only_where_it_is_staff(urls):
    async with office(urls) as o:
        await o.add_branch("b2")
        stranger = await o.add_staff("elsewhere", branch="b2")
        for sub in (stranger, "not-staff", "$where", "a.b"):
            token = o.as_("consultant", sub, ["b1", "b2"] if sub == stranger else ["b1"])
            r = await o.client.post("/v1/leads", json=o.lead_body(), headers=token)
            assert r.status_code == 422 and r.json()["type"].endswith("/invalid-owner"), (sub, r.text)
        assert await o.ctx.db.leads.count_documents({}) == 0
        pooled = (await o.register(o.manager))["id"]  # no consultant in b1: the pool
        r = await o.client.post(f"/v1/leads/{pooled}/claim", headers=o.as_("consultant", stranger, ["b1", "b2"]))
        assert r.status_code == 422 and r.json()["type"].endswith("/invalid-owner")
        r = await o.client.post(f"/v1/leads/{pooled}/assign", json={"owner_id": stranger}, headers=o.as_("manager", "m", ["b1", "b2"]))
        assert r.status_code == 422
        assert (await o.lead(pooled))["in_pool"] is True
        r = await o.client.get("/v1/pool/quota", params={"branch_id": "b1", "staff_id": stranger},
                               headers=o.as_("manager", "m", ["b1", "b2"]))
        assert r.status_code == 404, "a quota is asked of the branch's own staff"


async def test_a_dispute_names_a_report_and_its_own_lead(urls):
    async with office(urls) as o:
        cid = await o.add_staff("c")
        phone = new_phone()
        rid = (await report(o, phone, "p1")).json()["id"]
        await publish_event(o.settings, visit(o, phone, cid, visit_id="v-r"))
        await eventually(lambda: o.ctx.db.channel_reports.find_one({"_id": rid, "status": "confirmed"}))
        other = await o.register(o.manager)
        r = await o.client.post("/v1/attribution-disputes", json={"report_id": rid, "lead_id": other["id"], "claim": "c"},
                                headers=o.manager)
        assert r.status_code == 422 and r.json()["type"].endswith("/lead-mismatch"), r.text
        await o.add_branch("b2")
        cross = await o.register(o.as_("manager", "m", ["b2"]), branch_id="b2")
        r = await o.client.post("/v1/attribution-disputes", json={"report_id": rid, "lead_id": cross["id"], "claim": "c"},
                                headers=o.as_("manager", "m", ["b1", "b2"]))
        assert r.status_code == 404
        for target in ({"report_id": "missing"}, {"lead_id": "missing"}):
            r = await o.client.post("/v1/attribution-disputes", json=target | {"claim": "c"}, headers=o.manager)
            assert r.status_code == 404
        assert await o.ctx.db.disputes.count_documents({}) == 0


async def test_a_visit_naming_another_branchs_consultant_does_not_make_them_owner(urls):
    async with office(urls) as o:
        await o.add_branch("b2")
        here = await o.add_staff("here")
        there = await o.add_staff("there", branch="b2")
        await publish_event(o.settings, visit(o, new_phone(), there, visit_id="v-x"))
        lead = await eventually(lambda: o.ctx.db.leads.find_one({"visits": "v-x"}))
        assert lead["owner_id"] == here, "the branch's assigner chooses instead"
