"""Leads service costs as ratios against raw baselines measured in the same run.

- Registrations/s over real HTTP (uvicorn on a local port, 16 concurrent clients), each
  stored with its `lead.registered` event AND published to JetStream before the clock stops,
  against raw `insert_one`/s of a lead-sized document with the same concurrency.
- Dedup check latency (inserting a new number's lead, where the unique `dedup_key` index is
  the check; finding the open lead of an existing number) at SMALL against LARGE stored leads.

Scaled down on the dev store: its `_id` lookups are scans (see the note in `run`), so LARGE
is 10k there instead of the issue's 100k; set CRM_BENCH_LARGE=100000 against real MongoDB.
"""

from __future__ import annotations

import asyncio
import os
import statistics
import time
import uuid
from types import SimpleNamespace

import httpx
import nats
import uvicorn
from pymongo import AsyncMongoClient

from crm_leads.assigners.base import LeadsSettings
from crm_leads.leads import dedup
from crm_leads.plugin import LeadsService
from crm_shared.app import create_app
from crm_shared.config import Settings
from crm_shared.http.auth import mint_token
from crm_shared.ids import uuid7
from crm_shared.phones import normalize, phone_hash
from crm_shared.stack import free_port

N_HTTP = int(os.environ.get("CRM_BENCH_REGISTRATIONS", "300"))
CONCURRENCY = 16
SMALL = 1_000
LARGE = int(os.environ.get("CRM_BENCH_LARGE", "10000"))
PROBES = 40


def _phone(i: int) -> str:
    return f"139{i:08d}"


async def _gather_limited(n: int, job) -> None:
    queue = iter(range(n))

    async def worker():
        for i in queue:
            await job(i)

    await asyncio.gather(*(worker() for _ in range(CONCURRENCY)))


async def _registrations(settings: Settings) -> tuple[float, int]:
    port = free_port()
    app = create_app([LeadsService(LeadsSettings(timers=False))], settings)
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on"))
    task = asyncio.create_task(server.serve())
    while not server.started:
        await asyncio.sleep(0.05)
    token = mint_token(settings, "bench-admin", "admin", ["*"])
    headers = {"Authorization": f"Bearer {token}"}
    try:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", headers=headers, timeout=60) as client:
            r = await client.post("/v1/branches", json={"id": "bench", "name": "Bench"})
            r.raise_for_status()
            r = await client.post("/v1/staff", json={"branch_id": "bench", "name": "c", "role": "consultant"})
            r.raise_for_status()
            # the front-line case: a consultant registers its own customer (no assigner round trips)
            client.headers["Authorization"] = f"Bearer {mint_token(settings, r.json()['id'], 'consultant', ['bench'])}"
            nc = await nats.connect(settings.nats_url)
            js = nc.jetstream()
            before = 2  # the fresh stream holds branch.configured and staff.joined, then one event per lead

            async def register(i: int) -> None:
                body = {"branch_id": "bench", "customer": {"name": "王先生", "phone": _phone(i)},
                        "source": {"channel": "walk_in"}, "grade": "A"}
                resp = await client.post("/v1/leads", json=body)
                assert resp.status_code == 201, resp.text

            started = time.perf_counter()
            await _gather_limited(N_HTTP, register)
            while (await js.stream_info(settings.stream_name)).state.messages < before + N_HTTP:
                await asyncio.sleep(0.01)
            elapsed = time.perf_counter() - started
            await nc.close()
    finally:
        server.should_exit = True
        await task
    return N_HTTP / elapsed, N_HTTP


async def _raw_inserts(db) -> float:
    async def insert(i: int) -> None:
        await db.raw.insert_one({"_id": uuid7(), "branch_id": "bench", "customer": {"name": "王先生", "phone": _phone(i)},
                                 "source": {"channel": "walk_in"}, "grade": "A", "status": "new", "version": 1})

    started = time.perf_counter()
    await _gather_limited(N_HTTP, insert)
    return N_HTTP / (time.perf_counter() - started)


