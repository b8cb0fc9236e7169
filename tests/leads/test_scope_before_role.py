"""D7 and D2 (issue 14): out of scope is 404 whatever the role (scope judged before role);
partners read their own channel reports and disputes, nothing of the office's floor."""

from tests.leads.builders import new_phone, office


async def _world(o):
    """Branch b2 beside b1, each with a consultant, a lead, a report and a dispute."""
    await o.add_branch("b2")
    ids = {}
    for b in ("b1", "b2"):
        cid = await o.add_staff(f"c-{b}", branch=b)
        r = await o.client.post("/v1/leads", json=o.lead_body(branch_id=b), headers=o.as_("consultant", cid, [b]))
        assert r.status_code == 201, r.text
        rep = await o.client.post("/v1/channel-reports", json={"branch_id": b, "customer_name": "x", "phone": new_phone()},
                                  headers=o.as_("partner", "p1", [b]))
        assert rep.status_code == 201, rep.text
        dispute = await o.client.post("/v1/attribution-disputes", json={"report_id": rep.json()["id"], "claim": "c"},
                                      headers=o.as_("partner", "p1", [b]))
        assert dispute.status_code == 201, dispute.text
        ids[b] = {"staff": cid, "lead": r.json()["id"], "report": rep.json()["id"], "dispute": dispute.json()["id"]}
    return ids


def _calls(i: dict, branch: str) -> list[tuple[str, str, dict | None]]:
    """Calls that load an object by id (or name the branch), with bodies that would pass validation."""
    return [
        ("GET", f"/v1/audit?branch_id={branch}", None),
        ("GET", f"/v1/channel-reports/{i['report']}", None),
        ("GET", f"/v1/attribution-disputes/{i['dispute']}", None),
        ("POST", f"/v1/attribution-disputes/{i['dispute']}/decision", {"winner": None, "reason": "r"}),
        ("POST", "/v1/attribution-disputes", {"lead_id": i["lead"], "claim": "c"}),
        ("POST", "/v1/attribution-disputes", {"report_id": i["report"], "claim": "c"}),
        ("POST", f"/v1/leads/{i['lead']}/assign", {"owner_id": i["staff"]}),
        ("POST", f"/v1/leads/{i['lead']}/claim", None),
        ("GET", f"/v1/leads/{i['lead']}", None), ("GET", f"/v1/leads/{i['lead']}/follow-ups", None),
        ("GET", f"/v1/leads/{i['lead']}/phone", None), ("PATCH", f"/v1/leads/{i['lead']}", {"grade": "A"}),
        ("POST", f"/v1/leads/{i['lead']}/close", {"outcome": "won"}), ("POST", f"/v1/leads/{i['lead']}/release", None),
        ("GET", f"/v1/staff/{i['staff']}", None), ("POST", f"/v1/staff/{i['staff']}/leave", None),
        ("GET", f"/v1/staff?branch_id={branch}", None), ("GET", f"/v1/pool/quota?branch_id={branch}", None),
        ("GET", f"/v1/leads?branch_id={branch}", None), ("GET", f"/v1/channel-reports?branch_id={branch}", None),
        ("GET", f"/v1/attribution-disputes?branch_id={branch}", None),
        ("POST", "/v1/leads", {"branch_id": branch, "customer": {"name": "n", "phone": new_phone()}, "source": {"channel": "phone"}}),
        ("POST", "/v1/channel-reports", {"branch_id": branch, "customer_name": "n", "phone": new_phone()}),
        ("POST", "/v1/staff", {"branch_id": branch, "name": "n", "role": "consultant"}),
    ]


async def test_another_branchs_objects_are_404_for_every_role(urls):
    async with office(urls) as o:
        ids = await _world(o)
        wrong = []
        for role in ("consultant", "reception", "partner", "integrator", "manager"):
            caller = o.as_(role, ids["b1"]["staff"] if role == "consultant" else f"{role}-1", ["b1"])
            for method, path, body in _calls(ids["b2"], "b2"):
                r = await o.client.request(method, path, json=body, headers=caller)
                if role == "partner" and body and set(body) == {"lead_id", "claim"}:
                    assert r.status_code == 422 and r.json()["type"].endswith("/report-required")  # names no lead
                elif r.status_code != 404:
                    wrong.append((role, method, path, r.status_code, r.text[:100]))
        assert not wrong, "\n".join(map(str, wrong))
        for b, i in ids.items():
            lead = await o.lead(i["lead"])
            assert lead["version"] == 1 and lead["grade"] is None, "nothing changed"
            assert (await o.ctx.db.disputes.find_one({"_id": i["dispute"]}))["status"] == "open"


async def test_in_scope_the_role_is_judged_403(urls):
    """The probe's D7 pair, and every GET of leads as a partner: 403 in its own branch."""
    async with office(urls) as o:
        ids = await _world(o)
        mine = ids["b1"]
        consultant = o.as_("consultant", mine["staff"], ["b1"])
        for path in ("/v1/audit?branch_id=b1", f"/v1/channel-reports/{mine['report']}",
                     f"/v1/attribution-disputes/{mine['dispute']}"):
            assert (await o.client.get(path, headers=consultant)).status_code == 403, path
        partner = o.as_("partner", "p1", ["b1"])
        for path in ("/v1/staff?branch_id=b1", f"/v1/staff/{mine['staff']}", "/v1/leads?branch_id=b1", "/v1/leads",
                     f"/v1/leads/{mine['lead']}", f"/v1/leads/{mine['lead']}/follow-ups", f"/v1/leads/{mine['lead']}/phone",
                     "/v1/audit?branch_id=b1", "/v1/pool/quota?branch_id=b1"):
            r = await o.client.get(path, headers=partner)
            assert r.status_code == 403, (path, r.status_code, r.text)
            assert "+86" not in r.text and "c-b1" not in r.text


async def test_partners_see_only_their_own_reports_and_disputes(urls):
    async with office(urls) as o:
        ids = await _world(o)
        mine, other = o.as_("partner", "p1", ["b1"]), o.as_("partner", "p9", ["b1"])
        r = await o.client.get("/v1/channel-reports", params={"branch_id": "b1"}, headers=mine)
        assert [x["id"] for x in r.json()["items"]] == [ids["b1"]["report"]]
        r = await o.client.get("/v1/attribution-disputes", params={"branch_id": "b1"}, headers=mine)
        assert [x["id"] for x in r.json()["items"]] == [ids["b1"]["dispute"]]
        for path in ("/v1/channel-reports", "/v1/attribution-disputes"):
            r = await o.client.get(path, params={"branch_id": "b1"}, headers=other)
            assert r.status_code == 200 and r.json()["items"] == [], path
        for path in (f"/v1/channel-reports/{ids['b1']['report']}", f"/v1/attribution-disputes/{ids['b1']['dispute']}"):
            assert (await o.client.get(path, headers=other)).status_code == 404, path
        r = await o.client.get("/v1/branches/b1", headers=mine)
        assert r.status_code == 200, "the partner's console shows times in the branch's zone"
