"""Attribution as the trade practises it (003 客户界定确认及归属制度, issue 16): both mask forms, the
partner's follow-up log and the lapse without one, same-day arrivals (带团直接进场), renewal of a
confirmation, a second report of a taken customer refused with its reason, the desk's view."""

from datetime import UTC, datetime, timedelta

from crm_leads.channel_reports import service, upkeep
from crm_leads.channel_reports.models import FollowUpIn, ReportIn
from crm_leads.context import load_branch
from crm_leads.timers import due_work
from crm_shared.errors import Conflict
from crm_shared.events import new_event
from crm_shared.events.reception import VisitCheckedIn
from crm_shared.http.auth import Principal
from crm_shared.phones import mask, normalize, phone_hash
from tests.leads.builders import new_phone, office
from tests.leads.test_attribution import events, report, visit, visitor
from tests.support.runtime import eventually, publish_event

MORNING = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)  # 09:00 in Shanghai


def four_five(phone: str) -> str:
    return f"{phone[:4]}**{phone[-5:]}"


async def report_of(o, rid: str) -> dict:
    return await o.ctx.db.channel_reports.find_one({"_id": rid})


async def test_both_mask_forms_against_full_numbers_and_each_other(urls):
    async with office(urls) as o:
        phone = new_phone()
        r = await report(o, four_five(phone), "p1")
        assert r.status_code == 201, r.text
        assert r.json()["phone_masked"] == four_five(phone) and r.json()["status"] == "accepted"
        for other in (phone, mask(normalize(phone)), four_five(phone)):
            r = await report(o, other, "p2")
            assert r.status_code == 409 and r.json()["reason"] == "reported_first", other
        differs = phone[:3] + str((int(phone[3]) + 1) % 10) + phone[4:]
        r = await report(o, four_five(differs), "p3")
        assert r.status_code == 201, "a 4th digit the first mask shows otherwise: another customer"
        r = await report(o, f"{phone[:4]}****{phone[-4:]}", "p4")
        assert r.status_code == 422, "1381****5678 is no mask the trade uses"

        full = new_phone()
        assert (await report(o, full, "p1", name="李女士")).status_code == 201
        r = await report(o, mask(normalize(full)), "p2", name="李 女士")
        assert r.status_code == 409, "a 3+4 mask meets the full number (name without spaces)"
        not_it = full[:6] + str((int(full[6]) + 1) % 10) + full[7:]
        r = await report(o, four_five(not_it), "p2", name="李女士")
        assert r.status_code == 201, "the 7th digit the 4+5 mask shows is not the full number's"


async def test_a_4_plus_5_report_is_matched_by_the_customers_registration_and_visit(urls):
    async with office(urls) as o:
        cid = await o.add_staff("luo")
        phone, walk_in = new_phone(), new_phone()
        rid = (await report(o, four_five(phone), "p1")).json()["id"]
        lead = await o.register(o.as_("consultant", cid), phone)
        assert lead["attribution"]["partner_id"] == "p1" and lead["source"]["partner_id"] == "p1"
        wid = (await report(o, four_five(walk_in), "p2", name="陈女士")).json()["id"]
        env = new_event(VisitCheckedIn(visit_id="v-45", consultant_id=cid, visitor=visitor(o, walk_in, name="陈女士")),
                        branch_id=o.branch, subject="v-45")
        await publish_event(o.settings, env)
        confirmed = await eventually(lambda: o.ctx.db.channel_reports.find_one({"_id": wid, "status": "confirmed"}))
        assert confirmed["lead_id"] and (await report_of(o, rid))["lead_id"] == lead["id"]

        masked = new_phone()
        other = masked[:3] + str((int(masked[3]) + 1) % 10) + masked[4:]  # same 3+4 core, another 4th digit
        mid = (await report(o, four_five(masked), "p3", name="赵女士")).json()["id"]
        env = new_event(VisitCheckedIn(visit_id="v-other", consultant_id=cid, visitor=visitor(o, other, name="赵女士")),
                        branch_id=o.branch, subject="v-other")
        await publish_event(o.settings, env)
        walked = await eventually(lambda: o.ctx.db.leads.find_one({"visits": "v-other"}))
        assert walked["attribution"] is None and (await report_of(o, mid))["status"] == "accepted", \
            "the visitor's 4th digit is not the one the 4+5 mask shows"


