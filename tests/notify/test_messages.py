"""Messages API: 202 with Idempotency-Key, dispatch through the console provider, listing, bad input."""

from datetime import timedelta

import pytest

from crm_shared.ids import utcnow
from crm_notify.dispatch.service import dispatch_due
from tests.notify.support import BRANCH, messages, notify_running, sent_by_console
from tests.support.runtime import bearer

SMS = {"branch_id": BRANCH, "channel": "sms", "to": "13800138000", "body": "您好，欢迎来访。"}


async def test_send_is_accepted_dispatched_and_reported(urls):
    async with notify_running(urls) as (settings, ctx, client):
        h = bearer(settings, "manager", [BRANCH]) | {"Idempotency-Key": "k-1"}
        r = await client.post("/v1/messages", json=SMS, headers=h)
        assert r.status_code == 202, r.text
        first = r.json()
        assert first["status"] == "queued"
        again = await client.post("/v1/messages", json=SMS, headers=h)
        assert again.status_code == 202 and again.json() == first
        assert len(await messages(ctx)) == 1, "the repeat created nothing"

        report = await dispatch_due(ctx, utcnow())
        assert report.outcomes == {"sent": 1}
        [sent] = await sent_by_console(ctx)
        assert sent["to"] == "+8613800138000" and sent["body"] == "【售楼处】您好，欢迎来访。"

        got = (await client.get(f"/v1/messages/{first['id']}", headers=bearer(settings, "manager", [BRANCH]))).json()
        assert got["status"] == "sent" and got["attempts"] == 1 and got["provider"] == "console"
        assert got["provider_message_ids"] == [sent["_id"]] and got["segments"] == 1
        listed = (await client.get("/v1/messages", params={"branch_id": BRANCH, "status": "sent", "to": "+8613800138000"},
                                   headers=bearer(settings, "consultant", [BRANCH]))).json()
        assert [m["id"] for m in listed["items"]] == [first["id"]]
        assert listed["items"][0]["to"] == "138****8000", "consultants see masked numbers"


async def test_same_key_with_a_different_body_is_refused(urls):
    async with notify_running(urls) as (settings, ctx, client):
        h = bearer(settings, "manager", [BRANCH]) | {"Idempotency-Key": "k-2"}
        assert (await client.post("/v1/messages", json=SMS, headers=h)).status_code == 202
        r = await client.post("/v1/messages", json=SMS | {"body": "另一条"}, headers=h)
        assert r.status_code == 422 and r.json()["type"].endswith("/idempotency-key-reused")


async def test_scheduled_message_waits_for_its_time(urls):
    async with notify_running(urls) as (settings, ctx, client):
        later = utcnow() + timedelta(hours=3)
        r = await client.post("/v1/messages", json=SMS | {"send_at": later.isoformat()},
                              headers=bearer(settings, "integrator", [BRANCH]))
        assert r.json()["status"] == "scheduled"
        assert (await dispatch_due(ctx, utcnow())).claimed == 0
        assert (await dispatch_due(ctx, later + timedelta(seconds=1))).outcomes == {"sent": 1}


async def test_template_message_renders_with_data(urls):
    async with notify_running(urls) as (settings, ctx, client):
        body = {"branch_id": BRANCH, "channel": "email", "to": "Wang@Example.COM", "template": "birthday_greeting",
                "data": {"customer_name": "王先生"}}
        r = await client.post("/v1/messages", json=body, headers=bearer(settings, "manager", [BRANCH]))
        assert r.status_code == 202, r.text
        await dispatch_due(ctx, utcnow())
        [sent] = await sent_by_console(ctx)
        assert sent["to"] == "Wang@example.com"
        assert sent["subject"] == "生日快乐，王先生" and "生日快乐" in sent["body"]


