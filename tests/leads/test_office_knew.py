"""D2 (issue 14): a customer the office already knew (an appointment or a visit before the
report) is not the partner's to claim; a customer the office never saw still is."""

from datetime import timedelta

from crm_shared.events import new_event
from crm_shared.events.reception import AppointmentScheduled, Contact, VisitCheckedIn
from crm_shared.ids import utcnow
from crm_shared.phones import mask, normalize
from tests.leads.builders import new_phone, office
from tests.leads.test_attribution import events, report, visitor
from tests.support.runtime import eventually, publish_event


def appointment(o, phone: str, name: str = "赵六", appointment_id: str = "a1", at=None, lead_id: str | None = None):
    """What reception publishes when the front desk books a customer (no lead needed)."""
    start = utcnow() + timedelta(days=1)
    data = AppointmentScheduled(appointment_id=appointment_id, consultant_id="c-x", lead_id=lead_id, kind="showing",
                                customer=Contact(name=name, phone=normalize(phone)), start=start, end=start + timedelta(hours=1))
    env = new_event(data, branch_id=o.branch, subject=appointment_id)
    return env.model_copy(update={"time": at}) if at is not None else env


def visit(o, phone: str, consultant: str, visit_id: str, name: str = "赵六", **extra):
    data = VisitCheckedIn(visit_id=visit_id, consultant_id=consultant, visitor=visitor(o, phone, name=name), **extra)
    return new_event(data, branch_id=o.branch, subject=visit_id)


async def known(o, n: int = 1):
    return await o.ctx.db.known_customers.count_documents({}) >= n or None


async def test_a_booked_customer_is_not_the_partners_to_claim(urls):
    """The probe's path: appointment (no lead) -> partner reports the mask -> check-in."""
    async with office(urls) as o:
        cid = await o.add_staff("luo")
        phone = "13911004444"
        await publish_event(o.settings, appointment(o, phone))
        assert await eventually(lambda: known(o))
        stored = await o.ctx.db.known_customers.find({}).to_list()
        assert all("13911004444" not in str(d) and "+86" not in str(d) for d in stored), "no full number kept"
        for phone_as_given in ("139****4444", phone):
            r = await report(o, phone_as_given, "p1", name="赵六")
            assert r.status_code == 409, r.text
            body = r.json()
            assert body["type"].endswith("/customer-known") and "already" in body["detail"]
            assert body["reason"] == "customer_known"
            assert (await o.ctx.db.channel_reports.find_one({"_id": body["report_id"]}))["status"] == "rejected"
        r = await report(o, "139****4444", "p1", name="孙七")
        assert r.status_code == 201, "same mask, another name: a customer the office never saw"
        await publish_event(o.settings, visit(o, phone, cid, visit_id="v-zhao", appointment_id="a1"))
        lead = await eventually(lambda: o.ctx.db.leads.find_one({"visits": "v-zhao"}))
        assert lead["attribution"] is None and lead["source"]["channel"] == "walk_in"
        assert await o.ctx.db.channel_reports.count_documents({"status": "confirmed"}) == 0
        rejected = await eventually(lambda: events(o.settings, "channel_report.rejected"))
        assert {e["data"]["reason"] for e in rejected} == {"customer_known"}


async def test_a_report_filed_before_the_office_heard_of_the_booking_is_not_confirmed(urls):
    """The appointment's event reaches leads after the report: found out at check-in."""
    async with office(urls) as o:
        cid = await o.add_staff("luo")
        phone = new_phone()
        r = await report(o, mask(normalize(phone)), "p1", name="赵六")
        assert r.status_code == 201
        rid, filed = r.json()["id"], (await o.ctx.db.channel_reports.find_one({"_id": r.json()["id"]}))["created_at"]
        await publish_event(o.settings, appointment(o, phone, at=filed - timedelta(hours=2)))
        assert await eventually(lambda: known(o))
        await publish_event(o.settings, visit(o, phone, cid, visit_id="v-late"))
        lead = await eventually(lambda: o.ctx.db.leads.find_one({"visits": "v-late"}))
        rep = await eventually(lambda: o.ctx.db.channel_reports.find_one({"_id": rid, "status": "rejected"}))
        assert rep["reason"] == "customer_known" and rep["protection_until"] is None
        assert lead["attribution"] is None and lead["source"]["partner_id"] is None
        r = await o.client.get(f"/v1/channel-reports/{rid}", headers=o.as_("partner", "p1"))
        assert r.json()["status"] == "rejected" and r.json()["reason"] == "customer_known"


async def test_a_customer_who_visited_before_is_known_even_after_the_lead_closed(urls):
    async with office(urls) as o:
        cid = await o.add_staff("luo")
        phone = new_phone()
        await publish_event(o.settings, visit(o, phone, cid, visit_id="v-first"))
        lead = await eventually(lambda: o.ctx.db.leads.find_one({"visits": "v-first"}))
        r = await o.client.post(f"/v1/leads/{lead['_id']}/close", json={"outcome": "lost", "reason": "price"},
                                headers=o.manager)
        assert r.status_code == 200
        r = await report(o, phone, "p1")
        assert r.status_code == 409 and r.json()["type"].endswith("/customer-known")


async def test_a_customer_the_office_never_saw_is_still_the_partners(urls):
    """Report first, then the booking and the visit: confirmed, credited to the partner."""
    async with office(urls, protection_days=30) as o:
        cid = await o.add_staff("luo")
        phone = new_phone()
        r = await report(o, phone, "p1", name="赵六")
        assert r.status_code == 201
        rid = r.json()["id"]
        await publish_event(o.settings, appointment(o, phone, appointment_id="a-after"))
        assert await eventually(lambda: known(o))
        await publish_event(o.settings, visit(o, phone, cid, visit_id="v-ok", appointment_id="a-after"))
        rep = await eventually(lambda: o.ctx.db.channel_reports.find_one({"_id": rid, "status": "confirmed"}))
        lead = await eventually(lambda: o.ctx.db.leads.find_one({"visits": "v-ok", "attribution.partner_id": "p1"}))
        assert rep["lead_id"] == lead["_id"]
        r = await report(o, new_phone(), "p1")
        assert r.status_code == 201, "another customer the office never saw"


async def test_a_sealed_booking_makes_the_customer_known_without_opening_it(urls):
    """`schema_version` 2 (issue 19): the hash and the mask travel with the sealed contact; leads opens nothing."""
    async with office(urls) as o:
        phone = new_phone()
        start = utcnow() + timedelta(days=1)
        contact = await Contact.seal(o.ctx.keys, "赵六", normalize(phone), "zhao@example.com")
        data = AppointmentScheduled(appointment_id="a-sealed", consultant_id="c-x", kind="showing", customer=contact,
                                    start=start, end=start + timedelta(hours=1))
        env = new_event(data, branch_id=o.branch, subject="a-sealed")
        assert env.schema_version == 2 and phone not in env.model_dump_json()
        await publish_event(o.settings, env)
        assert await eventually(lambda: known(o))
        r = await report(o, mask(normalize(phone)), "p1", name="赵六")
        assert r.status_code == 409 and r.json()["reason"] == "customer_known", r.text


async def test_a_booking_with_an_odd_phone_is_not_a_dead_letter(urls):
    async with office(urls) as o:
        env = appointment(o, new_phone(), appointment_id="a-odd")
        env.data["customer"]["phone"] = "not a number"
        await publish_event(o.settings, env)
        assert await eventually(lambda: o.ctx.db.inbox.find_one({"_id": {"$regex": f":{env.id}$"}})), "handled, not retried"
        assert await o.ctx.db.dead_letters.count_documents({}) == 0
