"""Registering and working leads over HTTP against the real store and NATS."""

import asyncio
import json

from tests.leads.builders import new_phone, office
from tests.support.runtime import eventually, stream_messages


async def test_sixteen_simultaneous_registrations_make_one_lead(urls):
    async with office(urls) as o:
        cid = await o.add_staff("chen")
        phone = new_phone()
        headers = o.as_("consultant", cid)
        rs = await asyncio.gather(*(o.client.post("/v1/leads", json=o.lead_body(phone), headers=headers) for _ in range(16)))
        codes = sorted(r.status_code for r in rs)
        assert codes == [201] + [409] * 15, codes
        winner = next(r.json() for r in rs if r.status_code == 201)
        for r in rs:
            if r.status_code == 409:
                assert r.json()["type"].endswith("/duplicate-lead")
                assert r.json()["existing_lead_id"] == winner["id"]
        assert await o.ctx.db.leads.count_documents({}) == 1
        # another formatting of the same number is the same customer
        r = await o.client.post("/v1/leads", json=o.lead_body("+86 " + phone[:3] + " " + phone[3:]), headers=headers)
        assert r.status_code == 409
        assert (await o.lead(winner["id"]))["contact_count"] >= 2, "the duplicate contact is recorded on the lead"


async def test_closed_lead_frees_the_phone(urls):
    async with office(urls) as o:
        phone = new_phone()
        lead = await o.register(o.manager, phone)
        r = await o.client.post(f"/v1/leads/{lead['id']}/close", json={"outcome": "lost", "reason": "competitor"},
                                headers=o.manager)
        assert r.status_code == 200 and r.json()["status"] == "lost"
        again = await o.register(o.manager, phone)
        assert again["id"] != lead["id"]


async def test_closing_and_reregistering_concurrently_keeps_one_open_lead(urls):
    async with office(urls) as o:
        phone = new_phone()
        for _ in range(3):
            lead = await o.register(o.manager, phone)
            rs = await asyncio.gather(*(o.client.post("/v1/leads", json=o.lead_body(phone), headers=o.manager) for _ in range(4)))
            assert {r.status_code for r in rs} == {409}
            r = await o.client.post(f"/v1/leads/{lead['id']}/close", json={"outcome": "lost", "reason": "price"}, headers=o.manager)
            assert r.status_code == 200
        assert await o.ctx.db.leads.count_documents({"status": "lost"}) == 3
        assert await o.ctx.db.leads.count_documents({"status": "new"}) == 0


async def test_owner_rules_and_round_robin_skips_leavers(urls):
    async with office(urls) as o:
        a, b, c = [await o.add_staff(n) for n in ("a", "b", "c")]
        mine = await o.register(o.as_("consultant", b))
        assert mine["owner_id"] == b
        r = await o.client.post("/v1/leads", json=o.lead_body(owner_id=a), headers=o.as_("consultant", b))
        assert r.status_code == 403
        await o.client.post(f"/v1/staff/{b}/leave", headers=o.manager)
        owners = [(await o.register(o.as_("reception", "desk")))["owner_id"] for _ in range(4)]
        assert set(owners) == {a, c} and owners[0] != owners[1], owners
        r = await o.client.post("/v1/leads", json=o.lead_body(owner_id=b), headers=o.manager)
        assert r.status_code == 422, "a leaver cannot be given leads"


async def test_least_loaded_assigner(urls):
    async with office(urls, assigner="least_loaded") as o:
        a, b = await o.add_staff("a"), await o.add_staff("b")
        await o.register(o.as_("consultant", a))
        await o.register(o.as_("consultant", a))
        got = [(await o.register(o.manager))["owner_id"] for _ in range(3)]
        assert got[:2] == [b, b]


async def test_get_list_patch_with_if_match_and_events(urls):
    async with office(urls) as o:
        cid = await o.add_staff("zhou")
        me = o.as_("consultant", cid)
        lead = await o.register(me, grade="B")
        assert lead["customer"]["phone_masked"].count("*") == 4 and "phone" not in lead["customer"]
        r = await o.client.patch(f"/v1/leads/{lead['id']}", json={"grade": "O"}, headers=me | {"If-Match": "1"})
        assert r.status_code == 200 and r.json()["grade"] == "O" and r.json()["version"] == 2
        assert r.json()["next_follow_up_at"] < lead["next_follow_up_at"], "a hotter grade brings the follow-up closer"
        r = await o.client.patch(f"/v1/leads/{lead['id']}", json={"status": "negotiating"}, headers=me | {"If-Match": "1"})
        assert r.status_code == 412 and r.json()["current_version"] == 2
        r = await o.client.patch(f"/v1/leads/{lead['id']}", json={"status": "won"}, headers=me)
        assert r.status_code == 422
        other = await o.add_staff("qian")
        r = await o.client.patch(f"/v1/leads/{lead['id']}", json={"grade": "C"}, headers=o.as_("consultant", other))
        assert r.status_code == 404, "another consultant's lead"
        r = await o.client.get("/v1/leads", params={"branch_id": "b1", "grade": "O"}, headers=me)
        assert [x["id"] for x in r.json()["items"]] == [lead["id"]]
        r = await o.client.get("/v1/leads", params={"q": "王"}, headers=me)
        assert len(r.json()["items"]) == 1
        types = await eventually(lambda: _types(o.settings, {"lead.registered", "lead.graded", "lead.updated"}))
        assert types
        registered = next(json.loads(m.data) for m in await stream_messages(o.settings) if json.loads(m.data)["type"] == "lead.registered")
        assert set(registered["data"]["customer"]) == {"name", "phone_masked", "phone_hash", "phone_sealed"}, \
            "masked for everyone, the full number only sealed (for the services)"


