"""Staff administration (issue 15): the list with filters, corrections with If-Match that every
directory copy takes, one active member per phone and branch, the whole week as working days."""

import json

from crm_shared.directory import Directory
from crm_shared.events import Envelope
from tests.leads.builders import office
from tests.support.runtime import eventually, stream_messages


async def staff_events(settings, staff_id: str) -> list[dict]:
    out = []
    for m in await stream_messages(settings):
        env = json.loads(m.data)
        if env["type"].startswith("staff.") and env["data"]["staff_id"] == staff_id:
            out.append(env)
    return out


async def add(o, name: str, phone: str | None = None, role: str = "consultant", branch: str = "b1"):
    return await o.client.post("/v1/staff", json={"branch_id": branch, "name": name, "role": role, "phone": phone},
                               headers=o.manager if branch == "b1" else o.admin)


async def test_the_same_phone_twice_in_a_branch_is_409(urls):
    async with office(urls) as o:
        await o.add_branch("b2")
        first = await add(o, "张三", "13812345678")
        assert first.status_code == 201
        again = await add(o, "张三", "+86 138 1234 5678")
        assert again.status_code == 409 and again.json()["type"].endswith("/duplicate-staff")
        assert again.json()["existing_staff_id"] == first.json()["id"] and again.json()["existing_name"] == "张三"
        assert (await add(o, "张三", "13812345678", branch="b2")).status_code == 201, "another branch is another office"
        assert [(await add(o, n)).status_code for n in ("无号码", "也无号码")] == [201, 201], "no phone, no clash"
        r = await o.client.post(f"/v1/staff/{first.json()['id']}/leave", headers=o.manager)
        assert r.status_code == 200
        assert (await add(o, "张三", "13812345678")).status_code == 201, "a leaver's number may join again"


async def test_patch_corrects_facts_with_if_match_and_every_directory_copy_follows(urls):
    async with office(urls) as o:
        sid = (await add(o, "张三", "13812345678")).json()["id"]
        other = (await add(o, "李四", "13900000000")).json()["id"]
        r = await o.client.patch(f"/v1/staff/{sid}", json={"name": "张珊", "phone": "13700000000", "email": "zs@office.example"},
                                 headers=o.manager | {"If-Match": "1"})
        assert r.status_code == 200, r.text
        body = r.json()
        assert (body["name"], body["phone"], body["email"], body["version"]) == ("张珊", "+8613700000000", "zs@office.example", 2)
        r = await o.client.patch(f"/v1/staff/{sid}", json={"name": "x"}, headers=o.manager | {"If-Match": "1"})
        assert r.status_code == 412 and r.json()["current_version"] == 2
        r = await o.client.patch(f"/v1/staff/{sid}", json={"phone": "13900000000"}, headers=o.manager)
        assert r.status_code == 409 and r.json()["existing_staff_id"] == other
        r = await o.client.patch(f"/v1/staff/{sid}", json={"name": "张珊"}, headers=o.manager)
        assert r.status_code == 200 and r.json()["version"] == 2, "no change, no write, no event"
        events = await eventually(lambda: _two(o.settings, sid))
        assert [e["type"] for e in events] == ["staff.joined", "staff.joined"]
        assert events[1]["data"]["changed"] == ["email", "name", "phone"] and events[1]["data"]["name"] == "张珊"
        copy = Directory(o.ctx.db.client["dir_" + o.ctx.db.name])  # another service's copy
        for env in reversed(events):  # any order of arrival: the newer event wins
            await copy.record(Envelope.model_validate(env), _data(env))
        member = await copy.member(sid)
        assert (member["name"], member["phone"], member["active"]) == ("张珊", "+8613700000000", True)
        await o.ctx.db.client.drop_database("dir_" + o.ctx.db.name)


def _data(env: dict):
    from crm_shared.events.leads import StaffJoined, StaffLeft
    return (StaffJoined if env["type"] == "staff.joined" else StaffLeft).model_validate(env["data"])


async def _two(settings, sid):
    events = await staff_events(settings, sid)
    return events if len(events) >= 2 else None


