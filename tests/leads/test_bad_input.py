"""Bad input of every kind gets a 4xx problem+json and changes nothing; never a 500."""

from tests.leads.builders import new_phone, office

GOOD = {"branch_id": "b1", "customer": {"name": "王先生", "phone": "13800001111"}, "source": {"channel": "walk_in"}}


def with_(path: str, value):
    body = {"branch_id": "b1", "customer": dict(GOOD["customer"]), "source": dict(GOOD["source"])}
    target, *keys = path.split(".")
    if keys:
        body[target][keys[0]] = value
    else:
        body[target] = value
    return body


BAD_LEADS = [
    with_("customer.phone", {"$ne": None}), with_("customer.name", {"$ne": ""}), with_("branch_id", {"$gt": ""}),
    with_("customer.name", "x" * 10_000), with_("customer.phone", "1" * 500), with_("customer.phone", "not a phone"),
    with_("customer.phone", "12345"), with_("source.channel", "carrier-pigeon"), with_("grade", "Z"),
    with_("customer.gender", "robot"), with_("customer.birthday", "yesterday"), with_("customer.email", "nope"),
    with_("customer.extra", 1), with_("sneaky", True), with_("customer", "王先生"), with_("source", None),
    with_("owner_id", {"$ne": None}), with_("customer.name", ""), with_("interest", ["a"]), with_("branch_id", 7),
]


async def test_bad_lead_bodies_are_rejected_and_store_nothing(urls):
    async with office(urls) as o:
        for body in BAD_LEADS:
            r = await o.client.post("/v1/leads", json=body, headers=o.manager)
            assert r.status_code == 422 and r.headers["content-type"].startswith("application/problem+json"), (body, r.text)
            assert r.json()["errors"] or r.json()["detail"]
        assert await o.ctx.db.leads.count_documents({}) == 0


async def test_bad_writes_on_an_existing_lead_change_nothing(urls):
    async with office(urls) as o:
        cid = await o.add_staff("c")
        me = o.as_("consultant", cid)
        lid = (await o.register(me, grade="A"))["id"]
        attempts = [
            ("PATCH", f"/v1/leads/{lid}", {"grade": {"$ne": "A"}}), ("PATCH", f"/v1/leads/{lid}", {"status": "won"}),
            ("PATCH", f"/v1/leads/{lid}", {"customer": {"phone": "13900000000"}}),
            ("PATCH", f"/v1/leads/{lid}", {"next_follow_up_at": "2030-01-01T00:00:00"}),
            ("PATCH", f"/v1/leads/{lid}", {"customer": {"name": "y" * 101}}),
            ("POST", f"/v1/leads/{lid}/follow-ups", {"kind": "telepathy"}),
            ("POST", f"/v1/leads/{lid}/follow-ups", {"kind": "call", "note": "n" * 5000}),
            ("POST", f"/v1/leads/{lid}/close", {"outcome": "lost"}), ("POST", f"/v1/leads/{lid}/close", {"outcome": "maybe"}),
            ("POST", f"/v1/leads/{lid}/close", {"outcome": "won", "amount": -1}),
            ("POST", f"/v1/leads/{lid}/assign", {"owner_id": {"$ne": None}}),
            ("POST", "/v1/channel-reports", {"branch_id": "b1", "customer_name": "x", "phone": {"$ne": None}}),
            ("POST", "/v1/channel-reports", {"branch_id": "b1", "customer_name": "x", "phone": "138**5678"}),
            ("POST", "/v1/attribution-disputes", {"claim": "no target"}),
            ("POST", "/v1/attribution-disputes", {"report_id": {"$ne": None}, "claim": "x"}),
            ("POST", "/v1/staff", {"branch_id": "b1", "name": "x", "role": "consultant", "phone": "abc"}),
            ("POST", f"/v1/leads/{lid}/close", {"outcome": "lost", "reason": {"$ne": None}}),
            ("POST", f"/v1/leads/{lid}/close", {"outcome": "lost", "reason": "price", "note": ["x"]}),
            ("POST", "/v1/leads/assign", {"branch_id": "b1", "lead_ids": {"$ne": None}, "owner_id": cid}),
            ("POST", "/v1/leads/assign", {"branch_id": "b1", "lead_ids": [lid], "owner_id": {"$ne": None}}),
            ("PATCH", f"/v1/staff/{cid}", {"phone": {"$ne": None}}), ("PATCH", f"/v1/staff/{cid}", {"role": "admin"}),
        ]
        for method, path, body in attempts:
            headers = o.as_("partner", "p1") if path == "/v1/channel-reports" else (o.admin if "staff" in path else o.manager)
            r = await o.client.request(method, path, json=body, headers=headers)
            assert r.status_code in (400, 422), (method, path, body, r.status_code, r.text)
        r = await o.client.patch(f"/v1/leads/{lid}", content=b"{not json", headers=me | {"content-type": "application/json"})
        assert r.status_code == 400
        r = await o.client.patch(f"/v1/leads/{lid}", json={"grade": "B"}, headers=me | {"If-Match": "abc"})
        assert r.status_code == 400
        for path in ("/v1/leads/" + "x" * 100, "/v1/leads/%24ne", "/v1/channel-reports/" + "y" * 65):
            r = await o.client.get(path, headers=o.manager)
            assert r.status_code in (404, 422), (path, r.status_code)
        for params in ({"status": "sold"}, {"limit": 100000}, {"q": "q" * 200}, {"owner_id": "z" * 100}, {"branch_id": "B!"}):
            r = await o.client.get("/v1/leads", params=params, headers=o.manager)
            assert r.status_code == 422, params
        doc = await o.lead(lid)
        assert doc["version"] == 1 and doc["grade"] == "A" and doc["follow_ups"] == [] and doc["status"] == "new"
        assert await o.ctx.db.channel_reports.count_documents({}) == 0
        assert await o.ctx.db.disputes.count_documents({}) == 0
        assert await o.ctx.db.staff.count_documents({}) == 1


async def test_wrong_tokens(urls):
    async with office(urls) as o:
        r = await o.client.post("/v1/leads", json=GOOD)
        assert r.status_code == 401
        r = await o.client.post("/v1/leads", json=GOOD, headers={"Authorization": "Bearer junk"})
        assert r.status_code == 401
        r = await o.client.post("/v1/channel-reports", json={"branch_id": "b1", "customer_name": "x", "phone": new_phone()},
                                headers=o.as_("consultant", "c"))
        assert r.status_code == 403
        assert await o.ctx.db.channel_reports.count_documents({}) == 0
