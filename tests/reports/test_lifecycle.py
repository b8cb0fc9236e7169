"""Projections applied twice count once; rebuild by replay equals live; the daily digest."""

from __future__ import annotations

import json

from crm_reports import generations
from crm_reports.digest.job import run_digest
from crm_reports.projections.buckets import read_days
from crm_reports.projections.subscribers import project
from crm_shared.events import parse
from tests.reports.builders import BRANCH, at, registered, scripted_day
from tests.reports.conftest import publish_all
from tests.support.runtime import bearer, eventually, stream_messages

DAY = {"branch_id": BRANCH, "from": "2026-03-01", "to": "2026-03-31"}
NAMES = ("daily-traffic", "funnel", "grades", "follow-up-compliance", "lost-reasons", "partners", "receptions")


async def snapshot(client, auth) -> dict:
    out = {}
    for name in NAMES:
        out[name] = (await client.get(f"/v1/reports/{name}", params=DAY, headers=auth)).json()
    out["funnel-consultant"] = (await client.get("/v1/reports/funnel", params={**DAY, "group_by": "consultant"}, headers=auth)).json()
    return out


async def test_every_projection_applied_twice_counts_once(reports):
    """A crash between a handler's write and the inbox record replays the event into the handler;
    a failed batch is retried one event per call: in a batch or alone, each event counts once."""
    _, ctx, _ = reports
    g = await generations.current(ctx.db)
    events = [parse(env.model_dump_json()) for env in scripted_day()]
    tz = ctx.config.default_timezone
    days = (at("2026-03-01T00:00:00").date(), at("2026-03-31T00:00:00").date())
    await project(g, events, tz)
    once = await read_days(g, BRANCH, *days)
    for event in events:
        await project(g, [event], tz)
    await project(g, events[::-1], tz)
    assert await read_days(g, BRANCH, *days) == once
    assert once["2026-03-10"]["new_leads"] == 4 and once["2026-03-10"]["funnel"]["total"]["won"] == 2


async def test_rebuild_replays_into_a_new_generation_equal_to_live(reports):
    settings, ctx, client = reports
    await publish_all(settings, ctx, scripted_day(), redeliver=(3, 12))
    auth, admin = bearer(settings, "manager", [BRANCH]), bearer(settings, "admin", ["*"])
    live = await snapshot(client, auth)
    before = (await client.get("/v1/reports/rebuild", headers=admin)).json()["current"]

    r = await client.post("/v1/reports/rebuild", headers=admin)
    assert r.status_code == 202, r.text
    generation = r.json()["generation"]
    assert (await client.get("/v1/reports/daily-traffic", params=DAY, headers=auth)).json() == live["daily-traffic"]

    async def switched():
        s = (await client.get("/v1/reports/rebuild", headers=admin)).json()
        return s if s["current"] == generation and s["last"]["state"] == "done" else None

    status = await eventually(switched, timeout=30)
    assert status, "rebuild did not finish"
    assert status["building"] is None and generation != before
    assert status["last"]["events"] == len(scripted_day()) + 2, "every stream message, redeliveries included"
    assert await snapshot(client, auth) == live

    late = registered("L7", "referral", "c2", "B", "2026-03-12T03:00:00")
    await publish_all(settings, ctx, [late])
    traffic = (await client.get("/v1/reports/daily-traffic", params=DAY, headers=auth)).json()["items"]
    assert traffic[11]["by_channel"] == {"referral": 1}, "live events reach the new generation"


async def test_events_arriving_during_a_rebuild_count_once_in_the_new_generation(reports):
    settings, ctx, client = reports
    await publish_all(settings, ctx, scripted_day())
    auth, admin = bearer(settings, "manager", [BRANCH]), bearer(settings, "admin", ["*"])
    r = await client.post("/v1/reports/rebuild", headers=admin)
    generation = r.json()["generation"]
    during = [registered(f"D{i}", "event", "c1", "C", f"2026-03-13T0{i}:00:00") for i in range(6)]
    for i, env in enumerate(during):
        await publish_all(settings, ctx, [env])  # some before the replay's last sequence, some after

    async def switched():
        s = (await client.get("/v1/reports/rebuild", headers=admin)).json()
        return s["current"] == generation and s["last"]["state"] == "done"

    assert await eventually(switched, timeout=30)
    traffic = (await client.get("/v1/reports/daily-traffic", params=DAY, headers=auth)).json()["items"]
    assert traffic[12]["new_leads"] == 6 and traffic[12]["by_channel"] == {"event": 6}
    assert traffic[9]["new_leads"] == 4


async def test_a_second_rebuild_while_one_runs_is_refused(reports):
    settings, ctx, client = reports
    await publish_all(settings, ctx, scripted_day()[:3])
    admin = bearer(settings, "admin", ["*"])
    first = await client.post("/v1/reports/rebuild", headers=admin)
    assert first.status_code == 202
    r = await client.post("/v1/reports/rebuild", headers=admin)
    assert r.status_code == 409 and r.json()["type"].endswith("/rebuild-running")
    assert (await client.get("/v1/reports/rebuild", headers=admin)).json()["building"] == first.json()["generation"]

    async def done():
        return (await client.get("/v1/reports/rebuild", headers=admin)).json()["last"]["state"] == "done"

    assert await eventually(done, timeout=30)


