"""Managers assign from the lead card and in bulk from the list (批量分配), and find leads by owner,
channel and the last four digits of a phone (issue 15)."""

import json

from tests.leads.builders import new_phone, office
from tests.support.runtime import eventually, stream_messages


async def assigned_events(settings) -> list[dict]:
    return [json.loads(m.data)["data"] for m in await stream_messages(settings) if json.loads(m.data)["type"] == "lead.assigned"]


async def test_bulk_assign_gives_each_lead_its_own_write_event_and_outcome(urls):
    async with office(urls) as o:
        await o.add_branch("b2")
        a, b = await o.add_staff("张三"), await o.add_staff("李四")
        mine = [(await o.register(o.as_("consultant", a)))["id"] for _ in range(3)]
        already = (await o.register(o.as_("consultant", b)))["id"]
        closed = (await o.register(o.as_("consultant", a)))["id"]
        assert (await o.client.post(f"/v1/leads/{closed}/close", json={"outcome": "won"}, headers=o.manager)).status_code == 200
        elsewhere = (await o.register(o.as_("manager", "m2", ["b2"]), branch_id="b2"))["id"]
        body = {"branch_id": "b1", "owner_id": b, "reason": "张三休假，客户转给李四",
                "lead_ids": [*mine, already, closed, elsewhere, "no-such-lead", mine[0]]}
        r = await o.client.post("/v1/leads/assign", json=body, headers=o.manager)
        assert r.status_code == 200, r.text
        out = r.json()
        assert out["assigned"] == 3 and out["owner_id"] == b
        assert [(i["lead_id"], i["outcome"]) for i in out["items"]] == [
            *[(i, "assigned") for i in mine], (already, "unchanged"), (closed, "closed"), (elsewhere, "not_found"),
            ("no-such-lead", "not_found")], "one outcome per distinct id, in order"
        for lead_id in mine:
            doc = await o.lead(lead_id)
            assert doc["owner_id"] == b and doc["version"] == 2 and not doc["in_pool"]
        events = await eventually(lambda: _at_least(o.settings, 3))
        assert {e["lead_id"] for e in events} == set(mine)
        assert all(e["previous_owner_id"] == a and e["reason"] == "manual" and e["note"] == body["reason"] for e in events)
        r = await o.client.post("/v1/leads/assign", json=body, headers=o.manager)
        assert r.json()["assigned"] == 0, "a repeat changes nothing"


async def _at_least(settings, n: int):
    events = await assigned_events(settings)
    return events if len(events) >= n else None


async def test_bulk_assign_refuses_before_touching_anything(urls):
    async with office(urls) as o:
        await o.add_branch("b2")
        a, desk = await o.add_staff("张三"), await o.add_staff("前台", role="reception")
        lead = (await o.register(o.as_("consultant", a)))["id"]
        other_branch = await o.add_staff("王五", branch="b2")
        body = {"branch_id": "b1", "lead_ids": [lead], "owner_id": a}
        cases = [
            (o.as_("consultant", a), body, 403), (o.as_("reception", desk), body, 403), (o.as_("partner", "p1"), body, 403),
            (o.manager, body | {"owner_id": desk}, 422), (o.manager, body | {"owner_id": other_branch}, 422),
            (o.manager, body | {"lead_ids": []}, 422), (o.manager, body | {"lead_ids": ["x"] * 201}, 422),
            (o.manager, body | {"lead_ids": ["a b"]}, 422), (o.manager, body | {"reason": "\u0000"}, 422),
            (o.as_("manager", "m9", ["b2"]), body, 404), (o.manager, body | {"branch_id": "b2"}, 404),
        ]
        for headers, sent, code in cases:
            r = await o.client.post("/v1/leads/assign", json=sent, headers=headers)
            assert r.status_code == code, (sent, r.text)
            assert r.headers["content-type"].startswith("application/problem+json")
        assert (await o.lead(lead))["version"] == 1


async def test_the_lead_cards_assign_takes_a_reason(urls):
    async with office(urls) as o:
        a, b = await o.add_staff("张三"), await o.add_staff("李四")
        lead = await o.register(o.as_("consultant", a))
        r = await o.client.post(f"/v1/leads/{lead['id']}/assign", json={"owner_id": b, "reason": "客户要求换顾问"},
                                headers=o.manager | {"If-Match": "1"})
        assert r.status_code == 200 and r.json()["owner_id"] == b
        r = await o.client.post(f"/v1/leads/{lead['id']}/assign", json={"owner_id": a}, headers=o.manager | {"If-Match": "1"})
        assert r.status_code == 412
        events = await eventually(lambda: _at_least(o.settings, 1))
        assert events[0]["note"] == "客户要求换顾问"


async def test_the_list_filters_by_owner_channel_and_the_last_four_digits(urls):
    async with office(urls) as o:
        a, b = await o.add_staff("张三"), await o.add_staff("李四")
        phone = "13912345678"
        walk_in = await o.register(o.as_("consultant", a), phone)
        call = await o.register(o.as_("consultant", b), source={"channel": "phone"})
        event = await o.register(o.as_("consultant", a), "13800005678", source={"channel": "event", "campaign": "开盘"})

        async def ids(**params) -> list[str]:
            r = await o.client.get("/v1/leads", params={"branch_id": "b1"} | params, headers=o.manager)
            assert r.status_code == 200, r.text
            return [x["id"] for x in r.json()["items"]]

        assert await ids(owner_id=a) == [event["id"], walk_in["id"]]
        assert await ids(channel="phone") == [call["id"]]
        assert await ids(owner_id=a, channel="walk_in") == [walk_in["id"]]
        assert await ids(q="5678") == [event["id"], walk_in["id"]], "the end of the number, as on a caller id"
        assert await ids(q="139****5678") == [walk_in["id"]]
        assert await ids(q=phone) == [walk_in["id"]]
        assert await ids(q="0000") == []
        r = await o.client.get("/v1/leads", params={"channel": "fax"}, headers=o.manager)
        assert r.status_code == 422


async def test_leads_stored_before_last_four_digits_existed_are_found(urls):
    from crm_leads.leads import search
    async with office(urls) as o:
        lead = await o.register(o.manager, new_phone())
        await o.ctx.db.leads.update_one({"_id": lead["id"]}, {"$unset": {search.LAST4: ""}})
        await o.ctx.db[search.MIGRATIONS].delete_many({})
        await search.ensure_indexes(o.ctx)
        r = await o.client.get("/v1/leads", params={"q": lead["customer"]["phone_masked"][-4:]}, headers=o.manager)
        assert [x["id"] for x in r.json()["items"]] == [lead["id"]]


async def test_registered_and_imported_leads_store_the_last_four_digits(urls):
    """A registration and an imported sheet's row: each lead is found by the end of its number (the import writes
    lead documents itself, so it must set `phone_last4` as `leads.service.register` does)."""
    async with office(urls) as o:
        await o.register(o.manager, "13911110001")
        sheet = "客户姓名,手机号码\n王先生,13911110002\n".encode("utf-8")
        r = await o.client.post("/v1/leads/import", data={"branch_id": "b1"}, files={"file": ("客户.csv", sheet, "text/csv")},
                                headers=o.manager)
        assert r.status_code in (200, 202), r.text

        async def found(last4: str):
            r = await o.client.get("/v1/leads", params={"q": last4}, headers=o.manager)
            return r.json()["items"] or None

        assert await found("0001")
        assert await eventually(lambda: found("0002")), "an imported lead carries `phone_last4` too"
