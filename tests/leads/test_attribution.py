"""Channel reports, walk-ins from reception's visits, protection, expiry and disputes."""

import json
from datetime import timedelta

from crm_leads.timers import due_work
from crm_shared.events import new_event
from crm_shared.events.reception import SealedVisitor, VisitCheckedIn
from crm_shared.ids import utcnow
from crm_shared.phones import mask, normalize, phone_hash, seal, unseal
from tests.leads.builders import new_phone, office
from tests.support.runtime import eventually, publish_event, stream_messages


def visitor(o, phone: str, name: str = "王先生", sealed: bool = True) -> SealedVisitor:
    e164 = normalize(phone)
    return SealedVisitor(name=name, phone_masked=mask(e164), phone_hash=phone_hash(e164, o.settings.phone_hash_key),
                         phone_sealed=seal(e164, o.settings.phone_seal_key) if sealed else None)


def visit(o, phone: str, consultant: str | None, visit_id: str = "v1", sealed: bool = True, **extra):
    data = VisitCheckedIn(visit_id=visit_id, consultant_id=consultant, visitor=visitor(o, phone, sealed=sealed), **extra)
    return new_event(data, branch_id=o.branch, subject=visit_id)


async def events(settings, type_: str) -> list[dict]:
    return [d for d in (json.loads(m.data) for m in await stream_messages(settings)) if d["type"] == type_]


async def report(o, phone: str, partner: str = "p1", name: str = "王先生"):
    return await o.client.post("/v1/channel-reports", json={"branch_id": o.branch, "customer_name": name, "phone": phone},
                               headers=o.as_("partner", partner))


async def test_walk_in_visit_makes_one_lead_even_redelivered_twice(urls):
    async with office(urls) as o:
        cid = await o.add_staff("luo")
        phone = new_phone()
        env = visit(o, phone, cid)
        for suffix in ("", "-again", "-third"):
            await publish_event(o.settings, env, msg_id=env.id + suffix)
        assert await eventually(lambda: o.ctx.db.leads.find_one({"owner_id": cid}))
        marker = visit(o, new_phone(), cid, visit_id="v-marker")
        await publish_event(o.settings, marker)
        assert await eventually(lambda: o.ctx.db.leads.find_one({"visits": "v-marker"}))
        leads = await o.ctx.db.leads.find({"visits": "v1"}).to_list()
        assert len(leads) == 1
        lead = leads[0]
        assert lead["source"]["channel"] == "walk_in" and lead["status"] == "visited"
        assert lead["customer"]["phone"] == normalize(phone), "reception's sealed number is on the lead"
        registered = await eventually(lambda: events(o.settings, "lead.registered"))
        assert sum(e["data"]["lead_id"] == lead["_id"] for e in registered) == 1
        mine = [e for e in registered if e["data"]["lead_id"] == lead["_id"]][0]
        assert normalize(phone)[3:] not in json.dumps(mine), "the full number only sealed"
        assert unseal(mine["data"]["customer"]["phone_sealed"], o.settings.phone_seal_key) == normalize(phone)
        r = await o.client.get(f"/v1/leads/{lead['_id']}/phone", params={"reason": "call back"}, headers=o.as_("consultant", cid))
        assert r.status_code == 200 and r.json()["phone"] == normalize(phone)
        r = await o.client.post("/v1/leads", json=o.lead_body(phone), headers=o.manager)
        assert r.status_code == 409 and r.json()["existing_lead_id"] == lead["_id"], "the walk-in holds the phone"


async def test_a_walk_in_from_an_unsealed_or_foreign_sealed_visit_keeps_only_the_mask(urls):
    async with office(urls) as o:
        cid = await o.add_staff("luo")
        plain, foreign = new_phone(), new_phone()
        await publish_event(o.settings, visit(o, plain, cid, visit_id="v-plain", sealed=False))
        wrong = visit(o, foreign, cid, visit_id="v-foreign")
        wrong.data["visitor"]["phone_sealed"] = seal(normalize(foreign), "another group's key")
        await publish_event(o.settings, wrong)
        for vid in ("v-plain", "v-foreign"):
            lead = await eventually(lambda vid=vid: o.ctx.db.leads.find_one({"visits": vid}))
            assert lead["customer"]["phone"] is None and lead["customer"]["phone_masked"]
            r = await o.client.get(f"/v1/leads/{lead['_id']}/phone", headers=o.manager)
            assert r.status_code == 409 and r.json()["type"].endswith("/no-full-number")


