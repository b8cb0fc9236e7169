"""Property: no request body, however odd, makes a leads endpoint answer 5xx."""

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.leads.builders import new_phone, office

scalars = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False, allow_infinity=False), st.text(max_size=30),
                    st.sampled_from(["13812345678", "138****5678", "A", "lost", "won", "call", "b1", "walk_in"]))
json_values = st.recursive(scalars, lambda inner: st.one_of(st.lists(inner, max_size=3),
                                                            st.dictionaries(st.text(max_size=10), inner, max_size=4)), max_leaves=12)
lead_like = st.fixed_dictionaries({}, optional={
    "branch_id": json_values, "customer": st.fixed_dictionaries({}, optional={"name": json_values, "phone": json_values,
                                                                            "gender": json_values, "birthday": json_values}),
    "source": st.fixed_dictionaries({}, optional={"channel": json_values}), "grade": json_values,
    "owner_id": json_values, "outcome": json_values, "reason": json_values, "kind": json_values,
    "next_follow_up_at": json_values, "phone": json_values, "customer_name": json_values, "claim": json_values,
    "report_id": json_values, "winner": json_values,
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
                 ("POST", "/v1/attribution-disputes"), ("POST", "/v1/staff"), ("POST", "/v1/branches")]
        for i, body in enumerate(generated):
            method, path = paths[i % len(paths)]
            role = "partner" if "channel" in path else ("admin" if path in ("/v1/branches", "/v1/staff") else "manager")
            r = await o.client.request(method, path, json=body, headers=o.as_(role, "x"))
            assert r.status_code < 500, (method, path, body, r.text)