async def test_digest_at_branch_time_once_per_day_through_the_outbox(reports):
    settings, ctx, client = reports
    await publish_all(settings, ctx, scripted_day())
    assert await run_digest(ctx, at("2026-03-10T09:59:00")) == [], "17:59 in Shenzhen: not yet"
    assert await run_digest(ctx, at("2026-03-10T10:00:00")) == [f"{BRANCH}:2026-03-10"]
    assert await run_digest(ctx, at("2026-03-10T15:00:00")) == [], "once per branch date"

    async def published():
        msgs = await stream_messages(settings, subject=f"{settings.subject_prefix}.{BRANCH}.report.digest_ready")
        return msgs

    msgs = await eventually(published)
    assert len(msgs) == 1
    body = json.loads(msgs[0].data)
    assert body["type"] == "report.digest_ready" and body["data"]["date"] == "2026-03-10"
    assert body["data"]["recipients"] == ["wang@example.com"] and body["data"]["branch_name"] == "深圳湾售楼处"
    summary = body["data"]["summary"]
    assert (summary["new_leads"], summary["visits"], summary["deals"], summary["lost"]) == (4, 3, 2, 2)
    assert msgs[0].headers["Nats-Msg-Id"] == body["id"]
    doc = await ctx.db.digests.find_one({"_id": f"{BRANCH}:2026-03-10"})
    assert await eventually(lambda: _outbox_empty(ctx, doc["_id"])), "the outbox entry is removed once published"


async def _outbox_empty(ctx, digest_id):
    doc = await ctx.db.digests.find_one({"_id": digest_id})
    return not doc.get("pending_events")


async def test_a_rebuild_interrupted_by_a_crash_resumes_where_it_stopped(urls):
    """A replica died mid-rebuild: 20 messages recorded as replayed, the next pass's counters
    written but not its leads. The next start's rebuild timer carries on from message 21."""
    from crm_reports.generations import Generation
    from crm_reports.plugin import ReportsService
    from crm_reports.projections.window import Window
    from crm_reports.rebuild.replay import STATUS
    from crm_reports.settings import ReportsSettings
    from crm_shared.ids import utcnow
    from tests.support.runtime import isolated_settings, running

    settings = isolated_settings(*urls)
    auth, admin = bearer(settings, "manager", [BRANCH]), bearer(settings, "admin", ["*"])
    async with running([ReportsService(ReportsSettings(digest=False, rebuild_interval_seconds=3600))], settings) as (app, client):
        ctx = app.state.contexts["reports"]
        await publish_all(settings, ctx, scripted_day())
        live = await snapshot(client, auth)
        events = [parse(m.data) for m in await stream_messages(settings)]
        tz, g = ctx.config.default_timezone, Generation(ctx.db, "gdead")
        await generations.start_building(ctx.db, g.name)
        await project(g, events[:20], tz)
        crashed = Window(g, tz, fresh=True)
        await crashed.apply(events[20:30])
        await crashed.changes.write(g.buckets)
        await ctx.db.meta.insert_one({"_id": STATUS, "generation": g.name, "state": "running", "started_at": utcnow(),
                                      "finished_at": None, "events": 20, "up_to_sequence": len(events), "replayed": 20,
                                      "error": None})
        await ctx.db.leases.update_one({"_id": "reports:rebuild"}, {"$set": {"until": utcnow()}})  # it ran out
    async with running([ReportsService(ReportsSettings(digest=False))], settings) as (app, client):
        async def switched():
            s = (await client.get("/v1/reports/rebuild", headers=admin)).json()
            return s if s["current"] == "gdead" and s["last"]["state"] == "done" else None

        status = await eventually(switched, timeout=30)
        assert status and status["building"] is None and status["last"]["events"] == len(events)
        assert await snapshot(client, auth) == live


async def test_batched_changes_count_once_next_to_live_writes(reports):
    from datetime import date

    from crm_reports.generations import Generation
    from crm_reports.projections.changes import DayChanges

    _, ctx, _ = reports
    g = Generation(ctx.db, "gbuf")
    day = date(2026, 3, 10)
    live = DayChanges()
    live.add(BRANCH, day, "t:e1", {"visits": 1})  # the live consumer got there first
    await live.write(g.buckets)
    batch = DayChanges(fresh=True)  # a replay's window: inserts first, finds the day exists
    for token in ("t:e1", "t:e2", "t:e2", "t:e3"):
        batch.add(BRANCH, day, token, {"visits": 1}, {"max_missed": 2})
    assert len(batch.pending[f"{BRANCH}:2026-03-10"].changes) == 3
    await batch.write(g.buckets)
    other_day = DayChanges()  # a live window: updates first, finds the day missing
    other_day.add(BRANCH, date(2026, 3, 11), "t:e4", {"visits": 2})
    other_day.add(BRANCH, day, "t:e3", {"visits": 1})
    await other_day.write(g.buckets)
    days = await read_days(g, BRANCH, day, date(2026, 3, 11))
    assert days == {"2026-03-10": {"visits": 3, "max_missed": 2}, "2026-03-11": {"visits": 2}}


async def test_a_new_rebuild_replaces_one_whose_process_died(reports):
    settings, ctx, client = reports
    await publish_all(settings, ctx, scripted_day()[:5])
    await generations.start_building(ctx.db, "gdead")
    await ctx.db.gdead_buckets.insert_one({"_id": "x"})
    admin = bearer(settings, "admin", ["*"])
    r = await client.post("/v1/reports/rebuild", headers=admin)
    assert r.status_code == 202
    assert await ctx.db.gdead_buckets.count_documents({}) == 0

    async def done():
        s = (await client.get("/v1/reports/rebuild", headers=admin)).json()
        return s["last"]["state"] == "done" and s["current"] == r.json()["generation"]

    assert await eventually(done, timeout=30)
