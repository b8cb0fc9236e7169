"""Templates API (branch overrides, strict validation) and campaigns."""

from datetime import UTC, datetime

from crm_notify.dispatch.service import dispatch_due
from tests.notify.support import BRANCH, messages, notify_running, sent_by_console
from tests.support.runtime import bearer

NOON = datetime(2030, 1, 7, 4, 0, tzinfo=UTC)  # 12:00 Shanghai


async def test_branch_override_is_used_for_that_branch_only(urls):
    async with notify_running(urls) as (settings, ctx, client):
        h = bearer(settings, "manager", [BRANCH, "gz-tower"])
        body = {"channel": "sms", "body": "{{ customer_name }}，生日快乐！{{ branch_name }}敬上", "branch_id": BRANCH}
        r = await client.put("/v1/templates/birthday_greeting", json=body, headers=h)
        assert r.status_code == 200, r.text
        assert r.json()["source"] == "branch" and r.json()["segments"] == 1 and r.json()["version"] == 1
        r = await client.put("/v1/templates/birthday_greeting", json=body, headers=h)
        assert r.json()["version"] == 2
        listed = (await client.get("/v1/templates", params={"branch_id": BRANCH, "key": "birthday_greeting"}, headers=h)).json()
        assert {t["source"] for t in listed["items"]} == {"builtin", "branch"}
        for branch in (BRANCH, "gz-tower"):
            r = await client.post("/v1/messages", json={"branch_id": branch, "channel": "sms", "to": "+8613800138000",
                                                        "template": "birthday_greeting", "data": {"customer_name": "王先生"}}, headers=h)
            assert r.status_code == 202
        await dispatch_due(ctx, NOON)
        bodies = sorted(s["body"] for s in await sent_by_console(ctx))
        assert bodies == ["【售楼处】王先生，gz-tower祝您生日快乐，幸福安康！", "【售楼处】王先生，生日快乐！sz-bay敬上"]


async def test_invalid_templates_are_refused(urls):
    async with notify_running(urls, sms_max_segments=2) as (settings, ctx, client):
        h = bearer(settings, "admin", ["*"])
        cases = [
            ("lead_assigned", {"channel": "sms", "body": "{% if %}"}, "template-invalid"),
            ("lead_assigned", {"channel": "sms", "body": "{{ staff_name }} {{ unknown_var }}"}, "template-invalid"),
            ("lead_assigned", {"channel": "sms", "body": "{{ staff_name }}" + "好" * 200}, "sms-too-long"),
            ("lead_assigned", {"channel": "sms", "body": "x", "locale": "fr"}, "validation"),
            ("lead_assigned", {"channel": "sms", "body": {"$ne": ""}}, "validation"),
            ("lead_assigned", {"channel": "sms", "body": "x", "extra": 1}, "validation"),
            ("Bad-Key", {"channel": "sms", "body": "x"}, "validation"),
        ]
        for key, body, kind in cases:
            r = await client.put(f"/v1/templates/{key}", json=body, headers=h)
            assert r.status_code == 422 and r.json()["type"].endswith(kind), (key, body, r.text)
        assert await ctx.db.templates.count_documents({}) == 0
        r = await client.put("/v1/templates/lead_assigned", json={"channel": "sms", "body": "x"}, headers=bearer(settings, "manager", [BRANCH]))
        assert r.status_code == 403, "a global template needs an admin"
        r = await client.put("/v1/templates/lead_assigned", json={"channel": "sms", "body": "x", "branch_id": "other"},
                             headers=bearer(settings, "manager", [BRANCH]))
        assert r.status_code == 404


async def test_campaign_to_a_list_respects_consent_and_is_idempotent(urls):
    async with notify_running(urls) as (settings, ctx, client):
        h = bearer(settings, "manager", [BRANCH])
        await client.post("/v1/contacts", json={"branch_id": BRANCH, "name": "王先生", "phone": "+8613800000001", "consent": {"sms": True}}, headers=h)
        body = {"branch_id": BRANCH, "template": "holiday_greeting", "data": {"holiday": "春节"}, "send_at": NOON.isoformat(),
                "audience": {"to": ["+8613800000001", "13800000002", "+8613800000001"]}}
        r = await client.post("/v1/campaigns", json=body, headers=h | {"Idempotency-Key": "cny"})
        assert r.status_code == 201, r.text
        assert r.json()["recipients"] == 2
        again = await client.post("/v1/campaigns", json=body, headers=h | {"Idempotency-Key": "cny"})
        assert again.json() == r.json()
        assert len(await messages(ctx)) == 2
        assert (await dispatch_due(ctx, NOON)).outcomes == {"sent": 1, "suppressed": 1}
        [sent] = await sent_by_console(ctx)
        assert "春节快乐" in sent["body"] and "退订" in sent["body"]


async def test_campaign_to_consented_contacts_and_bad_input(urls):
    async with notify_running(urls) as (settings, ctx, client):
        h = bearer(settings, "manager", [BRANCH])
        for i, consent in enumerate((True, True, False)):
            await client.post("/v1/contacts", json={"branch_id": BRANCH, "name": f"客户{i}", "phone": f"+861380000000{i}",
                                                    "consent": {"sms": consent}}, headers=h)
        base = {"branch_id": BRANCH, "template": "holiday_greeting", "data": {"holiday": "中秋"}, "send_at": NOON.isoformat()}
        r = await client.post("/v1/campaigns", json=base | {"audience": {"consented_contacts": True}}, headers=h)
        assert r.status_code == 201 and r.json()["recipients"] == 2
        for bad in (base | {"audience": {}}, base | {"audience": {"to": ["bad"]}}, base | {"audience": {"to": [{"$ne": 1}]}},
                    base | {"audience": {"consented_contacts": True}, "template": "no_such"},
                    {k: v for k, v in base.items() if k != "send_at"} | {"audience": {"consented_contacts": True}}):
            r = await client.post("/v1/campaigns", json=bad, headers=h)
            assert r.status_code == 422, (bad, r.text)
        assert (await client.post("/v1/campaigns", json=base | {"audience": {"consented_contacts": True}},
                                  headers=bearer(settings, "consultant", [BRANCH]))).status_code == 403
        assert len(await messages(ctx)) == 2
