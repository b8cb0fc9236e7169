"""Who may use each reception endpoint, written down per role (issue 14, D2 and D9).

Reception is the office's floor: appointments, walk-ins, the rotation, business receptions.
Partners (channel agencies) see none of it -- an appointment list once let a partner read the
name and masked phone of a customer the office found itself, report it, and take the
commission. Integrators keep their read access (phones masked, as for every caller: issue 19).
A role that may not use an endpoint gets 403 `forbidden`; an object or branch outside the
caller's branches is 404 whatever the role. A consultant changes only its own appointments.
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from crm_shared.aggregates import hidden
from tests.reception.builders import future, new_phone, office

ROLES = ("admin", "manager", "consultant", "reception", "partner", "integrator")
STAFF = {"admin", "manager", "consultant", "reception"}
READERS = STAFF | {"integrator"}  # integrations read the calendar and the floor, never full phone numbers

# The decision for every reception operation: the roles that may call it. An operation missing
# here fails `test_every_reception_operation_has_a_decision`.
WHO: dict[tuple[str, str], set[str]] = {
    ("POST", "/v1/appointments"): STAFF,
    ("GET", "/v1/appointments"): READERS,
    ("GET", "/v1/appointments/availability"): READERS,
    ("GET", "/v1/appointments/{appointment_id}"): READERS,
    ("PATCH", "/v1/appointments/{appointment_id}"): STAFF,
    ("POST", "/v1/appointments/{appointment_id}/cancel"): STAFF,
    ("POST", "/v1/appointments/{appointment_id}/no-show"): STAFF,
    ("GET", "/v1/appointments/audit"): {"manager", "admin"},
    # the audited reveals: of consultants only the object's own (these callers are not), never integrators
    ("GET", "/v1/appointments/{appointment_id}/contact"): {"reception", "manager", "admin"},
    ("POST", "/v1/visits"): {"reception", "manager", "admin"},
    ("GET", "/v1/visits/audit"): {"manager", "admin"},
    ("GET", "/v1/visits/{visit_id}/phone"): {"reception", "manager", "admin"},
    ("GET", "/v1/visits"): READERS,
    ("GET", "/v1/visits/{visit_id}"): READERS,
    ("POST", "/v1/visits/{visit_id}/end"): STAFF,
    ("POST", "/v1/visits/{visit_id}/assign"): {"reception", "manager", "admin"},  # the desk hands visitors over
    ("GET", "/v1/rotation/{branch_id}"): READERS,
    ("POST", "/v1/rotation/{branch_id}/join"): STAFF,
    ("POST", "/v1/rotation/{branch_id}/leave"): STAFF,
    ("POST", "/v1/receptions"): {"consultant", "manager", "admin"},
    ("GET", "/v1/receptions"): READERS,
    ("GET", "/v1/receptions/{reception_id}"): READERS,
    ("POST", "/v1/receptions/{reception_id}/approve"): {"manager", "admin"},
    ("POST", "/v1/receptions/{reception_id}/reject"): {"manager", "admin"},
    ("POST", "/v1/receptions/{reception_id}/feedback"): {"consultant", "manager", "admin"},
}


async def _floor(o):
    """One of everything in the office's branch: the ids and a valid request for every operation."""
    c1, c2 = await o.staff(2)
    await o.join(c1, c2)
    appt = (await o.book(c1, future(20))).json()
    visit = (await o.check_in()).json()
    arrive = future(30)
    rec = (await o.client.post("/v1/receptions", headers=o.auth("consultant", sub=c1), json={
        "branch_id": o.branch, "class": "D", "guests": [{"name": "g"}], "purpose": "p",
        "arrive_at": arrive.isoformat(), "leave_at": (arrive + timedelta(hours=1)).isoformat()})).json()
    b, a, v, r = o.branch, appt["id"], visit["id"], rec["id"]
    later = future(60)
    calls = {
        ("POST", "/v1/appointments"): ("/v1/appointments", None, o.appointment(c2, future(40))),
        ("GET", "/v1/appointments"): ("/v1/appointments", {"branch_id": b}, None),
        ("GET", "/v1/appointments/availability"): (
            "/v1/appointments/availability", {"branch_id": b, "consultant_id": c1, "date": "2031-03-04"}, None),
        ("GET", "/v1/appointments/{appointment_id}"): (f"/v1/appointments/{a}", None, None),
        ("PATCH", "/v1/appointments/{appointment_id}"): (
            f"/v1/appointments/{a}", None, {"start": later.isoformat(), "end": (later + timedelta(hours=1)).isoformat()}),
        ("POST", "/v1/appointments/{appointment_id}/cancel"): (f"/v1/appointments/{a}/cancel", None, {"reason": "x"}),
        ("POST", "/v1/appointments/{appointment_id}/no-show"): (f"/v1/appointments/{a}/no-show", None, None),
        ("GET", "/v1/appointments/audit"): ("/v1/appointments/audit", {"branch_id": b}, None),
        ("GET", "/v1/appointments/{appointment_id}/contact"): (f"/v1/appointments/{a}/contact", {"reason": "回电"}, None),
        ("POST", "/v1/visits"): ("/v1/visits", None, {"branch_id": b, "visitor": {"name": "v", "phone": new_phone()}}),
        ("GET", "/v1/visits/audit"): ("/v1/visits/audit", {"branch_id": b}, None),
        ("GET", "/v1/visits/{visit_id}/phone"): (f"/v1/visits/{v}/phone", None, None),
        ("GET", "/v1/visits"): ("/v1/visits", {"branch_id": b}, None),
        ("GET", "/v1/visits/{visit_id}"): (f"/v1/visits/{v}", None, None),
        ("POST", "/v1/visits/{visit_id}/assign"): (f"/v1/visits/{v}/assign", None, {"consultant_id": c2, "reason": "r"}),
        ("POST", "/v1/visits/{visit_id}/end"): (f"/v1/visits/{v}/end", None, {"outcome": "interested"}),
        ("GET", "/v1/rotation/{branch_id}"): (f"/v1/rotation/{b}", None, None),
        ("POST", "/v1/rotation/{branch_id}/join"): (f"/v1/rotation/{b}/join", None, {"consultant_id": c1}),
        ("POST", "/v1/rotation/{branch_id}/leave"): (f"/v1/rotation/{b}/leave", None, {"consultant_id": c1}),
        ("POST", "/v1/receptions"): ("/v1/receptions", None, {
            "branch_id": b, "class": "D", "guests": [{"name": "g"}], "purpose": "p",
            "arrive_at": later.isoformat(), "leave_at": (later + timedelta(hours=1)).isoformat()}),
        ("GET", "/v1/receptions"): ("/v1/receptions", {"branch_id": b}, None),
        ("GET", "/v1/receptions/{reception_id}"): (f"/v1/receptions/{r}", None, None),
        ("POST", "/v1/receptions/{reception_id}/approve"): (f"/v1/receptions/{r}/approve", None, {"note": "ok"}),
        ("POST", "/v1/receptions/{reception_id}/reject"): (f"/v1/receptions/{r}/reject", None, {"reason": "no"}),
        ("POST", "/v1/receptions/{reception_id}/feedback"): (f"/v1/receptions/{r}/feedback", None, {"summary": "s"}),
    }
    return calls, (c1, c2, appt, visit, rec)