async def test_a_report_lapses_after_five_days_without_a_partner_follow_up(urls):
    async with office(urls, report_valid_days=30) as o:
        phone = new_phone()
        rid = (await report(o, phone, "p1")).json()["id"]
        t0 = (await report_of(o, rid))["created_at"]
        assert (await due_work(o.ctx, t0 + timedelta(days=5) - timedelta(seconds=1)))["reports_lapsed"] == 0
        assert (await due_work(o.ctx, t0 + timedelta(days=5)))["reports_lapsed"] == 1
        doc = await report_of(o, rid)
        assert doc["status"] == "expired" and doc["reason"] == "no_follow_up"
        lapsed = await eventually(lambda: events(o.settings, "channel_report.expired"))
        assert lapsed[0]["data"]["reason"] == "no_follow_up"
        r = await o.client.get("/v1/channel-reports", params={"branch_id": o.branch}, headers=o.as_("partner", "p1"))
        assert [(x["status"], x["reason"]) for x in r.json()["items"]] == [("expired", "no_follow_up")]
        r = await o.client.post(f"/v1/channel-reports/{rid}/follow-ups", json={"note": "回访"}, headers=o.as_("partner", "p1"))
        assert r.status_code == 409 and r.json()["type"].endswith("/report-not-live")
        assert (await report(o, phone, "p1")).status_code == 201, "reported again, it is the partner's again"


async def test_a_follow_up_keeps_the_report_live_five_days_from_it(urls):
    async with office(urls, report_valid_days=30, report_lapse_days=5) as o:
        phone = new_phone()
        r = await o.client.post("/v1/channel-reports/none/follow-ups", json={"note": "x"}, headers=o.as_("partner", "p1"))
        assert r.status_code == 404
        rid = (await report(o, phone, "p1")).json()["id"]
        r = await o.client.post(f"/v1/channel-reports/{rid}/follow-ups", json={"note": "电话回访，周六来看房"},
                                headers=o.as_("partner", "p1"))
        assert r.status_code == 201, r.text
        assert r.json()["by"] == "p1" and r.json()["follow_up_due_at"]
        r = await o.client.post(f"/v1/channel-reports/{rid}/follow-ups", json={"note": "x"}, headers=o.as_("partner", "p2"))
        assert r.status_code == 404, "another partner's report"
        r = await o.client.post(f"/v1/channel-reports/{rid}/follow-ups", json={"note": "x"}, headers=o.manager)
        assert r.status_code == 403, "the partner keeps its report alive, not the office"
        future = (datetime.now(UTC) + timedelta(hours=2)).isoformat()
        r = await o.client.post(f"/v1/channel-reports/{rid}/follow-ups", json={"note": "x", "at": future},
                                headers=o.as_("partner", "p1"))
        assert r.status_code == 422
        doc = await report_of(o, rid)
        t0, branch = doc["created_at"], await load_branch(o.ctx, o.branch)
        partner = Principal(sub="p1", role="partner", branches=[o.branch])
        await upkeep.follow_up(o.ctx, branch, doc, FollowUpIn(note="微信沟通", at=t0 + timedelta(days=4)), partner,
                               now=t0 + timedelta(days=4))
        assert (await due_work(o.ctx, t0 + timedelta(days=8, hours=23)))["reports_lapsed"] == 0
        assert (await due_work(o.ctx, t0 + timedelta(days=9)))["reports_lapsed"] == 1
        r = await o.client.get(f"/v1/channel-reports/{rid}/follow-ups", headers=o.manager)
        assert [e["note"] for e in r.json()["items"]] == ["微信沟通", "电话回访，周六来看房"]
        followed = await eventually(lambda: events(o.settings, "channel_report.followed_up"))
        assert len(followed) == 2


