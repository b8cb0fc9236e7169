"""The console behind an SSO proxy (`CRM_CONSOLE__IDENTITY=proxy`): the proxy passes the user's
identity-provider token (RS256, the provider's own claim names), the console signs the user in
with it and forwards it to the API, which accepts it; a token the deployment does not accept
gets the sign-in page with the reason, and 退出 goes through the proxy's sign-out."""

from __future__ import annotations

import uuid

from crm_console.plugin import ConsoleService
from crm_console.settings import ConsoleSettings
from crm_shared.plugins import discover
from tests.support.idp import JwksServer, Key, idp_settings
from tests.support.runtime import bearer, isolated_settings, running

# How a Keycloak realm might carry them: the CRM staff id as a user attribute, realm roles, branches.
CLAIMS = {"subject": "crm_staff_id", "role": "realm_access.roles", "branches": "crm_branches"}
ROLE_MAP = {"crm-manager": "manager", "crm-front-desk": "reception", "crm-sales": "consultant"}


async def test_the_proxy_token_signs_in_and_reaches_the_api(urls):
    key = Key.rsa()
    with JwksServer(key) as idp:
        settings = isolated_settings(*urls, **idp_settings(
            idp, jwt_subject_claim=CLAIMS["subject"], jwt_role_claim=CLAIMS["role"],
            jwt_branches_claim=CLAIMS["branches"], jwt_role_map=ROLE_MAP))
        console = ConsoleService(ConsoleSettings(identity="proxy", signout_url="/oauth2/sign_out"))
        plugins = [p for p in discover("all") if p.name != "console"] + [console]
        async with running(plugins, settings) as (_, client):
            admin = bearer(settings, "admin", ["*"], "admin")  # set-up with a development token (test environment)
            branch = f"br-{uuid.uuid4().hex[:6]}"
            r = await client.post("/v1/branches", headers=admin, json={"id": branch, "name": "前海售楼处",
                                                                       "timezone": "Asia/Shanghai"})
            assert r.status_code in (200, 201), r.text
            r = await client.post("/v1/staff", headers=admin, json={"branch_id": branch, "name": "王经理", "role": "manager"})
            staff_id = r.json()["id"]

            def idp_token(roles: list[str], **extra) -> str:
                return key.sign({"sub": f"kc-{uuid.uuid4()}", "crm_staff_id": staff_id, "crm_branches": [branch],
                                 "realm_access": {"roles": ["offline_access", *roles]}, "preferred_username": "wang", **extra})

            access = idp_token(["crm-manager"])
            proxied = {"X-Forwarded-Access-Token": access}
            home = await client.get("/console", headers=proxied)
            assert (home.status_code, home.headers["location"]) == (303, "/console/manager")
            board = await client.get("/console/manager", headers=proxied)
            assert board.status_code == 200, board.text[:500]
            assert "王经理" in board.text and "前海售楼处" in board.text  # names read through the API with the forwarded token

            # oauth2-proxy with --pass-authorization-header puts the ID token (audience: the client) in Authorization
            both = proxied | {"Authorization": f"Bearer {idp_token(['crm-manager'], aud='crm-console-client')}"}
            assert (await client.get("/console/manager", headers=both)).status_code == 200
            # the token is the API's credential too: a proxy in front of the API passes it the same way
            r = await client.get(f"/v1/staff/{staff_id}", headers={"Authorization": f"Bearer {access}"})
            assert r.status_code == 200 and r.json()["name"] == "王经理"

            no_role = {"X-Forwarded-Access-Token": idp_token(["crm-auditor"])}
            away = await client.get("/console/manager", headers=no_role)
            assert away.status_code == 303 and away.headers["location"].startswith("/console/signin")
            page = await client.get("/console/signin", headers=no_role)
            assert page.status_code == 401 and "单点登录" in page.text and "realm_access.roles" in page.text
            outsider = {"X-Forwarded-Access-Token": idp_token(["crm-manager"], iss="https://sso.other-group.cn")}
            assert (await client.get("/console", headers=outsider)).headers["location"] == "/console/signin"

            out = await client.post("/console/signout", headers=proxied)
            assert (out.status_code, out.headers["location"]) == (303, "/oauth2/sign_out")
