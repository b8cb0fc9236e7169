"""What people type into reception is printable text, and every time is within 2000-2200
(issue 14, D5): control characters, NUL, names of only spaces or zero-width characters are
a 422 that stores nothing; text is kept NFC and trimmed; year 1 or 9999 is a 422, in bodies
and in queries, never a 500."""

from __future__ import annotations

import unicodedata
from datetime import timedelta

import pytest

from tests.reception.builders import future, new_phone, office

BAD_TEXT = ["a\u0001b", "a\u0000b", "   ", "\u200b\u200b", "\u3000", "\ufeff \u200b", "a\u007fb", "\u202e"]
BAD_LINE = [*BAD_TEXT, "two\nlines"]  # a name, a title, a reason is one line
BAD_TIMES = ["0001-01-01T10:00:00+00:00", "9999-12-31T10:00:00+00:00", "1999-12-31T23:00:00+00:00",
             "2201-01-01T10:00:00+00:00"]


async def _counts(o) -> dict:
    return {c: await o.db[c].count_documents({}) for c in ("appointments", "slots", "visits", "receptions",
                                                         "resource_slots")}


def _set(body: dict, path: tuple, value) -> dict:
    """A copy of `body` with the field at `path` (keys and list indexes) set to `value`."""
    if not path:
        return value
    copy = list(body) if isinstance(body, list) else dict(body)
    copy[path[0]] = _set(body[path[0]], path[1:], value)
    return copy


def _reception(o) -> dict:
    start = future(30)
    return {"branch_id": o.branch, "class": "D", "guests": [{"name": "刘总", "title": "董事长"}], "purpose": "考察",
            "arrive_at": start.isoformat(), "leave_at": (start + timedelta(hours=2)).isoformat()}


async def test_control_characters_and_blank_text_are_refused_and_store_nothing(urls):
    async with office(urls) as o:
        (c1,) = await o.staff()
        await o.join(c1)
        appointment = o.appointment(c1, future(30), notes="n", route="east gate", kind="showing", on_site=True)
        visit = {"branch_id": o.branch, "visitor": {"name": "访客", "phone": new_phone()}}
        cases = [
            ("/v1/appointments", "reception", appointment, ("customer", "name"), BAD_LINE),
            ("/v1/appointments", "reception", appointment, ("customer", "email"), ["a\u0000@b.cn", "a\u0001b@c.cn"]),
            ("/v1/appointments", "reception", appointment, ("notes",), BAD_TEXT),
            ("/v1/appointments", "reception", appointment, ("route",), BAD_LINE),
            ("/v1/visits", "reception", visit, ("visitor", "name"), BAD_LINE),
            ("/v1/receptions", "manager", _reception(o), ("guests", 0, "name"), BAD_LINE),
            ("/v1/receptions", "manager", _reception(o), ("guests", 0, "title"), BAD_LINE),
            ("/v1/receptions", "manager", _reception(o), ("purpose",), BAD_TEXT),
        ]
        accepted = []
        for path, role, body, field, values in cases:
            for value in values:
                r = await o.client.post(path, json=_set(body, field, value), headers=o.auth(role))
                if r.status_code != 422:
                    accepted.append((path, field, repr(value), r.status_code))
        assert not accepted, "\n".join(map(str, accepted))
        assert await _counts(o) == {"appointments": 0, "slots": 0, "visits": 0, "receptions": 0, "resource_slots": 0}