async def _types(settings, wanted: set[str]):
    seen = {json.loads(m.data)["type"] for m in await stream_messages(settings)}
    return wanted <= seen


async def test_list_pagination_and_filters(urls):
    async with office(urls) as o:
        ids = [(await o.register(o.manager))["id"] for _ in range(5)]
        seen, cursor = [], None
        while True:
            params = {"branch_id": "b1", "limit": 2} | ({"cursor": cursor} if cursor else {})
            page = (await o.client.get("/v1/leads", params=params, headers=o.manager)).json()
            seen += [x["id"] for x in page["items"]]
            if not (cursor := page["next_cursor"]):
                break
        assert seen == list(reversed(ids))
        r = await o.client.get("/v1/leads", params={"pool": "true"}, headers=o.manager)
        assert len(r.json()["items"]) == 5, "no consultants yet: the assigner leaves them in the pool"
        r = await o.client.get("/v1/leads", params={"cursor": "!!!"}, headers=o.manager)
        assert r.status_code == 400


async def test_follow_ups_and_close(urls):
    async with office(urls) as o:
        cid = await o.add_staff("sun")
        me = o.as_("consultant", cid)
        lead = await o.register(me, grade="A")
        for kind in ("call", "wechat"):
            r = await o.client.post(f"/v1/leads/{lead['id']}/follow-ups", json={"kind": kind, "note": "talked"}, headers=me)
            assert r.status_code == 201, r.text
        r = await o.client.get(f"/v1/leads/{lead['id']}/follow-ups", headers=me)
        assert [f["kind"] for f in r.json()["items"]] == ["wechat", "call"]
        assert (await o.client.get(f"/v1/leads/{lead['id']}", headers=me)).json()["status"] == "contacted"
        r = await o.client.post(f"/v1/leads/{lead['id']}/close", json={"outcome": "lost"}, headers=me)
        assert r.status_code == 422, "lost needs a reason"
        r = await o.client.post(f"/v1/leads/{lead['id']}/close", json={"outcome": "won", "amount": 2_000_000}, headers=me)
        assert r.status_code == 200 and r.json()["status"] == "won"
        r = await o.client.post(f"/v1/leads/{lead['id']}/follow-ups", json={"kind": "call"}, headers=me)
        assert r.status_code == 409


async def test_idempotency_key_replays_the_first_registration(urls):
    async with office(urls) as o:
        body = o.lead_body()
        h = o.manager | {"Idempotency-Key": "k-1"}
        first = await o.client.post("/v1/leads", json=body, headers=h)
        again = await o.client.post("/v1/leads", json=body, headers=h)
        assert first.status_code == again.status_code == 201 and first.json()["id"] == again.json()["id"]
        assert await o.ctx.db.leads.count_documents({}) == 1


async def test_a_burst_of_registrations_committed_together_keeps_each_outcome_and_one_event_each(urls):
    """New leads arriving together share one insert_many; each still gets its own 201 or 409."""
    async with office(urls) as o:
        cid = await o.add_staff("zhou")
        headers = o.as_("consultant", cid)
        await o.register(headers, new_phone())
        phones = [new_phone() for _ in range(30)]
        bodies = [o.lead_body(p) for p in phones] + [o.lead_body(phones[0])] * 3
        bodies.append(o.lead_body(phones[1]))
        rs = await asyncio.gather(*(o.client.post("/v1/leads", json=b, headers=headers) for b in bodies))
        created = [r.json() for r in rs if r.status_code == 201]
        assert sorted(r.status_code for r in rs) == [201] * 30 + [409] * 4, [r.text for r in rs if r.status_code not in (201, 409)]
        by_phone = {}
        for r, body in zip(rs, bodies):
            if r.status_code == 201:
                by_phone[body["customer"]["phone"]] = r.json()["id"]
        for r, body in zip(rs, bodies):
            if r.status_code == 409:
                assert r.json()["existing_lead_id"] == by_phone[body["customer"]["phone"]]
        stored = {d["_id"] async for d in o.ctx.db.leads.find({"_id": {"$in": [c["id"] for c in created]}}, {"_id": 1})}
        assert stored == {c["id"] for c in created}, "every 201 is a stored lead"

        async def registered():
            msgs = await stream_messages(o.settings, subject=f"{o.settings.subject_prefix}.{o.branch}.lead.registered")
            return msgs if len(msgs) >= 31 else None

        msgs = await eventually(registered)
        lead_ids = [json.loads(m.data)["data"]["lead_id"] for m in msgs]
        assert len(lead_ids) == len(set(lead_ids)) == 31, "one lead.registered per stored lead"

        async def cleared():
            return await o.ctx.db.leads.count_documents({"$or": [{"pending_events.0": {"$exists": True}},
                                                                 {"outbox_state": {"$exists": True}}]}) == 0

        assert await eventually(cleared), "published events leave the documents"
