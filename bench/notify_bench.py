"""Notify due-queue: N reminders falling due in the same minute, sent by two racing dispatchers (console).

Reports time to dispatch all, sends per second, duplicate sends and jobs not sent (both must be
0), against raw `insert_one`/s and raw JetStream publish measured in the same run. N is
`CRM_BENCH_REMINDERS` (default 100,000; tests and quick looks use less). The reminders are built by
the planner's `keyed` (the document an `appointment.scheduled` plans, a day ahead) and inserted with
`insert_many`; then two replicas, each with its own context, state (owner), and outbox relay, run
`dispatch_due` back to back until nothing is claimable, as the "dispatch" timer does under load
(a pass that stops at its batch returns `AGAIN`).

Per send, on the store: the claim (one findAndModify on `due_slot`), the duplicate window and rate
window inserts, the console record, the provider reference, the outcome update with its
notification.sent event (6 writes), 1 opt-out read, and a share of the relay's batched removal of
published events; 1 publish. The dev store lets one write through at a time, so sends/s there is
about raw insert_one/s / 10, however many dispatchers share it.
"""

from __future__ import annotations

import asyncio
import os
import time
from datetime import timedelta

from bench.common import bench_env
from crm_shared.bus.outbox import OutboxRelay
from crm_shared.config import service_settings
from crm_shared.ids import utcnow
from crm_shared.plugins import ServiceContext
from crm_notify.dispatch.service import dispatch_due
from crm_notify.messages.service import MESSAGES, plan_many
from crm_notify.plugin import NotifyService
from crm_notify.settings import NotifySettings
from crm_notify.triggers.planner import keyed

N_DEFAULT = 100_000
N_BASE = 500
REPLICAS = 2
DATA = {"customer_name": "王先生", "start_local": "2026年12月1日 14:00", "kind": "office_visit", "kind_label": "到访售楼处",
        "branch_name": "深圳湾", "consultant_name": "李娜", "consultant_phone": "", "checklist": [], "party_size": 2,
        "lead_time": "明天"}


def _reminder(i: int, due, planned_at) -> dict:
    return keyed(kind="reminder_evening", template="appointment_reminder", entity=f"a{i}", channel="sms",
                 to=f"+86138{i:08d}", recipient="customer", occurrence=f"bench-{i}", branch_id="bench", due_at=due,
                 now=planned_at, data=DATA)


async def _replicas(settings, db, js) -> list[tuple[NotifyService, ServiceContext]]:
    """Two notify replicas in one process: their own context, state (owner) and outbox relay, one store."""
    out = []
    for _ in range(REPLICAS):
        service = NotifyService(NotifySettings(dispatch_loop=False))
        config = service_settings(NotifySettings, service.name, settings, service.settings)
        ctx = ServiceContext("notify", settings, db, js, OutboxRelay(db, (MESSAGES,), js, settings), config=config)
        await ctx.relay.ensure_indexes()  # as the app does at start
        await service.startup(ctx)
        out.append((service, ctx))
    return out


async def _until_idle(ctx: ServiceContext) -> int:
    """What the "dispatch" timer does while work is due: pass after pass, no pause, until a pass claims nothing."""
    claimed = 0
    while (report := await dispatch_due(ctx, utcnow())).claimed:
        claimed += report.claimed
    return claimed


async def _baselines(db, js, settings) -> tuple[float, float, float]:
    """Raw insert_one/s, raw `_id` find_one in ms, raw JetStream publish/s."""
    started = time.perf_counter()
    for i in range(N_BASE):
        await db.raw.insert_one({"_id": f"r{i}", "to": "+8613800000000", "status": "queued", "version": 1})
    raw_insert = N_BASE / (time.perf_counter() - started)
    started = time.perf_counter()
    for i in range(N_BASE):
        await db.raw.find_one({"_id": f"r{i}"})
    raw_find_ms = (time.perf_counter() - started) * 1000 / N_BASE
    started = time.perf_counter()
    for i in range(N_BASE):
        await js.publish(f"{settings.subject_prefix}.bench.raw", b"{}", stream=settings.stream_name)
    raw_publish = N_BASE / (time.perf_counter() - started)
    return raw_insert, raw_find_ms, raw_publish


