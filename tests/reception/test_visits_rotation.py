"""Front desk and rotation against the real store and bus: order, busy skip, fairness,
returning customers to their owners, appointment arrivals, concurrent check-ins."""

import asyncio
import json
from collections import Counter

from crm_shared.events.leads import LeadAssigned, LeadWon
from crm_shared.sealing import unseal_with
from tests.reception.builders import future, new_phone, office
from tests.support.runtime import eventually, stream_messages


async def test_walk_ins_follow_the_queue_and_busy_consultants_keep_their_place(urls):
    async with office(urls) as o:
        c1, c2, c3 = await o.staff(3)
        await o.join(c1, c2, c3)
        v1 = (await o.check_in()).json()
        assert v1["consultant_id"] == c1 and v1["assigned_by"] == "rotation" and v1["returning"] is False
        rot = (await o.client.get(f"/v1/rotation/{o.branch}", headers=o.auth())).json()
        assert rot["queue"] == [c2, c3, c1] and rot["next"] == c2 and rot["busy"] == [c1]
        v2 = (await o.check_in()).json()
        assert v2["consultant_id"] == c2
        await o.end(v1["id"])
        v3 = (await o.check_in()).json()
        assert v3["consultant_id"] == c3
        v4 = (await o.check_in()).json()
        assert v4["consultant_id"] == c1, "c2 is still busy and is skipped"
        await o.end(v2["id"])
        rot = (await o.client.get(f"/v1/rotation/{o.branch}", headers=o.auth())).json()
        assert rot["next"] == c2, "skipped while busy, c2 kept the front place"
        r = await o.check_in()
        assert r.json()["consultant_id"] == c2


async def test_nobody_free_records_the_visitor_who_waits_and_gets_the_next_free_consultant(urls):
    async with office(urls) as o:
        (c1,) = await o.staff()
        await o.join(c1)
        first = await o.check_in()
        assert first.status_code == 201
        before = (await o.client.get(f"/v1/rotation/{o.branch}", headers=o.auth())).json()
        r = await o.check_in()
        assert r.status_code == 201, "never a refusal that records nothing"
        waiting = r.json()
        assert (waiting["status"], waiting["consultant_id"], waiting["queue_position"]) == ("waiting", None, 1)
        after = (await o.client.get(f"/v1/rotation/{o.branch}", headers=o.auth())).json()
        assert after == before, "waiting takes nobody's turn"
        assert await o.db.visits.count_documents({}) == 2
        await o.end(first.json()["id"])
        got = (await o.client.get(f"/v1/visits/{waiting['id']}", headers=o.auth())).json()
        assert (got["status"], got["consultant_id"], got["queue_position"]) == ("open", c1, None)


async def test_thirty_walk_ins_with_four_consultants_are_shared_fairly(urls):
    async with office(urls) as o:
        consultants = await o.staff(4)
        await o.join(*consultants)
        open_visits: list[str] = []
        got = []
        for i in range(30):
            if len(open_visits) == 3 or (i % 4 == 3 and open_visits):  # visits of different lengths
                await o.end(open_visits.pop(0))
            r = await o.check_in()
            assert r.status_code == 201, r.text
            got.append(r.json()["consultant_id"])
            open_visits.append(r.json()["id"])
        counts = Counter(got)
        assert set(counts) == set(consultants)
        assert max(counts.values()) - min(counts.values()) <= 1, counts
        rot = (await o.client.get(f"/v1/rotation/{o.branch}", headers=o.auth())).json()
        assert rot["turns"] == dict(counts)


async def test_returning_customer_goes_to_the_owner_without_using_a_turn(urls):
    async with office(urls) as o:
        c1, c2, owner = await o.staff(3)
        await o.join(c1, c2, owner)
        phone = new_phone()
        lead_id = await o.lead(phone, owner)
        r = await o.check_in(phone=phone)
        body = r.json()
        assert body["returning"] is True and body["consultant_id"] == owner and body["lead_id"] == lead_id
        assert body["assigned_by"] == "owner"
        rot = (await o.client.get(f"/v1/rotation/{o.branch}", headers=o.auth())).json()
        assert rot["queue"] == [c1, c2, owner] and rot["turns"][owner] == 0 and rot["busy"] == [owner]
        assert (await o.check_in()).json()["consultant_id"] == c1
        msgs = await eventually(lambda: stream_messages(o.settings, subject=f"{o.settings.subject_prefix}.{o.branch}.visit.checked_in"))
        data = json.loads(msgs[0].data)["data"]
        assert data["returning"] is True and data["visitor"]["phone_masked"].startswith("139****")
        assert phone not in msgs[0].data.decode(), "never a full phone in visit events"
        assert (await unseal_with(o.settings, data["visitor"]["phone_sealed"])).endswith(phone), "sealed for leads"
        mine = (await o.client.get("/v1/visits", params={"branch_id": o.branch, "lead_id": lead_id}, headers=o.auth())).json()
        assert [v["id"] for v in mine["items"]] == [body["id"]], "a lead's visits, not the walk-in after it"