async def test_text_on_changes_is_refused_too_and_changes_nothing(urls):
    async with office(urls) as o:
        (c1,) = await o.staff()
        await o.join(c1)
        appt = (await o.book(c1, future(30))).json()
        visit = (await o.check_in()).json()
        rec = (await o.client.post("/v1/receptions", json=_reception(o), headers=o.auth("consultant", sub=c1))).json()
        cases = [
            (f"/v1/appointments/{appt['id']}/cancel", "reception", {"reason": "r"}, ("reason",), BAD_LINE),
            (f"/v1/visits/{visit['id']}/assign", "reception", {"consultant_id": c1, "reason": "r"}, ("reason",), BAD_LINE),
            (f"/v1/visits/{visit['id']}/end", "reception", {"outcome": "o", "note": "n"}, ("outcome",), BAD_LINE),
            (f"/v1/visits/{visit['id']}/end", "reception", {"outcome": "o", "note": "n"}, ("note",), BAD_TEXT),
            (f"/v1/receptions/{rec['id']}/approve", "manager", {"note": "n"}, ("note",), BAD_TEXT),
            (f"/v1/receptions/{rec['id']}/reject", "manager", {"reason": "r"}, ("reason",), BAD_TEXT),
        ]
        accepted = []
        for path, role, body, field, values in cases:
            for value in values:
                r = await o.client.post(path, json=_set(body, field, value), headers=o.auth(role, sub="m-1"))
                if r.status_code != 422:
                    accepted.append((path, field, repr(value), r.status_code))
        assert not accepted, "\n".join(map(str, accepted))
        assert (await o.db.appointments.find_one({"_id": appt["id"]}))["status"] == "scheduled"
        assert (await o.db.visits.find_one({"_id": visit["id"]}))["status"] == "open"
        assert (await o.db.receptions.find_one({"_id": rec["id"]}))["status"] == "pending"
        assert (await o.client.post(f"/v1/receptions/{rec['id']}/approve", headers=o.auth("manager"))).status_code == 200
        feedback = {"summary": "s", "follow_ups": [{"title": "t"}]}
        for field, values in ((("summary",), BAD_TEXT), (("follow_ups", 0, "title"), BAD_LINE)):
            for value in values:
                r = await o.client.post(f"/v1/receptions/{rec['id']}/feedback", json=_set(feedback, field, value),
                                        headers=o.auth("manager"))
                assert r.status_code == 422, (field, repr(value), r.text)
        assert (await o.db.receptions.find_one({"_id": rec["id"]}))["status"] == "approved"


async def test_typed_text_is_stored_normalised_and_trimmed_with_line_breaks_kept_in_notes(urls):
    async with office(urls) as o:
        (c1,) = await o.staff()
        decomposed = unicodedata.normalize("NFD", "Zoë")
        r = await o.book(c1, future(30), notes="  first line\nsecond\tline \u200b",
                         customer={"name": f"\u200b {decomposed}  ", "phone": "13812345678"})
        assert r.status_code == 201, r.text
        assert r.json()["customer"]["name"] == "Zoë" and r.json()["notes"] == "first line\nsecond\tline"
        stored = await o.db.appointments.find_one({"_id": r.json()["id"]})
        assert stored["customer"]["name"] == unicodedata.normalize("NFC", "Zoë")


@pytest.mark.parametrize("when", BAD_TIMES)
async def test_times_outside_2000_to_2200_are_refused(urls, when):
    async with office(urls) as o:
        (c1,) = await o.staff()
        await o.join(c1)
        appt = (await o.book(c1, future(30))).json()
        rec = (await o.client.post("/v1/receptions", json=_reception(o), headers=o.auth("consultant", sub=c1))).json()
        await o.client.post(f"/v1/receptions/{rec['id']}/approve", headers=o.auth("manager"))
        before = await _counts(o)
        good = o.appointment(c1, future(40))
        bodies = [
            ("POST", "/v1/appointments", {**good, "start": when}),
            ("POST", "/v1/appointments", {**good, "end": when}),
            ("PATCH", f"/v1/appointments/{appt['id']}", {"start": when, "end": when}),
            ("POST", "/v1/receptions", {**_reception(o), "arrive_at": when}),
            ("POST", "/v1/receptions", {**_reception(o), "leave_at": when}),
            ("POST", f"/v1/receptions/{rec['id']}/feedback", {"summary": "s", "follow_ups": [{"title": "t", "due": when}]}),
        ]
        for method, path, body in bodies:
            r = await o.client.request(method, path, json=body, headers=o.auth("manager"))
            assert r.status_code == 422, (method, path, r.text)
        day = when[:10]
        queries = [
            ("/v1/appointments", {"from": when}), ("/v1/appointments", {"to": when}),
            ("/v1/appointments/availability", {"branch_id": o.branch, "consultant_id": c1, "date": day}),
            (f"/v1/rotation/{o.branch}", {"date": day}),
        ]
        for path, params in queries:
            r = await o.client.get(path, params=params, headers=o.auth("manager"))
            assert r.status_code == 422, (path, params, r.text)
            assert r.headers["content-type"].startswith("application/problem+json")
        assert await _counts(o) == before
        assert (await o.db.appointments.find_one({"_id": appt["id"]}))["version"] == 1
