"""Due jobs are found by minute slot: after an outage, through the lookback, after a lease expires;
jobs that move or stop leave their slot; replicas racing over one busy minute send each job once."""

import asyncio
import json
from contextlib import AsyncExitStack
from datetime import timedelta

import pytest

from crm_shared.events.reception import AppointmentCancelled, AppointmentRescheduled
from crm_shared.ids import utcnow
from crm_notify.dispatch.cursor import stored_front
from crm_notify.dispatch.service import claim, dispatch_due
from crm_notify.messages.service import new_message, plan_many
from crm_notify.messages.slots import slot_of
from crm_notify.plugin import NotifyService
from tests.notify.support import BRANCH, appointment, messages, notify_config, notify_running, publish_and_wait, sent_by_console
from tests.support.runtime import bearer, eventually, isolated_settings, running, stream_messages

LOOKBACK = timedelta(minutes=2)  # NotifySettings.dispatch_lookback_minutes


def _job(i: int, due, now, **extra) -> dict:
    return new_message(key=f"slot-test|{i}", kind="custom", branch_id=BRANCH, channel="sms", to=f"+86138002{i:05d}",
                       category="transactional", due_at=due, now=now, body=f"第{i}条", **extra)


async def _doc(ctx, mid: str) -> dict:
    return await ctx.db.messages.find_one({"_id": mid})


@pytest.mark.parametrize("down_minutes", [20, 240])  # walked minute by minute; crossed with one ranged query
async def test_a_job_that_fell_due_while_no_dispatcher_ran_is_found_when_one_returns(urls, down_minutes):
    async with notify_running(urls) as (settings, ctx, client):
        now = utcnow()
        went_down = now - timedelta(minutes=down_minutes)
        assert (await dispatch_due(ctx, went_down)).claimed == 0  # the last pass before the outage
        assert await stored_front(ctx.db) == slot_of(went_down - LOOKBACK)
        job = _job(1, went_down + timedelta(minutes=3), went_down)  # planned before the outage, due during it
        await plan_many(ctx, [job])
        assert job["status"] == "scheduled" and job["due_slot"] == slot_of(went_down + timedelta(minutes=3))

        assert (await dispatch_due(ctx, now)).outcomes == {"sent": 1}
        assert [s["message_id"] for s in await sent_by_console(ctx)] == [job["_id"]]
        assert (await _doc(ctx, job["_id"]))["due_slot"] is None
        assert await stored_front(ctx.db) == slot_of(now - LOOKBACK), "the front caught up with the clock"
        assert (await dispatch_due(ctx, now)).claimed == 0


async def test_a_job_written_into_a_minute_just_walked_is_found_through_the_lookback(urls):
    async with notify_running(urls) as (settings, ctx, client):
        now = utcnow()
        assert (await dispatch_due(ctx, now)).claimed == 0
        late = now - timedelta(seconds=90)  # a writer whose clock lags, or whose write was slow
        job = _job(2, late, late)
        await plan_many(ctx, [job])
        assert job["due_slot"] == slot_of(late) < slot_of(now)
        assert (await dispatch_due(ctx, now)).outcomes == {"sent": 1}


async def test_a_job_due_later_in_the_current_minute_waits_for_its_second(urls):
    async with notify_running(urls) as (settings, ctx, client):
        minute = utcnow().replace(second=0, microsecond=0) + timedelta(minutes=5)
        job = _job(3, minute + timedelta(seconds=40), utcnow())
        await plan_many(ctx, [job])
        assert (await dispatch_due(ctx, minute + timedelta(seconds=10))).claimed == 0
        assert (await _doc(ctx, job["_id"]))["due_slot"] == slot_of(minute)
        assert (await dispatch_due(ctx, minute + timedelta(seconds=41))).outcomes == {"sent": 1}


async def test_an_expired_lease_is_claimed_again_from_the_slot_of_its_expiry(urls):
    async with notify_running(urls, lease_seconds=90) as (settings, ctx, client):
        now = utcnow()
        job = _job(4, now, now)
        await plan_many(ctx, [job])
        dead = await claim(ctx, job["_id"], now, "a-replica-that-died", 90)  # claimed, then the process died
        assert dead["due_slot"] == slot_of(dead["lease_until"]) == slot_of(now + timedelta(seconds=90)) != job["due_slot"]
        assert await ctx.db.messages.find_one({"due_slot": job["due_slot"]}) is None, "it left its due minute"

        assert (await dispatch_due(ctx, now + timedelta(seconds=30))).claimed == 0
        assert (await dispatch_due(ctx, dead["lease_until"] - timedelta(seconds=1))).claimed == 0, "lease still held"
        assert await sent_by_console(ctx) == []
        assert (await dispatch_due(ctx, dead["lease_until"] + timedelta(seconds=1))).outcomes == {"sent": 1}
        doc = await _doc(ctx, job["_id"])
        assert doc["status"] == "sent" and doc["lease_owner"] is None and doc["due_slot"] is None
        assert (await dispatch_due(ctx, now + timedelta(hours=1))).claimed == 0
        assert len(await sent_by_console(ctx)) == 1