async def _published(js, settings) -> int:
    info = await js.stream_info(settings.stream_name)
    return info.state.messages - N_BASE  # less the raw publishes of the baseline


async def run(mongo_url: str, nats_url: str) -> list[dict]:
    n = int(os.environ.get("CRM_BENCH_REMINDERS", N_DEFAULT))
    async with bench_env(mongo_url, nats_url, "b", "notify") as (settings, db, js):
        replicas = await _replicas(settings, db, js)
        try:
            raw_insert, raw_find_ms, raw_publish = await _baselines(db, js, settings)
            await dispatch_due(replicas[0][1], utcnow())  # the dispatchers were running before the minute came

            due = utcnow().replace(second=0, microsecond=0)  # 19:00:00 for every evening reminder of a branch
            started = time.perf_counter()
            for start in range(0, n, 1000):
                await plan_many(replicas[0][1], [_reminder(i, due, due - timedelta(days=1)) for i in range(start, min(n, start + 1000))])
            enqueue = n / (time.perf_counter() - started)

            started = time.perf_counter()
            claimed = await asyncio.gather(*(_until_idle(ctx) for _, ctx in replicas))
            elapsed = time.perf_counter() - started
            for _, ctx in replicas:  # the notification.sent fast-path publishes still in flight
                await asyncio.gather(*list(ctx.tasks))
            published, published_after = await _published(js, settings), time.perf_counter() - started

            started = time.perf_counter()
            await dispatch_due(replicas[0][1], utcnow())
            idle_ms = (time.perf_counter() - started) * 1000
            relay = replicas[0][1].relay  # its safety net: finds documents with pending events by `outbox_state`
            started = time.perf_counter()
            swept = await relay.sweep()
            sweep_ms = (time.perf_counter() - started) * 1000

            sends = await db.console_outbox.count_documents({})
            distinct = len(await db.console_outbox.distinct("message_id"))
            sent = await db[MESSAGES].count_documents({"status": "sent"})
            split = "/".join(str(c) for c in claimed)
            return [
                {"metric": f"notify: {n} reminders due in one minute, {REPLICAS} dispatchers, sends/s (console)",
                 "value": round(sent / elapsed, 1), "unit": "sends/s", "baseline": "raw insert_one/s",
                 "baseline_value": round(raw_insert, 1)},
                {"metric": f"notify: time to dispatch {n} reminders", "value": round(elapsed, 1), "unit": "s",
                 "baseline": f"{n} raw insert_one, s", "baseline_value": round(n / raw_insert, 1)},
                {"metric": f"notify: duplicate sends (must be 0; claims per dispatcher {split})", "value": sends - distinct,
                 "unit": "sends", "baseline": "jobs not sent (must be 0)", "baseline_value": n - sent},
                {"metric": f"notify: {published} notification.sent published (fast path), events/s from dispatch start",
                 "value": round(published / published_after, 1), "unit": "events/s", "baseline": "raw JetStream publish/s",
                 "baseline_value": round(raw_publish, 1)},
                {"metric": "notify: enqueue planned reminders (insert_many), docs/s", "value": round(enqueue, 1),
                 "unit": "docs/s", "baseline": "raw insert_one/s", "baseline_value": round(raw_insert, 1)},
                {"metric": f"notify: idle dispatcher pass at {n} messages (slot lookups)", "value": round(idle_ms, 1),
                 "unit": "ms", "baseline": "raw _id find_one, ms", "baseline_value": round(raw_find_ms, 2)},
                {"metric": f"notify: outbox sweep at {n} messages ({swept} left pending)", "value": round(sweep_ms, 1),
                 "unit": "ms", "baseline": "raw _id find_one, ms", "baseline_value": round(raw_find_ms, 2)},
            ]
        finally:
            for service, ctx in replicas:
                await service.shutdown(ctx)
