"""The finance role (财务) in leads: staff of a branch like any other, reading branches, staff and the payout
beneficiaries (partners, referrers), never leads (403), another branch's anything 404; never a lead owner."""

import pytest

from tests.leads.builders import office
from tests.leads.test_attribution import events
from tests.support.runtime import eventually


async def test_finance_staff_join_and_read_the_office_but_not_its_leads(urls):
    async with office(urls) as o:
        clerk = await o.add_staff("qian", role="finance")
        joined = await eventually(lambda: events(o.settings, "staff.joined"))
        assert {e["data"]["role"] for e in joined} == {"finance"}
        cid = await o.add_staff("sun")
        lead = await o.register(o.as_("consultant", cid))
        fin = o.as_("finance", clerk)
        b = o.branch
        for path, params in (("/v1/branches", None), (f"/v1/branches/{b}", None), ("/v1/staff", {"branch_id": b}),
                             (f"/v1/staff/{clerk}", None), ("/v1/partners", {"branch_id": b}),
                             ("/v1/referrers", {"branch_id": b})):
            r = await o.client.get(path, params=params, headers=fin)
            assert r.status_code == 200, (path, r.text)
        roles = {s["name"]: s["role"] for s in (await o.client.get("/v1/staff", params={"branch_id": b}, headers=fin)).json()["items"]}
        assert roles == {"qian": "finance", "sun": "consultant"}
        refused = [("GET", "/v1/leads", {"branch_id": b}, None), ("GET", f"/v1/leads/{lead['id']}", None, None),
                   ("GET", f"/v1/leads/{lead['id']}/phone", None, None), ("GET", f"/v1/leads/{lead['id']}/follow-ups", None, None),
                   ("POST", "/v1/leads", None, o.lead_body()), ("POST", f"/v1/leads/{lead['id']}/close", None, {"outcome": "won"}),
                   ("GET", "/v1/audit", {"branch_id": b}, None), ("GET", "/v1/pool/quota", {"branch_id": b}, None),
                   ("GET", "/v1/leads/import", {"branch_id": b}, None), ("GET", "/v1/channel-reports", {"branch_id": b}, None),
                   ("POST", "/v1/staff", None, {"branch_id": b, "name": "x", "role": "finance"}),
                   ("POST", "/v1/referrers", None, {"branch_id": b, "name": "x", "phone": "13900000000", "kind": "public"})]
        for method, path, params, body in refused:
            r = await o.client.request(method, path, params=params, json=body, headers=fin)
            assert r.status_code == 403 and r.json()["type"].endswith("/forbidden"), (method, path, r.status_code)
        assert (await o.lead(lead["id"]))["status"] == "new"
        other = o.as_("finance", clerk, ["b-other"])
        r = await o.client.get(f"/v1/leads/{lead['id']}", headers=other)
        assert r.status_code == 404, "another branch's lead is missing, whatever the role"
        r = await o.client.get(f"/v1/staff/{clerk}", headers=other)
        assert r.status_code == 404


async def test_finance_never_owns_leads(urls):
    async with office(urls) as o:
        clerk = await o.add_staff("qian", role="finance")
        r = await o.client.post("/v1/leads", json=o.lead_body(owner_id=clerk), headers=o.manager)
        assert r.status_code == 422 and r.json()["type"].endswith("/invalid-owner")
        cid = await o.add_staff("sun")
        await o.register(o.as_("consultant", cid))
        r = await o.client.patch(f"/v1/staff/{cid}", json={"role": "finance"}, headers=o.manager)
        assert r.status_code == 409 and r.json()["type"].endswith("/owns-open-leads")


@pytest.mark.parametrize("role", ["cashier", "Finance", ""])
async def test_an_unknown_staff_role_is_a_422(urls, role):
    async with office(urls) as o:
        r = await o.client.post("/v1/staff", json={"branch_id": o.branch, "name": "x", "role": role}, headers=o.manager)
        assert r.status_code == 422 and await o.ctx.db.staff.count_documents({}) == 0
