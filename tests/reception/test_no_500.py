"""No request content produces a 500: random and mutated bodies against every writing endpoint, and
random query strings against every reading one -- control characters, zero-width text and times
far outside 2000-2200 included (issue 14, D5)."""

import json

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.reception.builders import future, office

ODD = st.sampled_from(["\x00", "a\x01b", "\u200b\u200b", "   ", "\ufeff", "a\u2028b", "0001-01-01T00:00:00+00:00",
                       "9999-12-31T23:59:59+14:00", "2200-12-31T23:59:59-14:00", "1999-12-31T23:59:59-14:00",
                       "0000-01-01", "9999-12-31", "2200-12-31", "24:00", "09:00+08:00", "-1", "1e400"])
leaf = st.one_of(st.none(), st.booleans(), st.integers(-10**12, 10**12), st.floats(allow_nan=False),
                 st.text(max_size=30), st.just("2030-01-01T10:00:00+08:00"), st.just("13812345678"),
                 st.just({"$ne": None}), st.just("A"), st.just("showing"), ODD)
anything = st.recursive(leaf, lambda inner: st.one_of(st.lists(inner, max_size=4),
                                                     st.dictionaries(st.text(max_size=12), inner, max_size=5)), max_leaves=12)


def mutations(template: dict):
    keys = st.sampled_from(sorted(template))
    return st.one_of(
        st.builds(lambda k, v: {**template, k: v}, keys, anything),
        st.builds(lambda k: {x: y for x, y in template.items() if x != k}, keys),
        anything,
    )


def draw(strategy, n: int) -> list:
    """Examples drawn by Hypothesis up front, then sent from the async test."""
    out: list = []

    @settings(max_examples=n, database=None, deadline=None, suppress_health_check=list(HealthCheck))
    @given(strategy)
    def collect(value):
        out.append(value)

    collect()
    return out


async def test_random_and_mutated_bodies_never_500(urls):
    async with office(urls) as o:
        (c1,) = await o.staff()
        await o.join(c1)
        appt = (await o.book(c1, future(30))).json()
        visit = (await o.check_in()).json()
        rec = (await o.client.post("/v1/receptions", headers=o.auth("manager"), json={
            "branch_id": o.branch, "class": "D", "guests": [{"name": "g"}], "purpose": "p",
            "arrive_at": future(30).isoformat(), "leave_at": future(31).isoformat()})).json()
        templates = [
            ("POST", "/v1/appointments", o.appointment(c1, future(60)), "reception"),
            ("PATCH", f"/v1/appointments/{appt['id']}", {"start": future(70).isoformat(), "end": future(71).isoformat(),
                                                         "consultant_id": c1}, "reception"),
            ("POST", "/v1/visits", {"branch_id": o.branch, "visitor": {"name": "x", "phone": "13812345678"},
                                    "party_size": 1, "appointment_id": appt["id"]}, "reception"),
            ("POST", f"/v1/visits/{visit['id']}/assign", {"consultant_id": c1, "reason": "r"}, "reception"),
            ("POST", f"/v1/visits/{visit['id']}/end", {"outcome": "x", "note": "y"}, "reception"),
            ("POST", f"/v1/rotation/{o.branch}/join", {"consultant_id": c1}, "reception"),
            ("POST", "/v1/receptions", {"branch_id": o.branch, "class": "C", "guests": [{"name": "g"}], "purpose": "p",
                                        "arrive_at": future(30).isoformat(), "leave_at": future(31).isoformat(),
                                        "resources": [{"kind": "car", "name": "c1"}]}, "manager"),
            ("POST", f"/v1/receptions/{rec['id']}/reject", {"reason": "r"}, "manager"),
            ("POST", f"/v1/receptions/{rec['id']}/feedback", {"summary": "s", "spent": 1}, "manager"),
        ]
        for method, path, template, role in templates:
            failures = []
            for body in draw(mutations(template), 40):
                r = await o.client.request(method, path, content=json.dumps(body), headers={
                    **o.auth(role), "content-type": "application/json"})
                if r.status_code >= 500:
                    failures.append((body, r.text))
            assert not failures, (method, path, failures[:3])


async def test_random_query_strings_never_500(urls):
    async with office(urls) as o:
        (c1,) = await o.staff()
        appt = (await o.book(c1, future(30))).json()
        value = st.one_of(ODD, st.text(st.characters(codec="utf-8"), max_size=20), st.just(c1), st.just(o.branch),
                          st.just("2030-01-01"), st.just("2030-01-01T10:00:00+08:00"))
        reads = [
            ("/v1/appointments", ("branch_id", "consultant_id", "lead_id", "from", "to", "status", "limit", "cursor")),
            ("/v1/appointments/availability", ("branch_id", "consultant_id", "date", "opens", "closes")),
            (f"/v1/appointments/{appt['id']}", ()),
            ("/v1/visits", ("branch_id", "status", "lead_id", "date")),
            (f"/v1/rotation/{o.branch}", ("date",)),
            ("/v1/receptions", ("branch_id", "status")),
        ]
        for path, names in reads:
            failures = []
            params = st.fixed_dictionaries({}, optional={n: value for n in names}) if names else st.just({})
            for query in draw(params, 40 if names else 1):
                for role in ("manager", "integrator", "partner"):
                    r = await o.client.get(path, params=query, headers=o.auth(role))
                    if r.status_code >= 500:
                        failures.append((role, query, r.text))
            assert not failures, (path, failures[:3])