BAD = [
    ({**SMS, "to": "12345"}, 422),
    ({**SMS, "channel": "email", "to": "not-an-email"}, 422),
    ({**SMS, "to": {"$ne": ""}}, 422),
    ({**SMS, "channel": "fax"}, 422),
    ({**SMS, "category": "spam"}, 422),
    ({**SMS, "body": "x" * 2001}, 422),
    ({**SMS, "extra": 1}, 422),
    ({**SMS, "template": "birthday_greeting"}, 422),  # both template and body
    ({k: v for k, v in SMS.items() if k != "body"}, 422),  # neither
    ({**{k: v for k, v in SMS.items() if k != "body"}, "template": "birthday_greeting", "data": {}}, 422),  # missing var
    ({**{k: v for k, v in SMS.items() if k != "body"}, "template": "no_such_template"}, 422),
    ({**{k: v for k, v in SMS.items() if k != "body"}, "template": "birthday_greeting", "data": {"customer_name": {"$ne": 1}}}, 422),
    ({**SMS, "send_at": "2026-11-23T10:00:00"}, 422),  # no offset
    ({**SMS, "body": "好" * 400}, 422),  # longer than the SMS maximum
    ({**SMS, "branch_id": "Bad Branch"}, 422),
]


@pytest.mark.parametrize(("body", "status"), BAD)
async def test_bad_input_is_a_4xx_problem_and_changes_nothing(urls, body, status):
    async with notify_running(urls) as (settings, ctx, client):
        r = await client.post("/v1/messages", json=body, headers=bearer(settings, "manager", [BRANCH]))
        assert r.status_code == status, r.text
        assert r.headers["content-type"].startswith("application/problem+json")
        assert await messages(ctx) == []


async def test_scope_roles_and_paths(urls):
    async with notify_running(urls) as (settings, ctx, client):
        r = await client.post("/v1/messages", json=SMS, headers=bearer(settings, "manager", ["other"]))
        assert r.status_code == 404
        r = await client.post("/v1/messages", json=SMS, headers=bearer(settings, "consultant", [BRANCH]))
        assert r.status_code == 403
        assert (await client.post("/v1/messages", json=SMS)).status_code == 401
        mid = (await client.post("/v1/messages", json=SMS, headers=bearer(settings, "manager", [BRANCH]))).json()["id"]
        assert (await client.get(f"/v1/messages/{mid}", headers=bearer(settings, "manager", ["other"]))).status_code == 404
        assert (await client.get(f"/v1/messages/{'x' * 65}", headers=bearer(settings, "manager", [BRANCH]))).status_code == 422
        assert (await client.get("/v1/messages", params={"branch_id": "other"}, headers=bearer(settings, "manager", [BRANCH]))).status_code == 404
        assert (await client.get("/v1/messages", params={"branch_id": BRANCH, "status": "bogus"},
                                 headers=bearer(settings, "manager", [BRANCH]))).status_code == 422
        r = await client.post("/v1/messages", content=b"{not json", headers=bearer(settings, "manager", [BRANCH]) | {"content-type": "application/json"})
        assert r.status_code == 400


async def test_a_scheduled_message_can_be_cancelled_until_it_is_sent(urls):
    async with notify_running(urls) as (settings, ctx, client):
        h = bearer(settings, "manager", [BRANCH])
        later = utcnow() + timedelta(hours=1)
        mid = (await client.post("/v1/messages", json=SMS | {"send_at": later.isoformat()}, headers=h)).json()["id"]
        r = await client.post(f"/v1/messages/{mid}/cancel", headers=h)
        assert r.status_code == 200 and r.json()["status"] == "cancelled"
        assert (await dispatch_due(ctx, later + timedelta(minutes=1))).claimed == 0
        r = await client.post(f"/v1/messages/{mid}/cancel", headers=h)
        assert r.status_code == 409 and r.json()["status_now"] == "cancelled"
        assert (await client.post(f"/v1/messages/{mid}/cancel", headers=bearer(settings, "manager", ["other"]))).status_code == 404
        assert (await client.post(f"/v1/messages/{mid}/cancel", headers=bearer(settings, "consultant", [BRANCH]))).status_code == 403


async def test_a_branch_may_sign_with_its_own_brand(urls):
    async with notify_running(urls, sms_signatures={BRANCH: "【湾区壹号】"}) as (settings, ctx, client):
        h = bearer(settings, "manager", [BRANCH, "gz-tower"])
        for branch in (BRANCH, "gz-tower"):
            assert (await client.post("/v1/messages", json=SMS | {"branch_id": branch}, headers=h)).status_code == 202
        await dispatch_due(ctx, utcnow())
        assert sorted(s["body"] for s in await sent_by_console(ctx)) == ["【售楼处】您好，欢迎来访。", "【湾区壹号】您好，欢迎来访。"]
