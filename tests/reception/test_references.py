"""Every id a request refers to exists in the request's branch (issue 14, D8).

Reception knows leads only from its projection of leads events, and staff from the shared
directory; an id it does not know there, or knows in another branch, is a 422 naming the
field (`errors[].loc`), and nothing is stored or claimed.
"""

from __future__ import annotations

from datetime import timedelta

from tests.reception.builders import future, new_phone, office

OTHER = "gz-east"


async def _nothing_stored(o) -> None:
    for c in ("appointments", "slots", "receptions", "resource_slots"):
        assert await o.db[c].count_documents({}) == 0, c


def _refused(r, kind: str, loc: list) -> None:
    assert r.status_code == 422, r.text
    body = r.json()
    assert body["type"].endswith(f"/{kind}"), body
    assert [e["loc"] for e in body["errors"]] == [loc], body


async def test_an_appointment_refers_only_to_a_lead_of_its_branch(urls):
    async with office(urls) as o:
        (c1,) = await o.staff()
        theirs = await o.lead(new_phone(), None, branch=OTHER)
        _refused(await o.book(c1, future(30), lead_id=theirs), "unknown-lead", ["body", "lead_id"])
        _refused(await o.book(c1, future(30), lead_id="no-such-lead"), "unknown-lead", ["body", "lead_id"])
        await _nothing_stored(o)
        listed = await o.client.get("/v1/appointments", params={"lead_id": theirs},
                                    headers=o.auth("manager", branches=[o.branch, OTHER]))
        assert listed.json()["items"] == [], "nothing is listed under the other branch's lead"
        ours = await o.lead(new_phone(), c1)
        assert (await o.book(c1, future(30), lead_id=ours)).status_code == 201


async def test_an_appointment_goes_only_to_a_consultant_of_its_branch(urls):
    async with office(urls) as o:
        (c1,) = await o.staff()
        (theirs,) = await o.staff(branch=OTHER)
        _refused(await o.book(theirs, future(30)), "unknown-consultant", ["body", "consultant_id"])
        await _nothing_stored(o)
        appt = (await o.book(c1, future(30))).json()
        r = await o.client.patch(f"/v1/appointments/{appt['id']}", json={"consultant_id": theirs}, headers=o.auth())
        _refused(r, "unknown-consultant", ["body", "consultant_id"])
        got = (await o.client.get(f"/v1/appointments/{appt['id']}", headers=o.auth())).json()
        assert got["consultant_id"] == c1 and got["version"] == 1


def _reception(o, **extra) -> dict:
    start = future(30)
    return {"branch_id": o.branch, "class": "D", "guests": [{"name": "g"}], "purpose": "p",
            "arrive_at": start.isoformat(), "leave_at": (start + timedelta(hours=2)).isoformat(),
            "resources": [{"kind": "car", "name": "car-1"}], **extra}


async def test_a_reception_is_hosted_by_staff_of_its_branch(urls):
    async with office(urls) as o:
        (c1,) = await o.staff()
        (theirs,) = await o.staff(branch=OTHER)
        (desk,) = await o.staff(role="reception")
        as_c1 = o.auth("consultant", sub=c1)
        for host in (theirs, "nobody-here", desk):  # front-desk staff do not host (nor file the feedback)
            r = await o.client.post("/v1/receptions", json=_reception(o, host_id=host), headers=as_c1)
            _refused(r, "unknown-host", ["body", "host_id"])
        await _nothing_stored(o)
        r = await o.client.post("/v1/receptions", json=_reception(o, host_id=c1), headers=o.auth("manager", sub="m-1"))
        assert r.status_code == 201 and r.json()["host_id"] == c1, r.text
        r = await o.client.post("/v1/receptions", json=_reception(o, resources=[]), headers=as_c1)
        assert r.status_code == 201 and r.json()["host_id"] == c1, "the requester hosts by default"


async def test_follow_up_tasks_go_to_staff_of_the_branch(urls):
    async with office(urls) as o:
        (c1,) = await o.staff()
        (theirs,) = await o.staff(branch=OTHER)
        rec = (await o.client.post("/v1/receptions", json=_reception(o), headers=o.auth("consultant", sub=c1))).json()
        assert (await o.client.post(f"/v1/receptions/{rec['id']}/approve", headers=o.auth("manager"))).status_code == 200
        feedback = {"summary": "ok", "follow_ups": [{"title": "call back", "owner_id": c1},
                                                    {"title": "send offer", "owner_id": theirs}]}
        r = await o.client.post(f"/v1/receptions/{rec['id']}/feedback", json=feedback, headers=o.auth("consultant", sub=c1))
        _refused(r, "unknown-owner", ["body", "follow_ups", 1, "owner_id"])
        assert (await o.db.receptions.find_one({"_id": rec["id"]}))["status"] == "approved"
        feedback["follow_ups"].pop()
        r = await o.client.post(f"/v1/receptions/{rec['id']}/feedback", json=feedback, headers=o.auth("consultant", sub=c1))
        assert r.status_code == 200 and r.json()["status"] == "completed", r.text


async def test_the_rotation_and_availability_name_consultants_of_the_branch(urls):
    async with office(urls) as o:
        c1, gone = await o.staff(2)
        (theirs,) = await o.staff(branch=OTHER)
        await o.join(c1, gone)
        await o.leave_company(gone)
        for who in (theirs, "nobody-here"):
            r = await o.client.post(f"/v1/rotation/{o.branch}/leave", json={"consultant_id": who}, headers=o.auth())
            _refused(r, "unknown-consultant", ["body", "consultant_id"])
            r = await o.client.get("/v1/appointments/availability", headers=o.auth(),
                                   params={"branch_id": o.branch, "consultant_id": who, "date": "2031-03-04"})
            _refused(r, "unknown-consultant", ["query", "consultant_id"])
        r = await o.client.post(f"/v1/rotation/{o.branch}/leave", json={"consultant_id": gone}, headers=o.auth())
        assert r.status_code == 200, "someone who left the company may still be taken off a queue"
        r = await o.client.get("/v1/appointments/availability", headers=o.auth(),
                               params={"branch_id": o.branch, "consultant_id": c1, "date": "2031-03-04"})
        assert r.status_code == 200


async def test_a_visit_arrives_only_for_an_appointment_of_its_branch(urls):
    """Already so before issue 14 (404: the appointment is not found in the visit's branch); kept."""
    async with office(urls) as o:
        (c1,) = await o.staff()
        await o.join(c1)
        r = await o.check_in(appointment_id="no-such-appointment")
        assert r.status_code == 404
        assert await o.db.visits.count_documents({}) == 0
