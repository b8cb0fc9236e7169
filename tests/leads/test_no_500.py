"""Property: no request body, however odd, makes a leads endpoint answer 5xx."""

import json

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.leads.builders import new_phone, office

ODD = ["a\u0001b", "\u0000", "\u200b", " ", "\ud800", "0001-01-01T00:00:00+00:00", "9999-12-31T23:59:59-14:00",
       "0000-01-01", "2030-01-01T00:00:00", "$where", "a.b", "x" * 300]  # issue 14: control characters, extreme dates
scalars = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False, allow_infinity=False), st.text(max_size=30),
                    st.sampled_from(["13812345678", "138****5678", "A", "lost", "won", "call", "b1", "walk_in", *ODD]))
json_values = st.recursive(scalars, lambda inner: st.one_of(st.lists(inner, max_size=3),
                                                            st.dictionaries(st.text(max_size=10), inner, max_size=4)), max_leaves=12)
lead_like = st.fixed_dictionaries({}, optional={
    "branch_id": json_values, "customer": st.fixed_dictionaries({}, optional={"name": json_values, "phone": json_values,
                                                                            "gender": json_values, "birthday": json_values}),
    "source": st.fixed_dictionaries({}, optional={"channel": json_values}), "grade": json_values,
    "owner_id": json_values, "outcome": json_values, "reason": json_values, "kind": json_values,
    "next_follow_up_at": json_values, "phone": json_values, "customer_name": json_values, "claim": json_values,
    "report_id": json_values, "winner": json_values, "note": json_values, "outcome": json_values, "interest": json_values,
    "name": json_values, "role": json_values, "email": json_values, "lead_id": json_values, "id": json_values,
    "lead_ids": json_values,
})


def bodies(n: int) -> list:
    out: list = []

    @settings(max_examples=n, deadline=None, suppress_health_check=list(HealthCheck), database=None)
    @given(body=st.one_of(lead_like, json_values))
    def collect(body):
        out.append(body)

    collect()
    return out


async def test_no_body_makes_a_500(urls):
    generated = bodies(150)
    async with office(urls) as o:
        cid = await o.add_staff("c")
        lead = await o.register(o.as_("consultant", cid), new_phone())
        lid = lead["id"]
        paths = [("POST", "/v1/leads"), ("PATCH", f"/v1/leads/{lid}"), ("POST", f"/v1/leads/{lid}/follow-ups"),
                 ("POST", f"/v1/leads/{lid}/close"), ("POST", f"/v1/leads/{lid}/assign"), ("POST", "/v1/channel-reports"),
                 ("POST", "/v1/attribution-disputes"), ("POST", "/v1/staff"), ("POST", "/v1/branches"),
                 ("POST", f"/v1/staff/{cid}/leave"), ("POST", "/v1/leads/assign"), ("PATCH", f"/v1/staff/{cid}")]
        for i, body in enumerate(generated):
            method, path = paths[i % len(paths)]
            role = "partner" if "channel" in path else ("admin" if path in ("/v1/branches", "/v1/staff") else "manager")
            r = await o.client.request(method, path, content=json.dumps(body).encode(),
                                       headers=o.as_(role, "x") | {"content-type": "application/json"})
            assert r.status_code < 500, (method, path, body, r.text)


async def test_no_query_makes_a_500(urls):
    """Every leads GET with odd query values (control characters, extreme lengths, operators) as every role."""
    params = [dict(zip(QUERY, values)) for values in queries(60)]
    async with office(urls) as o:
        cid = await o.add_staff("c")
        lid = (await o.register(o.as_("consultant", cid), new_phone()))["id"]
        gets = ["/v1/leads", f"/v1/leads/{lid}", f"/v1/leads/{lid}/follow-ups", f"/v1/leads/{lid}/phone", "/v1/audit",
                "/v1/pool/quota", "/v1/staff", f"/v1/staff/{cid}", "/v1/channel-reports", "/v1/attribution-disputes",
                "/v1/branches", "/v1/branches/b1"]
        for i, query in enumerate(params):
            for path in gets:
                role = ("admin", "manager", "consultant", "reception", "partner", "integrator")[i % 6]
                r = await o.client.get(path, params={k: v for k, v in query.items() if v is not None},
                                       headers=o.as_(role, cid if role == "consultant" else "x"))
                assert r.status_code < 500, (path, query, r.text)


QUERY = ("branch_id", "q", "status", "owner_id", "staff_id", "lead_id", "reason", "limit", "cursor", "overdue", "pool", "grade",
         "channel", "role", "active")


def queries(n: int) -> list:
    out: list = []
    value = st.one_of(st.none(), st.text(max_size=20), st.sampled_from(["b1", "13812345678", "-1", "0", "99999999999",
                                                                            *(x for x in ODD if x != "\ud800")]))

    @settings(max_examples=n, deadline=None, suppress_health_check=list(HealthCheck), database=None)
    @given(values=st.tuples(*(value for _ in QUERY)))
    def collect(values):
        out.append(values)

    collect()
    return out
