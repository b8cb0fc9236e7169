"""Who may use each notify endpoint, written down per role (issue 14, D2 and D7).

Partners (channel agencies) see nothing of the office's messages, templates, contacts or
opt-outs. A role that may not use an endpoint gets 403 `forbidden` in its own branch; an
object or branch outside the caller's branches is 404 whatever the role -- also when the
branch comes in the body (a 403 would confirm it exists and that the caller named it).
"""

from __future__ import annotations

import pytest

from tests.notify.support import BRANCH, notify_running
from tests.support.runtime import bearer

ROLES = ("admin", "manager", "consultant", "reception", "partner", "integrator")
READERS = {"admin", "manager", "consultant", "reception", "integrator"}
SENDERS = {"admin", "manager", "integrator"}
PUBLIC = "public"  # no bearer: the signed link, or the provider's own token or signature

WHO: dict[tuple[str, str], set[str] | str] = {
    ("POST", "/v1/messages"): SENDERS,
    ("GET", "/v1/messages"): READERS,
    ("GET", "/v1/messages/{message_id}"): READERS,
    ("POST", "/v1/messages/{message_id}/cancel"): SENDERS,
    ("GET", "/v1/messages/{message_id}/recipient"): {"admin", "manager"},  # the audited reveal: never integrators
    ("GET", "/v1/messages/audit"): {"admin", "manager"},
    ("PUT", "/v1/templates/{key}"): {"admin", "manager"},
    ("GET", "/v1/templates"): {"admin", "manager"},
    ("POST", "/v1/opt-outs"): READERS,
    ("GET", "/v1/opt-outs"): READERS,
    ("DELETE", "/v1/opt-outs"): SENDERS,
    ("GET", "/v1/opt-outs/unsubscribe"): PUBLIC,
    ("POST", "/v1/opt-outs/unsubscribe"): PUBLIC,
    ("POST", "/v1/contacts"): SENDERS,
    ("POST", "/v1/campaigns"): {"admin", "manager"},
    ("POST", "/v1/providers/{name}/receipts"): PUBLIC,
}
STORES = ("messages", "templates", "optouts", "contacts", "consents", "campaigns")


async def _message(client, settings, branch: str) -> str:
    r = await client.post("/v1/messages", headers=bearer(settings, "admin", ["*"]), json={
        "branch_id": branch, "channel": "sms", "to": "+8613800138000", "body": "您好", "send_at": "2031-01-01T00:00:00Z"})
    assert r.status_code == 202, r.text
    return r.json()["id"]


def _calls(branch: str, message_id: str) -> dict[tuple[str, str], tuple[str, dict | None, dict | None]]:
    """A valid request for every operation with a bearer, naming `branch` or its message."""
    phone = {"channel": "sms", "to": "+8613800138001"}
    return {
        ("POST", "/v1/messages"): ("/v1/messages", None, {"branch_id": branch, "channel": "sms", "to": "+8613800138000",
                                                          "body": "您好", "send_at": "2031-01-01T00:00:00Z"}),
        ("GET", "/v1/messages"): ("/v1/messages", {"branch_id": branch}, None),
        ("GET", "/v1/messages/{message_id}"): (f"/v1/messages/{message_id}", None, None),
        ("POST", "/v1/messages/{message_id}/cancel"): (f"/v1/messages/{message_id}/cancel", None, None),
        ("GET", "/v1/messages/{message_id}/recipient"): (f"/v1/messages/{message_id}/recipient", {"reason": "核对"}, None),
        ("GET", "/v1/messages/audit"): ("/v1/messages/audit", {"branch_id": branch}, None),
        ("PUT", "/v1/templates/{key}"): ("/v1/templates/holiday_greeting", None,
                                         {"channel": "sms", "body": "{{ holiday }}快乐", "branch_id": branch}),
        ("GET", "/v1/templates"): ("/v1/templates", {"branch_id": branch}, None),
        ("POST", "/v1/opt-outs"): ("/v1/opt-outs", None, phone | {"branch_id": branch}),
        ("GET", "/v1/opt-outs"): ("/v1/opt-outs", {"branch_id": branch}, None),
        ("DELETE", "/v1/opt-outs"): ("/v1/opt-outs", None, phone | {"branch_id": branch}),
        ("POST", "/v1/contacts"): ("/v1/contacts", None, {"branch_id": branch, "name": "王先生", "phone": "+8613800138002"}),
        ("POST", "/v1/campaigns"): ("/v1/campaigns", None, {
            "branch_id": branch, "template": "holiday_greeting", "data": {"holiday": "春节"},
            "audience": {"to": ["+8613800138003"]}, "send_at": "2031-01-01T00:00:00Z"}),
    }


async def _stored(ctx) -> dict:
    return {c: await ctx.db[c].find({}).to_list(1000) for c in STORES}


async def test_every_notify_operation_has_a_decision(urls):
    async with notify_running(urls) as (settings, ctx, client):
        spec = (await client.get("/openapi.json")).json()
        operations = {(m.upper(), p) for p, ops in spec["paths"].items() if p.startswith("/v1/") for m in ops}
        assert operations == set(WHO), f"without a decision: {operations - set(WHO)}; gone: {set(WHO) - operations}"
        assert set(_calls(BRANCH, "m")) == {op for op, who in WHO.items() if who != PUBLIC}


@pytest.mark.parametrize("role", ROLES)
async def test_refused_roles_get_403_and_readers_get_200_in_their_own_branch(urls, role):
    async with notify_running(urls) as (settings, ctx, client):
        calls = _calls(BRANCH, await _message(client, settings, BRANCH))
        before = await _stored(ctx)
        wrong = []
        for (method, template), (path, params, body) in calls.items():
            r = await client.request(method, path, params=params, json=body, headers=bearer(settings, role, [BRANCH], sub=f"{role}-1"))
            if role not in WHO[(method, template)]:
                if r.status_code != 403 or not r.json()["type"].endswith("/forbidden"):
                    wrong.append((method, path, r.status_code, r.text[:200]))
            elif r.status_code >= 400 or (method == "GET" and r.status_code != 200):
                wrong.append((method, path, r.status_code, r.text[:200]))
        assert not wrong, "\n".join(map(str, wrong))
        if role == "partner":
            assert await _stored(ctx) == before, "a refused call changes nothing"


@pytest.mark.parametrize("role", ROLES)
async def test_another_branch_is_404_whatever_the_role(urls, role):
    async with notify_running(urls) as (settings, ctx, client):
        theirs = "gz-east"
        calls = _calls(theirs, await _message(client, settings, theirs))
        before = await _stored(ctx)
        wrong = []
        for (method, _), (path, params, body) in calls.items():
            r = await client.request(method, path, params=params, json=body, headers=bearer(settings, role, [BRANCH], sub=f"{role}-1"))
            if r.status_code != 404 or not r.json()["type"].endswith("/not-found"):
                wrong.append((method, path, r.status_code, r.text[:200]))
        assert not wrong, "\n".join(map(str, wrong))
        assert await _stored(ctx) == before, "nothing changes in another branch"


async def test_partners_read_no_message_of_the_office(urls):
    async with notify_running(urls) as (settings, ctx, client):
        mid = await _message(client, settings, BRANCH)
        partner = bearer(settings, "partner", [BRANCH], sub="p1")
        for path, params in ((f"/v1/messages/{mid}", None), ("/v1/messages", {"branch_id": BRANCH}), ("/v1/opt-outs", None)):
            r = await client.get(path, params=params, headers=partner)
            assert r.status_code == 403 and "+86" not in r.text and "138" not in r.text, (path, r.text)