async def test_a_confirmation_is_renewed_only_in_its_last_ten_days_for_two_months(urls):
    async with office(urls, protection_days=60, report_lapse_days=90) as o:
        cid = await o.add_staff("luo")
        phone = new_phone()
        rid = (await report(o, phone, "p1")).json()["id"]
        await publish_event(o.settings, visit(o, phone, cid, visit_id="v-renew"))
        doc = await eventually(lambda: o.ctx.db.channel_reports.find_one({"_id": rid, "status": "confirmed"}))
        until = doc["protection_until"]
        r = await o.client.post(f"/v1/channel-reports/{rid}/renew", headers=o.as_("partner", "p1"))
        assert r.status_code == 409 and r.json()["type"].endswith("/renewal-too-early")
        assert datetime.fromisoformat(r.json()["renewable_from"]) == until - timedelta(days=10)
        assert (await o.client.post(f"/v1/channel-reports/{rid}/renew", headers=o.as_("partner", "p2"))).status_code == 404
        partner = Principal(sub="p1", role="partner", branches=[o.branch])
        renewed = await upkeep.renew(o.ctx, doc, partner, now=until - timedelta(days=9))
        assert renewed["protection_until"] > until + timedelta(days=58) and renewed["protection_until"] < until + timedelta(days=63)
        lead = await o.ctx.db.leads.find_one({"visits": "v-renew"})
        assert lead["attribution"]["protection_until"] == renewed["protection_until"], "the lead's protection follows"
        r = await o.client.get(f"/v1/channel-reports/{rid}", headers=o.as_("partner", "p1"))
        assert r.json()["renewal_count"] == 1
        assert await eventually(lambda: events(o.settings, "channel_report.renewed"))
        try:
            await upkeep.renew(o.ctx, renewed, partner, now=renewed["protection_until"] + timedelta(seconds=1))
            raise AssertionError("an ended confirmation is reported again, not renewed")
        except Conflict as exc:
            assert exc.kind == "not-renewable"


async def test_a_confirmation_left_without_follow_ups_lapses_and_ends_the_leads_protection(urls):
    async with office(urls, report_lapse_days=5) as o:
        cid = await o.add_staff("luo")
        phone = new_phone()
        rid = (await report(o, phone, "p1")).json()["id"]
        await publish_event(o.settings, visit(o, phone, cid, visit_id="v-lapse"))
        doc = await eventually(lambda: o.ctx.db.channel_reports.find_one({"_id": rid, "status": "confirmed"}))
        assert doc["follow_up_due_at"] >= doc["first_visit_at"] + timedelta(days=5), "the visit restarts the clock"
        assert (await due_work(o.ctx, doc["follow_up_due_at"]))["reports_lapsed"] == 1
        lead = await o.ctx.db.leads.find_one({"visits": "v-lapse"})
        assert lead["attribution"]["protection_until"] == doc["follow_up_due_at"]


async def _walk_in(o, cid: str, phone: str, visit_id: str, at: datetime, name: str = "王先生") -> dict:
    env = new_event(VisitCheckedIn(visit_id=visit_id, consultant_id=cid, visitor=visitor(o, phone, name=name)),
                    branch_id=o.branch, subject=visit_id).model_copy(update={"time": at})
    await publish_event(o.settings, env)
    return await eventually(lambda: o.ctx.db.leads.find_one({"visits": visit_id}))