async def test_reassigned_lead_goes_to_the_new_owner_and_a_closed_lead_is_not_returning(urls):
    async with office(urls) as o:
        c1, old, new = await o.staff(3)
        await o.join(c1, old, new)
        phone = new_phone()
        lead_id = await o.lead(phone, old)
        assigned = await o.emit(LeadAssigned(lead_id=lead_id, owner_id=new, previous_owner_id=old), subject=lead_id)
        assert await eventually(lambda: o.db.leads.find_one({"_id": lead_id, "owner_id": new}))
        from datetime import timedelta
        await o.emit(LeadAssigned(lead_id=lead_id, owner_id=old, previous_owner_id=None),
                     subject=lead_id, time=assigned.time - timedelta(minutes=5))  # late, older event
        v = (await o.check_in(phone=phone)).json()
        assert v["consultant_id"] == new, "an older assignment arriving late does not win"
        await o.end(v["id"])
        await o.emit(LeadWon(lead_id=lead_id, owner_id=new), subject=lead_id)
        assert await eventually(lambda: o.db.leads.find_one({"_id": lead_id, "closed": True}))
        v2 = (await o.check_in(phone=phone)).json()
        assert v2["returning"] is False and v2["consultant_id"] == c1


async def test_appointment_arrival_goes_to_its_consultant_and_ending_frees_them(urls):
    async with office(urls) as o:
        c1, c2 = await o.staff(2)
        await o.join(c1, c2)
        appt = (await o.book(c2, future(1))).json()
        v = await o.check_in(appointment_id=appt["id"])
        assert v.status_code == 201 and v.json()["consultant_id"] == c2 and v.json()["assigned_by"] == "appointment"
        again = await o.check_in(appointment_id=appt["id"])
        assert again.status_code == 409, "one arrival per appointment"
        assert (await o.check_in()).json()["consultant_id"] == c1, "c2 is busy with the appointment"
        await o.end(v.json()["id"])
        rot = (await o.client.get(f"/v1/rotation/{o.branch}", headers=o.auth())).json()
        assert rot["busy"] == [c1] and rot["turns"] == {c1: 1, c2: 0}
        ended = await o.client.post(f"/v1/visits/{v.json()['id']}/end", json={}, headers=o.auth())
        assert ended.status_code == 409


async def test_concurrent_check_ins_never_give_one_consultant_two_visitors(urls):
    async with office(urls) as o:
        consultants = await o.staff(6)
        await o.join(*consultants)
        results = await asyncio.gather(*(o.check_in() for _ in range(9)))
        assert all(r.status_code == 201 for r in results), [r.text for r in results]
        ok = [r.json()["consultant_id"] for r in results if r.json()["status"] == "open"]
        assert len(ok) == 6 and sorted(ok) == sorted(consultants), "each free consultant got exactly one"
        waiting = sorted(r.json()["queue_position"] for r in results if r.json()["status"] == "waiting")
        assert waiting == [1, 2, 3], "the others wait, in order"
        rot = (await o.client.get(f"/v1/rotation/{o.branch}", headers=o.auth())).json()
        assert sorted(rot["busy"]) == sorted(consultants) and rot["next"] is None


async def test_leaving_the_queue_and_leaving_the_company(urls):
    async with office(urls) as o:
        c1, c2, c3 = await o.staff(3)
        await o.join(c1, c2, c3)
        r = await o.client.post(f"/v1/rotation/{o.branch}/leave", json={"consultant_id": c2}, headers=o.auth())
        assert r.json()["queue"] == [c1, c3]
        await o.leave_company(c1)
        rot = await eventually(lambda: _queue_without(o, c1))
        assert rot["queue"] == [c3]
        r = await o.client.post(f"/v1/rotation/{o.branch}/join", json={"consultant_id": c1}, headers=o.auth())
        assert r.status_code == 422
        mine = await o.client.post(f"/v1/rotation/{o.branch}/join", json={"consultant_id": c3},
                                   headers=o.auth("consultant", sub=c2))
        assert mine.status_code == 403, "a consultant joins or leaves only themselves"