def _lead(i: int, key: str, prefix: str = "L") -> dict:
    digest = phone_hash(normalize(_phone(i) if prefix == "L" else f"137{i:08d}"), key)
    return {"_id": f"{prefix}{i:08d}", "branch_id": "bench", "status": "new", "customer": {"name": "x"},
            dedup.FIELD: dedup.open_key("bench", digest)}


async def _fill(db, key: str, have: int, want: int) -> None:
    for start in range(have, want, 1000):
        await db.leads.insert_many([_lead(i, key) for i in range(start, min(want, start + 1000))])


async def _dedup_latency(db, key: str, size: int) -> tuple[float, float]:
    """Median ms of (inserting a new phone's lead: the unique index is the check; finding an existing phone's lead)."""
    ctx = SimpleNamespace(db=db)
    fresh, found = [], []
    for n in range(PROBES):
        doc = _lead(size * 10 + n, key, prefix="N")
        started = time.perf_counter()
        await db.leads.insert_one(doc)
        fresh.append(time.perf_counter() - started)
        await db.leads.delete_one({"_id": doc["_id"]})
        i = (n * 7919) % size
        started = time.perf_counter()
        assert await dedup.holder(ctx, "bench", phone_hash(normalize(_phone(i)), key)) is not None
        found.append(time.perf_counter() - started)
    return statistics.median(fresh) * 1000, statistics.median(found) * 1000


async def run(mongo_url: str, nats_url: str) -> list[dict]:
    tag = uuid.uuid4().hex[:8]
    settings = Settings(mongo_url=mongo_url, nats_url=nats_url, stream_name=f"LB{tag}", subject_prefix=f"lb{tag}",
                        dead_letter_stream=f"LB{tag}_DLQ", dead_letter_prefix=f"lb{tag}dlq", db_prefix=f"lb{tag}_",
                        log_json=False)
    mongo = AsyncMongoClient(mongo_url, tz_aware=True, maxPoolSize=64)
    db = mongo[settings.database_name("leads")]
    scratch = mongo[f"lb{tag}_dedup"]
    await scratch.leads.create_index([(dedup.FIELD, 1)], unique=True)
    try:
        raw = await _raw_inserts(db)
        http, _ = await _registrations(settings)
        await _fill(scratch, settings.phone_hash_key, 0, SMALL)
        small_new, small_existing = await _dedup_latency(scratch, settings.phone_hash_key, SMALL)
        await _fill(scratch, settings.phone_hash_key, SMALL, LARGE)
        large_new, large_existing = await _dedup_latency(scratch, settings.phone_hash_key, LARGE)
    finally:
        await mongo.drop_database(db.name)
        await mongo.drop_database(scratch.name)
        await mongo.close()
        nc = await nats.connect(nats_url)
        for stream in (settings.stream_name, settings.dead_letter_stream):
            try:
                await nc.jetstream().delete_stream(stream)
            except Exception:
                pass
        await nc.close()
    # On the dev store (FerretDB v1 + SQLite) `_id` lookups that miss, and `find` by `_id`, scan
    # the collection: the existing-phone check grows with the number of leads there. On MongoDB
    # both stay flat (the `_id` index). The ratio rows below show which store was measured.
    return [
        {"metric": "lead registrations over HTTP (stored + published)", "value": http, "unit": "leads/s",
         "baseline": "raw insert_one, same concurrency", "baseline_value": raw},
        {"metric": f"dedup: new phone insert (unique-key check) at {LARGE} leads (inverse ms)", "value": 1000 / large_new, "unit": "1/s",
         "baseline": f"same at {SMALL} leads", "baseline_value": 1000 / small_new},
        {"metric": f"dedup: existing phone lookup at {LARGE} leads (inverse ms)", "value": 1000 / large_existing,
         "unit": "1/s", "baseline": f"same at {SMALL} leads", "baseline_value": 1000 / small_existing},
        {"metric": f"dedup latency, existing phone, {SMALL} leads", "value": small_existing, "unit": "ms",
         "baseline": f"{LARGE} leads", "baseline_value": large_existing},
        {"metric": f"dedup latency, new phone insert, {SMALL} leads", "value": small_new, "unit": "ms",
         "baseline": f"{LARGE} leads", "baseline_value": large_new},
    ]
