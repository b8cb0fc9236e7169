"""Cross-service latency: `POST /v1/leads` -> stored -> `lead.registered` published by the
outbox -> handled by the reports projection and by notify, at an offered 50, 100 and 200
leads/s (open loop: requests start on schedule whether or not earlier ones finished).

The front desk registers each lead without naming an owner, so the branch's assigner
(round robin over CONSULTANTS) picks one, and `lead.registered` for someone other than the
registrar makes notify plan a "new lead for you" message to that consultant: the notify job.
leads, notify and reports run in one process (all-in-one mode, as `make dev`).

Latency per lead = the consumer's effect time minus the envelope time (the moment the change
was written): the reports consumer's inbox time, and the notify job's `created_at` (the job is
planned; sending it is policy-paced: per-recipient SMS limits defer most of a burst this size).
HTTP latency = request start to 201. Baselines in the same run: raw `insert_one`/s and raw
nats-py publish/s."""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from datetime import UTC, datetime

import httpx
import nats
from pymongo import AsyncMongoClient

from crm_shared.app import create_app
from crm_shared.config import Settings
from crm_shared.http.auth import mint_token
from crm_shared.plugins import discover

RATES = (50, 100, 200)
SECONDS = 4
CONSULTANTS = 20
SERVICES = "leads,notify,reports"  # all-in-one; without notify there is no notify job to time


def _pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


async def _baselines(mongo_url: str, nats_url: str, tag: str) -> tuple[float, float]:
    mongo = AsyncMongoClient(mongo_url)
    col = mongo[f"x{tag}_raw"].docs
    started = time.perf_counter()
    for i in range(300):
        await col.insert_one({"_id": i, "name": "王先生"})
    insert_rate = 300 / (time.perf_counter() - started)
    await mongo.drop_database(f"x{tag}_raw")
    await mongo.close()
    nc = await nats.connect(nats_url)
    js = nc.jetstream()
    await js.add_stream(name=f"X{tag}", subjects=[f"x{tag}.>"])
    started = time.perf_counter()
    for _ in range(1000):
        await js.publish(f"x{tag}.a", b"{}", stream=f"X{tag}")
    publish_rate = 1000 / (time.perf_counter() - started)
    await js.delete_stream(f"X{tag}")
    await nc.close()
    return insert_rate, publish_rate


async def _notify_lag(notify_db, registered_at: dict[str, datetime]) -> list[float]:
    """Seconds from each lead's write to its notify job; every lead must get exactly one."""
    deadline = time.monotonic() + 120
    while True:
        jobs = await notify_db.messages.find({"kind": "lead_assigned", "entity": {"$in": list(registered_at)}},
                                             projection={"entity": 1, "created_at": 1}).to_list()
        if len(jobs) >= len(registered_at) or time.monotonic() > deadline:
            break
        await asyncio.sleep(0.5)
    if sorted(j["entity"] for j in jobs) != sorted(registered_at):
        raise RuntimeError(f"notify planned {len(jobs)} jobs for {len(registered_at)} assigned leads")
    return [(j["created_at"].astimezone(UTC) - registered_at[j["entity"]]).total_seconds() for j in jobs]


