"""Complaints (客户投诉) against the real stack: numbering under concurrency, the flow from intake to closing
and reopening, the deadlines timer with a controlled clock (and a restart), scope and roles, bad input."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from crm_shared.events.deals import DealSigned
from crm_shared.ids import utcnow, uuid7
from crm_shared.sealing import unseal_with
from crm_customers.complaints import deadlines, rules
from crm_customers.plugin import CustomersService
from crm_customers.settings import CustomersSettings
from tests.customers.care_office import NORTH, SOUTH, Care, care, new_phone
from tests.support.runtime import eventually, running

BODY = {"branch_id": NORTH, "channel": "phone", "category": "quality", "severity": "normal",
        "summary": "交房时发现客厅墙面开裂，要求维修"}


def body(**over) -> dict:
    return {**BODY, "customer": {"name": "李女士", "phone": new_phone()}, **over}


async def received(o: Care, who: str = "desk", **over) -> dict:
    r = await o.client.post("/v1/complaints", json=body(**over), headers=o.auth(who))
    assert r.status_code == 201, r.text
    return r.json()


async def test_ten_simultaneous_intakes_get_001_to_010_and_the_customer_is_told_the_number(urls):
    async with care(urls) as o:
        phones = [new_phone() for _ in range(10)]
        answers = await asyncio.gather(*(o.client.post("/v1/complaints", headers=o.auth(who), json={
            **BODY, "severity": "major" if i % 2 else "normal", "customer": {"name": "李女士", "phone": p}})
            for i, (p, who) in enumerate(zip(phones, ["desk", "c1", "cashier", "manager", "c2"] * 2))))
        assert [a.status_code for a in answers] == [201] * 10, [a.text for a in answers if a.status_code != 201]
        month = rules.month_key(utcnow(), "Asia/Shanghai")
        assert sorted(a.json()["number"] for a in answers) == [f"{month}-{i:03d}" for i in range(1, 11)]
        for a in answers:
            c = a.json()
            assert c["status"] == "received" and c["status_name"] == "已受理" and c["channel_name"] == "电话"
            assert c["customer"]["phone_masked"].count("*") == 4
            stored = await o.db.complaints.find_one({"_id": c["id"]})
            assert stored["report_due_at"] - stored["received_at"] == timedelta(days=3)
            assert stored["due_at"] - stored["received_at"] == timedelta(days=3 if c["severity"] == "major" else 7)
            assert "phone" not in stored["customer"] and stored["customer"]["phone_sealed"].startswith("s2.")
        # another branch numbers on its own
        south = (await o.client.post("/v1/complaints", json=body(branch_id=SOUTH), headers=o.auth("desk", SOUTH))).json()
        assert south["number"] == f"{month}-001"
        events = [e for e in await eventually(lambda: _received(o, 11)) if e["complaint_id"] != south["id"]]
        assert sorted(e["number"] for e in events) == [f"{month}-{i:03d}" for i in range(1, 11)]
        sealed = {await unseal_with(o.settings, e["customer"]["phone_sealed"]) for e in events}
        assert sealed == {"+86" + p for p in phones}
        assert all(e["customer"]["phone_masked"] and "phone" not in e["customer"] for e in events)


async def _received(o: Care, n: int):
    found = await o.events("complaint.received")
    return found if len(found) >= n else None


async def test_from_intake_to_closing_and_reopening(urls):
    async with care(urls) as o:
        archive = await o.archive()
        c = await received(o, archive_id=archive["_id"], customer=None, severity="major")
        assert c["customer"]["name"] == "王先生" and c["customer"]["phone_masked"] == archive["customer"]["phone_masked"]
        assert c["archive_id"] == archive["_id"]
        url, boss = f"/v1/complaints/{c['id']}", o.auth("manager")
        # a report before anyone investigates: 409
        early = await o.client.post(f"{url}/report", headers=boss, json={"cause": "a", "responsibility": "b", "proposal": "c"})
        assert early.status_code == 409
        r = await o.client.post(f"{url}/assign", headers=boss | {"If-Match": str(c["version"])},
                                json={"assignee_id": o.staff_id("c2")})
        assert r.status_code == 200 and r.json()["status"] == "investigating" and r.json()["assignee_name"] == "c2north"
        stale = await o.client.post(f"{url}/assign", headers=boss | {"If-Match": str(c["version"])},
                                    json={"assignee_id": o.staff_id("c1")})
        assert stale.status_code == 412
        r = await o.client.post(f"{url}/report", headers=o.auth("c2"),
                                json={"cause": "墙面抹灰养护不足", "responsibility": "施工单位", "proposal": "重新抹灰"})
        assert r.status_code == 200 and r.json()["report"]["on_time"] is True
        r = await o.client.post(f"{url}/actions", headers=o.auth("c2"),
                                json={"what": "交房前增加墙面验收", "owner_id": o.staff_id("c1"), "due": "2031-01-31"})
        assert r.status_code == 201
        action = r.json()["actions"][0]
        assert action["owner_name"] == "c1north" and action["due"] == "2031-01-31" and action["done_at"] is None
        # closing before the report is approved: 409
        close = {"customer_response": "satisfied", "resolution": {"kind": "repair", "note": "已修复"}}
        assert (await o.client.post(f"{url}/close", headers=boss, json=close)).status_code == 409
        r = await o.client.post(f"{url}/report/approve", headers=boss, json={})
        assert r.status_code == 200 and r.json()["status"] == "responded"
        # a refund names the deal, one of the branch's
        refund = {"customer_response": "unsatisfied", "resolution": {"kind": "refund", "note": "协商退房"}}
        assert (await o.client.post(f"{url}/close", headers=boss, json=refund)).status_code == 422
        assert (await o.client.post(f"{url}/close", headers=boss, json=refund | {"deal_id": uuid7()})).status_code == 422
        deal = uuid7()
        await o.emit(DealSigned(deal_id=deal, lead_id=uuid7(), unit_id="u1", agreed_price=100, contract_no="HT-1",
                                signed_at=utcnow()))
        assert await eventually(lambda: o.db.deal_copies.find_one({"_id": deal}))
        r = await o.client.post(f"{url}/close", headers=boss, json=refund | {"deal_id": deal})
        assert r.status_code == 200, r.text
        closed = r.json()
        assert closed["status"] == "closed" and closed["deal_id"] == deal
        assert closed["closing"]["resolution"] == "refund" and closed["closing"]["resolution_name"] == "退款退房"
        # the action is still tracked to done after closing
        r = await o.client.post(f"{url}/actions/{action['id']}/done", headers=o.auth("c2"), json={"note": "已落实"})
        assert r.status_code == 200 and r.json()["actions"][0]["done_by"] == o.staff_id("c2")
        again = await o.client.post(f"{url}/actions/{action['id']}/done", headers=o.auth("c2"), json={})
        assert again.status_code == 409
        r = await o.client.post(f"{url}/reopen", headers=boss, json={"reason": "问题复发"})
        reopened = r.json()
        assert r.status_code == 200 and reopened["status"] == "reopened" and reopened["report"] is None
        assert reopened["due_at"] > c["due_at"] and reopened["reopened_count"] == 1
        detail = (await o.client.get(url, headers=boss)).json()
        assert [h["what"] for h in detail["history"]] == ["received", "assigned", "report_filed", "action_added",
                                                          "report_approved", "closed", "action_done", "reopened"]
        assert detail["history"][1]["by_name"] == "managernorth" and detail["history"][1]["what_name"] == "指派"
        types = {e["type"] for e in await eventually(lambda: _types(o, 7))}
        assert {"complaint.received", "complaint.assigned", "complaint.report_filed", "complaint.report_approved",
                "complaint.closed", "complaint.action_done", "complaint.reopened"} <= types
        closed_event = (await o.events("complaint.closed"))[0]
        assert closed_event["resolution_kind"] == "refund" and closed_event["deal_id"] == deal


async def _types(o: Care, n: int):
    from tests.support.runtime import stream_messages
    import json
    found = [json.loads(m.data) for m in await stream_messages(o.settings)]
    found = [e for e in found if e["type"].startswith("complaint.")]
    return found if len({e["type"] for e in found}) >= n else None


async def test_each_missed_deadline_raises_one_overdue_none_after_closing_none_twice_after_a_restart(urls):
    async with care(urls) as o:
        late = await received(o)  # normal: report due in 3 days, handling in 7
        done = await received(o, severity="major")
        ctx = o.ctx
        t0 = utcnow()
        late_report_due = (await o.db.complaints.find_one({"_id": late["id"]}))["report_due_at"]
        assert await deadlines.raise_overdue(ctx, t0 + timedelta(days=2)) == 0
        # the major one is handled in time: assigned, reported, approved, closed
        url, boss = f"/v1/complaints/{done['id']}", o.auth("manager")
        await o.client.post(f"{url}/assign", headers=boss, json={"assignee_id": o.staff_id("c1")})
        await o.client.post(f"{url}/report", headers=o.auth("c1"), json={"cause": "a", "responsibility": "b", "proposal": "c"})
        await o.client.post(f"{url}/report/approve", headers=boss, json={})
        r = await o.client.post(f"{url}/close", headers=boss, json={"customer_response": "satisfied",
                                                                     "resolution": {"kind": "apology", "note": "致歉"}})
        assert r.status_code == 200, r.text
        after_report = t0 + timedelta(days=3, minutes=5)
        assert await deadlines.raise_overdue(ctx, after_report) == 1  # the late one's report deadline only
        assert await deadlines.raise_overdue(ctx, after_report + timedelta(hours=1)) == 0
        # the list's `overdue=true` judges by the real time: move the late one's report deadline into the past
        await o.db.complaints.update_one({"_id": late["id"]}, {"$set": {"report_due_at": t0 - timedelta(hours=1)}})
        listed = (await o.client.get("/v1/complaints", params={"overdue": "true"}, headers=boss)).json()["items"]
        assert [(c["id"], c["overdue"]) for c in listed] == [(late["id"], ["report"])]
        in_time = (await o.client.get("/v1/complaints", params={"overdue": "false"}, headers=boss)).json()["items"]
        assert [c["id"] for c in in_time] == [done["id"]]  # closed
        await o.db.complaints.update_one({"_id": late["id"]}, {"$set": {"report_due_at": late_report_due}})
        settings = o.settings
    # a restart on the same store: the flags live with the complaints
    async with running([CustomersService(CustomersSettings(timers=False))], settings) as (app, client):
        ctx = app.state.contexts["customers"]
        assert await deadlines.raise_overdue(ctx, after_report + timedelta(hours=2)) == 0
        after_handling = t0 + timedelta(days=7, minutes=5)
        assert await deadlines.raise_overdue(ctx, after_handling) == 1
        assert await deadlines.raise_overdue(ctx, after_handling + timedelta(days=30)) == 0
        o2 = Care(settings, app, client)
        overdue = await eventually(lambda: _at_least(o2, "complaint.overdue", 2))
        assert sorted((e["complaint_id"], e["deadline"]) for e in overdue) == sorted(
            [(late["id"], "report"), (late["id"], "handling")])
        assert all(e["escalated_to"] == [o2.staff_id("manager")] for e in overdue)
        detail = (await client.get(f"/v1/complaints/{late['id']}", headers=o2.auth("manager"))).json()
        assert detail["report_overdue_at"] and detail["handling_overdue_at"]
        assert [h["note"] for h in detail["history"] if h["what"] == "overdue"] == ["调查报告", "处理时限"]


async def _at_least(o: Care, type_: str, n: int):
    found = await o.events(type_)
    return found if len(found) >= n else None


async def test_who_sees_and_does_what(urls):
    async with care(urls) as o:
        by_c1 = await received(o, "c1")
        by_desk = await received(o, "desk")
        r = await o.client.post("/v1/complaints", json=body(branch_id=SOUTH), headers=o.auth("desk", SOUTH))
        foreign = r.json()
        get = lambda cid, who, branch=NORTH: o.client.get(f"/v1/complaints/{cid}", headers=o.auth(who, branch))  # noqa: E731
        assert (await get(by_c1["id"], "c1")).status_code == 200
        assert (await get(by_c1["id"], "c2")).status_code == 404  # a colleague's: not theirs
        assert (await get(by_c1["id"], "desk")).status_code == 404
        assert (await get(by_desk["id"], "desk")).status_code == 200
        assert (await get(by_c1["id"], "manager")).status_code == 200
        assert (await get(foreign["id"], "manager")).status_code == 404  # another branch's
        assert (await get(by_c1["id"], "partner")).status_code == 403
        assert (await get(by_c1["id"], "integrator")).status_code == 403
        assert (await o.client.post("/v1/complaints", json=body(), headers=o.auth("partner"))).status_code == 403
        assert (await o.client.post("/v1/complaints", json=body(branch_id=SOUTH), headers=o.auth("c1"))).status_code == 404
        mine = (await o.client.get("/v1/complaints", headers=o.auth("c1"))).json()["items"]
        assert [c["id"] for c in mine] == [by_c1["id"]]
        everyone = (await o.client.get("/v1/complaints", headers=o.auth("manager"))).json()["items"]
        assert {c["id"] for c in everyone} == {by_c1["id"], by_desk["id"]}
        assert (await o.client.get("/v1/complaints", params={"branch_id": SOUTH}, headers=o.auth("manager"))).status_code == 404
        url = f"/v1/complaints/{by_c1['id']}"
        assert (await o.client.post(f"{url}/assign", headers=o.auth("c1"), json={"assignee_id": o.staff_id("c1")})).status_code == 403
        # a staff member of another branch is not an assignee
        wrong = await o.client.post(f"{url}/assign", headers=o.auth("manager"), json={"assignee_id": o.staff_id("c1", SOUTH)})
        assert wrong.status_code == 422
        await o.client.post(f"{url}/assign", headers=o.auth("manager"), json={"assignee_id": o.staff_id("c2")})
        assert (await get(by_c1["id"], "c2")).status_code == 200  # the assignee now sees it
        report = {"cause": "a", "responsibility": "b", "proposal": "c"}
        assert (await o.client.post(f"{url}/report", headers=o.auth("c1"), json=report)).status_code == 403
        assert (await o.client.post(f"{url}/report", headers=o.auth("c2"), json=report)).status_code == 200
        assert (await o.client.post(f"{url}/report/approve", headers=o.auth("c2"), json={})).status_code == 403
        assigned = (await o.client.get("/v1/complaints", params={"assignee_id": o.staff_id("c2")},
                                       headers=o.auth("manager"))).json()["items"]
        assert [c["id"] for c in assigned] == [by_c1["id"]]


async def test_bad_input_is_refused_and_stores_nothing(urls):
    async with care(urls) as o:
        south_archive = await o.archive(SOUTH)
        headers = o.auth("desk") | {"content-type": "application/json"}
        bad = [
            b"{not json",
            b'{"branch_id": "care-north"}',
            body(channel="fax"), body(category="price"), body(severity="urgent"),
            body(summary="a\x00b"), body(summary="x" * 5000), body(summary="   "),
            {**BODY},  # nobody named
            body(customer={"name": "李女士", "phone": "12"}),
            body(archive_id=south_archive["_id"], customer=None),  # another branch's archive
            body(deal_id=uuid7()),  # no such deal in the branch
            body(branch_id="Bad Branch"),
            body(extra="x"),
        ]
        for b in bad:
            content = b if isinstance(b, bytes) else __import__("json").dumps(b).encode()
            r = await o.client.post("/v1/complaints", content=content, headers=headers)
            assert 400 <= r.status_code < 500, (b, r.status_code, r.text)
            assert r.headers["content-type"].startswith("application/problem+json")
        assert await o.db.complaints.count_documents({}) == 0
        assert await o.db.complaint_counters.count_documents({}) == 0
        ok = await received(o)
        month = rules.month_key(utcnow(), "Asia/Shanghai")
        assert ok["number"] == f"{month}-001"  # refused requests took no number
        url = f"/v1/complaints/{ok['id']}"
        for path, payload in ((f"{url}/assign", {"assignee_id": "nobody"}), (f"{url}/assign", {}),
                              (f"{url}/reopen", {"reason": ""}), (f"{url}/close", {"customer_response": "happy"})):
            r = await o.client.post(path, json=payload, headers=o.auth("manager"))
            assert 400 <= r.status_code < 500, (path, r.text)
        stored = await o.db.complaints.find_one({"_id": ok["id"]})
        assert stored["version"] == 1 and stored["status"] == "received"
        again = await o.client.post("/v1/complaints", json=body(), headers=o.auth("desk") | {"Idempotency-Key": "k1"})
        repeat = await o.client.post("/v1/complaints", json={}, headers=o.auth("desk") | {"Idempotency-Key": "k2"})
        assert again.status_code == 201 and repeat.status_code == 422


async def test_a_complaint_may_name_the_customer_by_lead_of_its_own_branch_only(urls):
    from crm_shared.events.leads import LeadRegistered, LeadSource, MaskedCustomer
    from crm_shared.phones import mask, normalize, phone_hash

    async with care(urls) as o:
        leads = {}
        for branch in (NORTH, SOUTH):
            e164 = normalize(new_phone())
            lead_id = uuid7()
            await o.emit(LeadRegistered(lead_id=lead_id, source=LeadSource(channel="walk_in"), customer=MaskedCustomer(
                name="赵先生", phone_masked=mask(e164), phone_hash=phone_hash(e164, o.settings.phone_hash_key))),
                branch, lead_id)
            leads[branch] = (lead_id, e164)
        for lead_id, _ in leads.values():
            assert await eventually(lambda lead_id=lead_id: o.db.lead_copies.find_one({"_id": lead_id}))
        foreign = await o.client.post("/v1/complaints", json={**BODY, "lead_id": leads[SOUTH][0]}, headers=o.auth("c1"))
        assert foreign.status_code == 422 and foreign.json()["type"].endswith("/unknown-lead")
        assert await o.db.complaints.count_documents({}) == 0
        c = await received(o, "c1", lead_id=leads[NORTH][0], customer=None)
        assert c["lead_id"] == leads[NORTH][0] and c["customer"] == {"name": "赵先生", "phone_masked": mask(leads[NORTH][1])}
        [event] = await eventually(lambda: _received(o, 1))
        assert event["customer"]["phone_hash"] == phone_hash(leads[NORTH][1], o.settings.phone_hash_key)
        assert event["lead_id"] == leads[NORTH][0]
