"""Referrers (全民营销): registration (employees outside sales, owners 老带新, the public), the branch's own
sales staff refused by phone, and referral leads credited only when first (issue 16)."""

import json

from tests.leads.builders import new_phone, office
from tests.leads.test_attribution import report
from tests.support.runtime import eventually, stream_messages


async def referrer(o, phone: str, kind: str = "owner", name: str = "李业主", expect: int = 201, headers=None) -> dict:
    r = await o.client.post("/v1/referrers", json={"branch_id": o.branch, "name": name, "phone": phone, "kind": kind},
                            headers=headers or o.manager)
    assert r.status_code == expect, r.text
    return r.json()


def referral(o, phone: str, referrer_id: str | None, **source) -> dict:
    return o.lead_body(phone, source={"channel": "referral", "referrer_id": referrer_id, **source})


async def registered(o) -> list[dict]:
    return [d for d in (json.loads(m.data) for m in await stream_messages(o.settings)) if d["type"] == "referrer.registered"]


async def test_registering_referrers_and_who_may(urls):
    async with office(urls) as o:
        await o.add_branch("b2")
        owner = await referrer(o, "13900000001", "owner", "李业主")
        assert owner["phone_masked"] == "139****0001" and owner["phone"] == "+8613900000001" and owner["kind"] == "owner"
        employee = await referrer(o, "13900000002", "employee", "集团财务小王")
        await referrer(o, "13900000003", "public", "热心市民")
        events = await eventually(lambda: registered(o))
        assert {(e["data"]["name"], e["data"]["kind"]) for e in events} >= {("李业主", "owner"), ("集团财务小王", "employee")}
        assert all("13900000001" not in json.dumps(e) for e in events), "events carry the mask only"
        dup = await referrer(o, "139 0000 0001", "public", "又一次", expect=409)
        assert dup["type"].endswith("/duplicate-referrer") and dup["existing_referrer_id"] == owner["id"]
        await referrer(o, "13900000009", "sideline", expect=422)
        await referrer(o, "12", expect=422)
        for role in ("consultant", "reception", "partner", "integrator"):
            await referrer(o, new_phone(), headers=o.as_(role), expect=403)
        await referrer(o, new_phone(), headers=o.as_("manager", "m2", ["b2"]), expect=404)
        r = await o.client.get("/v1/referrers", params={"branch_id": o.branch}, headers=o.as_("consultant", "c1"))
        items = r.json()["items"]
        assert [i["name"] for i in items] == ["李业主", "集团财务小王", "热心市民"] and all(i["phone"] is None for i in items)
        r = await o.client.get("/v1/referrers", params={"branch_id": o.branch, "kind": "employee"}, headers=o.manager)
        assert [i["id"] for i in r.json()["items"]] == [employee["id"]]
        for role, code in (("partner", 403), ("integrator", 403), ("reception", 200)):
            assert (await o.client.get(f"/v1/referrers/{owner['id']}", headers=o.as_(role))).status_code == code, role
        assert (await o.client.get(f"/v1/referrers/{owner['id']}", headers=o.as_("manager", "m2", ["b2"]))).status_code == 404
        seen = (await o.client.get(f"/v1/referrers/{owner['id']}", headers=o.manager)).json()
        assert seen["phone"] is None and seen["phone_masked"] == "139****0001", "masked after registration, even to managers"
        for role, code in (("consultant", 403), ("reception", 403), ("partner", 403), ("integrator", 403)):
            assert (await o.client.get(f"/v1/referrers/{owner['id']}/phone", headers=o.as_(role))).status_code == code, role
        revealed = await o.client.get(f"/v1/referrers/{owner['id']}/phone", params={"reason": "发放老带新奖励"},
                                      headers=o.as_("finance", "f1"))
        assert revealed.status_code == 200 and revealed.json()["phone"] == "+8613900000001"
        trail = (await o.client.get("/v1/audit", params={"branch_id": o.branch}, headers=o.manager)).json()["items"]
        assert [(a["action"], a["referrer_id"], a["actor_id"], a["reason"]) for a in trail][:1] == [
            ("referrer_phone.reveal", owner["id"], "f1", "发放老带新奖励")]


