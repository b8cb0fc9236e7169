"""The finance role (财务) in notify: it records and lists a customer's opt-out (a customer may say stop on a payment
call) and nothing else of notify (403 in its branch); another branch is 404 whatever the role."""

from tests.notify.support import BRANCH, notify_running
from tests.support.runtime import bearer


async def test_finance_takes_opt_outs_and_nothing_else(urls):
    async with notify_running(urls) as (settings, ctx, client):
        fin = bearer(settings, "finance", [BRANCH], "f1")
        r = await client.post("/v1/opt-outs", json={"branch_id": BRANCH, "channel": "sms", "to": "13800138000"}, headers=fin)
        assert r.status_code == 200 and r.json()["status"] == "opted_out", r.text
        r = await client.get("/v1/opt-outs", params={"branch_id": BRANCH}, headers=fin)
        assert r.status_code == 200 and len(r.json()["items"]) == 1
        r = await client.post("/v1/opt-outs", json={"branch_id": "gz-tower", "channel": "sms", "to": "13800138001"}, headers=fin)
        assert r.status_code == 404
        refused = [("GET", "/v1/messages", {"branch_id": BRANCH}, None),
                   ("POST", "/v1/messages", None, {"branch_id": BRANCH, "channel": "sms", "to": "13800138000", "body": "您好"}),
                   ("GET", "/v1/templates", {"branch_id": BRANCH}, None),
                   ("POST", "/v1/contacts", None, {"branch_id": BRANCH, "name": "王先生", "phone": "13800138000",
                                                   "consent": {"sms": True}}),
                   ("POST", "/v1/campaigns", None, {"branch_id": BRANCH, "template": "holiday_greeting", "data": {"holiday": "春节"},
                                                    "audience": {"to": ["13800138000"]}, "send_at": "2030-01-28T02:00:00+00:00"})]
        for method, path, params, body in refused:
            r = await client.request(method, path, params=params, json=body, headers=fin)
            assert r.status_code == 403, (method, path, r.status_code, r.text)
        assert await ctx.db.messages.count_documents({}) == 0 and await ctx.db.contacts.count_documents({}) == 0