async def _queue_without(o, cid):
    rot = (await o.client.get(f"/v1/rotation/{o.branch}", headers=o.auth())).json()
    return rot if cid not in rot["queue"] else None


async def test_two_replicas_checking_in_at_once_never_double_assign(urls):
    """Two service instances on one database: only the store's version guard keeps them apart."""
    from crm_reception.plugin import ReceptionService
    from tests.support.runtime import running

    async with office(urls) as o:
        consultants = await o.staff(8)
        await o.join(*consultants)
        async with running([ReceptionService()], o.settings) as (_, other):
            def body():
                return {"branch_id": o.branch, "visitor": {"name": "v", "phone": new_phone()}, "party_size": 1}
            calls = [(o.client if i % 2 else other).post("/v1/visits", json=body(), headers=o.auth()) for i in range(12)]
            results = await asyncio.gather(*calls)
        assert all(r.status_code == 201 for r in results), [r.text for r in results]
        ok = [r.json()["consultant_id"] for r in results if r.json()["status"] == "open"]
        assert sorted(ok) == sorted(consultants), [r.text for r in results]
        assert sum(r.json()["status"] == "waiting" for r in results) == 4


async def test_appointment_of_a_consultant_who_left_falls_back_to_the_rotation(urls):
    async with office(urls) as o:
        c1, gone = await o.staff(2)
        await o.join(c1)
        appt = (await o.book(gone, future(1))).json()
        await o.leave_company(gone)
        v = (await o.check_in(appointment_id=appt["id"])).json()
        assert v["consultant_id"] == c1 and v["assigned_by"] == "rotation" and v["appointment_id"] == appt["id"]
        full = await o.check_in()
        assert full.status_code == 201 and full.json()["status"] == "waiting", "c1 is busy with the first arrival"


async def test_an_arrival_nobody_can_take_waits_and_keeps_the_appointment(urls):
    async with office(urls) as o:
        c1, gone = await o.staff(2)
        await o.join(c1)
        appt = (await o.book(gone, future(1))).json()
        await o.leave_company(gone)
        walk_in = (await o.check_in()).json()
        r = await o.check_in(appointment_id=appt["id"])
        assert r.status_code == 201 and r.json()["status"] == "waiting" and r.json()["assigned_by"] == "rotation"
        got = (await o.client.get(f"/v1/appointments/{appt['id']}", headers=o.auth())).json()
        assert got["status"] == "arrived" and got["visit_id"] == r.json()["id"], "the customer is here"
        await o.end(walk_in["id"])
        served = (await o.client.get(f"/v1/visits/{r.json()['id']}", headers=o.auth())).json()
        assert served["status"] == "open" and served["consultant_id"] == c1


async def test_openapi_and_asyncapi_document_the_service(urls):
    async with office(urls) as o:
        spec = (await o.client.get("/openapi.json")).json()
        for path in ("/v1/appointments", "/v1/visits", "/v1/visits/{visit_id}/assign", "/v1/rotation/{branch_id}", "/v1/receptions",
                     "/v1/receptions/{reception_id}/approve", "/v1/appointments/availability"):
            ops = spec["paths"][path]
            assert all(op.get("summary") for op in ops.values()), path
        asyncapi = (await o.client.get("/asyncapi.json")).json()
        for event_type in ("appointment.scheduled", "visit.checked_in", "visit.assigned", "reception.feedback_overdue"):
            assert asyncapi["operations"][event_type]["action"] == "send", event_type


async def test_a_leads_appointments_are_listed_by_lead_id(urls):
    async with office(urls) as o:
        c1, c2 = await o.staff(2)
        lead_a, lead_b = await o.lead(new_phone(), c1), await o.lead(new_phone(), c2)
        a = await o.book(c1, future(1), lead_id=lead_a)
        b = await o.book(c2, future(1), lead_id=lead_b)
        assert a.status_code == 201 and b.status_code == 201, (a.text, b.text)
        listed = (await o.client.get("/v1/appointments", params={"branch_id": o.branch, "lead_id": lead_a},
                                     headers=o.auth())).json()["items"]
        assert [x["id"] for x in listed] == [a.json()["id"]]
        assert (await o.client.get("/v1/appointments", params={"lead_id": "x" * 500}, headers=o.auth())).status_code == 422