async def test_returning_visitor_marks_the_open_lead_visited(urls):
    async with office(urls) as o:
        cid = await o.add_staff("luo")
        phone = new_phone()
        lead = await o.register(o.as_("consultant", cid), phone)
        env = visit(o, phone, "someone-else", visit_id="v9", returning=True)
        await publish_event(o.settings, env)
        await publish_event(o.settings, env, msg_id=env.id + "-dup")
        doc = await eventually(lambda: o.ctx.db.leads.find_one({"_id": lead["id"], "visits": "v9"}))
        assert doc["status"] == "visited" and doc["owner_id"] == cid and doc["version"] == 2
        assert await o.ctx.db.leads.count_documents({}) == 1


async def test_first_report_wins_then_visit_confirms_and_won_credits_partner(urls):
    async with office(urls, protection_days=30) as o:
        cid = await o.add_staff("luo")
        phone = new_phone()
        r = await report(o, phone, "p1")
        assert r.status_code == 201 and r.json()["status"] == "accepted" and "*" in r.json()["phone_masked"]
        rid = r.json()["id"]
        r = await report(o, phone, "p2")
        assert r.status_code == 409 and r.json()["type"].endswith("/report-conflict")
        masked = mask(normalize(phone))
        r = await report(o, masked, "p3")
        assert r.status_code == 409, "a masked report with the same mask and name conflicts too"
        r = await report(o, masked, "p3", name="李女士")
        assert r.status_code == 201, "same mask, other name: another customer"
        await publish_event(o.settings, visit(o, phone, cid, visit_id="v-p"))
        rep = await eventually(lambda: o.ctx.db.channel_reports.find_one({"_id": rid, "status": "confirmed"}))
        lead = await eventually(lambda: o.ctx.db.leads.find_one({"visits": "v-p", "attribution.partner_id": "p1"}))
        assert lead["source"]["partner_id"] == "p1" and rep["lead_id"] == lead["_id"]
        assert rep["protection_until"] - rep["first_visit_at"] == timedelta(days=30)
        r = await o.client.get(f"/v1/channel-reports/{rid}", headers=o.as_("partner", "p1"))
        assert r.json()["status"] == "confirmed" and r.json()["protection_until"]
        r = await o.client.get(f"/v1/channel-reports/{rid}", headers=o.as_("partner", "p2"))
        assert r.status_code == 404, "partners see only their own reports"
        r = await o.client.get("/v1/channel-reports", params={"branch_id": "b1"}, headers=o.as_("partner", "p2"))
        assert [x["status"] for x in r.json()["items"]] == ["rejected"]
        r = await o.client.post(f"/v1/leads/{lead['_id']}/close", json={"outcome": "won", "amount": 1}, headers=o.as_("consultant", cid))
        assert r.status_code == 200
        won = await eventually(lambda: events(o.settings, "lead.won"))
        assert won[0]["data"]["partner_id"] == "p1"
        confirmed = await events(o.settings, "channel_report.confirmed")
        assert confirmed[0]["data"]["lead_id"] == lead["_id"]


async def test_report_rejected_when_an_open_lead_exists(urls):
    async with office(urls) as o:
        phone = new_phone()
        await o.register(o.manager, phone)
        r = await report(o, phone)
        assert r.status_code == 409 and r.json()["reason"] == "open_lead"
        assert await eventually(lambda: events(o.settings, "channel_report.rejected"))


async def test_report_expires_and_frees_the_customer_visit_after_expiry_does_not_confirm(urls):
    async with office(urls, report_valid_days=7, report_lapse_days=7) as o:  # validity alone: no lapse comes first
        phone = new_phone()
        r = await report(o, phone, "p1")
        rid = r.json()["id"]
        rep = await o.ctx.db.channel_reports.find_one({"_id": rid})
        assert (await due_work(o.ctx, rep["expires_at"] - timedelta(seconds=1)))["reports_expired"] == 0
        assert (await due_work(o.ctx, rep["expires_at"] + timedelta(seconds=1)))["reports_expired"] == 1
        assert (await o.ctx.db.channel_reports.find_one({"_id": rid}))["status"] == "expired"
        assert await eventually(lambda: events(o.settings, "channel_report.expired"))
        assert (await report(o, phone, "p2")).status_code == 201, "expired reports free the customer"


async def test_won_after_protection_credits_nobody(urls):
    from crm_leads.channel_reports.rules import credited_partner
    now = utcnow()
    assert credited_partner({"partner_id": "p1", "protection_until": now}, now + timedelta(seconds=1)) is None
    assert credited_partner({"partner_id": "p1", "protection_until": now}, now) == "p1"