async def run(mongo_url: str, nats_url: str) -> list[dict]:
    tag = uuid.uuid4().hex[:8]
    settings = Settings(mongo_url=mongo_url, nats_url=nats_url, stream_name=f"X{tag}C", subject_prefix=f"x{tag}c",
                        dead_letter_stream=f"X{tag}D", dead_letter_prefix=f"x{tag}d", db_prefix=f"x{tag}_",
                        relay_interval_seconds=0.5, log_level="WARNING")
    insert_rate, publish_rate = await _baselines(mongo_url, nats_url, tag)
    app = create_app(discover(SERVICES), settings)
    rows = []
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://bench", timeout=60) as client:
            admin = {"Authorization": f"Bearer {mint_token(settings, 'a', 'admin', ['*'])}"}
            await client.post("/v1/branches", json={"id": "bench", "name": "bench"}, headers=admin)
            consultants = []
            for i in range(CONSULTANTS):
                r = await client.post("/v1/staff", headers=admin, json={
                    "branch_id": "bench", "name": f"顾问{i}", "role": "consultant", "phone": f"1380000{i:04d}"})
                if r.status_code != 201:
                    raise RuntimeError(f"POST /v1/staff: {r.status_code} {r.text[:200]}")
                consultants.append(r.json()["id"])
            me = {"Authorization": f"Bearer {mint_token(settings, 'desk1', 'reception', ['bench'])}"}
            reports_db = app.state.contexts["reports"].db
            notify_db = app.state.contexts["notify"].db if "notify" in app.state.contexts else None
            deadline = time.monotonic() + 60
            while notify_db is not None and await notify_db.staff.count_documents({"_id": {"$in": consultants}}) < CONSULTANTS:
                if time.monotonic() > deadline:
                    raise RuntimeError("notify never learned the consultants (staff.joined)")
                await asyncio.sleep(0.2)
            serial = 0
            for rate in RATES:
                http_latency: list[float] = []
                lead_ids: list[str] = []

                async def one(n: int) -> None:
                    started = time.perf_counter()
                    r = await client.post("/v1/leads", headers=me, json={
                        "branch_id": "bench", "customer": {"name": "客户", "phone": f"1390{n:07d}"}, "source": {"channel": "phone"}})
                    if r.status_code == 201:
                        http_latency.append(time.perf_counter() - started)
                        lead_ids.append(r.json()["id"])

                tasks, t0 = [], time.perf_counter()
                for i in range(rate * SECONDS):
                    await asyncio.sleep(max(0.0, t0 + i / rate - time.perf_counter()))
                    serial += 1
                    tasks.append(asyncio.create_task(one(serial)))
                await asyncio.gather(*tasks)
                achieved = len(lead_ids) / (time.perf_counter() - t0)

                # wait for the reports projection, then read per-event latency from its inbox
                lag: list[float] = []
                deadline = time.monotonic() + 120
                pending = set(lead_ids)
                events = {}
                registered_at: dict[str, datetime] = {}
                nc = await nats.connect(nats_url)
                js = nc.jetstream()
                sub = await js.subscribe(f"{settings.subject_prefix}.bench.lead.registered", ordered_consumer=True)
                while pending and time.monotonic() < deadline:
                    try:
                        msg = await sub.next_msg(timeout=2)
                    except Exception:
                        continue
                    env = json.loads(msg.data)
                    if env["data"]["lead_id"] in pending:
                        pending.discard(env["data"]["lead_id"])
                        events[env["id"]] = env["time"]
                        registered_at[env["data"]["lead_id"]] = datetime.fromisoformat(env["time"])
                await nc.close()
                while time.monotonic() < deadline:
                    done = await reports_db.inbox.find({"_id": {"$in": [f"reports-main:{e}" for e in events]}}).to_list()
                    if len(done) >= len(events):
                        break
                    await asyncio.sleep(0.5)
                for d in done:
                    written = datetime.fromisoformat(events[d["_id"].split(":", 1)[1]])
                    lag.append((d["at"].replace(tzinfo=written.tzinfo) - written).total_seconds())
                notify_lag = await _notify_lag(notify_db, registered_at) if notify_db is not None else []
                raw_ms = 1000 / insert_rate
                rows += [
                    {"metric": f"offered {rate}/s: registrations stored+published", "value": achieved, "unit": "leads/s",
                     "baseline": "raw insert_one/s", "baseline_value": insert_rate},
                    {"metric": f"offered {rate}/s: HTTP latency p50", "value": 1000 * _pct(http_latency, .5), "unit": "ms",
                     "baseline": "raw insert_one ms", "baseline_value": raw_ms},
                    {"metric": f"offered {rate}/s: HTTP latency p99", "value": 1000 * _pct(http_latency, .99), "unit": "ms",
                     "baseline": "raw insert_one ms", "baseline_value": raw_ms},
                    {"metric": f"offered {rate}/s: write -> reports counter p50", "value": 1000 * _pct(lag, .5), "unit": "ms",
                     "baseline": "raw nats publish ms", "baseline_value": 1000 / publish_rate},
                    {"metric": f"offered {rate}/s: write -> reports counter p99", "value": 1000 * _pct(lag, .99), "unit": "ms",
                     "baseline": "raw nats publish ms", "baseline_value": 1000 / publish_rate},
                    {"metric": f"offered {rate}/s: write -> notify job planned p50", "value": 1000 * _pct(notify_lag, .5),
                     "unit": "ms", "baseline": "raw nats publish ms", "baseline_value": 1000 / publish_rate},
                    {"metric": f"offered {rate}/s: write -> notify job planned p99", "value": 1000 * _pct(notify_lag, .99),
                     "unit": "ms", "baseline": "raw nats publish ms", "baseline_value": 1000 / publish_rate},
                ]
    return rows
