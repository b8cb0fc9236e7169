"""Repeat-safety and crash leftovers: Idempotency-Key replays, timers racing on two replicas,
slot claims orphaned by a crash between claiming and storing the appointment."""

import asyncio
from datetime import timedelta

from crm_reception.appointments.rules import claim_ids
from crm_reception.appointments.service import mark_no_shows
from crm_reception.receptions.service import flag_overdue_feedback
from crm_shared.ids import utcnow
from tests.reception.builders import future, new_phone, office


async def test_repeated_check_in_with_an_idempotency_key_is_one_visit(urls):
    async with office(urls) as o:
        c1, c2 = await o.staff(2)
        await o.join(c1, c2)
        body = {"branch_id": o.branch, "visitor": {"name": "v", "phone": new_phone()}, "party_size": 2}
        headers = {**o.auth(), "Idempotency-Key": "desk-1-0001"}
        first = await o.client.post("/v1/visits", json=body, headers=headers)
        again = await o.client.post("/v1/visits", json=body, headers=headers)
        assert first.status_code == again.status_code == 201
        assert first.json() == again.json()
        assert await o.db.visits.count_documents({}) == 1
        other = await o.client.post("/v1/visits", json={**body, "party_size": 3}, headers=headers)
        assert other.status_code == 422, "same key, different request"


async def test_repeated_booking_with_an_idempotency_key_is_one_booking_not_a_409(urls):
    async with office(urls) as o:
        (c1,) = await o.staff()
        body = o.appointment(c1, future(20))
        headers = {**o.auth(), "Idempotency-Key": "k-1"}
        a = await o.client.post("/v1/appointments", json=body, headers=headers)
        b = await o.client.post("/v1/appointments", json=body, headers=headers)
        assert a.status_code == b.status_code == 201 and a.json()["id"] == b.json()["id"]


async def test_timers_racing_on_two_replicas_fire_once(urls):
    async with office(urls) as o:
        (c1,) = await o.staff()
        s = future(1)
        await o.book(c1, s)
        counts = await asyncio.gather(*(mark_no_shows(o.ctx, s + timedelta(hours=1)) for _ in range(4)))
        assert sum(counts) == 1
        rec = (await o.client.post("/v1/receptions", headers=o.auth("manager"), json={
            "branch_id": o.branch, "class": "D", "guests": [{"name": "g"}], "purpose": "p",
            "arrive_at": future(2).isoformat(), "leave_at": future(3).isoformat()})).json()
        r = await o.client.post(f"/v1/receptions/{rec['id']}/approve", headers=o.auth("manager", sub="head-1"))
        assert r.json()["status"] == "approved"
        counts = await asyncio.gather(*(flag_overdue_feedback(o.ctx, future(24 * 10)) for _ in range(4)))
        assert sum(counts) == 1


async def test_a_claim_orphaned_by_a_crash_does_not_block_the_slot_forever(urls):
    async with office(urls) as o:
        (c1,) = await o.staff()
        s = future(40)
        await o.db.slots.insert_one({"_id": claim_ids(c1, s, s + timedelta(minutes=5))[0], "branch_id": o.branch,
                                     "consultant_id": c1, "appointment_id": "crashed", "at": utcnow() - timedelta(minutes=5)})
        fresh = claim_ids(c1, s + timedelta(hours=2), s + timedelta(hours=2, minutes=5))[0]
        await o.db.slots.insert_one({"_id": fresh, "branch_id": o.branch, "consultant_id": c1,
                                     "appointment_id": "being-written", "at": utcnow()})
        assert (await o.book(c1, s)).status_code == 201, "an old orphan is reclaimed"
        assert (await o.book(c1, s + timedelta(hours=2))).status_code == 409, "a fresh claim may still be completing"


async def test_a_consultant_left_busy_by_a_crash_during_visit_end_is_freed(urls):
    async with office(urls) as o:
        (c1,) = await o.staff()
        await o.join(c1)
        v = (await o.check_in()).json()
        await o.db.visits.update_one({"_id": v["id"]}, {"$set": {"status": "ended"}})  # ended, rotation never told
        r = await o.check_in()
        assert r.status_code == 201 and r.json()["consultant_id"] == c1


async def test_appointments_cannot_start_in_the_past(urls):
    async with office(urls) as o:
        (c1,) = await o.staff()
        r = await o.book(c1, future(-2))
        assert r.status_code == 422 and r.json()["type"].endswith("/start-in-past")
        assert await o.db.slots.count_documents({}) == 0


async def test_far_dates_are_422_not_500(urls):
    async with office(urls) as o:
        (c1,) = await o.staff()
        for params in ({"date": "9999-12-31"}, {"date": "0001-01-01"}):
            r = await o.client.get(f"/v1/rotation/{o.branch}", params=params, headers=o.auth())
            assert r.status_code == 422
            r = await o.client.get("/v1/appointments/availability", headers=o.auth(),
                                   params={"branch_id": o.branch, "consultant_id": c1, **params})
            assert r.status_code == 422
        assert (await o.client.get("/v1/appointments", params={"from": "9999-12-31T00:00:00+00:00"}, headers=o.auth())).status_code == 422