async def test_the_branchs_own_sales_staff_cannot_be_referrers(urls):
    async with office(urls) as o:
        await o.add_branch("b2")
        for role, phone in (("consultant", "13700000001"), ("manager", "13700000002"), ("reception", "13700000003")):
            r = await o.client.post("/v1/staff", json={"branch_id": o.branch, "name": f"员工{role}", "role": role, "phone": phone},
                                    headers=o.admin)
            assert r.status_code == 201, r.text
            refused = await referrer(o, phone, "employee", expect=422)
            assert refused["type"].endswith("/sales-staff") and refused["staff_role"] == role
        r = await o.client.post("/v1/referrers", json={"branch_id": "b2", "name": "别处的员工", "phone": "13700000001",
                                                        "kind": "employee"}, headers=o.admin)
        assert r.status_code == 201, "another branch's staff may refer customers to this one's... and the other way"
        staff = (await o.client.get("/v1/staff", params={"branch_id": o.branch}, headers=o.manager)).json()["items"]
        leaver = next(s for s in staff if s["role"] == "consultant")
        assert (await o.client.post(f"/v1/staff/{leaver['id']}/leave", json={}, headers=o.admin)).status_code == 200
        await referrer(o, "13700000001", "employee", "已离职的顾问")


async def test_a_referral_lead_credits_its_referrer_only_when_it_is_the_customers_first(urls):
    async with office(urls) as o:
        await o.add_branch("b2")
        owner = await referrer(o, "13900000011", "owner")
        elsewhere = (await o.client.post("/v1/referrers", json={"branch_id": "b2", "name": "b2 业主", "phone": "13900000012",
                                                                 "kind": "owner"}, headers=o.admin)).json()
        first = new_phone()
        lead = await o.register(o.manager, first, source={"channel": "referral", "referrer_id": owner["id"]})
        assert lead["attribution"] == {"referrer_id": owner["id"]} and lead["source"]["referrer_id"] == owner["id"]
        r = await o.client.get(f"/v1/leads/{lead['id']}", headers=o.as_("reception", "desk"))
        assert r.json()["source"]["referrer_id"] == owner["id"], "the lead card names the referrer"
        found = [d for d in (json.loads(m.data) for m in await stream_messages(o.settings)) if d["type"] == "lead.registered"]
        assert found[-1]["data"]["source"]["referrer_id"] == owner["id"]

        known = new_phone()
        walk_in = await o.register(o.manager, known)
        r = await o.client.post("/v1/leads", json=referral(o, known, owner["id"]), headers=o.manager)
        assert r.status_code == 409 and r.json()["existing_lead_id"] == walk_in["id"], "the first registration wins"
        assert (await o.lead(walk_in["id"]))["attribution"] is None, "the referrer is not credited for a customer already here"
        assert await o.ctx.db.leads.count_documents({"source.referrer_id": owner["id"]}) == 1

        reported = new_phone()
        assert (await report(o, reported, "p1")).status_code == 201
        lead = await o.register(o.manager, reported, source={"channel": "referral", "referrer_id": owner["id"]})
        assert lead["attribution"]["partner_id"] == "p1" and "referrer_id" not in lead["attribution"], \
            "the partner's report came first"

        for ref, code in (("nobody", 422), (elsewhere["id"], 422)):
            r = await o.client.post("/v1/leads", json=referral(o, new_phone(), ref), headers=o.manager)
            assert r.status_code == code and r.json()["type"].endswith("/unknown-referrer"), ref
        r = await o.client.post("/v1/leads", json=o.lead_body(new_phone(), source={"channel": "walk_in", "referrer_id": owner["id"]}),
                                headers=o.manager)
        assert r.status_code == 422, "referrer_id names the referrer of a referral lead"
        r = await o.client.post("/v1/leads", json=o.lead_body(new_phone(), source={"channel": "referral", "referrer": "朋友"}),
                                headers=o.manager)
        assert r.status_code == 201, "a referral in free text (no registered referrer) still registers"
