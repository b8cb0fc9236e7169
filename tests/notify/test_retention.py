"""D12 (issue 14): what notify keeps that grows without bound has a retention from its settings,
enforced by the platform's clean-up timer (`NotifyService.retention`). Every collection notify
writes has a decision written down here, so a new one without a decision fails."""

from datetime import timedelta

from crm_shared.app import _platform_timers
from crm_shared.config import Settings, service_settings
from crm_shared.ids import utcnow
from crm_shared.plugins import ServiceContext
from crm_notify.dispatch.janitor import expire
from crm_notify.dispatch.service import dispatch_due
from crm_notify.plugin import NotifyService
from crm_notify.settings import NotifySettings
from crm_notify.triggers.birthdays import plan_birthdays
from tests.notify.support import BRANCH, appointment, notify_running, publish_and_wait
from tests.support.runtime import bearer

RETAINED = {  # deleted by the platform's clean-up: collection -> (time field, setting in days)
    "console_outbox": ("at", "console_outbox_retention_days"),
    "provider_refs": ("at", "provider_refs_retention_days"),
    "birthday_runs": ("at", "birthday_runs_retention_days"),
    "appointments": ("start", "appointment_state_retention_days"),
}
WINDOWS = {"rate_counters", "recent_sends"}  # the janitor: twice their window, as before
KEPT = {  # business records and configuration, or bounded by what they describe
    "messages", "optouts", "consents", "contacts", "templates", "campaigns",
    "dispatch_cursor",  # one document
    "branches", "staff",  # the directory: one per branch and staff member
    "archive_people",  # one per customers' archive: its person and frozen state
    "reveal_audit",  # who saw which full recipient: kept like leads' audit (客户信息保密)
}
PLATFORM = {"inbox", "idempotency_keys", "dead_letters", "leases"}  # the platform's own retention (or one per timer)


def _context(**config) -> ServiceContext:
    settings = Settings(environment="test")
    loaded = service_settings(NotifySettings, "notify", settings, NotifySettings(**config))
    return ServiceContext("notify", settings, db=None, js=None, relay=None, config=loaded)  # type: ignore[arg-type]


def test_retention_follows_the_settings():
    declared = {r.collection: r for r in NotifyService().retention(_context())}
    assert set(declared) == set(RETAINED)
    defaults = NotifySettings()
    for collection, (field, setting) in RETAINED.items():
        assert declared[collection].field == field
        assert declared[collection].keep == timedelta(days=getattr(defaults, setting)), collection
    custom = {r.collection: r.keep for r in NotifyService().retention(_context(provider_refs_retention_days=3))}
    assert custom["provider_refs"] == timedelta(days=3)


def test_the_console_collection_setting_is_followed():
    declared = {r.collection for r in NotifyService().retention(_context(providers={"console": {"collection": "sent_here"}}))}
    assert "sent_here" in declared and "console_outbox" not in declared


async def test_the_platform_clean_up_deletes_expired_records_and_keeps_business_records(urls):
    async with notify_running(urls, birthday_hour=0) as (settings, ctx, client):
        h = bearer(settings, "manager", [BRANCH])
        now = utcnow()
        r = await client.post("/v1/contacts", json={"branch_id": BRANCH, "name": "王先生", "phone": "+8613800138001",
                                                    "consent": {"sms": True}}, headers=h)
        assert r.status_code == 200, r.text
        r = await client.post("/v1/opt-outs", json={"branch_id": BRANCH, "channel": "sms", "to": "+8613800138002"}, headers=h)
        assert r.status_code == 200, r.text
        r = await client.put("/v1/templates/holiday_greeting", json={"channel": "sms", "body": "{{ holiday }}快乐", "branch_id": BRANCH},
                             headers=h)
        assert r.status_code == 200, r.text
        r = await client.post("/v1/campaigns", headers=h, json={
            "branch_id": BRANCH, "template": "holiday_greeting", "data": {"holiday": "春节"},
            "audience": {"to": ["+8613800138003"]}, "send_at": (now + timedelta(days=2)).isoformat()})
        assert r.status_code == 201, r.text
        r = await client.post("/v1/messages", json={"branch_id": BRANCH, "channel": "sms", "to": "+8613800138000", "body": "您好"},
                              headers=h | {"Idempotency-Key": "k1"})
        assert r.status_code == 202, r.text
        assert (await dispatch_due(ctx, utcnow())).outcomes == {"sent": 1}
        await publish_and_wait(settings, ctx, appointment(now + timedelta(days=10)))
        await plan_birthdays(ctx, now)

        names = set(await ctx.db.list_collection_names())
        assert names - (set(RETAINED) | WINDOWS | KEPT | PLATFORM) == set(), "a collection without a retention decision"
        assert set(RETAINED) | WINDOWS <= names, "the flow wrote every bounded collection"

        plugin = next(p for p in ctx_plugins(client) if p.name == "notify")
        clean_up = next(t for t in _platform_timers(plugin, ctx) if t.name == "platform:clean-up")
        removed = await ctx._timers.once(clean_up, now + timedelta(days=1))
        assert not set(removed or {}) & set(RETAINED), "nothing is deleted before its time"
        removed = await ctx._timers.once(clean_up, now + timedelta(days=400))
        assert set(RETAINED) <= set(removed), removed
        for collection in RETAINED:
            assert await ctx.db[collection].count_documents({}) == 0, collection
        for collection in ("messages", "optouts", "consents", "contacts", "templates", "campaigns"):
            assert await ctx.db[collection].count_documents({}) > 0, f"{collection} is kept"
        assert await expire(ctx, now + timedelta(days=1)) == {"rate_counters": 1, "recent_sends": 1}, "the janitor still bounds the windows"


def ctx_plugins(client):
    return client._transport.app.state.plugins
