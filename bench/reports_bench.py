"""Reports throughput as ratios against raw baselines measured in the same run:

- events projected per second (every projection an event triggers, idempotency guards
  included), straight into a generation in windows of the live consumer's batch size, and
  end to end through the `reports-main` batch consumer (inbox, generation pointer, acks), vs
  raw `insert_one`; the consumer is timed on a backlog waiting in the stream when the service
  starts (publishing is the producers' cost, not the consumer's);
- report latency for 50 branches x 30 days (daily-traffic JSON per branch), vs 30 raw
  `_id` lookups per branch;
- rebuild by replay: events replayed per second from the stream (the rebuild timer's passes
  on one replica), vs reading the same stream without projecting; the time for 1 million
  events is extrapolated from this smaller run (linear while each pass writes a day document
  or a lead about once).
"""

from __future__ import annotations

import asyncio
import time
import uuid
from datetime import UTC, date, datetime, timedelta

from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy

from bench.common import bench_env
from crm_reports.generations import Generation
from crm_reports.plugin import ReportsService, ReportsState
from crm_reports.projections.buckets import read_days
from crm_reports.projections.subscribers import project
from crm_reports.projections.window import Window
from crm_reports.queries import rules
from crm_reports.rebuild.replay import replay
from crm_reports.settings import ReportsSettings
from crm_reports.subscriptions import BATCH_SIZE
from crm_shared.bus.outbox import OutboxRelay
from crm_shared.config import Settings
from crm_shared.events import new_event, parse
from crm_shared.events.leads import LeadFollowedUp, LeadRegistered, LeadSource, LeadWon, MaskedCustomer
from crm_shared.events.reception import VisitCheckedIn
from crm_shared.plugins import ServiceContext

N_RAW = 300
N_PROJECT = 2000
N_REPLAY = 30000
N_LIVE = 3000
BRANCHES, DAYS = 50, 30
START = datetime(2026, 3, 1, 2, tzinfo=UTC)


def events(n: int, branches: int = 10) -> list:
    """A realistic mix: registrations, visits, follow-ups and deals over branches and days."""
    out = []
    for i in range(n):
        branch, lead, when = f"b{(i // 4) % branches}", f"l{i // 4}", START + timedelta(hours=i % (24 * 28))
        kind = i % 4
        if kind == 0:
            data = LeadRegistered(lead_id=lead, customer=MaskedCustomer(name="王先生", phone_masked="138****5678", phone_hash="h"),
                                  source=LeadSource(channel=("phone", "walk_in", "online")[i % 3]), owner_id=f"c{i % 7}", grade="A")
        elif kind == 1:
            data = VisitCheckedIn(visit_id=f"v{i}", consultant_id=f"c{i % 7}", lead_id=lead,
                                  visitor=MaskedCustomer(name="王先生", phone_masked="138****5678", phone_hash="h"))
        elif kind == 2:
            data = LeadFollowedUp(lead_id=lead, owner_id=f"c{i % 7}", kind="call")
        else:
            data = LeadWon(lead_id=lead, owner_id=f"c{i % 7}", amount=1_000_000)
        out.append(new_event(data, branch_id=branch, subject=lead).model_copy(update={"time": when}))
    return out


def rate(n: int, started: float) -> float:
    return n / (time.perf_counter() - started)


async def publish(js, settings: Settings, batch: list) -> None:
    for e in batch:
        await js.publish(f"{settings.subject_prefix}.{e.branch_id}.{e.type}", e.model_dump_json().encode(),
                         stream=settings.stream_name, headers={"Nats-Msg-Id": e.id})


async def live_consumer(settings: Settings, js) -> float:
    """N_LIVE events waiting in the stream; time the running service until its inbox holds them
    all (polling for the last one: counting the inbox at each poll would load the store too)."""
    from crm_shared.app import create_app

    batch = events(N_LIVE)
    await publish(js, settings, batch)
    app = create_app([ReportsService(ReportsSettings(digest=False))], settings)
    async with app.router.lifespan_context(app):
        db = app.state.contexts["reports"].db
        started = time.perf_counter()
        deadline = time.monotonic() + 300
        while not await db.inbox.find_one({"_id": f"reports-main:{batch[-1].id}"}) and time.monotonic() < deadline:
            await asyncio.sleep(0.02)
        elapsed = time.perf_counter() - started
        return await db.inbox.count_documents({}) / elapsed


async def raw_insert(db, tag: str) -> float:
    """Raw `insert_one`/s, one at a time: the store's own write rate right now."""
    started = time.perf_counter()
    for i in range(N_RAW):
        await db.raw.insert_one({"_id": f"{tag}{i}", "branch_id": "b1", "n": i})
    return rate(N_RAW, started)


