"""`crm bootstrap-admin`: the first group administrator of a new system, against the real stack.

The administrator is a staff member with role admin, written by the leads service's own path, so
`staff.joined` (and `branch.configured` for a branch it had to create) reach the stream; a second run
with the same subject changes nothing; a second administrator needs --force; a subject that is another
member's is refused. The command prints a first sign-in token that the API accepts (HS256), or the
claims to map in the identity provider (JWKS), and runs as a process with a production configuration.
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys

import jwt
import pytest
from pymongo import AsyncMongoClient

from crm_leads.plugin import LeadsService
from crm_leads.settings import LeadsSettings
from crm_leads.staff.bootstrap import AdminRequest, Outcome, next_steps, run
from crm_shared.config import Settings
from tests.support.processes import settings_env
from tests.support.runtime import bearer, isolated_settings, running, stream_messages

CRM = os.path.join(os.path.dirname(sys.executable), "crm")
SECRETS = {"jwt_secret": "j" * 40, "phone_hash_key": "h" * 40, "phone_seal_key": "s" * 40}


def first(sub: str | None = "wang", **changes) -> AdminRequest:
    return AdminRequest(**{"name": "王总", "branch_id": "hq", "branch_name": "集团总部", "sub": sub,
                           "phone": "13800000001", "email": "wang@group.example"} | changes)


async def staff_events(settings: Settings) -> list[dict]:
    found = [json.loads(m.data) for m in await stream_messages(settings)]
    return [(e["type"], e["branch_id"], e["data"]) for e in found if e["type"] in ("staff.joined", "branch.configured")]


async def stored_admins(settings: Settings) -> list[dict]:
    mongo = AsyncMongoClient(settings.mongo_url, tz_aware=True)
    try:
        return await mongo[settings.database_name("leads")].staff.find({"role": "admin"}).sort("_id").to_list()
    finally:
        await mongo.close()


async def test_the_first_admin_is_a_staff_member_whose_event_every_service_reads(urls):
    settings = isolated_settings(*urls)
    made = await run(settings, first())
    assert (made.status, made.branch_created, made.published) == ("created", True, True)
    assert [(a["_id"], a["name"], a["branch_id"], a["phone"], a["active"]) for a in await stored_admins(settings)] == [
        ("wang", "王总", "hq", "+8613800000001", True)]
    events = await staff_events(settings)
    assert [(t, b) for t, b, _ in events] == [("branch.configured", "hq"), ("staff.joined", "hq")]
    joined = events[1][2]
    assert (joined["staff_id"], joined["role"], joined["name"], joined["email"]) == ("wang", "admin", "王总", "wang@group.example")

    again = await run(settings, first(name="别的名字"))
    assert again.status == "exists" and again.staff["name"] == "王总", "the same subject: nothing changes"
    assert len(await staff_events(settings)) == 2 and len(await stored_admins(settings)) == 1

    refused = await run(settings, first(sub="li", phone=None))
    assert refused.status == "refused" and [a["_id"] for a in refused.admins] == ["wang"]
    assert len(await stored_admins(settings)) == 1 and len(await staff_events(settings)) == 2, "refused: nothing written"

    second = await run(settings, first(sub="li", name="李总", phone=None, force=True))
    assert (second.status, second.branch_created) == ("created", False), "the branch exists now: left as it is"
    assert [a["_id"] for a in await stored_admins(settings)] == ["li", "wang"]
    assert [t for t, _, _ in await staff_events(settings)] == ["branch.configured", "staff.joined", "staff.joined"]


async def test_the_printed_token_signs_the_admin_in_and_a_taken_subject_is_refused(urls):
    settings = isolated_settings(*urls)
    made = await run(settings, first(sub=None, branch_id="sz-bay"))
    admin_id = made.staff["_id"]
    lines = next_steps(settings, made, token_minutes=30)
    token = lines[1].strip()
    claims = jwt.decode(token, settings.jwt_secret, algorithms=["HS256"])
    assert (claims["sub"], claims["role"], claims["branches"]) == (admin_id, "admin", ["*"])
    assert 29 * 60 < claims["exp"] - claims.get("iat", claims["exp"] - 30 * 60) <= 30 * 60
    async with running([LeadsService(LeadsSettings(timers=False))], settings) as (_, client):
        auth = {"Authorization": f"Bearer {token}"}
        me = await client.get(f"/v1/staff/{admin_id}", headers=auth)
        assert me.status_code == 200 and me.json()["role"] == "admin", me.text
        listed = await client.get("/v1/staff", params={"branch_id": "sz-bay"}, headers=auth)
        assert [s["role"] for s in listed.json()["items"]] == ["admin"]
        consultant = await client.post("/v1/staff", json={"branch_id": "sz-bay", "name": "张三", "role": "consultant"},
                                       headers=bearer(settings, "manager", ["sz-bay"]))
        assert consultant.status_code == 201
        over_http = await client.post("/v1/staff", json={"branch_id": "sz-bay", "name": "冒充", "role": "admin"},
                                      headers=bearer(settings, "manager", ["sz-bay"]))
        assert over_http.status_code == 422, "an administrator is never made over HTTP"
    from crm_shared.errors import Conflict, Invalid

    with pytest.raises(Conflict, match="张三"):
        await run(settings, first(sub=consultant.json()["id"], force=True))
    with pytest.raises(Invalid, match="--sub"):
        await run(settings, first(sub="auth0|123", force=True))
    with pytest.raises(Invalid, match="--phone"):
        await run(settings, first(sub="zhao", phone="12", force=True))
    with pytest.raises(Invalid, match="--branch:"):
        await run(settings, first(sub="zhao", branch_id="Head Office", force=True))
    with pytest.raises(Invalid, match="--branch-name"):
        await run(settings, first(sub="zhao", branch_id="new-office", branch_name="", force=True))
    assert len(await stored_admins(settings)) == 1


@pytest.mark.unit
def test_with_an_identity_provider_it_names_the_claims_to_map_and_mints_nothing():
    settings = Settings(environment="production", jwt_jwks_url="https://idp.example/jwks", jwt_issuer="https://idp.example",
                        jwt_audience="crm", jwt_subject_claim="crm_staff_id", jwt_role_claim="realm_access.roles",
                        jwt_role_map={"crm-admins": "admin"}, **SECRETS)
    lines = next_steps(settings, Outcome("created", staff={"_id": "wang", "name": "王总"}), token_minutes=60)
    assert "  crm_staff_id = wang" in lines and "  realm_access.roles = crm-admins" in lines and "  branches = *" in lines
    assert not any(line.strip().startswith("eyJ") for line in lines), "production with a JWKS URL accepts no HS256 token"
    small_office = Settings(environment="production", **SECRETS)
    lines = next_steps(small_office, Outcome("created", staff={"_id": "wang", "name": "王总"}), token_minutes=60)
    assert jwt.decode(lines[1].strip(), "j" * 40, algorithms=["HS256"])["role"] == "admin"


async def test_the_command_runs_with_a_production_configuration(urls):
    settings = isolated_settings(*urls)
    env = settings_env(settings) | {"CRM_ENVIRONMENT": "production", "CRM_LOG_JSON": "true",
                                    **{f"CRM_{k.upper()}": v for k, v in SECRETS.items()}}

    def crm(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run([CRM, "bootstrap-admin", *args], env=env, capture_output=True, text=True, timeout=120)

    done = await asyncio.to_thread(crm, "--name", "王总", "--sub", "wang", "--branch", "hq")
    assert done.returncode == 0, done.stderr[-2000:]
    assert "Administrator 王总 created in the new branch hq (集团总部): id wang." in done.stdout
    token = done.stdout.splitlines()[2].strip()
    assert jwt.decode(token, "j" * 40, algorithms=["HS256"])["sub"] == "wang"
    again = await asyncio.to_thread(crm, "--name", "王总", "--sub", "wang")
    assert again.returncode == 0 and "exists already; nothing changed" in again.stdout, again.stderr[-2000:]
    other = await asyncio.to_thread(crm, "--name", "李总", "--sub", "li")
    assert other.returncode == 1 and "王总 (wang)" in other.stderr and "--force" in other.stderr
    refused = await asyncio.to_thread(lambda: subprocess.run(
        [CRM, "bootstrap-admin", "--name", "王总"], env=env | {"CRM_JWT_SECRET": "short"}, capture_output=True,
        text=True, timeout=60))
    assert refused.returncode == 2 and "CRM_JWT_SECRET" in refused.stderr, "production's refusals hold for the command"
    assert [a["_id"] for a in await stored_admins(settings)] == ["wang"]


async def test_only_an_admin_changes_an_admins_record_and_its_role_stays(urls):
    """A manager cannot edit or retire the administrator (403); an admin corrects its facts but not its role
    (422 `admin-role`: admins come from `crm bootstrap-admin` and the identity provider), so no form demotes it."""
    settings = isolated_settings(*urls)
    admin_id = (await run(settings, first(sub="chen", branch_id="sz-bay"))).staff["_id"]
    manager, admin = bearer(settings, "manager", ["sz-bay"]), bearer(settings, "admin", ["*"])
    async with running([LeadsService(LeadsSettings(timers=False))], settings) as (_, client):
        for method, path, body in (("PATCH", f"/v1/staff/{admin_id}", {"name": "陈总"}),
                                   ("POST", f"/v1/staff/{admin_id}/leave", None)):
            r = await client.request(method, path, json=body, headers=manager)
            assert r.status_code == 403, (method, r.text)
        r = await client.patch(f"/v1/staff/{admin_id}", json={"role": "manager"}, headers=admin)
        assert r.status_code == 422 and r.json()["type"].endswith("/admin-role"), r.text
        r = await client.patch(f"/v1/staff/{admin_id}", json={"name": "陈总", "email": "chen@group.example"}, headers=admin)
        assert r.status_code == 200 and (r.json()["name"], r.json()["role"]) == ("陈总", "admin"), r.text
    stored = await stored_admins(settings)
    assert [(a["_id"], a["name"], a["role"]) for a in stored] == [("chen", "陈总", "admin")]
