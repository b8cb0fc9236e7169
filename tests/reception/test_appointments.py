"""Appointments against the real store and bus: race-safe booking, reschedule, cancel, no-shows."""

import asyncio
import json
from datetime import timedelta

from crm_reception.appointments.service import mark_no_shows
from crm_shared.checklist import lines_for
from crm_shared.events.reception import AppointmentScheduled
from tests.reception.builders import future, office
from tests.support.runtime import eventually, stream_messages


async def test_two_simultaneous_overlapping_bookings_one_wins(urls):
    async with office(urls) as o:
        (c1,) = await o.staff()
        start = future(48)
        for trial in range(4):
            s = start + timedelta(hours=2 * trial)
            a, b = await asyncio.gather(o.book(c1, s, 60), o.book(c1, s + timedelta(minutes=30), 60))
            assert sorted([a.status_code, b.status_code]) == [201, 409], (a.text, b.text)
            loser = a if a.status_code == 409 else b
            assert loser.json()["type"].endswith("/double-booking")
        r = await o.client.get("/v1/appointments", params={"branch_id": o.branch, "consultant_id": c1}, headers=o.auth())
        assert len(r.json()["items"]) == 4


async def test_many_clerks_racing_for_one_slot_make_one_booking(urls):
    async with office(urls) as o:
        (c1,) = await o.staff()
        s = future(30)
        results = await asyncio.gather(*(o.book(c1, s + timedelta(minutes=5 * i), 60) for i in range(8)))  # all share 35-60
        assert [r.status_code for r in results].count(201) == 1
        assert all(r.status_code == 409 for r in results if r.status_code != 201)
        slots = await o.db.slots.find({}).to_list()
        winner = next(r.json()["id"] for r in results if r.status_code == 201)
        assert {d["appointment_id"] for d in slots} == {winner}, "losers left no claims behind"


async def test_back_to_back_bookings_do_not_clash_and_other_consultants_are_free(urls):
    async with office(urls) as o:
        c1, c2 = await o.staff(2)
        s = future(26)
        assert (await o.book(c1, s, 60)).status_code == 201
        assert (await o.book(c1, s + timedelta(minutes=60), 30)).status_code == 201
        assert (await o.book(c2, s, 60)).status_code == 201


async def test_cancel_frees_the_slot_and_publishes_the_contact(urls):
    async with office(urls) as o:
        (c1,) = await o.staff()
        s = future(50)
        first = (await o.book(c1, s)).json()
        assert first["status"] == "scheduled"
        assert (await o.book(c1, s)).status_code == 409
        r = await o.client.post(f"/v1/appointments/{first['id']}/cancel", json={"reason": "customer ill"}, headers=o.auth())
        assert r.status_code == 200 and r.json()["status"] == "cancelled"
        assert (await o.book(c1, s)).status_code == 201
        assert (await o.client.post(f"/v1/appointments/{first['id']}/cancel", headers=o.auth())).status_code == 409

        async def cancelled():
            msgs = await stream_messages(o.settings, subject=f"{o.settings.subject_prefix}.{o.branch}.appointment.cancelled")
            return msgs
        msgs = await eventually(cancelled)
        envelope = json.loads(msgs[0].data)
        data = envelope["data"]
        assert envelope["schema_version"] == 2 and "13812345678" not in msgs[0].data.decode()
        customer = data["customer"]
        assert (customer["name"], customer["phone_masked"], customer["email_masked"]) == ("张女士", "138****5678", "z***@example.com")
        assert "phone" not in customer and "email" not in customer, "nothing in clear (tests/reception/test_sealed_contacts.py)"
        assert await o.ctx.keys.unseal(customer["phone_sealed"]) == "+8613812345678"
        assert await o.ctx.keys.unseal(customer["email_sealed"]) == "z@example.com"
        assert data["appointment_id"] == first["id"] and data["reason"] == "customer ill"


async def test_reschedule_moves_the_claim_and_a_clash_leaves_it_unchanged(urls):
    async with office(urls) as o:
        c1, c2 = await o.staff(2)
        s = future(72)
        a = (await o.book(c1, s)).json()
        b = (await o.book(c1, s + timedelta(hours=3))).json()
        later = s + timedelta(hours=1)
        r = await o.client.patch(f"/v1/appointments/{a['id']}", headers=o.auth(),
                                 json={"start": later.isoformat(), "end": (later + timedelta(hours=1)).isoformat()})
        assert r.status_code == 200, r.text
        assert r.json()["version"] == 2
        assert (await o.book(c1, s, 60)).status_code == 201, "the old time is free again"
        clash = await o.client.patch(f"/v1/appointments/{a['id']}", headers=o.auth(),
                                     json={"start": b["start"], "end": b["end"]})
        assert clash.status_code == 409
        got = (await o.client.get(f"/v1/appointments/{a['id']}", headers=o.auth())).json()
        assert got["start"] == r.json()["start"] and got["version"] == 2
        handed = await o.client.patch(f"/v1/appointments/{a['id']}", json={"consultant_id": c2}, headers=o.auth())
        assert handed.status_code == 200 and handed.json()["consultant_id"] == c2
        assert (await o.book(c1, later, 60)).status_code == 201, "c1 is free once handed over"
        stale = await o.client.patch(f"/v1/appointments/{a['id']}", json={"consultant_id": c1},
                                     headers={**o.auth(), "If-Match": "1"})
        assert stale.status_code == 412


