"""A staff member's WeCom (企业微信) userid (issue 20): set on create and PATCH, validated, cleared with null,
carried by the staff events into every directory copy; events from before it still parse."""

import pytest

from crm_shared.directory import Directory
from crm_shared.events import Envelope
from crm_shared.events.leads import StaffJoined
from tests.leads.builders import office
from tests.leads.test_staff_admin import _data, staff_events
from tests.support.runtime import eventually

BAD_USERIDS = ["", "a" * 65, "li na", "李娜", "li/na", "li\u0000na", "li+na", 42]


async def _events(settings, sid: str, n: int):
    events = await staff_events(settings, sid)
    return events if len(events) >= n else None


async def test_the_wecom_userid_is_kept_published_corrected_and_cleared(urls):
    async with office(urls) as o:
        r = await o.client.post("/v1/staff", json={"branch_id": "b1", "name": "李娜", "role": "consultant",
                                                   "wecom_user_id": "Li.Na-01@sz_bay"}, headers=o.manager)
        assert r.status_code == 201, r.text
        sid = r.json()["id"]
        assert r.json()["wecom_user_id"] == "Li.Na-01@sz_bay"
        assert (await o.client.get(f"/v1/staff/{sid}", headers=o.manager)).json()["wecom_user_id"] == "Li.Na-01@sz_bay"
        r = await o.client.patch(f"/v1/staff/{sid}", json={"wecom_user_id": "LiNa"}, headers=o.manager | {"If-Match": "1"})
        assert r.status_code == 200 and (r.json()["wecom_user_id"], r.json()["version"]) == ("LiNa", 2)
        r = await o.client.patch(f"/v1/staff/{sid}", json={"name": "李娜"}, headers=o.manager)
        assert r.json()["wecom_user_id"] == "LiNa", "an omitted field stays"
        r = await o.client.patch(f"/v1/staff/{sid}", json={"wecom_user_id": None}, headers=o.manager)
        assert r.status_code == 200 and r.json()["wecom_user_id"] is None and r.json()["version"] == 3

        events = await eventually(lambda: _events(o.settings, sid, 3))
        assert [e["data"].get("wecom_user_id") for e in events] == ["Li.Na-01@sz_bay", "LiNa", None]
        assert [e["data"].get("changed") for e in events] == [None, ["wecom_user_id"], ["wecom_user_id"]]
        copy = Directory(o.ctx.db.client["dir_" + o.ctx.db.name])  # another service's copy (notify's)
        try:
            await copy.record(Envelope.model_validate(events[1]), _data(events[1]))
            assert (await copy.member(sid))["wecom_user_id"] == "LiNa"
            await copy.record(Envelope.model_validate(events[2]), _data(events[2]))
            assert (await copy.member(sid))["wecom_user_id"] is None
        finally:
            await o.ctx.db.client.drop_database("dir_" + o.ctx.db.name)


async def test_a_bad_wecom_userid_is_422_naming_the_field_and_changes_nothing(urls):
    async with office(urls) as o:
        sid = (await o.client.post("/v1/staff", json={"branch_id": "b1", "name": "李娜", "role": "consultant",
                                                      "wecom_user_id": "LiNa"}, headers=o.manager)).json()["id"]
        for bad in BAD_USERIDS:
            r = await o.client.post("/v1/staff", json={"branch_id": "b1", "name": "王五", "role": "consultant",
                                                       "wecom_user_id": bad}, headers=o.manager)
            assert r.status_code == 422 and r.headers["content-type"].startswith("application/problem+json"), (bad, r.text)
            assert any("wecom_user_id" in e["loc"] for e in r.json()["errors"]), r.json()
            r = await o.client.patch(f"/v1/staff/{sid}", json={"wecom_user_id": bad}, headers=o.manager)
            assert r.status_code == 422, (bad, r.text)
        listed = (await o.client.get("/v1/staff", params={"branch_id": "b1"}, headers=o.manager)).json()["items"]
        assert [(p["name"], p["wecom_user_id"], p["version"]) for p in listed if p["id"] == sid] == [("李娜", "LiNa", 1)]
        assert "王五" not in {p["name"] for p in listed}


@pytest.mark.unit
def test_staff_events_from_before_the_field_still_parse():
    old = StaffJoined.model_validate({"staff_id": "s1", "role": "consultant", "name": "李娜", "phone": "+8613900139000"})
    assert old.wecom_user_id is None
    assert StaffJoined(staff_id="s1", role="manager", name="张", wecom_user_id="ZhangJL").model_dump()["wecom_user_id"] == "ZhangJL"