async def test_a_group_brought_straight_to_the_site_is_reported_on_arrival_and_confirmed_at_once(urls):
    async with office(urls, same_day_grace_minutes=60) as o:
        cid = await o.add_staff("luo")
        agency = (await o.client.post("/v1/partners", json={"branch_id": o.branch, "name": "链家湾区店", "kind": "agency"},
                                      headers=o.manager)).json()["id"]
        branch = await load_branch(o.ctx, o.branch)
        recorded, graced, late, next_day = new_phone(), new_phone(), new_phone(), new_phone()

        await _walk_in(o, cid, recorded, "v-group", MORNING)
        r = await o.client.post(f"/v1/partners/{agency}/arrivals", json={"visit_id": "v-group"}, headers=o.as_("reception", "desk"))
        assert r.status_code == 201, r.text
        body = ReportIn(branch_id=o.branch, customer_name="王先生", phone=recorded)
        doc = await service.submit(o.ctx, branch, body, agency, now=MORNING + timedelta(hours=6))
        assert doc["status"] == "confirmed" and doc["same_day"] and doc["first_visit_at"] == MORNING
        assert doc["protection_until"] == MORNING + timedelta(days=branch.settings.protection_days)
        lead = await o.ctx.db.leads.find_one({"visits": "v-group"})
        assert lead["attribution"]["partner_id"] == agency and lead["source"]["channel"] == "partner"

        await _walk_in(o, cid, graced, "v-graced", MORNING)
        doc = await service.submit(o.ctx, branch, ReportIn(branch_id=o.branch, customer_name="王先生", phone=mask(normalize(graced))),
                                   "p-lone", now=MORNING + timedelta(minutes=59))
        assert doc["status"] == "confirmed", "within the branch's grace after check-in, nobody recorded"

        await _walk_in(o, cid, late, "v-late", MORNING)
        try:
            await service.submit(o.ctx, branch, ReportIn(branch_id=o.branch, customer_name="王先生", phone=late), "p-lone",
                                 now=MORNING + timedelta(minutes=61))
            raise AssertionError("past the grace, unrecorded: the office's walk-in")
        except Conflict as exc:
            assert exc.fields["reason"] == "open_lead"

        await _walk_in(o, cid, next_day, "v-yesterday", MORNING)
        await o.client.post(f"/v1/partners/{agency}/arrivals", json={"visit_id": "v-yesterday"}, headers=o.manager)
        try:
            await service.submit(o.ctx, branch, ReportIn(branch_id=o.branch, customer_name="王先生", phone=next_day), agency,
                                 now=MORNING + timedelta(days=1))
            raise AssertionError("recorded, but the first visit was yesterday")
        except Conflict as exc:
            assert exc.fields["reason"] == "open_lead"
        confirmed = await eventually(lambda: events(o.settings, "channel_report.confirmed"))
        assert sum(bool(e["data"].get("same_day")) for e in confirmed) == 2