async def test_dispute_flow_with_working_day_deadline(urls):
    async with office(urls) as o:
        cid = await o.add_staff("luo")
        phone = new_phone()
        rid = (await report(o, phone, "p1")).json()["id"]
        await publish_event(o.settings, visit(o, phone, cid, visit_id="v-d"))
        lead = await eventually(lambda: o.ctx.db.leads.find_one({"visits": "v-d", "attribution.partner_id": "p1"}))
        r = await o.client.post("/v1/attribution-disputes", json={"report_id": rid, "claim": "ours"}, headers=o.as_("partner", "p2"))
        assert r.status_code == 404, "a partner disputes only through its own reports"
        assert (await report(o, new_phone(), "p2", name="另一位客户")).status_code == 201  # p2 works with this branch
        r = await o.client.post("/v1/attribution-disputes", json={"lead_id": lead["_id"], "claim": "p2 brought them first"},
                                headers=o.manager)
        assert r.status_code == 201, r.text
        dispute = r.json()
        assert dispute["deadline"] > dispute["created_at"]
        deadline = (await o.ctx.db.disputes.find_one({"_id": dispute["id"]}))["deadline"]
        assert (await due_work(o.ctx, deadline - timedelta(minutes=1)))["disputes_escalated"] == 0
        assert (await due_work(o.ctx, deadline + timedelta(minutes=1)))["disputes_escalated"] == 1
        assert (await due_work(o.ctx, deadline + timedelta(minutes=2)))["disputes_escalated"] == 0
        r = await o.client.post(f"/v1/attribution-disputes/{dispute['id']}/decision", json={"winner": "p2", "reason": "CCTV"},
                                headers=o.as_("partner", "p1"))
        assert r.status_code == 403
        r = await o.client.post(f"/v1/attribution-disputes/{dispute['id']}/decision",
                                json={"winner": "p-of-another-branch", "reason": "x"}, headers=o.manager)
        assert r.status_code == 422 and r.json()["type"].endswith("/unknown-winner"), "D8: the winner exists in the branch"
        r = await o.client.post(f"/v1/attribution-disputes/{dispute['id']}/decision", json={"winner": "p2", "reason": "CCTV"},
                                headers=o.manager)
        assert r.status_code == 200 and r.json()["decided_by"] == "mgr-1" and r.json()["winner"] == "p2"
        assert (await o.lead(lead["_id"]))["attribution"]["partner_id"] == "p2"
        r = await o.client.post(f"/v1/attribution-disputes/{dispute['id']}/decision", json={"winner": None, "reason": "x"},
                                headers=o.manager)
        assert r.status_code == 409
        types = await eventually(lambda: _all(o.settings, {"attribution.disputed", "attribution.dispute_overdue", "attribution.decided"}))
        assert types


async def _all(settings, wanted):
    return wanted <= {json.loads(m.data)["type"] for m in await stream_messages(settings)}


async def test_a_walk_in_who_waited_belongs_to_the_consultant_who_served_them(urls):
    """The lead made at a waiting check-in goes to the consultant reception assigns (visit.assigned),
    not to the assigner's pick; a lead a manager assigned meanwhile stays where the manager put it."""
    from crm_shared.events.reception import VisitAssigned

    async with office(urls) as o:
        first, serving, chosen = [await o.add_staff(n) for n in ("luo", "ma", "zhou")]
        env = visit(o, new_phone(), None, visit_id="v-wait", status="waiting")
        await publish_event(o.settings, env)
        lead = await eventually(lambda: o.ctx.db.leads.find_one({"visits": "v-wait"}))
        assert lead["owner_id"] in (first, serving, chosen)
        assigned = VisitAssigned(visit_id="v-wait", consultant_id=serving, waited_seconds=300, assigned_by="rotation")
        await publish_event(o.settings, new_event(assigned, branch_id=o.branch, subject="v-wait"))
        assert await eventually(lambda: o.ctx.db.leads.find_one({"_id": lead["_id"], "owner_id": serving}))

        other = visit(o, new_phone(), None, visit_id="v-wait2", status="waiting")
        await publish_event(o.settings, other)
        lead2 = await eventually(lambda: o.ctx.db.leads.find_one({"visits": "v-wait2"}))
        r = await o.client.post(f"/v1/leads/{lead2['_id']}/assign", json={"owner_id": chosen}, headers=o.manager)
        assert r.status_code == 200, r.text
        await publish_event(o.settings, new_event(VisitAssigned(visit_id="v-wait2", consultant_id=serving),
                                                  branch_id=o.branch, subject="v-wait2"))
        marker = visit(o, new_phone(), first, visit_id="v-marker2")
        await publish_event(o.settings, marker)
        assert await eventually(lambda: o.ctx.db.leads.find_one({"visits": "v-marker2"}))
        assert (await o.ctx.db.leads.find_one({"_id": lead2["_id"]}))["owner_id"] == chosen
