"""撞单 prevention (issue 15): a consultant lists and opens only its own leads and the public pool;
another consultant's lead is a 404 on every lead endpoint, exactly like another branch's. Managers
and the front desk see the whole branch."""

from crm_leads.plugin import LeadsService
from crm_leads.settings import LeadsSettings
from tests.leads.builders import new_phone, office


def lead_calls(lead_id: str, colleague: str) -> list[tuple[str, str, dict | None]]:
    """Every endpoint that takes a lead id, with a body that would pass validation."""
    return [
        ("GET", f"/v1/leads/{lead_id}", None),
        ("GET", f"/v1/leads/{lead_id}/follow-ups", None),
        ("POST", f"/v1/leads/{lead_id}/follow-ups", {"kind": "call", "note": "hi"}),
        ("PATCH", f"/v1/leads/{lead_id}", {"grade": "A"}),
        ("POST", f"/v1/leads/{lead_id}/close", {"outcome": "lost", "reason": "price"}),
        ("POST", f"/v1/leads/{lead_id}/release", None),
        ("POST", f"/v1/leads/{lead_id}/claim", None),
        ("POST", f"/v1/leads/{lead_id}/assign", {"owner_id": colleague}),
        ("GET", f"/v1/leads/{lead_id}/phone", None),
        ("POST", "/v1/attribution-disputes", {"lead_id": lead_id, "claim": "mine"}),
    ]


def test_the_table_covers_every_lead_endpoint():
    """A new `/v1/leads/{lead_id}...` path must join the table above (and so the scope rule)."""
    paths = {route.path for route in LeadsService(LeadsSettings(timers=False)).http_router().routes
             if "{lead_id}" in getattr(route, "path", "")}
    covered = {path.replace("LEAD", "{lead_id}") for _, path, _ in lead_calls("LEAD", "x")}
    assert paths <= covered, paths - covered


async def test_another_consultants_lead_is_404_on_every_endpoint(urls):
    async with office(urls) as o:
        mine, theirs = await o.add_staff("张三"), await o.add_staff("李四")
        lead = await o.register(o.as_("consultant", theirs), grade="B")
        wrong = []
        for method, path, body in lead_calls(lead["id"], mine):
            r = await o.client.request(method, path, json=body, headers=o.as_("consultant", mine))
            if r.status_code != 404 or lead["id"] in r.text or "李四" in r.text:
                wrong.append((method, path, r.status_code, r.text[:120]))
        assert not wrong, "\n".join(map(str, wrong))
        doc = await o.lead(lead["id"])
        assert doc["version"] == 1 and doc["owner_id"] == theirs and not doc["follow_ups"], "nothing changed"
        assert await o.ctx.db.audit.count_documents({}) == 0 and await o.ctx.db.disputes.count_documents({}) == 0


async def test_the_owner_the_manager_and_the_desk_still_reach_it(urls):
    async with office(urls) as o:
        owner = await o.add_staff("李四")
        lead = await o.register(o.as_("consultant", owner))
        for role, sub in (("consultant", owner), ("manager", "m1"), ("reception", "d1"), ("admin", "a1")):
            for path in (f"/v1/leads/{lead['id']}", f"/v1/leads/{lead['id']}/follow-ups"):
                r = await o.client.get(path, headers=o.as_(role, sub))
                assert r.status_code == 200, (role, path, r.text)
            r = await o.client.get("/v1/leads", params={"branch_id": "b1"}, headers=o.as_(role, sub))
            assert [x["id"] for x in r.json()["items"]] == [lead["id"]], role
        r = await o.client.post(f"/v1/leads/{lead['id']}/follow-ups", json={"kind": "call"}, headers=o.as_("consultant", owner))
        assert r.status_code == 201


async def test_a_consultant_lists_its_own_leads_and_the_pool_only(urls):
    async with office(urls) as o:
        pooled = await o.register(o.manager)  # no consultants yet: the assigner leaves it in the pool
        me, other = await o.add_staff("张三"), await o.add_staff("李四")
        phone = new_phone()
        own = await o.register(o.as_("consultant", me))
        theirs = await o.register(o.as_("consultant", other), phone)
        closed_theirs = await o.register(o.as_("consultant", other))
        r = await o.client.post(f"/v1/leads/{closed_theirs['id']}/close", json={"outcome": "won"}, headers=o.manager)
        assert r.status_code == 200
        caller = o.as_("consultant", me)

        async def listed(**params) -> set[str]:
            r = await o.client.get("/v1/leads", params={"branch_id": "b1"} | params, headers=caller)
            assert r.status_code == 200, r.text
            return {x["id"] for x in r.json()["items"]}

        assert await listed() == {own["id"], pooled["id"]}
        assert await listed(pool="true") == {pooled["id"]}
        assert await listed(pool="false") == {own["id"]}
        assert await listed(owner_id=me) == {own["id"]}
        assert await listed(owner_id=other) == set(), "another consultant's leads are not listed, even when asked for"
        assert await listed(q=phone) == set() and await listed(q=phone[-4:]) == set()
        assert await listed(status="won") == set()
        assert (await o.client.get(f"/v1/leads/{pooled['id']}", headers=caller)).status_code == 200, "the pool is everyone's"
        r = await o.client.post("/v1/leads", json=o.lead_body(phone), headers=caller)
        assert r.status_code == 409 and r.json()["existing_lead_id"] == theirs["id"], "撞单 is still told, not hidden"
        assert (await o.client.get(f"/v1/leads/{theirs['id']}", headers=caller)).status_code == 404