async def _state(o) -> dict:
    """What the floor holds, without the outbox bookkeeping the relay changes on its own."""
    return {c: await o.db[c].find({}, projection=hidden()).to_list()
            for c in ("appointments", "slots", "visits", "receptions", "rotations")}


async def test_every_reception_operation_has_a_decision(urls):
    async with office(urls) as o:
        spec = (await o.client.get("/openapi.json")).json()
        operations = {(m.upper(), p) for p, ops in spec["paths"].items() if p.startswith("/v1/") for m in ops}
        assert operations == set(WHO), f"without a decision: {operations - set(WHO)}; gone: {set(WHO) - operations}"


@pytest.mark.parametrize("role", ROLES)
async def test_refused_roles_get_403_and_readers_get_200_in_their_own_branch(urls, role):
    async with office(urls) as o:
        calls, _ = await _floor(o)
        before = await _state(o)
        wrong = []
        for (method, template), (path, params, body) in calls.items():
            r = await o.client.request(method, path, params=params, json=body, headers=o.auth(role, sub=f"{role}-1"))
            if role not in WHO[(method, template)]:
                if r.status_code != 403 or not r.json()["type"].endswith("/forbidden"):
                    wrong.append((method, path, r.status_code, r.text[:200]))
            elif method == "GET" and r.status_code != 200:
                wrong.append((method, path, r.status_code, r.text[:200]))
        assert not wrong, "\n".join(map(str, wrong))
        if role in ("partner", "integrator"):
            assert await _state(o) == before, "a refused call changes nothing"


@pytest.mark.parametrize("role", ROLES)
async def test_another_branch_is_404_whatever_the_role(urls, role):
    async with office(urls) as o:
        calls, _ = await _floor(o)
        outsider = o.auth(role, sub=f"{role}-outsider", branches=["gz-east"])
        wrong = []
        for (method, template), (path, params, body) in calls.items():
            r = await o.client.request(method, path, params=params, json=body, headers=outsider)
            creates = template in ("/v1/appointments", "/v1/visits", "/v1/receptions") and method == "POST"
            # A create names its branch in the body: a role that may never create is refused before
            # the body is read (403, which says nothing about the branch); everything else is 404.
            expected = 403 if creates and role not in WHO[(method, template)] else 404
            if r.status_code != expected:
                wrong.append((method, path, r.status_code, r.text[:200]))
        assert not wrong, "\n".join(map(str, wrong))