async def test_automatic_no_show_after_the_branch_grace(urls):
    async with office(urls) as o:
        await o.configure(no_show_grace_minutes=15)
        (c1,) = await o.staff()
        s = future(2)
        a = (await o.book(c1, s)).json()
        assert await mark_no_shows(o.ctx, s + timedelta(minutes=14)) == 0
        assert (await o.client.get(f"/v1/appointments/{a['id']}", headers=o.auth())).json()["status"] == "scheduled"
        assert await mark_no_shows(o.ctx, s + timedelta(minutes=16)) == 1
        assert await mark_no_shows(o.ctx, s + timedelta(minutes=30)) == 0, "fires once"
        got = (await o.client.get(f"/v1/appointments/{a['id']}", headers=o.auth())).json()
        assert got["status"] == "no_show"
        msgs = await eventually(lambda: stream_messages(o.settings, subject=f"{o.settings.subject_prefix}.{o.branch}.appointment.no_show"))
        assert json.loads(msgs[0].data)["data"]["reason"] == "automatic"


async def test_explicit_no_show_and_checked_in_appointments_are_not_no_shows(urls):
    async with office(urls) as o:
        (c1,) = await o.staff()
        s = future(3)
        a = (await o.book(c1, s)).json()
        b = (await o.book(c1, s + timedelta(hours=2))).json()
        r = await o.client.post(f"/v1/appointments/{a['id']}/no-show", headers=o.auth())
        assert r.status_code == 200 and r.json()["status"] == "no_show"
        v = await o.check_in(appointment_id=b["id"])
        assert v.status_code == 201 and v.json()["consultant_id"] == c1
        assert await mark_no_shows(o.ctx, s + timedelta(hours=5)) == 0
        assert (await o.client.get(f"/v1/appointments/{b['id']}", headers=o.auth())).json()["status"] == "arrived"


async def test_site_showing_carries_its_checklist_in_the_event(urls):
    async with office(urls) as o:
        (c1,) = await o.staff()
        r = await o.book(c1, future(40), kind="showing", on_site=True, party_size=4, children=1, elderly=1,
                         route="east gate to tower 3")
        assert r.status_code == 201, r.text
        checklist = r.json()["checklist"]
        assert checklist == ["安全帽4顶（每位访客一顶）", "儿童1位、老人1位在售楼处等候，不进入工地", "参观路线：east gate to tower 3"]
        items = r.json()["site_checklist"]
        assert items == [{"code": "hard_hats", "count": 4, "children": None, "elderly": None, "route": None},
                         {"code": "wait_at_sales_office", "count": None, "children": 1, "elderly": 1, "route": None},
                         {"code": "route_planned", "count": None, "children": None, "elderly": None,
                          "route": "east gate to tower 3"}]
        msgs = await eventually(lambda: stream_messages(o.settings, subject=f"{o.settings.subject_prefix}.{o.branch}.appointment.scheduled"))
        data = json.loads(msgs[0].data)["data"]
        assert data["checklist"] == checklist, "Chinese lines for readers of the lines"
        assert [i["code"] for i in data["site_checklist"]] == ["hard_hats", "wait_at_sales_office", "route_planned"]
        assert lines_for(AppointmentScheduled.model_validate(data), "en")[0] == "Hard hats: 4 (one per visitor)"
        assert lines_for(AppointmentScheduled.model_validate(data))[0] == "安全帽4顶（每位访客一顶）"


async def test_availability_shows_busy_and_free_time(urls):
    async with office(urls) as o:
        (c1,) = await o.staff()
        day = (future(72)).astimezone().date()
        from crm_shared.branches import at_local
        from datetime import time
        ten = at_local(day, time(10, 0), "Asia/Shanghai")
        a = (await o.book(c1, ten, 90)).json()
        r = await o.client.get("/v1/appointments/availability", headers=o.auth(),
                               params={"branch_id": o.branch, "consultant_id": c1, "date": day.isoformat()})
        assert r.status_code == 200, r.text
        body = r.json()
        assert [b["appointment_id"] for b in body["busy"]] == [a["id"]]
        assert len(body["free"]) == 2
        assert body["free"][0]["end"] == body["busy"][0]["start"]


async def test_staff_who_left_cannot_get_appointments(urls):
    async with office(urls) as o:
        c1, c2 = await o.staff(2)
        await o.leave_company(c1)
        r = await o.book(c1, future(30))
        assert r.status_code == 422 and r.json()["type"].endswith("/unknown-consultant")
        assert (await o.book(c2, future(30))).status_code == 201