async def test_rescheduled_and_cancelled_jobs_leave_their_old_slots(urls):
    async with notify_running(urls) as (settings, ctx, client):
        start = (utcnow() + timedelta(days=10)).replace(microsecond=0)
        await publish_and_wait(settings, ctx, appointment(start, "a-slot"))
        first = [d for d in await messages(ctx) if d["kind"].startswith("reminder_")]
        assert len(first) == 3 and all(d["due_slot"] == slot_of(d["due_at"]) for d in first)

        moved = appointment(start + timedelta(days=5), "a-slot", previous_start=start).model_dump()
        await publish_and_wait(settings, ctx, AppointmentRescheduled(**moved))
        old_ids = {d["_id"] for d in first}
        for old in first:
            assert (await _doc(ctx, old["_id"]))["due_slot"] is None
            in_old_minute = {d["_id"] for d in await ctx.db.messages.find({"due_slot": old["due_slot"]}).to_list(100)}
            assert not in_old_minute & old_ids, "the old plan left its minute (a new reminder may share it)"
        second = [d for d in await messages(ctx, status="scheduled") if d["kind"].startswith("reminder_")]
        assert len(second) == 3 and all(d["due_slot"] == slot_of(d["due_at"]) for d in second)
        await dispatch_due(ctx, utcnow())  # the confirmation and the notice
        for old in [d for d in first if d["due_at"] < min(n["due_at"] for n in second)]:
            assert (await dispatch_due(ctx, old["due_at"] + timedelta(seconds=1))).claimed == 0

        await publish_and_wait(settings, ctx, AppointmentCancelled(**appointment(start + timedelta(days=5), "a-slot").model_dump()))
        assert [(await _doc(ctx, d["_id"]))["due_slot"] for d in second] == [None] * 3
        assert (await dispatch_due(ctx, utcnow())).outcomes == {"sent": 1}  # the cancellation notice
        h = bearer(settings, "manager", [BRANCH])
        later = utcnow() + timedelta(hours=3)
        r = await client.post("/v1/messages", json={"branch_id": BRANCH, "channel": "sms", "to": "+8613800138000",
                                                    "body": "稍后见", "send_at": later.isoformat()}, headers=h)
        mid = r.json()["id"]
        assert (await _doc(ctx, mid))["due_slot"] == slot_of(later)
        assert (await client.post(f"/v1/messages/{mid}/cancel", headers=h)).status_code == 200
        assert (await _doc(ctx, mid))["due_slot"] is None
        assert (await dispatch_due(ctx, later + timedelta(minutes=1))).claimed == 0
        assert mid not in {s["message_id"] for s in await sent_by_console(ctx)}


async def test_a_deferred_job_moves_to_the_slot_of_its_new_due_time(urls):
    async with notify_running(urls, rate_limit_sms=1, duplicate_window_seconds=0) as (settings, ctx, client):
        now = utcnow()
        jobs = [_job(5, now, now), _job(6, now, now, _id="second")]
        jobs[1]["to"] = jobs[0]["to"]
        await plan_many(ctx, jobs)
        assert (await dispatch_due(ctx, now)).outcomes == {"sent": 1, "deferred": 1}
        [held] = await messages(ctx, status="queued")
        assert held["due_at"] > now and held["due_slot"] == slot_of(held["due_at"])
        assert (await dispatch_due(ctx, held["due_at"])).outcomes == {"sent": 1}


async def test_two_dispatchers_racing_over_one_busy_minute_send_each_job_exactly_once(urls):
    settings = isolated_settings(*urls)
    async with AsyncExitStack() as stack:
        replicas = []
        for _ in range(2):
            app, _client = await stack.enter_async_context(
                running([NotifyService(notify_config(dispatch_batch=40, dispatch_concurrency=8))], settings))
            replicas.append(app.state.contexts["notify"])
        now = utcnow()
        minute = now.replace(second=0, microsecond=0)
        jobs = [_job(i, minute + timedelta(seconds=i % 60), now - timedelta(days=1)) for i in range(300)]
        assert len({j["due_slot"] for j in jobs}) == 1
        await plan_many(replicas[0], jobs)

        async def run(ctx) -> int:
            claimed = 0
            while (report := await dispatch_due(ctx, minute + timedelta(seconds=61))).claimed:
                claimed += report.claimed
            return claimed

        claimed = await asyncio.gather(*(run(ctx) for ctx in replicas))
        assert sum(claimed) == 300 and min(claimed) > 0, claimed
        sent = [s["message_id"] for s in await sent_by_console(replicas[0])]
        assert sorted(sent) == sorted(j["_id"] for j in jobs), "every job sent exactly once"
        docs = await messages(replicas[0])
        assert {(d["status"], d["attempts"], d["due_slot"]) for d in docs} == {("sent", 1, None)}

        async def published() -> list[str]:
            msgs = await stream_messages(settings, subject=f"{settings.subject_prefix}.{BRANCH}.notification.sent")
            found = [json.loads(m.data)["data"]["message_id"] for m in msgs]
            return found if len(found) >= 300 else []

        assert sorted(await eventually(published)) == sorted(j["_id"] for j in jobs)