async def test_a_second_report_of_a_taken_customer_is_refused_with_its_reason_and_the_desk_sees_the_partner(urls):
    async with office(urls) as o:
        cid = await o.add_staff("luo")
        agency = (await o.client.post("/v1/partners", json={"branch_id": o.branch, "name": "我爱我家", "kind": "agency"},
                                      headers=o.manager)).json()["id"]
        agent = (await o.client.post("/v1/partners", json={"branch_id": o.branch, "name": "张经纪", "kind": "agent",
                                                            "agency_id": agency}, headers=o.manager)).json()["id"]
        phone = new_phone()
        e164 = normalize(phone)
        rid = (await report(o, phone, agent)).json()["id"]
        ask = {"branch_id": o.branch, "phone_masked": mask(e164), "customer_name": "王先生",
               "phone_hash": phone_hash(e164, o.settings.phone_hash_key)}
        r = await o.client.get("/v1/channel-reports/match", params=ask, headers=o.as_("reception", "desk"))
        assert r.status_code == 200 and r.json()["partner_name"] == "张经纪" and r.json()["agency_name"] == "我爱我家"
        assert (await o.client.get("/v1/channel-reports/match", params=ask, headers=o.as_("partner", agent))).status_code == 403
        nobody = {"branch_id": o.branch, "phone_masked": "139****0000", "customer_name": "王先生"}
        assert (await o.client.get("/v1/channel-reports/match", params=nobody, headers=o.manager)).json() is None
        await publish_event(o.settings, visit(o, phone, cid, visit_id="v-taken"))
        await eventually(lambda: o.ctx.db.channel_reports.find_one({"_id": rid, "status": "confirmed"}))
        r = await o.client.get("/v1/channel-reports/match", params=ask, headers=o.as_("reception", "desk"))
        assert r.json()["status"] == "confirmed" and r.json()["first_visit_at"]
        for given in (four_five(phone), phone):
            r = await report(o, given, "p-second")
            assert r.status_code == 409 and r.json()["reason"] == "reported_first", "confirmed for the first: refused"
        r = await o.client.get("/v1/channel-reports", params={"branch_id": o.branch}, headers=o.as_("partner", "p-second"))
        items = r.json()["items"]
        assert {(x["status"], x["reason"]) for x in items} == {("rejected", "reported_first")}
        assert all(x["conflict_report_id"] is None for x in items), "the other partner's report is not shown to it"
        r = await o.client.get(f"/v1/channel-reports/{items[0]['id']}", headers=o.manager)
        assert r.json()["conflict_report_id"] == rid, "the manager sees which report held the customer"
        r = await o.client.get(f"/v1/channel-reports/{rid}", headers=o.as_("partner", agent))
        assert r.json()["status"] == "confirmed", "the first partner's report stays confirmed"

        r = await o.client.post("/v1/attribution-disputes", json={"report_id": items[0]["id"], "claim": "我们先带看的"},
                                headers=o.as_("partner", "p-second"))
        assert r.status_code == 201 and r.json()["sides"] is None, "a partner does not see the other side"
        r = await o.client.get(f"/v1/attribution-disputes/{r.json()['id']}", headers=o.manager)
        sides = r.json()["sides"]
        disputing = [s for s in sides if s["role"] == "disputing"]
        holder = [s for s in sides if s["report_id"] == rid]
        assert [s["partner_id"] for s in disputing] == ["p-second"] and holder[0]["role"] == "competing"
        assert holder[0]["partner_name"] == "张经纪" and holder[0]["agency_name"] == "我爱我家"
        assert holder[0]["first_visit_at"] and holder[0]["reported_at"] and disputing[0]["reported_at"]


async def test_the_desk_records_a_partner_only_for_a_visit_of_its_branch_that_leads_has_heard_of(urls):
    """D8: an arrival names a checked-in visit of the partner's branch; a visit leads never heard of (none at all,
    another branch's, or a check-in whose event is still on its way) is 422 `unknown-visit` and records nothing."""
    async with office(urls) as o:
        cid = await o.add_staff("luo")
        agency = (await o.client.post("/v1/partners", json={"branch_id": o.branch, "name": "中原地产", "kind": "agency"},
                                      headers=o.manager)).json()["id"]
        desk = o.as_("reception", "desk")
        for visit_id in ("v-never", "v-elsewhere"):
            r = await o.client.post(f"/v1/partners/{agency}/arrivals", json={"visit_id": visit_id}, headers=desk)
            assert r.status_code == 422 and r.json()["type"].endswith("/unknown-visit"), r.text
            assert r.json()["errors"][0]["loc"] == ["body", "visit_id"]
        elsewhere = new_event(VisitCheckedIn(visit_id="v-elsewhere", consultant_id=None, visitor=visitor(o, new_phone())),
                              branch_id="gz-tianhe", subject="v-elsewhere")
        await publish_event(o.settings, elsewhere)
        await _walk_in(o, cid, new_phone(), "v-here", MORNING)
        r = await o.client.post(f"/v1/partners/{agency}/arrivals", json={"visit_id": "v-elsewhere"}, headers=desk)
        assert r.status_code == 422, "another branch's visit is not one the desk can record here"
        assert await o.ctx.db.partner_arrivals.count_documents({}) == 0
        r = await o.client.post(f"/v1/partners/{agency}/arrivals", json={"visit_id": "v-here"}, headers=desk)
        assert r.status_code == 201 and r.json()["visit_id"] == "v-here", r.text
        again = await o.client.post(f"/v1/partners/{agency}/arrivals", json={"visit_id": "v-here"}, headers=desk)
        assert again.status_code == 201 and again.json() == r.json(), "idempotent per visit and partner"
