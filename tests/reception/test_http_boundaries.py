"""Bad input gets a 4xx problem+json and changes nothing; another branch's ids are 404; roles are 403."""

from datetime import timedelta

import pytest

from tests.reception.builders import future, office


async def _counts(o) -> dict:
    return {c: await o.db[c].count_documents({}) for c in ("appointments", "slots", "visits", "receptions", "resource_slots")}


async def test_bad_inputs_are_4xx_problems_and_change_nothing(urls):
    async with office(urls) as o:
        (c1,) = await o.staff()
        await o.join(c1)
        good = o.appointment(c1, future(30))
        s = future(30)
        bad_appointments = [
            {**good, "end": (s - timedelta(hours=1)).isoformat()},
            {**good, "end": good["start"]},
            {**good, "end": (s + timedelta(hours=13)).isoformat()},
            {**good, "kind": "party"},
            {**good, "party_size": 0},
            {**good, "party_size": 500},
            {**good, "extra": 1},
            {**good, "consultant_id": {"$ne": "x"}},
            {**good, "branch_id": "Bad Branch"},
            {**good, "notes": "x" * 3000},
            {**good, "customer": {"name": "x", "phone": "12"}},
            {**good, "customer": {"name": "x", "phone": "not a phone"}},
            {**good, "start": "2030-01-01T10:00:00"},
            {**good, "customer": {"name": "x" * 101, "phone": "13812345678"}},
            {**good, "children": 2, "elderly": 2, "party_size": 3},
        ]
        for body in bad_appointments:
            r = await o.client.post("/v1/appointments", json=body, headers=o.auth())
            assert r.status_code == 422, (body, r.text)
            assert r.headers["content-type"].startswith("application/problem+json")
        r = await o.client.post("/v1/appointments", content=b"{nope", headers={**o.auth(), "content-type": "application/json"})
        assert r.status_code == 400
        bad_visits = [
            {"branch_id": o.branch, "visitor": {"name": "x", "phone": "abc"}},
            {"branch_id": o.branch, "visitor": {"name": "x", "phone": "13812345678"}, "party_size": 0},
            {"branch_id": o.branch, "visitor": {"name": "x", "phone": {"$ne": 1}}},
            {"branch_id": o.branch, "visitor": {"name": "x", "phone": "13812345678"}, "appointment_id": "a/b"},
        ]
        for body in bad_visits:
            r = await o.client.post("/v1/visits", json=body, headers=o.auth())
            assert r.status_code == 422, (body, r.text)
        base = {"branch_id": o.branch, "class": "C", "guests": [{"name": "g"}], "purpose": "p",
                "arrive_at": future(30).isoformat(), "leave_at": future(32).isoformat()}
        bad_receptions = [
            {**base, "class": "E"},
            {**base, "guests": []},
            {**base, "leave_at": base["arrive_at"]},
            {**base, "resources": [{"kind": "helicopter", "name": "h1"}]},
            {**base, "resources": [{"kind": "car", "name": "c1"}, {"kind": "car", "name": "c1"}]},
            {**base, "budget_per_head": -1},
            {**base, "leave_at": future(30 + 24 * 4).isoformat()},
        ]
        for body in bad_receptions:
            r = await o.client.post("/v1/receptions", json=body, headers=o.auth("manager"))
            assert r.status_code == 422, (body, r.text)
        assert await _counts(o) == {"appointments": 0, "slots": 0, "visits": 0, "receptions": 0, "resource_slots": 0}
        long_id = "x" * 65
        for path in (f"/v1/appointments/{long_id}", f"/v1/visits/{long_id}", f"/v1/receptions/{long_id}"):
            assert (await o.client.get(path, headers=o.auth())).status_code == 422
        r = await o.client.get("/v1/appointments", params={"limit": 1000}, headers=o.auth())
        assert r.status_code == 422
        r = await o.client.get("/v1/appointments", params={"cursor": "!!"}, headers=o.auth())
        assert r.status_code == 400


async def test_another_branchs_ids_are_404_everywhere(urls):
    async with office(urls) as o:
        (c1,) = await o.staff()
        await o.join(c1)
        appt = (await o.book(c1, future(20))).json()
        visit = (await o.check_in()).json()
        rec = (await o.client.post("/v1/receptions", headers=o.auth("manager"), json={
            "branch_id": o.branch, "class": "D", "guests": [{"name": "g"}], "purpose": "p",
            "arrive_at": future(30).isoformat(), "leave_at": future(31).isoformat()})).json()
        other = {"reception": o.auth("reception", branches=["gz-east"]), "manager": o.auth("manager", branches=["gz-east"])}
        calls = [
            ("GET", f"/v1/appointments/{appt['id']}", None, "reception"),
            ("PATCH", f"/v1/appointments/{appt['id']}", {"consultant_id": c1}, "reception"),
            ("POST", f"/v1/appointments/{appt['id']}/cancel", None, "reception"),
            ("POST", f"/v1/appointments/{appt['id']}/no-show", None, "reception"),
            ("GET", f"/v1/visits/{visit['id']}", None, "reception"),
            ("POST", f"/v1/visits/{visit['id']}/end", {}, "reception"),
            ("GET", f"/v1/receptions/{rec['id']}", None, "manager"),
            ("POST", f"/v1/receptions/{rec['id']}/approve", None, "manager"),
            ("POST", f"/v1/receptions/{rec['id']}/reject", {"reason": "x"}, "manager"),
            ("POST", f"/v1/receptions/{rec['id']}/feedback", {"summary": "x"}, "manager"),
            ("GET", f"/v1/rotation/{o.branch}", None, "reception"),
            ("POST", f"/v1/rotation/{o.branch}/join", {"consultant_id": c1}, "reception"),
            ("GET", "/v1/appointments/availability?branch_id=%s&consultant_id=%s&date=2030-01-01" % (o.branch, c1), None, "reception"),
        ]
        for method, path, body, role in calls:
            r = await o.client.request(method, path, json=body, headers=other[role])
            assert r.status_code == 404, (method, path, r.text)
        r = await o.client.post("/v1/visits", headers=other["reception"], json={
            "branch_id": "gz-east", "appointment_id": appt["id"], "visitor": {"name": "x", "phone": "13812345678"}})
        assert r.status_code == 404, "an appointment of another branch is not found"
        listed = await o.client.get("/v1/appointments", headers=other["reception"])
        assert listed.json()["items"] == []
        assert (await o.client.get(f"/v1/appointments/{appt['id']}", headers=o.auth())).json()["status"] == "scheduled"


@pytest.mark.parametrize("role,method,path", [
    ("consultant", "POST", "/v1/visits"),
    ("partner", "POST", "/v1/appointments"),
    ("reception", "POST", "/v1/receptions"),
])
async def test_roles_outside_the_contract_get_403(urls, role, method, path):
    async with office(urls) as o:
        r = await o.client.request(method, path, json={}, headers=o.auth(role))
        assert r.status_code in (403, 422)
        if r.status_code == 422:
            pytest.fail(f"{role} reached validation: {r.text}")


async def test_no_token_is_401(urls):
    async with office(urls) as o:
        assert (await o.client.get(f"/v1/rotation/{o.branch}")).status_code == 401
