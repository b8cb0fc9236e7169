"""Units (房源, 销控表) over HTTP: created once per branch/project/building/number, prices as decimal strings, the
list scoped and filtered, holds and releases by a manager, statuses moved by deals, partners kept out."""

from __future__ import annotations

from tests.deals.test_deals import BRANCH, OTHER, events_of, office
from tests.support.runtime import eventually


async def test_a_unit_is_created_once_and_answers_decimal_strings(urls):
    async with office(urls) as o:
        body = {"branch_id": BRANCH, "project": "湾区壹号", "building": "3栋", "unit_no": "1201",
                "product_type": "garden_house", "area": 89.5, "list_price": 2980000.5}
        r = await o.client.post("/v1/units", headers=o.manager, json=body)
        assert r.status_code == 201, r.text
        unit = r.json()
        assert (unit["list_price"], unit["area"], unit["status"], unit["status_name"], unit["product_type_name"],
                unit["version"]) == ("2980000.50", "89.50", "available", "可售", "洋房", 1)
        assert unit["label"] == "湾区壹号 3栋 1201"
        again = await o.client.post("/v1/units", headers=o.manager, json=body | {"building": " 3栋 ", "list_price": "1"})
        assert again.status_code == 409 and again.json()["type"].endswith("/unit-exists")
        assert again.json()["existing_unit_id"] == unit["id"]
        created = await eventually(lambda: events_of(o, "unit.created"))
        assert created[0]["data"]["list_price"] == 298000050 and created[0]["data"]["product_type"] == "garden_house"
        for role in ("consultant", "reception", "finance", "partner", "integrator"):
            r = await o.client.post("/v1/units", headers=o.as_(role), json=body | {"unit_no": "9"})
            assert r.status_code == 403, role
        r = await o.client.post("/v1/units", headers=o.manager, json=body | {"branch_id": OTHER, "unit_no": "9"})
        assert r.status_code == 404


async def test_bad_units_are_refused_and_nothing_is_stored(urls):
    async with office(urls) as o:
        base = {"branch_id": BRANCH, "project": "湾区壹号", "unit_no": "1", "product_type": "villa", "list_price": "1"}
        for bad in (base | {"list_price": 0}, base | {"list_price": "1.234"}, base | {"list_price": "Infinity"},
                    base | {"product_type": "castle"}, base | {"project": "  "}, base | {"unit_no": "a\x07"},
                    base | {"project": "长" * 101}, base | {"area": -1}, base | {"branch_id": "Bad Branch"},
                    {k: v for k, v in base.items() if k != "list_price"}, base | {"floor": "high"}):
            r = await o.client.post("/v1/units", headers=o.manager, json=bad)
            assert r.status_code == 422, (bad, r.text)
        assert await o.ctx.db.units.count_documents({}) == 0


async def test_the_list_is_scoped_filtered_and_closed_to_partners(urls):
    async with office(urls) as o:
        a = await o.unit(product="villa", building="1栋")
        b = await o.unit(product="apartment", building="2栋")
        await o.unit(branch=OTHER)
        everything = await o.get("/v1/units", o.as_("consultant", "c1"))
        assert {u["id"] for u in everything["items"]} == {a["id"], b["id"]}
        assert [u["id"] for u in (await o.get("/v1/units?product_type=villa"))["items"]] == [a["id"]]
        assert [u["id"] for u in (await o.get("/v1/units?building=2栋"))["items"]] == [b["id"]]
        page = await o.get("/v1/units?limit=1", o.as_("integrator"))
        assert len(page["items"]) == 1 and page["next_cursor"]
        assert (await o.client.get("/v1/units", headers=o.as_("partner"))).status_code == 403
        assert (await o.client.get(f"/v1/units/{a['id']}", headers=o.as_("partner"))).status_code == 403
        assert (await o.client.get(f"/v1/units?branch_id={OTHER}", headers=o.manager)).status_code == 404
        assert (await o.client.get(f"/v1/units/{a['id']}", headers=o.as_("manager", "m9", [OTHER]))).status_code == 404
        assert (await o.client.get("/v1/units?status=gone", headers=o.manager)).status_code == 422


async def test_hold_release_and_the_statuses_deals_move(urls):
    async with office(urls) as o:
        unit = await o.unit()
        path = f"/v1/units/{unit['id']}"
        r = await o.client.post(f"{path}/hold", headers=o.as_("consultant", "c1"), json={"reason": "开发商保留"})
        assert r.status_code == 403
        r = await o.client.post(f"{path}/hold", headers=o.manager | {"If-Match": "5"}, json={"reason": "开发商保留"})
        assert r.status_code == 412
        held = await o.post(f"{path}/hold", {"reason": "开发商保留"})
        assert (held["status"], held["hold_reason"], held["held_by"]) == ("held", "开发商保留", "m1")
        r = await o.client.post("/v1/deals", headers=o.manager, json={"lead_id": await o.lead(), "unit_id": unit["id"],
                                                                      "agreed_price": "1000000"})
        assert r.status_code == 409 and r.json()["type"].endswith("/unit-unavailable")
        again = await o.post(f"{path}/hold", {}, expect=409)
        assert again["type"].endswith("/wrong-status")
        released = await o.post(f"{path}/release", {})
        assert released["status"] == "available"
        assert (await o.post(f"{path}/release", {}, expect=409))["type"].endswith("/wrong-status")
        deal = await o.subscribe(await o.lead(), unit["id"])
        assert (await o.post(f"{path}/hold", {}, expect=409))["holder_deal_id"] == deal["id"]
        await o.post(f"/v1/deals/{deal['id']}/sign", {"contract_no": "HT-U1"})
        await o.post(f"/v1/deals/{deal['id']}/cancel", {"reason": "other"})
        statuses = await eventually(lambda: _statuses(o, unit["id"], 5))
        assert statuses == ["held", "available", "reserved", "sold", "available"]


async def _statuses(o, unit_id: str, n: int):
    found = [e["data"]["status"] for e in await events_of(o, "unit.status_changed") if e["data"]["unit_id"] == unit_id]
    return found if len(found) >= n else None
