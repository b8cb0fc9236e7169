"""Key accounts (重点客户): tier requests decided by the right role, direct changes within a level, and the lists."""

from __future__ import annotations

import json

from tests.customers.test_archives import NORTH, SOUTH, office
from tests.support.runtime import eventually, stream_messages


async def test_a_consultants_core_tier_waits_for_its_manager_and_lands_on_the_branch_list(urls):
    async with office(urls) as o:
        opened = await o.open("c1", tier="core")
        assert opened["tier"] == "general" and opened["tier_request_id"]
        listed = (await o.client.get("/v1/tier-requests", headers=o.auth("manager"), params={"status": "pending"})).json()
        assert [(r["id"], r["tier"], r["level"], r["requested_by_name"]) for r in listed["items"]] == [
            (opened["tier_request_id"], "core", "branch", "c1北区")]
        url = f"/v1/tier-requests/{opened['tier_request_id']}/decision"
        assert (await o.client.post(url, headers=o.auth("c1"), json={"decision": "approved"})).status_code == 403
        assert (await o.client.post(url, headers=o.auth("manager", SOUTH), json={"decision": "approved"})).status_code == 404
        done = await o.client.post(url, headers=o.auth("manager"), json={"decision": "approved", "note": "同意"})
        assert done.status_code == 200 and done.json()["status"] == "approved", done.text
        assert (await o.client.post(url, headers=o.auth("manager"), json={"decision": "rejected"})).status_code == 409
        archive = (await o.client.get(f"/v1/archives/{opened['id']}", headers=o.auth("c1"))).json()
        assert archive["tier"] == "core" and archive["tier_name"] == "核心"
        assert archive["key_account"]["level"] == "branch" and archive["key_account"]["approved_by"] == o.staff[f"manager@{NORTH}"]
        accounts = (await o.client.get("/v1/key-accounts", headers=o.auth("manager"))).json()["items"]
        assert [(a["archive_id"], a["tier_name"], a["level"], a["account_manager_name"], a["approved_by_name"]) for a in accounts] == [
            (opened["id"], "核心", "branch", "c1北区", "manager北区")]
        assert (await o.client.get("/v1/key-accounts", headers=o.auth("c2"))).json()["items"] == []
        assert (await o.client.get("/v1/key-accounts", headers=o.auth("manager", SOUTH))).json()["items"] == []
        changed = await eventually(lambda: stream_messages(o.settings, subject=f"{o.settings.subject_prefix}.{NORTH}.archive.tier_changed"))
        data = json.loads(changed[0].data)["data"]
        assert (data["tier"], data["previous_tier"], data["level"]) == ("core", "general", "branch")


async def test_the_groups_list_is_decided_by_an_admin_only(urls):
    async with office(urls) as o:
        archive = await o.open("c1")
        c2 = o.staff[f"c2@{NORTH}"]
        r = await o.client.post(f"/v1/archives/{archive['id']}/tier-requests", headers=o.auth("manager"),
                                json={"tier": "key", "level": "group", "account_manager_id": c2, "reason": "集团大客户"})
        assert r.status_code == 201, r.text
        request = r.json()
        assert request["account_manager_name"] == "c2北区"
        url = f"/v1/tier-requests/{request['id']}/decision"
        assert (await o.client.post(url, headers=o.auth("manager"), json={"decision": "approved"})).status_code == 403
        assert (await o.db.archives.find_one({"_id": archive["id"]}))["tier"] == "general"
        done = await o.client.post(url, headers=o.admin(), json={"decision": "approved"})
        assert done.status_code == 200, done.text
        stored = await o.db.archives.find_one({"_id": archive["id"]})
        assert (stored["tier"], stored["key_account"]["level"], stored["account_manager_id"]) == ("key", "group", c2)
        group = (await o.client.get("/v1/key-accounts", headers=o.admin(), params={"level": "group"})).json()["items"]
        assert [(a["archive_id"], a["level_name"], a["account_manager_name"]) for a in group] == [(archive["id"], "集团重点客户", "c2北区")]
        # on the group's list, the tier is an admin's: the branch manager can neither patch nor set it
        assert (await o.client.patch(f"/v1/archives/{archive['id']}", headers=o.auth("manager"), json={"tier": "general"})).status_code == 403
        assert (await o.client.post(f"/v1/archives/{archive['id']}/tier", headers=o.auth("manager"),
                                    json={"tier": "core", "level": "branch"})).status_code == 403
        direct = await o.client.post(f"/v1/archives/{archive['id']}/tier", headers=o.admin(), json={"tier": "core", "level": "group"})
        assert direct.status_code == 200 and direct.json()["tier"] == "core"


async def test_direct_changes_and_refusals_that_store_nothing(urls):
    async with office(urls) as o:
        archive = await o.open("c1")
        url = f"/v1/archives/{archive['id']}"
        assert (await o.client.post(f"{url}/tier", headers=o.auth("c1"), json={"tier": "key"})).status_code == 403
        assert (await o.client.post(f"{url}/tier", headers=o.auth("manager"), json={"tier": "key", "level": "group"})).status_code == 403
        foreign = await o.client.post(f"{url}/tier-requests", headers=o.auth("c1"),
                                      json={"tier": "key", "account_manager_id": o.staff[f"c1@{SOUTH}"]})
        assert foreign.status_code == 422 and foreign.json()["type"].endswith("/unknown-account-manager")
        assert (await o.client.post(f"{url}/tier-requests", headers=o.auth("c1"), json={"tier": "diamond"})).status_code == 422
        assert (await o.client.post(f"{url}/tier-requests", headers=o.auth("c1"), json={"tier": "general"})).status_code == 409
        assert (await o.client.post(f"{url}/tier-requests", headers=o.auth("c2"), json={"tier": "key"})).status_code == 404
        assert await o.db.tier_requests.count_documents({}) == 0
        patched = await o.client.patch(url, headers=o.auth("manager") | {"If-Match": "1"}, json={"tier": "key"})
        assert patched.status_code == 200 and patched.json()["key_account"]["level"] == "branch"
        again = await o.client.post(f"{url}/tier", headers=o.auth("manager"), json={"tier": "general"})
        assert again.json()["tier"] == "general" and again.json()["key_account"] is None
        assert (await o.client.get("/v1/key-accounts", headers=o.auth("manager"))).json()["items"] == []
