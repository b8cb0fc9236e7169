"""Every full number audited (issue 19): an appointment's contact and a visitor's phone come only from
their reveal endpoints, to those who serve the customer, each reveal audited before the number is
shown; a refused reveal leaves no record; the audit keeps masks, never the number."""

from __future__ import annotations

from tests.reception.builders import future, office


async def _audit(o, kind: str, object_id: str | None = None, who: dict | None = None) -> list[dict]:
    params = {"branch_id": o.branch} | ({f"{kind}_id": object_id} if object_id else {})
    r = await o.client.get(f"/v1/{kind}s/audit", params=params, headers=who or o.auth("manager", sub="m-1"))
    assert r.status_code == 200, r.text
    return r.json()["items"]


async def test_an_appointments_contact_is_revealed_to_those_who_serve_the_customer_and_audited(urls):
    async with office(urls) as o:
        c1, c2 = await o.staff(2)
        appt = (await o.book(c1, future(30))).json()
        path = f"/v1/appointments/{appt['id']}/contact"
        for role, sub in (("consultant", c1), ("reception", "desk-1"), ("manager", "m-1"), ("admin", "root")):
            before = await _audit(o, "appointment", appt["id"])
            r = await o.client.get(path, params={"reason": f"回电 {role}"}, headers=o.auth(role, sub=sub))
            assert r.status_code == 200, (role, r.text)
            assert r.json() == {"appointment_id": appt["id"], "name": "张女士", "phone": "+8613812345678",
                                "email": "z@example.com"}
            after = await _audit(o, "appointment", appt["id"])
            assert len(after) == len(before) + 1, role
            newest = after[0]
            assert (newest["actor_id"], newest["actor_role"], newest["reason"], newest["action"]) == (
                sub, role, f"回电 {role}", "appointment.contact.reveal")
            assert (newest["object_type"], newest["object_id"], newest["branch_id"]) == ("appointment", appt["id"], o.branch)
            assert (newest["phone_masked"], newest["email_masked"]) == ("138****5678", "z***@example.com")
            assert "13812345678" not in str(newest) and "z@example.com" not in str(newest)
        assert next(a for a in await _audit(o, "appointment") if a["actor_id"] == c1)["actor_name"] == f"staff {c1[-4:]}"

        for role, sub in (("consultant", c2), ("integrator", "calendar-sync"), ("partner", "agency-1"), ("finance", "f-1")):
            before = await _audit(o, "appointment", appt["id"])
            r = await o.client.get(path, headers=o.auth(role, sub=sub))
            assert r.status_code == 403 and r.json()["type"].endswith("/forbidden"), (role, r.text)
            assert "13812345678" not in r.text and "z@example.com" not in r.text
            assert await _audit(o, "appointment", appt["id"]) == before, f"a refused reveal by {role} left a record"
        r = await o.client.get(path, headers=o.auth("manager", sub="m-2", branches=["gz-east"]))
        assert r.status_code == 404, "another branch's appointment does not exist for the caller"


async def test_only_managers_read_the_audit_of_their_branch(urls):
    async with office(urls) as o:
        for kind in ("appointment", "visit"):
            for role in ("consultant", "reception", "integrator", "partner", "finance"):
                r = await o.client.get(f"/v1/{kind}s/audit", params={"branch_id": o.branch}, headers=o.auth(role, sub="x"))
                assert r.status_code == 403, (kind, role, r.text)
            r = await o.client.get(f"/v1/{kind}s/audit", params={"branch_id": o.branch},
                                   headers=o.auth("manager", sub="m-2", branches=["gz-east"]))
            assert r.status_code == 404, (kind, r.text)


async def test_a_visitors_phone_is_revealed_to_its_consultant_and_the_desk_and_audited(urls):
    async with office(urls) as o:
        c1, c2 = await o.staff(2)
        await o.join(c1)
        visit = (await o.check_in("13900001111")).json()
        assert visit["consultant_id"] == c1 and visit["visitor"]["phone_masked"] == "139****1111"
        assert "phone_sealed" not in visit["visitor"] and "13900001111" not in str(visit)
        path = f"/v1/visits/{visit['id']}/phone"
        for role, sub in (("consultant", c1), ("reception", "desk-1"), ("manager", "m-1")):
            r = await o.client.get(path, params={"reason": "联系访客"}, headers=o.auth(role, sub=sub))
            assert r.status_code == 200 and r.json() == {"visit_id": visit["id"], "phone": "+8613900001111"}, (role, r.text)
        records = await _audit(o, "visit", visit["id"])
        assert [(a["actor_id"], a["action"], a["phone_masked"]) for a in records] == [
            (sub, "visit.phone.reveal", "139****1111") for sub in ("m-1", "desk-1", c1)]
        for role, sub in (("consultant", c2), ("integrator", "sync"), ("partner", "agency-1")):
            r = await o.client.get(path, headers=o.auth(role, sub=sub))
            assert r.status_code == 403 and "13900001111" not in r.text, (role, r.text)
        assert len(await _audit(o, "visit", visit["id"])) == 3
        listed = (await o.client.get("/v1/visits", params={"branch_id": o.branch}, headers=o.auth())).json()
        assert "13900001111" not in str(listed) and "phone_sealed" not in str(listed)


async def test_a_visit_recorded_before_the_seal_has_no_full_number_to_reveal(urls):
    async with office(urls) as o:
        (c1,) = await o.staff()
        await o.join(c1)
        visit = (await o.check_in()).json()
        await o.db.visits.update_one({"_id": visit["id"]}, {"$unset": {"visitor.phone_sealed": ""}})
        r = await o.client.get(f"/v1/visits/{visit['id']}/phone", headers=o.auth("manager", sub="m-1"))
        assert r.status_code == 409 and r.json()["type"].endswith("/no-full-number"), r.text
        assert await _audit(o, "visit", visit["id"]) == [], "no number shown, no record"


async def test_an_appointments_arrival_checks_in_with_the_number_on_file(urls):
    """The desk checks in a booked customer without seeing (or typing) the number: the visit takes the
    appointment's, so the returning-customer match and the reveal still work."""
    async with office(urls) as o:
        (c1,) = await o.staff()
        await o.join(c1)
        appt = (await o.book(c1, future(2))).json()
        r = await o.client.post("/v1/visits", headers=o.auth(), json={
            "branch_id": o.branch, "appointment_id": appt["id"], "visitor": {"name": "张女士"}})
        assert r.status_code == 201, r.text
        visit = r.json()
        assert visit["appointment_id"] == appt["id"] and visit["visitor"]["phone_masked"] == "138****5678"
        shown = await o.client.get(f"/v1/visits/{visit['id']}/phone", headers=o.auth())
        assert shown.json()["phone"] == "+8613812345678"
        r = await o.client.post("/v1/visits", headers=o.auth(), json={"branch_id": o.branch, "visitor": {"name": "无号"}})
        assert r.status_code == 422, "without an appointment the phone is required"
