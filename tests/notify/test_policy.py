"""Policy before each send: opt-out, consent, quiet hours (non-Shanghai zone), rate limit, duplicates."""

from datetime import UTC, datetime, timedelta
from urllib.parse import urlparse

from crm_shared.ids import utcnow
from crm_notify.dispatch.service import dispatch_due
from tests.notify.support import BRANCH, configure_branch, messages, notify_running, sent_by_console
from tests.support.runtime import bearer

PHONE = "+8613800138000"


def sms(**extra) -> dict:
    return {"branch_id": BRANCH, "channel": "sms", "to": PHONE, "body": "您好", **extra}


async def _post(client, settings, body, role="manager"):
    r = await client.post("/v1/messages", json=body, headers=bearer(settings, role, [BRANCH]))
    assert r.status_code == 202, r.text
    return r.json()["id"]


async def test_channel_opt_out_suppresses_transactional_and_can_be_withdrawn(urls):
    async with notify_running(urls) as (settings, ctx, client):
        h = bearer(settings, "consultant", [BRANCH])
        r = await client.post("/v1/opt-outs", json={"branch_id": BRANCH, "channel": "sms", "to": "13800138000"}, headers=h)
        assert r.status_code == 200 and r.json()["to"] == "138****8000"
        mid = await _post(client, settings, sms())
        assert (await dispatch_due(ctx, utcnow())).outcomes == {"suppressed": 1}
        doc = await ctx.db.messages.find_one({"_id": mid})
        assert doc["status"] == "suppressed" and "opted out" in doc["error"]
        assert await sent_by_console(ctx) == []
        r = await client.request("DELETE", "/v1/opt-outs", json={"branch_id": BRANCH, "channel": "sms", "to": PHONE},
                                 headers=bearer(settings, "manager", [BRANCH]))
        assert r.status_code == 200
        await _post(client, settings, sms(body="再次问候"))
        assert (await dispatch_due(ctx, utcnow())).outcomes == {"sent": 1}


async def test_marketing_opt_out_leaves_transactional_alone(urls):
    async with notify_running(urls) as (settings, ctx, client):
        await client.post("/v1/contacts", json={"branch_id": BRANCH, "name": "王先生", "phone": PHONE, "consent": {"sms": True}},
                          headers=bearer(settings, "manager", [BRANCH]))
        await client.post("/v1/opt-outs", json={"branch_id": BRANCH, "channel": "sms", "to": PHONE, "category": "marketing"},
                          headers=bearer(settings, "manager", [BRANCH]))
        await _post(client, settings, sms(category="marketing", body="优惠活动"))
        await _post(client, settings, sms(body="预约确认"))
        report = await dispatch_due(ctx, datetime(2030, 1, 7, 4, 0, tzinfo=UTC))  # 12:00 Shanghai, outside quiet hours
        assert report.outcomes == {"suppressed": 1, "sent": 1}
        [sent] = await sent_by_console(ctx)
        assert "预约确认" in sent["body"]


async def test_marketing_needs_consent_and_carries_a_working_unsubscribe_link(urls):
    async with notify_running(urls) as (settings, ctx, client):
        noon = datetime(2030, 1, 7, 4, 0, tzinfo=UTC)  # 12:00 in Shanghai
        await _post(client, settings, sms(category="marketing", body="新春特惠"))
        assert (await dispatch_due(ctx, noon)).outcomes == {"suppressed": 1}
        r = await client.post("/v1/contacts", json={"branch_id": BRANCH, "name": "王先生", "phone": "13800138000",
                                                    "consent": {"sms": True}}, headers=bearer(settings, "manager", [BRANCH]))
        assert r.status_code == 200, r.text
        await _post(client, settings, sms(category="marketing", body="元宵特惠"))
        assert (await dispatch_due(ctx, noon)).outcomes == {"sent": 1}
        [sent] = await sent_by_console(ctx)
        assert "退订" in sent["body"]
        link = sent["body"].split("退订：", 1)[1].strip()
        assert link.startswith("https://crm.test/v1/opt-outs/unsubscribe?token=")
        url = urlparse(link)
        r = await client.get(f"{url.path}?{url.query}")  # public: no bearer
        assert r.status_code == 200 and r.json() == {"branch_id": BRANCH, "channel": "sms", "to": "138****8000", "category": "marketing",
                                                     "note": None, "status": "opted_out"}
        bad = await client.get(f"{url.path}?{url.query[:-3]}abc")
        assert bad.status_code == 400
        await _post(client, settings, sms(category="marketing", body="清明特惠"))
        assert (await dispatch_due(ctx, noon)).outcomes == {"suppressed": 1}


