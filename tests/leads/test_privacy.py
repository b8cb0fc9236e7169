"""Masking per role, audited reveals, and another branch's ids answering 404 everywhere."""

from tests.leads.builders import new_phone, office


async def test_phone_reveal_by_role_and_audit(urls):
    async with office(urls) as o:
        owner, other = await o.add_staff("owner"), await o.add_staff("other")
        phone = new_phone()
        lead = await o.register(o.as_("consultant", owner), phone)
        for role, sub, code in [("consultant", owner, 200), ("manager", "m1", 200), ("reception", "d1", 200),
                                ("consultant", other, 404), ("partner", "p1", 403), ("integrator", "i1", 403)]:
            r = await o.client.get(f"/v1/leads/{lead['id']}/phone", params={"reason": "call back"}, headers=o.as_(role, sub))
            assert r.status_code == code, (role, r.text)
            if code == 200:
                assert r.json()["phone"] == "+86" + phone
        r = await o.client.get("/v1/audit", params={"branch_id": "b1"}, headers=o.manager)
        records = r.json()["items"]
        assert [(a["actor_id"], a["actor_role"]) for a in records] == [("d1", "reception"), ("m1", "manager"), (owner, "consultant")]
        assert all(a["lead_id"] == lead["id"] and a["reason"] == "call back" and a["at"] for a in records)
        assert (await o.client.get("/v1/audit", params={"branch_id": "b1"}, headers=o.as_("consultant", owner))).status_code == 403


async def test_no_role_sees_a_full_number_in_lead_bodies(urls):
    async with office(urls) as o:
        owner = await o.add_staff("owner")
        phone = new_phone()
        lead = await o.register(o.as_("consultant", owner), phone)
        for role, sub in [("consultant", owner), ("manager", "m"), ("reception", "d"), ("admin", "a")]:
            for path in (f"/v1/leads/{lead['id']}", "/v1/leads"):
                r = await o.client.get(path, headers=o.as_(role, sub))
                assert r.status_code == 200 and phone[3:] not in r.text and phone[-4:] in r.text
        r = await o.client.get("/v1/leads", headers=o.as_("partner", "p"))
        assert r.status_code == 403
        r = await o.client.post("/v1/leads", json=o.lead_body(phone), headers=o.as_("reception", "d"))
        assert r.status_code == 409 and phone[3:] not in r.text


async def test_another_branchs_ids_are_404_on_every_endpoint(urls):
    async with office(urls) as o:
        cid = await o.add_staff("c")
        lead = await o.register(o.as_("consultant", cid))
        rid = (await o.client.post("/v1/channel-reports", json={"branch_id": "b1", "customer_name": "x", "phone": new_phone()},
                                   headers=o.as_("partner", "p1"))).json()["id"]
        did = (await o.client.post("/v1/attribution-disputes", json={"report_id": rid, "claim": "c"},
                                   headers=o.manager)).json()["id"]
        lid = lead["id"]
        calls = [
            ("GET", "/v1/branches/b1", None), ("GET", f"/v1/staff/{cid}", None), ("POST", f"/v1/staff/{cid}/leave", None),
            ("GET", f"/v1/leads/{lid}", None), ("PATCH", f"/v1/leads/{lid}", {"grade": "A"}),
            ("POST", f"/v1/leads/{lid}/follow-ups", {"kind": "call"}), ("GET", f"/v1/leads/{lid}/follow-ups", None),
            ("POST", f"/v1/leads/{lid}/assign", {"owner_id": cid}), ("POST", f"/v1/leads/{lid}/release", None),
            ("POST", f"/v1/leads/{lid}/close", {"outcome": "won"}), ("GET", f"/v1/leads/{lid}/phone", None),
            ("GET", f"/v1/channel-reports/{rid}", None), ("GET", f"/v1/attribution-disputes/{did}", None),
            ("POST", f"/v1/attribution-disputes/{did}/decision", {"winner": None, "reason": "r"}),
            ("POST", "/v1/attribution-disputes", {"report_id": rid, "claim": "c"}),
            ("POST", "/v1/attribution-disputes", {"lead_id": lid, "claim": "c"}),
            ("GET", "/v1/audit?branch_id=b1", None), ("GET", "/v1/leads?branch_id=b1", None),
            ("GET", "/v1/channel-reports?branch_id=b1", None), ("GET", "/v1/staff?branch_id=b1", None),
        ]
        foreign = o.as_("manager", "m2", ["b2"])
        for method, path, body in calls:
            r = await o.client.request(method, path, json=body, headers=foreign)
            assert r.status_code == 404, (method, path, r.status_code, r.text)
        r = await o.client.post(f"/v1/leads/{lid}/claim", headers=o.as_("consultant", "c2", ["b2"]))
        assert r.status_code == 404
        r = await o.client.post("/v1/leads", json=o.lead_body(), headers=foreign)
        assert r.status_code == 404
        doc = await o.lead(lid)
        assert doc["version"] == 1 and doc["grade"] is None and doc["status"] == "new", "nothing changed"