async def stream_read(js, settings: Settings, upto: int) -> float:
    """Messages/s read from the stream (ephemeral pull consumer, as the replay reads it) and parsed."""
    started = time.perf_counter()
    sub = await js.pull_subscribe(f"{settings.subject_prefix}.>", stream=settings.stream_name, config=ConsumerConfig(
        deliver_policy=DeliverPolicy.ALL, ack_policy=AckPolicy.NONE, inactive_threshold=60.0))
    read = 0
    while read < upto:
        for msg in await sub.fetch(batch=256, timeout=10):
            parse(msg.data)
            read += 1
    await sub.unsubscribe()
    return rate(upto, started)


async def run(mongo_url: str, nats_url: str) -> list[dict]:
    """Each baseline is the mean of one measurement just before and one just after its row's run
    (the box is shared: a baseline taken minutes earlier may have seen another load)."""
    rows = []
    async with bench_env(mongo_url, nats_url, "r", "reports") as (settings, db, js):
        ctx = ServiceContext("reports", settings, db, js, OutboxRelay(db, (), js, settings),
                             config=ReportsSettings(digest=False), state=ReportsState())
        g = Generation(db, "bench_live")
        batch = [parse(e.model_dump_json()) for e in events(N_PROJECT)]
        before = await raw_insert(db, "a")
        started = time.perf_counter()
        for i in range(0, N_PROJECT, BATCH_SIZE):
            await project(g, batch[i:i + BATCH_SIZE], settings.default_timezone)
        projected_rate = rate(N_PROJECT, started)
        raw = (before + await raw_insert(db, "b")) / 2
        rows.append({"metric": f"events projected (all projections, guarded, {BATCH_SIZE} per window)",
                     "value": projected_rate, "unit": "events/s", "baseline": "raw insert_one", "baseline_value": raw})

        before = await raw_insert(db, "c")
        live_rate = await live_consumer(settings, js)
        raw = (before + await raw_insert(db, "d")) / 2
        rows.append({"metric": "events through the live consumer (reports-main batches, inbox, pointer, acks)",
                     "value": live_rate, "unit": "events/s", "baseline": "raw insert_one", "baseline_value": raw})

        g30 = Generation(db, "bench_30")
        counters = {"new_leads": 40, "visits": 30, "appointments": 12, "calls": 15, "walk_ins": 20, "deals": 3,
                    "by_channel": {"phone": 15, "walk_in": 20, "online": 5}, "by_consultant": {f"c{k}": 4 for k in range(10)}}
        for b in range(BRANCHES):
            await g30.buckets.insert_many([
                {"_id": f"b{b}:{(date(2026, 3, 1) + timedelta(days=d)).isoformat()}", "branch_id": f"b{b}", "c": counters,
                 "applied": [uuid.uuid4().hex for _ in range(150)]} for d in range(DAYS)])
        started = time.perf_counter()
        for b in range(BRANCHES):
            days = await read_days(g30, f"b{b}", date(2026, 3, 1), date(2026, 3, 30))
            assert rules.daily_traffic(days, date(2026, 3, 1), date(2026, 3, 30))["totals"]["new_leads"] == 40 * DAYS
        report_ms = (time.perf_counter() - started) * 1000
        started = time.perf_counter()
        for b in range(BRANCHES):
            for d in range(DAYS):
                await g30.buckets.find_one({"_id": f"b{b}:{(date(2026, 3, 1) + timedelta(days=d)).isoformat()}"})
        raw_ms = (time.perf_counter() - started) * 1000
        rows.append({"metric": f"daily-traffic for {BRANCHES} branches x {DAYS} days", "value": report_ms, "unit": "ms",
                     "baseline": f"{BRANCHES * DAYS} sequential raw _id find_one", "baseline_value": raw_ms})

        await publish(js, settings, events(N_REPLAY))
        upto = (await js.stream_info(settings.stream_name)).state.last_seq
        before = await stream_read(js, settings, upto)
        started = time.perf_counter()
        window, replayed, projected = Window(Generation(db, "bench_replay"), settings.default_timezone, fresh=True), 0, 0
        while replayed < upto:  # the rebuild timer's passes on one replica
            replayed, n = await replay(ctx, window, replayed, upto, ctx.config.rebuild_window_events)
            projected += n
        replay_rate = rate(projected, started)
        raw_read = (before + await stream_read(js, settings, upto)) / 2
        rows.append({"metric": f"rebuild replay of {projected} events (stream -> fresh generation)", "value": replay_rate,
                     "unit": "events/s", "baseline": "stream read + parse (pull consumer), no projection",
                     "baseline_value": raw_read})
        rows.append({"metric": "rebuild of 1M events, extrapolated", "value": 1_000_000 / replay_rate / 60, "unit": "min",
                     "baseline": "1M events stream read, extrapolated", "baseline_value": 1_000_000 / raw_read / 60})
    return rows
