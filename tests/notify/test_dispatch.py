"""The due-queue under replicas and crashes, retries with backoff, and the notification.* events."""

import asyncio
import json
from contextlib import AsyncExitStack
from datetime import timedelta

from crm_shared.ids import utcnow
from crm_notify.dispatch.service import claim, dispatch_due
from crm_notify.plugin import NotifyService
from tests.notify.fake_sms import provider_settings
from tests.notify.support import BRANCH, messages, notify_config, notify_running, sent_by_console
from tests.support.runtime import bearer, eventually, isolated_settings, running, stream_messages


async def _send(client, settings, n: int, **extra) -> list[str]:
    ids = []
    for i in range(n):
        body = {"branch_id": BRANCH, "channel": "sms", "to": f"+86138001{i:05d}", "body": f"第{i}条", **extra}
        r = await client.post("/v1/messages", json=body, headers=bearer(settings, "manager", [BRANCH]))
        assert r.status_code == 202, r.text
        ids.append(r.json()["id"])
    return ids


async def _events(settings, kind: str) -> list[dict]:
    msgs = await stream_messages(settings, subject=f"{settings.subject_prefix}.{BRANCH}.{kind}")
    return [json.loads(m.data) for m in msgs]


async def test_two_replicas_racing_send_each_job_once(urls):
    settings = isolated_settings(*urls)
    async with AsyncExitStack() as stack:
        replicas = []
        for _ in range(2):
            app, client = await stack.enter_async_context(running([NotifyService(notify_config())], settings))
            replicas.append((app.state.contexts["notify"], client))
        (a, client), (b, _) = replicas
        assert a.state.owner != b.state.owner
        ids = await _send(client, settings, 40)
        now = utcnow()
        reports = await asyncio.gather(dispatch_due(a, now), dispatch_due(b, now), dispatch_due(a, now), dispatch_due(b, now))
        assert sum(r.claimed for r in reports) == 40
        sent = await sent_by_console(a)
        assert sorted(s["message_id"] for s in sent) == sorted(ids), "every job sent exactly once"
        assert {d["status"] for d in await messages(a)} == {"sent"}
        assert {d["attempts"] for d in await messages(a)} == {1}


async def test_a_dispatcher_killed_after_claiming_is_replaced_after_its_lease(urls):
    settings = isolated_settings(*urls)
    async with running([NotifyService(notify_config(lease_seconds=60))], settings) as (app, client):
        first = app.state.contexts["notify"]
        [mid] = await _send(client, settings, 1)
        now = utcnow()
        assert await claim(first, mid, now, first.state.owner, 60) is not None  # claimed, then the process dies
    async with running([NotifyService(notify_config(lease_seconds=60))], settings) as (app, client):
        ctx = app.state.contexts["notify"]
        assert ctx.state.owner != first.state.owner
        assert (await dispatch_due(ctx, now + timedelta(seconds=30))).claimed == 0, "lease still held"
        assert await sent_by_console(ctx) == []
        report = await dispatch_due(ctx, now + timedelta(seconds=61))
        assert report.outcomes == {"sent": 1}
        assert (await dispatch_due(ctx, now + timedelta(seconds=200))).claimed == 0
        assert len(await sent_by_console(ctx)) == 1


async def test_restart_loses_nothing(urls):
    settings = isolated_settings(*urls)
    async with running([NotifyService(notify_config())], settings) as (app, client):
        ids = await _send(client, settings, 3, send_at=(utcnow() + timedelta(minutes=5)).isoformat())
    async with running([NotifyService(notify_config())], settings) as (app, client):
        ctx = app.state.contexts["notify"]
        report = await dispatch_due(ctx, utcnow() + timedelta(minutes=6))
        assert report.outcomes == {"sent": 3}
        assert sorted(s["message_id"] for s in await sent_by_console(ctx)) == sorted(ids)


async def test_transient_error_retries_with_backoff_then_succeeds(urls, sms_server):
    sms_server.script["twilio"] = [(503, {"code": 20500, "message": "unavailable"})]
    config = {"sms_provider": "twilio", "providers": provider_settings(sms_server)}
    async with notify_running(urls, **config) as (settings, ctx, client):
        [mid] = await _send(client, settings, 1)
        now = utcnow()
        assert (await dispatch_due(ctx, now)).outcomes == {"retry": 1}
        doc = (await messages(ctx))[0]
        assert doc["status"] == "queued" and doc["attempts"] == 1 and "503" in doc["error"]
        assert now + timedelta(seconds=5) <= doc["due_at"] <= now + timedelta(seconds=10)
        assert (await dispatch_due(ctx, now + timedelta(seconds=1))).claimed == 0, "waits for its backoff"
        assert (await dispatch_due(ctx, doc["due_at"])).outcomes == {"sent": 1}
        doc = (await messages(ctx))[0]
        assert doc["status"] == "sent" and doc["attempts"] == 2 and doc["provider_message_ids"][0].startswith("SM")
        assert [r["signed"] for r in sms_server.requests] == [True, True]
        events = await eventually(lambda: _events(settings, "notification.sent"))
        assert [(e["data"]["message_id"], e["data"]["attempts"]) for e in events] == [(mid, 2)]


async def test_transient_then_permanent_error_fails_at_once(urls, sms_server):
    sms_server.script["twilio"] = [(500, {"message": "oops"}), (400, {"code": 21211, "message": "invalid To"})]
    config = {"sms_provider": "twilio", "providers": provider_settings(sms_server)}
    async with notify_running(urls, **config) as (settings, ctx, client):
        [mid] = await _send(client, settings, 1)
        now = utcnow()
        assert (await dispatch_due(ctx, now)).outcomes == {"retry": 1}
        due = (await messages(ctx))[0]["due_at"]
        assert (await dispatch_due(ctx, due)).outcomes == {"failed": 1}
        doc = (await messages(ctx))[0]
        assert doc["status"] == "failed" and doc["attempts"] == 2 and "21211" in doc["error"]
        assert (await dispatch_due(ctx, due + timedelta(hours=5))).claimed == 0
        events = await eventually(lambda: _events(settings, "notification.failed"))
        assert events[0]["data"]["message_id"] == mid and "21211" in events[0]["data"]["error"]


async def test_gives_up_after_max_attempts(urls, sms_server):
    sms_server.script["twilio"] = [(503, {})] * 3
    config = {"sms_provider": "twilio", "providers": provider_settings(sms_server), "max_attempts": 3}
    async with notify_running(urls, **config) as (settings, ctx, client):
        await _send(client, settings, 1)
        at, outcomes = utcnow(), []
        for _ in range(3):
            outcomes += list((await dispatch_due(ctx, at)).outcomes)
            at = (await messages(ctx))[0]["due_at"]
        assert outcomes == ["retry", "retry", "failed"]
        assert (await messages(ctx))[0]["attempts"] == 3


async def test_render_error_fails_the_message_not_the_dispatcher(urls):
    async with notify_running(urls) as (settings, ctx, client):
        await _send(client, settings, 1)
        r = await client.put("/v1/templates/custom_note", json={"channel": "sms", "body": "{{ who }} 您好"},
                             headers=bearer(settings, "admin", ["*"]))
        assert r.status_code == 200
        doc = (await messages(ctx))[0]
        await ctx.db.messages.update_one({"_id": doc["_id"]}, {"$set": {"template": "custom_note", "body": None}})
        assert (await dispatch_due(ctx, utcnow())).outcomes == {"failed": 1}
        doc = (await messages(ctx))[0]
        assert doc["status"] == "failed" and "who" in doc["error"]
