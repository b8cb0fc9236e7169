"""Agencies (中介公司) and agents (经纪人): an agency's manager sees its agents' reports and disputes, an agent
only its own, another agency nothing, on every partner endpoint (issue 16)."""

import json

from tests.leads.builders import new_phone, office
from tests.leads.test_attribution import report
from tests.support.runtime import eventually, stream_messages


async def partner(o, name: str, kind: str, agency_id: str | None = None, expect: int = 201) -> dict:
    body = {"branch_id": o.branch, "name": name, "kind": kind} | ({"agency_id": agency_id} if agency_id else {})
    r = await o.client.post("/v1/partners", json=body, headers=o.manager)
    assert r.status_code == expect, r.text
    return r.json()


async def test_registering_agencies_and_agents(urls):
    async with office(urls) as o:
        await o.add_branch("b2")
        agency = await partner(o, "链家湾区店", "agency")
        agent = await partner(o, "张经纪", "agent", agency["id"])
        assert agent["agency_id"] == agency["id"] and agent["agency_name"] == "链家湾区店"
        lone = await partner(o, "独立经纪人", "agent")
        assert lone["agency_id"] is None
        bad = await partner(o, "x", "agent", agent["id"], expect=422)
        assert bad["type"].endswith("/unknown-agency"), "an agent's agency must be an agency"
        await partner(o, "x", "agency", agency["id"], expect=422)
        r = await o.client.post("/v1/partners", json={"branch_id": "b2", "name": "x", "kind": "agent", "agency_id": agency["id"]},
                                headers=o.as_("manager", "m2", ["b2"]))
        assert r.status_code == 422, "an agency of another branch"
        for role in ("consultant", "reception", "partner", "integrator"):
            r = await o.client.post("/v1/partners", json={"branch_id": o.branch, "name": "x", "kind": "agency"},
                                    headers=o.as_(role))
            assert r.status_code == 403, role
        r = await o.client.post("/v1/partners", json={"branch_id": o.branch, "name": "x", "kind": "agency"},
                                headers=o.as_("manager", "m2", ["b2"]))
        assert r.status_code == 404, "another branch"
        r = await o.client.get("/v1/partners", params={"branch_id": o.branch}, headers=o.as_("consultant", "c1"))
        assert [p["name"] for p in r.json()["items"]] == ["链家湾区店", "张经纪", "独立经纪人"]
        assert (await o.client.get("/v1/partners", params={"branch_id": o.branch}, headers=o.as_("integrator"))).status_code == 403
        registered = [json.loads(m.data) for m in await stream_messages(o.settings)]
        assert {d["data"]["name"] for d in registered if d["type"] == "partner.registered"} == {"链家湾区店", "张经纪", "独立经纪人"}


