"""Every full number audited (issue 19): message and opt-out recipients are masked for every role, in
lists, items and echoes; a message's full recipient comes only from its audited reveal, to managers
and admins (integrators never); the audit keeps the mask, never the recipient."""

from __future__ import annotations

import pytest

from crm_shared.reveals import mask_email, mask_recipient
from tests.notify.support import BRANCH, notify_running
from tests.support.runtime import bearer

ROLES = ("admin", "manager", "consultant", "reception", "integrator")


@pytest.mark.unit
def test_the_masks():
    assert mask_email("wang@example.com") == "w***@example.com"
    assert mask_email("w@example.com") == "w***@example.com"
    assert mask_email("broken") == "***" and mask_email(None) is None
    assert mask_recipient("sms", "+8613800138000") == "138****8000"
    assert mask_recipient("email", "Wang@example.com") == "W***@example.com"
    assert mask_recipient("sms", "not a number") == "****"


async def _send(client, settings, to: str, channel: str = "sms") -> str:
    r = await client.post("/v1/messages", headers=bearer(settings, "integrator", [BRANCH]), json={
        "branch_id": BRANCH, "channel": channel, "to": to, "body": "您好", "subject": "问候" if channel == "email" else None,
        "send_at": "2031-01-01T00:00:00Z"})
    assert r.status_code == 202, r.text
    return r.json()["id"]


async def _audit(client, settings, message_id: str | None = None) -> list[dict]:
    params = {"branch_id": BRANCH} | ({"message_id": message_id} if message_id else {})
    r = await client.get("/v1/messages/audit", params=params, headers=bearer(settings, "manager", [BRANCH], sub="m-1"))
    assert r.status_code == 200, r.text
    return r.json()["items"]


async def test_every_role_sees_masked_recipients(urls):
    async with notify_running(urls) as (settings, ctx, client):
        sms = await _send(client, settings, "+8613800138000")
        mail = await _send(client, settings, "wang@example.com", "email")
        for role in ROLES:
            who = bearer(settings, role, [BRANCH], sub=f"{role}-1")
            listed = (await client.get("/v1/messages", params={"branch_id": BRANCH}, headers=who)).json()["items"]
            assert {m["id"]: m["to"] for m in listed} == {sms: "138****8000", mail: "w***@example.com"}, role
            for mid, shown in ((sms, "138****8000"), (mail, "w***@example.com")):
                one = await client.get(f"/v1/messages/{mid}", headers=who)
                assert one.status_code == 200 and one.json()["to"] == shown, (role, one.text)
            found = (await client.get("/v1/messages", params={"branch_id": BRANCH, "to": "13800138000"}, headers=who)).json()
            assert [m["id"] for m in found["items"]] == [sms], "a caller who has the number still finds its messages"
            assert "13800138000" not in str(listed) and "wang@example.com" not in str(listed)
        cancelled = await client.post(f"/v1/messages/{sms}/cancel", headers=bearer(settings, "integrator", [BRANCH]))
        assert cancelled.status_code == 200 and cancelled.json()["to"] == "138****8000"


async def test_a_recipient_is_revealed_to_managers_only_and_audited(urls):
    async with notify_running(urls) as (settings, ctx, client):
        sms = await _send(client, settings, "+8613800138000")
        mail = await _send(client, settings, "wang@example.com", "email")
        for role, sub in (("manager", "m-1"), ("admin", "root")):
            r = await client.get(f"/v1/messages/{sms}/recipient", params={"reason": "客户投诉核对"},
                                 headers=bearer(settings, role, [BRANCH], sub=sub))
            assert r.status_code == 200 and r.json() == {"message_id": sms, "channel": "sms", "to": "+8613800138000"}, r.text
        r = await client.get(f"/v1/messages/{mail}/recipient", headers=bearer(settings, "manager", [BRANCH], sub="m-1"))
        assert r.json()["to"] == "wang@example.com"
        records = await _audit(client, settings)
        assert [(a["actor_id"], a["actor_role"], a["object_id"], a["phone_masked"], a["email_masked"]) for a in records] == [
            ("m-1", "manager", mail, None, "w***@example.com"), ("root", "admin", sms, "138****8000", None),
            ("m-1", "manager", sms, "138****8000", None)]
        assert records[-1]["reason"] == "客户投诉核对" and records[-1]["action"] == "message.recipient.reveal"
        assert "13800138000" not in str(records) and "wang@example.com" not in str(records)
        assert len(await _audit(client, settings, sms)) == 2

        for role in ("consultant", "reception", "integrator", "partner", "finance"):
            r = await client.get(f"/v1/messages/{sms}/recipient", headers=bearer(settings, role, [BRANCH], sub=f"{role}-1"))
            assert r.status_code == 403 and "13800138000" not in r.text, (role, r.text)
            r = await client.get("/v1/messages/audit", params={"branch_id": BRANCH}, headers=bearer(settings, role, [BRANCH]))
            assert r.status_code == 403, (role, r.text)
        outsider = bearer(settings, "manager", ["gz-east"], sub="m-9")
        assert (await client.get(f"/v1/messages/{sms}/recipient", headers=outsider)).status_code == 404
        assert (await client.get("/v1/messages/audit", params={"branch_id": BRANCH}, headers=outsider)).status_code == 404
        assert len(await _audit(client, settings)) == 3, "refused reveals leave no record"


async def test_opt_outs_are_masked_in_lists_and_echoes(urls):
    async with notify_running(urls) as (settings, ctx, client):
        for role in ROLES:
            who = bearer(settings, role, [BRANCH], sub=f"{role}-1")
            r = await client.post("/v1/opt-outs", headers=who, json={"branch_id": BRANCH, "channel": "email",
                                                                      "to": "li@example.com"})
            assert r.status_code == 200 and r.json()["to"] == "l***@example.com", (role, r.text)
            listed = (await client.get("/v1/opt-outs", params={"branch_id": BRANCH}, headers=who)).json()
            assert [i["to"] for i in listed["items"]] == ["l***@example.com"], role
        r = await client.request("DELETE", "/v1/opt-outs", headers=bearer(settings, "manager", [BRANCH]),
                                 json={"branch_id": BRANCH, "channel": "email", "to": "li@example.com"})
        assert r.status_code == 200 and r.json()["to"] == "l***@example.com", r.text