async def test_a_partner_cannot_read_the_customers_the_office_booked(urls):
    """The probe's path to a stolen commission, step one: the partner reads the office's appointment."""
    async with office(urls) as o:
        (c1,) = await o.staff()
        body = o.appointment(c1, future(30))
        body["customer"] = {"name": "赵六", "phone": "13911004444"}
        appt = await o.client.post("/v1/appointments", json=body, headers=o.auth())
        assert appt.status_code == 201, appt.text
        partner = o.auth("partner", sub="agency-1")
        for path, params in (("/v1/appointments", {"branch_id": o.branch}), ("/v1/appointments", None),
                             (f"/v1/appointments/{appt.json()['id']}", None), ("/v1/visits", {"branch_id": o.branch}),
                             ("/v1/receptions", {"branch_id": o.branch})):
            r = await o.client.get(path, params=params, headers=partner)
            assert r.status_code == 403, (path, r.text)
            assert "赵六" not in r.text and "4444" not in r.text


async def test_every_role_reads_appointments_with_masked_contacts(urls):
    """Issue 19: the list and the item carry the masks for everyone, the appointment's own consultant
    and the desk too; the full contact is the audited `/contact` (tests/reception/test_reveals.py)."""
    async with office(urls) as o:
        (c1,) = await o.staff()
        appt = (await o.book(c1, future(30))).json()
        assert appt["customer"] == {"name": "张女士", "phone": "138****5678", "email": "z***@example.com"}
        for who in (o.auth("integrator", sub="calendar-sync"), o.auth("consultant", sub=c1), o.auth(),
                    o.auth("manager", sub="m-1")):
            listed = (await o.client.get("/v1/appointments", params={"branch_id": o.branch}, headers=who)).json()
            one = (await o.client.get(f"/v1/appointments/{appt['id']}", headers=who)).json()
            assert listed["items"][0]["customer"] == one["customer"] == appt["customer"]
            assert "13812345678" not in str(listed) + str(one) and "z@example.com" not in str(listed) + str(one)


async def test_a_consultant_changes_only_its_own_appointments(urls):
    async with office(urls) as o:
        c1, c2, c3 = await o.staff(3)
        theirs = (await o.book(c2, future(30))).json()
        mine = (await o.book(c1, future(32))).json()
        as_c1 = o.auth("consultant", sub=c1)
        later = future(50)
        moved = {"start": later.isoformat(), "end": (later + timedelta(hours=1)).isoformat()}
        for method, path, body in (
            ("PATCH", f"/v1/appointments/{theirs['id']}", {"consultant_id": c1}),  # taking a colleague's customer
            ("PATCH", f"/v1/appointments/{theirs['id']}", moved),
            ("POST", f"/v1/appointments/{theirs['id']}/cancel", {"reason": "mine now"}),
            ("POST", f"/v1/appointments/{theirs['id']}/no-show", None),
        ):
            r = await o.client.request(method, path, json=body, headers=as_c1)
            assert r.status_code == 403 and r.json()["type"].endswith("/forbidden"), (method, path, r.text)
        got = await o.client.get(f"/v1/appointments/{theirs['id']}", headers=as_c1)
        assert got.status_code == 200, "a consultant still sees the branch's calendar"
        assert (got.json()["consultant_id"], got.json()["status"], got.json()["version"]) == (c2, "scheduled", 1)
        assert await o.db.slots.count_documents({"appointment_id": theirs["id"], "consultant_id": c2}) > 0

        r = await o.client.patch(f"/v1/appointments/{mine['id']}", json=moved, headers=as_c1)
        assert r.status_code == 200, r.text
        r = await o.client.patch(f"/v1/appointments/{mine['id']}", json={"consultant_id": c3}, headers=as_c1)
        assert r.status_code == 200 and r.json()["consultant_id"] == c3, "handing its own over is fine"
        r = await o.client.post(f"/v1/appointments/{mine['id']}/cancel", json={}, headers=as_c1)
        assert r.status_code == 403, "handed over: no longer c1's"

        desk = await o.client.post(f"/v1/appointments/{theirs['id']}/cancel", json={}, headers=o.auth("reception"))
        assert desk.status_code == 200, "the front desk acts on any appointment of its branch"
        boss = await o.client.post(f"/v1/appointments/{mine['id']}/no-show", headers=o.auth("manager", sub="m-1"))
        assert boss.status_code == 200, "so does a manager"