async def test_quiet_hours_defer_marketing_in_the_branch_zone(urls):
    async with notify_running(urls) as (settings, ctx, client):
        await configure_branch(settings, ctx, timezone="America/New_York")
        await client.post("/v1/contacts", json={"branch_id": BRANCH, "name": "Wang", "phone": PHONE, "consent": {"sms": True}},
                          headers=bearer(settings, "manager", [BRANCH]))
        mid = await _post(client, settings, sms(category="marketing", body="Open house"))
        tid = await _post(client, settings, sms(body="Your visit is confirmed"))
        late = datetime(2030, 1, 8, 4, 30, tzinfo=UTC)  # 23:30 in New York, 12:30 in Shanghai
        assert (await dispatch_due(ctx, late)).outcomes == {"deferred": 1, "sent": 1}
        doc = await ctx.db.messages.find_one({"_id": mid})
        assert doc["status"] == "scheduled" and doc["due_at"] == datetime(2030, 1, 8, 13, 0, tzinfo=UTC)  # 08:00 NY
        assert (await ctx.db.messages.find_one({"_id": tid}))["status"] == "sent"
        assert (await dispatch_due(ctx, late + timedelta(hours=4))).claimed == 0
        assert (await dispatch_due(ctx, doc["due_at"])).outcomes == {"sent": 1}


async def test_rate_limit_defers_to_the_next_window(urls):
    async with notify_running(urls, rate_limit_sms=2, duplicate_window_seconds=0) as (settings, ctx, client):
        for i in range(3):
            await _post(client, settings, sms(body=f"第{i}条"))
        now = datetime(2030, 1, 7, 4, 10, tzinfo=UTC)
        assert (await dispatch_due(ctx, now)).outcomes == {"sent": 2, "deferred": 1}
        held = await messages(ctx, status="queued")
        assert len(held) == 1 and held[0]["due_at"] == datetime(2030, 1, 7, 5, 0, 1, tzinfo=UTC)
        assert (await dispatch_due(ctx, held[0]["due_at"])).outcomes == {"sent": 1}


async def test_same_text_to_same_recipient_is_suppressed_as_duplicate(urls):
    async with notify_running(urls) as (settings, ctx, client):
        first = await _post(client, settings, sms(body="同一条"))
        second = await _post(client, settings, sms(body="同一条"))
        assert (await dispatch_due(ctx, utcnow())).outcomes == {"sent": 1, "suppressed": 1}
        docs = {d["_id"]: d for d in await messages(ctx)}
        suppressed = [d for d in docs.values() if d["status"] == "suppressed"][0]
        assert "duplicate" in suppressed["error"] and suppressed["_id"] in (first, second)


async def test_opt_out_bad_input(urls):
    async with notify_running(urls) as (settings, ctx, client):
        h = bearer(settings, "manager", [BRANCH])
        for body in ({"channel": "sms", "to": {"$ne": 1}}, {"channel": "sms", "to": "123"}, {"channel": "fax", "to": PHONE},
                     {"channel": "sms", "to": PHONE, "extra": True}, {"channel": "email", "to": "nope"}):
            r = await client.post("/v1/opt-outs", json=body | {"branch_id": BRANCH}, headers=h)
            assert r.status_code == 422, (body, r.text)
        assert (await client.post("/v1/opt-outs", json={"branch_id": BRANCH, "channel": "sms", "to": PHONE})).status_code == 401
        assert await ctx.db.optouts.count_documents({}) == 0


async def test_ended_policy_windows_are_expired(urls):
    from crm_notify.dispatch.janitor import expire
    async with notify_running(urls, rate_limit_sms=5) as (settings, ctx, client):
        await _post(client, settings, sms(body="一"))
        then = datetime(2030, 1, 7, 4, 10, tzinfo=UTC)
        await dispatch_due(ctx, then)
        assert await ctx.db.rate_counters.count_documents({}) == 1
        assert await ctx.db.recent_sends.count_documents({}) == 1
        assert await expire(ctx, then + timedelta(minutes=5)) == {"rate_counters": 0, "recent_sends": 0}
        assert await expire(ctx, then + timedelta(hours=3)) == {"rate_counters": 1, "recent_sends": 1}
        assert await ctx.db.rate_counters.count_documents({}) == 0
