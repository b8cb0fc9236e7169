"""Erasure (PIPL art. 47) end to end, all six services in one process on the real stack: a customer registered,
visited, messaged, opted out, subscribed at a discount and cancelled, archived and complained; a group
administrator erases them; every service deletes or anonymises its records and reports back; a seal taken from
the stream before the erasure never opens again; a reports rebuild afterwards holds no trace of them; and the
subject-access export shows what each service held, before and after."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from crm_shared.branches import local_date
from crm_shared.erasure import ERASED_NAME, SERVICES
from crm_shared.phones import phone_hash
from crm_shared.plugins import discover
from crm_shared.sealing import DataKeys, connected
from tests.e2e.conftest import open_floor
from tests.support.runtime import bearer, eventually, isolated_settings, running, stream_messages

NAME, PHONE, E164 = "欧阳娜娜", "13912340001", "+8613912340001"
KEPT_NAME, KEPT_PHONE = "司马光", "13912340002"  # another customer: untouched


async def _personal_traces(db, *needles: str) -> list[str]:
    found = []
    for name in await db.list_collection_names():
        for doc in await db[name].find({}).to_list(None):
            text = json.dumps(doc, ensure_ascii=False, default=str)
            found += [f"{name}: {n}" for n in needles if n in text]
    return found


async def test_an_erased_customer_is_gone_from_every_service_and_from_a_rebuild(urls):
    settings = isolated_settings(*urls)
    async with running(discover("all"), settings) as (app, client):
        floor = await open_floor(client, settings)
        b, c1 = floor.branch, floor.staff["consultant1"]
        group_admin = bearer(settings, "admin", ["*"], "admin-1")
        today = local_date(datetime.now(UTC), "Asia/Shanghai")
        window = {"branch_id": b, "from": (today - timedelta(days=1)).isoformat(), "to": (today + timedelta(days=1)).isoformat()}

        # -- the customer, in every service -----------------------------------------------------------------
        lead = await floor.call("POST", "/v1/leads", "consultant", c1, json={
            "branch_id": b, "customer": {"name": NAME, "phone": PHONE}, "source": {"channel": "phone"}, "grade": "A"})
        kept = await floor.call("POST", "/v1/leads", "consultant", c1, json={
            "branch_id": b, "customer": {"name": KEPT_NAME, "phone": KEPT_PHONE}, "source": {"channel": "phone"}})
        await floor.call("POST", f"/v1/leads/{lead['id']}/follow-ups", "consultant", c1,
                         json={"kind": "call", "note": f"{NAME}想看三房"})
        await floor.call("GET", f"/v1/leads/{lead['id']}/phone", "manager")  # an audited reveal
        visit = await floor.call_once_known("POST", "/v1/visits", "reception", json={
            "branch_id": b, "visitor": {"name": NAME, "phone": PHONE}, "party_size": 2})
        message = await floor.call("POST", "/v1/messages", "manager", json={
            "branch_id": b, "channel": "sms", "to": PHONE, "body": "欧阳女士您好，周末开放日欢迎光临",
            "category": "transactional"})
        await floor.call("POST", "/v1/opt-outs", "manager", json={"branch_id": b, "channel": "sms", "to": PHONE})
        unit = await floor.call("POST", "/v1/units", "manager", json={
            "branch_id": b, "project": "湾区壹号", "building": "1栋", "unit_no": "801", "product_type": "apartment",
            "list_price": "3000000"})

        async def subscribe():
            r = await client.post("/v1/deals", headers=floor.as_("consultant", c1), json={
                "lead_id": lead["id"], "unit_id": unit["id"], "agreed_price": "2800000", "deposit": 50000})
            return None if r.status_code == 404 else r

        r = await floor.until(subscribe, "deals to know the lead")
        assert r.status_code == 201, r.text
        deal = r.json()
        await floor.call("POST", f"/v1/deals/{deal['id']}/price-approval", "manager",
                         json={"decision": "approved", "reason": "团购优惠"})
        await floor.call("POST", f"/v1/deals/{deal['id']}/cancel", "manager", json={"reason": "customer_withdrew"})
        archive = await floor.call_once_known("POST", "/v1/archives", "manager", json={
            "branch_id": b, "customer": {"name": NAME, "phone": PHONE}, "category": "prospect"})
        complaint = await floor.call("POST", "/v1/complaints", "manager", json={
            "branch_id": b, "customer": {"name": NAME, "phone": PHONE}, "channel": "phone", "category": "service",
            "severity": "normal", "summary": "接待不及时"})

        manager = floor.as_("manager")

        async def listed(path: str):
            r = await client.get(path, params=window, headers=manager)
            assert r.status_code == 200, r.text
            return r.json()["items"] or None

        assert [i["customer"] for i in await floor.until(lambda: listed("/v1/reports/discounts"), "the discount")] == [NAME]
        assert [i["customer"] for i in await floor.until(lambda: listed("/v1/reports/deal-changes"), "the cancel")] == [NAME]

        # the seal that travelled with lead.registered, taken from the stream before the erasure
        registered = [json.loads(m.data) for m in await stream_messages(settings, subject=f"{settings.subject_prefix}.{b}.lead.registered")]
        sealed = next(e["data"]["customer"]["phone_sealed"] for e in registered if e["data"]["lead_id"] == lead["id"])
        assert sealed.startswith("s2.") and PHONE not in sealed
        async with connected(settings) as keys:
            assert await DataKeys(keys.kv, settings, ttl=0).unseal(sealed) == E164

        # subject access before: every service that has something says so (and no full number)
        r = await client.get("/v1/privacy/subject-access", params={"phone": PHONE}, headers=group_admin)
        assert r.status_code == 200, r.text
        access = r.json()
        assert access["missing"] == [] and access["data_key"] is True and access["phone_masked"] == "139****0001"
        held = {s["service"]: {h["kind"]: h["count"] for h in s["holdings"]} for s in access["services"]}
        assert held["leads"]["leads"] == 1 and held["reception"]["visits"] == 1 and held["notify"]["messages"] >= 1
        assert held["deals"]["deals"] == 1 and held["customers"]["archives"] == 1 and held["customers"]["complaints"] == 1
        assert held["reports"]["rows"] == 2
        assert PHONE not in r.text and E164 not in r.text

        # -- refusals ---------------------------------------------------------------------------------------
        for who in (bearer(settings, "admin", [b], "admin-b"), manager, floor.as_("integrator")):
            r = await client.post("/v1/privacy/erasures", json={"phone": PHONE, "reason": "客户申请"}, headers=who)
            assert r.status_code == 403 and r.headers["content-type"].startswith("application/problem+json"), r.text
        r = await client.post("/v1/privacy/erasures", json={"phone": "12", "reason": "客户申请"}, headers=group_admin)
        assert r.status_code == 422, r.text
        r = await client.post("/v1/privacy/erasures", json={"phone": "not a phone", "reason": "客户申请"}, headers=group_admin)
        assert r.status_code == 422, r.text
        assert (await client.get("/v1/privacy/erasures/nope", headers=group_admin)).status_code == 404

        # -- the erasure ------------------------------------------------------------------------------------
        r = await client.post("/v1/privacy/erasures", json={"phone": PHONE, "reason": "客户书面申请删除个人信息"},
                              headers=group_admin)
        assert r.status_code == 202, r.text
        started = r.json()
        assert started["status"] == "running" and started["key_erased"] is True and started["branches"] == [b]
        assert started["phone_hash"] == phone_hash(E164, settings.phone_hash_key)

        async def finished():
            got = (await client.get(f"/v1/privacy/erasures/{started['id']}", headers=group_admin)).json()
            return got if got["status"] == "done" else None

        done = await floor.until(finished, "every service to answer", timeout=30)
        progress = {s["service"]: s for s in done["services"]}
        assert set(progress) == set(SERVICES) and all(s["status"] == "done" for s in progress.values())
        assert progress["leads"]["records"] >= 1 and progress["customers"]["records"] >= 3 and progress["deals"]["records"] >= 2
        assert progress["reports"]["records"] == 2 and progress["reception"]["records"] >= 1
        assert progress["notify"]["records"] >= 2 and progress["customers"]["service_name"] == "客户"
        assert done["finished_at"] is not None

        # no seal of the number opens any more, here or in a fresh process
        assert await app.state.contexts["leads"].keys.unseal(sealed) is None
        async with connected(settings) as keys:
            assert await DataKeys(keys.kv, settings, ttl=0).unseal(sealed) is None

        # leads: the lead and its follow-ups are gone; the other customer's stays
        assert (await client.get(f"/v1/leads/{lead['id']}", headers=manager)).status_code == 404
        assert (await client.get(f"/v1/leads/{kept['id']}", headers=manager)).status_code == 200
        # reception: the visit stays for the counts, anonymised
        seen = await floor.call("GET", f"/v1/visits/{visit['id']}", "manager")
        assert seen["visitor"]["name"] == ERASED_NAME and PHONE[-4:] not in json.dumps(seen)
        # notify: the message is gone, the opt-out stays without the number
        assert (await client.get(f"/v1/messages/{message['id']}", headers=manager)).status_code == 404
        notify = app.state.contexts["notify"]
        from crm_notify.optouts.service import is_opted_out
        assert await is_opted_out(notify.db, b, "sms", E164, "marketing"), "an opt-out survives the erasure"
        assert await notify.db.optouts.count_documents({"to": E164}) == 0
        # deals: the money and the unit stay, the buyer is anonymous
        kept_deal = await floor.call("GET", f"/v1/deals/{deal['id']}", "manager")
        assert kept_deal["customer_name"] == ERASED_NAME and kept_deal["agreed_price"] == "2800000.00"
        assert kept_deal["unit_id"] == unit["id"] and not kept_deal.get("phone_masked")
        # customers: the archive is gone, the complaint stays with an anonymous complainant
        assert (await client.get(f"/v1/archives/{archive['id']}", headers=manager)).status_code == 404
        kept_complaint = await floor.call("GET", f"/v1/complaints/{complaint['id']}", "manager")
        assert kept_complaint["number"] == complaint["number"] and NAME not in json.dumps(kept_complaint, ensure_ascii=False)
        # reports: the lists keep the lines, not the name
        assert [i["customer"] for i in await listed("/v1/reports/discounts")] == [ERASED_NAME]
        assert [i["customer"] for i in await listed("/v1/reports/deal-changes")] == [ERASED_NAME]

        # -- a rebuild replays the stream (whose deal events still carry the name) and keeps it out --------
        r = await client.post("/v1/reports/rebuild", headers=group_admin)
        assert r.status_code == 202, r.text
        generation = r.json()["generation"]

        async def switched():
            s = (await client.get("/v1/reports/rebuild", headers=group_admin)).json()
            return s if s["current"] == generation and s["last"]["state"] == "done" else None

        assert await eventually(switched, timeout=60), "rebuild did not finish"
        assert [i["customer"] for i in await listed("/v1/reports/discounts")] == [ERASED_NAME]
        assert [i["customer"] for i in await listed("/v1/reports/deal-changes")] == [ERASED_NAME]
        reports_db = app.state.contexts["reports"].db
        assert await _personal_traces(reports_db, NAME, PHONE, E164) == []
        for service in ("leads", "reception", "deals", "customers"):
            assert await _personal_traces(app.state.contexts[service].db, PHONE, E164) == [], service

        # subject access after: nothing personal left, the key gone, the erasure listed
        r = await client.get("/v1/privacy/subject-access", params={"phone": PHONE}, headers=group_admin)
        after = r.json()
        assert after["data_key"] is False and after["erasures"][0]["id"] == started["id"]
        held = {s["service"]: {h["kind"]: h["count"] for h in s["holdings"]} for s in after["services"]}
        assert "leads" not in held["leads"] and "archives" not in held["customers"] and "messages" not in held["notify"]
        assert NAME not in r.text and PHONE not in r.text

        # the same erasure asked again is harmless
        r = await client.post("/v1/privacy/erasures", json={"phone": PHONE, "reason": "重复申请"}, headers=group_admin)
        assert r.status_code == 202 and r.json()["key_erased"] is False