async def test_patch_of_a_leaver_republishes_left_and_roles_that_cannot_own_leads_are_refused(urls):
    async with office(urls) as o:
        sid = (await add(o, "张三")).json()["id"]
        lead = await o.register(o.as_("consultant", sid))
        r = await o.client.patch(f"/v1/staff/{sid}", json={"role": "reception"}, headers=o.manager)
        assert r.status_code == 409 and r.json()["type"].endswith("/owns-open-leads")
        assert (await o.client.patch(f"/v1/staff/{sid}", json={"role": "manager"}, headers=o.manager)).status_code == 200
        await o.client.post(f"/v1/leads/{lead['id']}/close", json={"outcome": "won"}, headers=o.manager)
        assert (await o.client.patch(f"/v1/staff/{sid}", json={"role": "reception"}, headers=o.manager)).status_code == 200
        await o.client.post(f"/v1/staff/{sid}/leave", headers=o.manager)
        r = await o.client.patch(f"/v1/staff/{sid}", json={"name": "张三（已离职）"}, headers=o.manager)
        assert r.status_code == 200 and r.json()["active"] is False
        events = await eventually(lambda: _n(o.settings, sid, 5))
        assert [e["type"] for e in events][-2:] == ["staff.left", "staff.left"] and events[-1]["data"]["changed"] == ["name"]


async def _n(settings, sid, n):
    events = await staff_events(settings, sid)
    return events if len(events) >= n else None


async def test_patch_bad_input_roles_and_scope(urls):
    async with office(urls) as o:
        await o.add_branch("b2")
        sid = (await add(o, "张三", "13812345678")).json()["id"]
        for body in ({"name": None}, {"role": None}, {"role": "partner"}, {"phone": "12"}, {"email": "no-at"},
                     {"name": "\u0000"}, {"branch_id": "b2"}, {"active": False}):
            r = await o.client.patch(f"/v1/staff/{sid}", json=body, headers=o.manager)
            assert r.status_code == 422, (body, r.text)
        r = await o.client.patch(f"/v1/staff/{sid}", json={"phone": None, "email": None}, headers=o.manager)
        assert r.status_code == 200 and r.json()["phone"] is None
        for role in ("consultant", "reception", "partner", "integrator"):
            r = await o.client.patch(f"/v1/staff/{sid}", json={"name": "x"}, headers=o.as_(role, "u1"))
            assert r.status_code == 403, role
        r = await o.client.patch(f"/v1/staff/{sid}", json={"name": "x"}, headers=o.as_("manager", "m2", ["b2"]))
        assert r.status_code == 404
        assert (await o.client.patch("/v1/staff/nobody", json={"name": "x"}, headers=o.manager)).status_code == 404


async def test_the_staff_list_filters_by_role_and_active(urls):
    async with office(urls) as o:
        a, b = (await add(o, "张三")).json()["id"], (await add(o, "李四")).json()["id"]
        desk = (await add(o, "前台小李", role="reception")).json()["id"]
        await o.client.post(f"/v1/staff/{b}/leave", headers=o.manager)

        async def listed(**params) -> set[str]:
            r = await o.client.get("/v1/staff", params={"branch_id": "b1"} | params, headers=o.as_("consultant", a))
            assert r.status_code == 200, r.text
            return {x["id"] for x in r.json()["items"]}

        assert await listed() == {a, b, desk}
        assert await listed(role="consultant") == {a, b}
        assert await listed(role="consultant", active="true") == {a}
        assert await listed(active="false") == {b}
        r = await o.client.get("/v1/staff", params={"branch_id": "b1", "role": "admin"}, headers=o.manager)
        assert r.status_code == 422


async def test_members_stored_before_the_phone_rule_keep_working(urls):
    from crm_leads.staff import service
    async with office(urls) as o:
        a = (await add(o, "张三", "13812345678")).json()["id"]
        b = (await add(o, "张三副本", "13812345670")).json()["id"]
        await o.ctx.db.staff.drop_index("one_active_member_per_phone")
        await o.ctx.db.staff.update_many({}, {"$unset": {service.PHONE_KEY: ""}})
        await o.ctx.db.staff.update_one({"_id": b}, {"$set": {"phone": "+8613812345678"}})  # the duplicate of old
        await service.ensure_indexes(o.ctx)
        keys = {d["_id"]: d[service.PHONE_KEY] for d in await o.ctx.db.staff.find({}).to_list()}
        assert keys == {a: "b1:+8613812345678", b: f"none:{b}"}
        assert (await add(o, "张三", "13812345678")).status_code == 409


async def test_working_days_default_to_the_whole_week(urls):
    async with office(urls) as o:
        r = await o.client.get("/v1/branches/b1", headers=o.manager)
        assert r.json()["settings"]["working_days"] == [0, 1, 2, 3, 4, 5, 6]
        r = await o.client.post("/v1/branches", json={"id": "b1", "name": "b1", "settings": {"working_days": [0, 1, 2, 3, 4]}},
                                headers=o.admin)
        assert r.status_code == 200 and r.json()["settings"]["working_days"] == [0, 1, 2, 3, 4]