async def test_every_partner_endpoint_follows_agency_and_agent(urls):
    async with office(urls) as o:
        g = (await partner(o, "G 中介", "agency"))["id"]
        a1 = (await partner(o, "经纪人一", "agent", g))["id"]
        a2 = (await partner(o, "经纪人二", "agent", g))["id"]
        h = (await partner(o, "H 中介", "agency"))["id"]
        h1 = (await partner(o, "H 经纪人", "agent", h))["id"]
        as_ = {p: o.as_("partner", p) for p in (g, a1, a2, h, h1)}
        x = (await report(o, new_phone(), a1, name="客户甲")).json()
        y = (await report(o, new_phone(), a2, name="客户乙")).json()
        w = (await report(o, new_phone(), g, name="客户丙")).json()
        v = (await report(o, new_phone(), h1, name="客户丁")).json()
        assert x["agency_id"] == g and w["agency_id"] == g and v["agency_id"] == h

        async def listed(who: str, path: str) -> set[str]:
            r = await o.client.get(path, params={"branch_id": o.branch}, headers=as_[who])
            assert r.status_code == 200, r.text
            return {i["id"] for i in r.json()["items"]}

        assert await listed(a1, "/v1/channel-reports") == {x["id"]}
        assert await listed(a2, "/v1/channel-reports") == {y["id"]}
        assert await listed(g, "/v1/channel-reports") == {x["id"], y["id"], w["id"]}
        assert await listed(h, "/v1/channel-reports") == {v["id"]}
        r = await o.client.get("/v1/channel-reports", params={"branch_id": o.branch, "agency_id": g}, headers=o.manager)
        assert {i["id"] for i in r.json()["items"]} == {x["id"], y["id"], w["id"]}

        for who, rid, code in ((a1, y["id"], 404), (a1, x["id"], 200), (g, y["id"], 200), (h, x["id"], 404), (a2, w["id"], 404)):
            assert (await o.client.get(f"/v1/channel-reports/{rid}", headers=as_[who])).status_code == code, (who, rid)
            r = await o.client.get(f"/v1/channel-reports/{rid}/follow-ups", headers=as_[who])
            assert r.status_code == code, (who, rid)
            r = await o.client.post(f"/v1/channel-reports/{rid}/follow-ups", json={"note": "回访"}, headers=as_[who])
            assert r.status_code == (201 if code == 200 else 404), (who, rid)
            r = await o.client.post(f"/v1/channel-reports/{rid}/renew", headers=as_[who])
            assert r.status_code == (409 if code == 200 else 404), (who, rid, r.text)  # seen, not yet confirmed

        r = await o.client.post("/v1/attribution-disputes", json={"report_id": x["id"], "claim": "a1 的客户"}, headers=as_[a1])
        d1 = r.json()
        assert r.status_code == 201 and d1["agency_id"] == g
        r = await o.client.post("/v1/attribution-disputes", json={"report_id": y["id"], "claim": "代经纪人二申诉"}, headers=as_[g])
        d2 = r.json()
        assert r.status_code == 201
        assert (await o.client.post("/v1/attribution-disputes", json={"report_id": x["id"], "claim": "x"},
                                    headers=as_[a2])).status_code == 404
        assert (await o.client.post("/v1/attribution-disputes", json={"report_id": x["id"], "claim": "x"},
                                    headers=as_[h])).status_code == 404
        assert await listed(a1, "/v1/attribution-disputes") == {d1["id"]}
        assert await listed(a2, "/v1/attribution-disputes") == set()
        assert await listed(g, "/v1/attribution-disputes") == {d1["id"], d2["id"]}
        assert await listed(h, "/v1/attribution-disputes") == set()
        for who, did, code in ((a1, d1["id"], 200), (a2, d1["id"], 404), (g, d1["id"], 200), (h, d2["id"], 404)):
            assert (await o.client.get(f"/v1/attribution-disputes/{did}", headers=as_[who])).status_code == code, (who, did)
        assert (await o.client.post(f"/v1/attribution-disputes/{d1['id']}/decision", json={"winner": a1, "reason": "x"},
                                    headers=as_[g])).status_code == 403

        assert await listed(a1, "/v1/partners") == {a1}
        assert await listed(g, "/v1/partners") == {g, a1, a2}
        assert await listed(h1, "/v1/partners") == {h1}
        for who, pid, code in ((a1, a2, 404), (g, a2, 200), (h, a1, 404), (a1, g, 404), (a1, a1, 200)):
            assert (await o.client.get(f"/v1/partners/{pid}", headers=as_[who])).status_code == code, (who, pid)
        r = await o.client.post(f"/v1/partners/{a1}/arrivals", json={"visit_id": "v1"}, headers=as_[g])
        assert r.status_code == 403, "the desk records arrivals, not the partner"
        r = await o.client.post(f"/v1/partners/{a1}/arrivals", json={"visit_id": "v1"}, headers=as_[h])
        assert r.status_code == 404
        assert await eventually(lambda: o.ctx.db.channel_reports.count_documents({"agency_id": g}))
