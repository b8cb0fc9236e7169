"""Notify due-queue: N reminders falling due in the same minute, dispatched with the console provider.

Reports time to dispatch all, sends per second and duplicates (must be 0), against a raw
`insert_one`/s on the same store. The issue asks for N = 100,000: set `CRM_NOTIFY_BENCH_N`
and point CRM_MONGO_URL/CRM_NATS_URL at real MongoDB and NATS. On the dev store the default is
1,000 (about 30 s): there writes are serialised by the proxy and updates/findAndModify slow down
as the collection grows (measured here: ~80 sends/s at 1,000 jobs, ~60 at 5,000), so 100,000
would take about half an hour. Per send: 1 findAndModify + 1 update on `messages` (claim,
finish), the relay's 2 findAndModify + 1 update, and 3 small inserts (rate window, provider
reference, the console record).
"""

from __future__ import annotations

import os
import time
from datetime import timedelta


from crm_shared.bus.outbox import OutboxRelay
from bench.common import bench_env
from crm_shared.ids import utcnow
from crm_shared.plugins import ServiceContext
from crm_notify.config import NotifySettings
from crm_notify.dispatch.service import dispatch_due
from crm_notify.messages.service import MESSAGES, new_message, plan_many
from crm_notify.providers import registry
from crm_notify.runtime import NotifyRuntime
from crm_notify.triggers.rules import message_key

N_DEFAULT = 1000
N_BASE = 500


class _RelayLater(ServiceContext):
    """Dispatch and outbox relay measured apart: the relay runs as its own loop in production."""

    def events_written(self, collection, doc_id) -> None:
        self.relay.wake()


def _reminder(i: int, due, now) -> dict:
    to = f"+86138{i:08d}"
    return new_message(key=message_key("reminder_evening", f"a{i}", "sms", to, "bench"), kind="reminder_evening",
                       entity=f"a{i}", branch_id="bench", channel="sms", to=to, category="transactional", due_at=due,
                       now=now, template="appointment_reminder", locale="zh-CN",
                       data={"customer_name": "王先生", "start_local": "2026年12月1日 14:00", "kind": "office_visit",
                             "kind_label": "到访售楼处", "branch_name": "深圳湾", "consultant_name": "李娜",
                             "consultant_phone": "", "checklist": [], "party_size": 2, "lead_time": "明天"})


async def run(mongo_url: str, nats_url: str) -> list[dict]:
    n = int(os.environ.get("CRM_NOTIFY_BENCH_N", N_DEFAULT))
    async with bench_env(mongo_url, nats_url, "b", "notify") as (settings, db, js):
        relay = OutboxRelay(db, (MESSAGES,), js, settings)
        ctx = _RelayLater("notify", settings, db, js, relay)
        config = NotifySettings(dispatch_loop=False, dispatch_batch=5000)
        rt = NotifyRuntime(ctx, config, await registry.build(config, db))
        try:
            started = time.perf_counter()
            for i in range(N_BASE):
                await db.raw.insert_one({"_id": f"r{i}", "to": "+8613800000000", "status": "queued", "version": 1})
            raw_insert = N_BASE / (time.perf_counter() - started)

            now = utcnow()
            due = now.replace(second=0, microsecond=0) + timedelta(minutes=1)
            started = time.perf_counter()
            for start in range(0, n, 1000):
                await plan_many(db, [_reminder(i, due + timedelta(seconds=i % 60), now) for i in range(start, min(n, start + 1000))])
            enqueue = n / (time.perf_counter() - started)

            at = due + timedelta(minutes=1)
            started = time.perf_counter()
            while (await dispatch_due(rt, at)).claimed:
                pass
            elapsed = time.perf_counter() - started
            started = time.perf_counter()
            published = await relay.sweep()  # the notification.sent events, as the relay publishes them
            relay_time = time.perf_counter() - started
            sends = await db.console_outbox.count_documents({})
            distinct = len(await db.console_outbox.distinct("message_id"))
            sent = await db[MESSAGES].count_documents({"status": "sent"})
            return [
                {"metric": f"notify: dispatch {n} due reminders, sends/s (console)", "value": round(sent / elapsed, 1),
                 "unit": "sends/s", "baseline": "raw insert_one/s", "baseline_value": round(raw_insert, 1)},
                {"metric": f"notify: time to dispatch {n} reminders", "value": round(elapsed, 2), "unit": "s",
                 "baseline": f"{N_BASE} raw insert_one, s", "baseline_value": round(N_BASE / raw_insert, 2)},
                {"metric": "notify: duplicate sends (must be 0)", "value": sends - distinct, "unit": "sends",
                 "baseline": "jobs not sent (must be 0)", "baseline_value": n - sent},
                {"metric": f"notify: relay publishes {published} notification.sent, events/s", "value": round(published / relay_time, 1),
                 "unit": "events/s", "baseline": "raw insert_one/s", "baseline_value": round(raw_insert, 1)},
                {"metric": "notify: enqueue planned reminders (insert_many), docs/s", "value": round(enqueue, 1),
                 "unit": "docs/s", "baseline": "raw insert_one/s", "baseline_value": round(raw_insert, 1)},
            ]
        finally:
            for provider in set(rt.providers.values()):
                await provider.close()
