"""Leads service costs as ratios against raw baselines measured in the same run.

- Registrations/s over real HTTP (uvicorn on a local port), each stored with its
  `lead.registered` event AND published to JetStream before the clock stops, against raw
  `insert_one`/s of a lead-sized document with the same concurrency (16). The load comes from
  a separate process over 16 keep-alive connections, as a load tool such as wrk would: the
  client's own CPU is not charged to the service (it was, in-process, before).
- Dedup at SMALL (1k) against LARGE (100k, `CRM_BENCH_LARGE`) stored leads: two leads services
  side by side, each with its own database, collection and indexes, seeded with `insert_many`
  of leads shaped as the service stores them, and probed in turn (so the machine's busy moments
  hit both sizes alike): a new phone's registration over HTTP (the unique `dedup_key` index is
  the check) and the existing-phone lookup (`dedup.holder`, an equality on the indexed
  `dedup_key`, which the dev store also serves from a SQLite index).

Three more rows bound what any HTTP registration can reach on this machine and store, each against
the same raw baseline:
- the store and bus work alone: per registration the batched claims lookup, the lead document
  inserted with its event (batched), the JetStream publish and the batched clear -- the calls
  `service.register` makes, with none of its other code;
- the registration without HTTP: `service.register` called in-process, 16 at a time;
- the HTTP floor: a bare FastAPI endpoint that validates the same body and does one `insert_one`,
  loaded the same way; what uvicorn + FastAPI + a store round trip cost on this machine.

`CRM_BENCH_REGISTRATIONS` (default 2000) sets the throughput runs' size; each run follows a warm-up of
200 unmeasured requests (or inserts), so connection pools, caches and lazily loaded phone metadata
are not charged to it.
"""

from __future__ import annotations

import asyncio
import json
import os
import statistics
import sys
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import uvicorn
from fastapi import FastAPI
from pydantic import BaseModel

from bench.common import bench_env
from crm_leads.assigners.base import load
from crm_leads.context import LeadsState, load_branch
from crm_leads.leads import dedup, rules, service
from crm_leads.leads.models import LeadCreate
from crm_leads.plugin import LeadsService
from crm_leads.settings import LeadsSettings
from crm_shared import batching
from crm_shared.aggregates import event
from crm_shared.app import create_app
from crm_shared.branches import BranchSettings
from crm_shared.bus.outbox import OUTBOX_FIELD, OutboxRelay
from crm_shared.events.leads import LeadRegistered, MaskedCustomer
from crm_shared.http.auth import Principal, mint_token
from crm_shared.plugins import ServiceContext
from crm_shared.ids import utcnow, uuid7
from crm_shared.phones import mask, normalize, phone_hash
from crm_shared.stack import free_port

N_HTTP = int(os.environ.get("CRM_BENCH_REGISTRATIONS", "2000"))
WARM_UP = 200  # requests or inserts before each throughput run: pools, caches and lazy loads fill up
CONCURRENCY = 16
SMALL = 1_000
LARGE = int(os.environ.get("CRM_BENCH_LARGE", "100000"))
PROBES = 40
SEED_BATCH = 1_000
ROOT = Path(__file__).resolve().parent.parent


def _body(phone: str) -> dict:
    return {"branch_id": "bench", "customer": {"name": "王先生", "phone": phone}, "source": {"channel": "walk_in"}, "grade": "A"}


async def _load(port: int, token: str, n: int, concurrency: int, prefix: str = "139") -> dict[str, int]:
    """The load process: n registrations over raw keep-alive HTTP/1.1 connections; status counts.

    Connects, says `ready`, and starts when a line comes on stdin (so imports are not timed).
    """
    todo, statuses = iter(range(n)), {}
    connections = [await asyncio.open_connection("127.0.0.1", port) for _ in range(concurrency)]
    print("ready", flush=True)
    await asyncio.get_running_loop().run_in_executor(None, sys.stdin.readline)

    async def connection(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        for i in todo:
            body = json.dumps(_body(f"{prefix}{i:08d}"), ensure_ascii=False).encode()
            writer.write(b"POST /v1/leads HTTP/1.1\r\nHost: bench\r\nContent-Type: application/json\r\n"
                         b"Authorization: Bearer %s\r\nContent-Length: %d\r\n\r\n%s" % (token.encode(), len(body), body))
            status, length = (await reader.readline()).split()[1].decode(), 0
            while (line := await reader.readline()) not in (b"\r\n", b""):
                if line.lower().startswith(b"content-length:"):
                    length = int(line.split(b":")[1])
            await reader.readexactly(length)
            statuses[status] = statuses.get(status, 0) + 1
        writer.close()

    await asyncio.gather(*(connection(r, w) for r, w in connections))
    return statuses


async def _gather_limited(n: int, job) -> None:
    queue = iter(range(n))

    async def worker():
        for i in queue:
            await job(i)

    await asyncio.gather(*(worker() for _ in range(CONCURRENCY)))


async def _raw_inserts(db) -> float:
    async def insert(i: int) -> None:
        await db.raw.insert_one({"_id": uuid7(), "branch_id": "bench", "customer": {"name": "王先生", "phone": f"139{i:08d}"},
                                 "source": {"channel": "walk_in"}, "grade": "A", "status": "new", "version": 1})

    await _gather_limited(WARM_UP, insert)
    started = time.perf_counter()
    await _gather_limited(N_HTTP, insert)
    return N_HTTP / (time.perf_counter() - started)


def _stored_lead(key: str, i: int, owner: str, now) -> dict:
    """A lead as `service.register` stores it, its event long published."""
    e164 = f"+86138{i:08d}"
    digest = phone_hash(e164, key)
    return {
        "_id": uuid7(), "branch_id": "bench",
        "customer": {"name": f"客户{i}", "phone": e164, "phone_masked": mask(e164), "gender": None, "email": None, "birthday": None},
        "phone_hash": digest, dedup.FIELD: dedup.open_key("bench", digest),
        "source": {"channel": "walk_in", "campaign": None, "referrer": None, "partner_id": None},
        "grade": "A", "owner_id": owner, "status": "new", "in_pool": False, "interest": None,
        "next_follow_up_at": rules.next_follow_up(now, "A", BranchSettings(), "Asia/Shanghai"), "missed_count": 0,
        "last_activity_at": now, "contact_count": 1, "pool_history": {}, "follow_ups": [], "visits": [], "attribution": None,
        "created_by": owner, "version": 1, "created_at": now, "updated_at": now, OUTBOX_FIELD: [],
    }


async def _fill(db, key: str, owner: str, seeded: int, want: int) -> int:
    """Seed stored leads (insert_many, one store transaction per batch) until the collection holds
    `want`; returns how many seeded leads there are now (phones 138 + seed number)."""
    assert f"+86138{0:08d}" == normalize("13800000000")
    end, now = seeded + max(want - await db.leads.count_documents({}), PROBES), utcnow()  # some to probe, always
    for start in range(seeded, end, SEED_BATCH):
        await db.leads.insert_many([_stored_lead(key, i, owner, now) for i in range(start, min(end, start + SEED_BATCH))])
    return max(seeded, end)


@dataclass
class Office:
    """One running leads service on a local port: its context and database, a consultant and its client."""

    ctx: ServiceContext
    db: Any
    key: str
    consultant: str
    token: str
    port: int
    client: httpx.AsyncClient


@asynccontextmanager
async def _uvicorn(app, lifespan: str = "on") -> AsyncIterator[int]:
    """The app served on a free local port (yielded) until the block ends."""
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan=lifespan))
    task = asyncio.create_task(server.serve())
    while not server.started:
        await asyncio.sleep(0.05)
    try:
        yield port
    finally:
        server.should_exit = True
        await task


@asynccontextmanager
async def _serving(settings, db) -> AsyncIterator[Office]:
    app = create_app([LeadsService(LeadsSettings(timers=False))], settings)
    async with _uvicorn(app) as port:
        admin = {"Authorization": f"Bearer {mint_token(settings, 'bench-admin', 'admin', ['*'])}"}
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", headers=admin, timeout=60) as client:
            (await client.post("/v1/branches", json={"id": "bench", "name": "Bench"})).raise_for_status()
            r = await client.post("/v1/staff", json={"branch_id": "bench", "name": "c", "role": "consultant"})
            r.raise_for_status()
            # the front-line case: a consultant registers its own customer (no assigner round trips)
            token = mint_token(settings, r.json()["id"], "consultant", ["bench"])
            client.headers["Authorization"] = f"Bearer {token}"
            yield Office(app.state.contexts["leads"], db, settings.phone_hash_key, r.json()["id"], token, port, client)


async def _loaded(port: int, token: str, n: int = N_HTTP, prefix: str = "139") -> float:
    """Seconds the load process takes for n registrations, each answered 201."""
    load = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bench.leads_bench", str(port), token, str(n), str(CONCURRENCY), prefix,
        cwd=ROOT, stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE)
    assert await load.stdout.readline() == b"ready\n"
    started = time.perf_counter()
    out, _ = await load.communicate(b"go\n")
    assert json.loads(out) == {"201": n}, out
    return time.perf_counter() - started


async def _published(js, stream: str, count: int) -> None:
    while (await js.stream_info(stream)).state.messages < count:
        await asyncio.sleep(0.01)


async def _throughput(office: Office, js, stream: str) -> float:
    """Registrations/s from the load process, until every `lead.registered` is in the stream."""
    while (before := (await js.stream_info(stream)).state.messages) < 2:
        await asyncio.sleep(0.01)  # branch.configured and staff.joined
    await _loaded(office.port, office.token, WARM_UP, "135")
    await _published(js, stream, before := before + WARM_UP)
    answered = await _loaded(office.port, office.token)  # from "go" to the last 201
    started = time.perf_counter()
    await _published(js, stream, before + N_HTTP)
    return N_HTTP / (answered + time.perf_counter() - started)


def _context(settings, db, js) -> ServiceContext:
    """A leads context as the platform makes it at start, without HTTP or timers."""
    relay = OutboxRelay(db, LeadsService.outbox_collections, js, settings)
    ctx = ServiceContext("leads", settings, db, js, relay, config=LeadsSettings(timers=False))
    ctx.state = LeadsState(load(ctx.config.assigner))
    return ctx


async def _registrations_per_s(ctx: ServiceContext, register) -> float:
    """`register(i)` N_HTTP times, CONCURRENCY at a time, until every event is in the stream."""
    before = (await ctx.js.stream_info(ctx.settings.stream_name)).state.messages
    started = time.perf_counter()
    await _gather_limited(N_HTTP, register)
    await asyncio.gather(*ctx.tasks)  # the fast paths publishing and clearing
    await _published(ctx.js, ctx.settings.stream_name, before + N_HTTP)
    return N_HTTP / (time.perf_counter() - started)


async def _store_and_bus_only(settings, db, js) -> float:
    """The store and bus calls of a registration and nothing else."""
    ctx, now = _context(settings, db, js), utcnow()

    async def register(i: int) -> None:
        doc = _stored_lead(settings.phone_hash_key, 50_000_000 + i, "owner", now)
        await batching.find_by_ids(db.report_claims, (f"claim-{i}", f"masked-{i}"))
        env = event(LeadRegistered(lead_id=doc["_id"], customer=MaskedCustomer(
            name=doc["customer"]["name"], phone_masked=doc["customer"]["phone_masked"], phone_hash=doc["phone_hash"]),
            source=doc["source"], owner_id="owner", grade="A", registered_by="owner"), "bench", doc["_id"])
        await ctx.aggregate("leads").insert(doc, env, grouped=True)

    return await _registrations_per_s(ctx, register)


async def _without_http(settings, db, js, office: Office) -> float:
    """`service.register` in-process: the design's store and bus work per registration, nothing of HTTP."""
    ctx = _context(settings, db, js)
    who = Principal(sub=office.consultant, role="consultant", branches=["bench"])
    branch = await load_branch(ctx, "bench", who)

    async def register(i: int) -> None:
        await service.register(ctx, branch, LeadCreate.model_validate(_body(f"136{i:08d}")), who)

    return await _registrations_per_s(ctx, register)


class FloorBody(BaseModel):
    branch_id: str
    customer: dict[str, str]
    source: dict[str, str]
    grade: str


async def _http_floor(db) -> float:
    """A bare FastAPI endpoint: validate the registration body, one `insert_one`, 201."""
    app = FastAPI()

    @app.post("/v1/leads", status_code=201)
    async def create(body: FloorBody) -> dict:
        doc = body.model_dump() | {"_id": uuid7(), "status": "new", "version": 1}
        await db.floor.insert_one(doc)
        return {"id": doc["_id"]}

    async with _uvicorn(app, lifespan="off") as port:
        await _loaded(port, "unused", WARM_UP, "135")
        return N_HTTP / await _loaded(port, "unused")


async def _dedup_latency(offices: list[Office], seeded: list[int]) -> list[tuple[float, float]]:
    """Per office, median ms of (a new phone's registration over HTTP; finding the open lead of a
    stored phone). The offices are probed in turn, so a busy moment of the machine hits them alike."""
    fresh: list[list[float]] = [[] for _ in offices]
    found: list[list[float]] = [[] for _ in offices]
    for n in range(PROBES):
        for k, office in enumerate(offices):
            started = time.perf_counter()
            r = await office.client.post("/v1/leads", json=_body(f"137{k:05d}{n:03d}"))
            fresh[k].append(time.perf_counter() - started)
            assert r.status_code == 201, r.text
            phone = f"+86138{(n * 7919) % seeded[k]:08d}"
            started = time.perf_counter()
            assert await dedup.holder(office.ctx, "bench", phone_hash(phone, office.key)) is not None
            found[k].append(time.perf_counter() - started)
    return [(statistics.median(f) * 1000, statistics.median(e) * 1000) for f, e in zip(fresh, found)]


async def run(mongo_url: str, nats_url: str) -> list[dict]:
    async with (bench_env(mongo_url, nats_url, "lb", "leads") as (settings, db, js),
                bench_env(mongo_url, nats_url, "ls", "leads") as (small_settings, small_db, _)):
        raw = await _raw_inserts(db)
        async with _serving(settings, db) as large, _serving(small_settings, small_db) as small:
            http = await _throughput(large, js, settings.stream_name)
            bare = await _store_and_bus_only(settings, db, js)
            direct = await _without_http(settings, db, js, large)
            floor = await _http_floor(db)
            seeding = time.perf_counter()
            seeded = [await _fill(small_db, small.key, small.consultant, 0, SMALL),
                      await _fill(db, large.key, large.consultant, 0, LARGE)]
            print(f"leads: seeded {SMALL} and {LARGE} leads in {time.perf_counter() - seeding:.0f} s", flush=True)
            (small_new, small_existing), (large_new, large_existing) = await _dedup_latency([small, large], seeded)
    return [
        {"metric": "lead registrations over HTTP (stored + published)", "value": http, "unit": "leads/s",
         "baseline": "raw insert_one, same concurrency", "baseline_value": raw},
        {"metric": "ceiling: a registration's store and bus calls alone (claims lookup, insert with event, publish, clear)",
         "value": bare, "unit": "leads/s", "baseline": "raw insert_one, same concurrency", "baseline_value": raw},
        {"metric": "ceiling: lead registrations without HTTP (service.register in-process, stored + published)",
         "value": direct, "unit": "leads/s", "baseline": "raw insert_one, same concurrency", "baseline_value": raw},
        {"metric": "ceiling: HTTP floor (bare FastAPI endpoint, same body, one insert_one)", "value": floor,
         "unit": "requests/s", "baseline": "raw insert_one, same concurrency", "baseline_value": raw},
        {"metric": f"dedup: new phone registration over HTTP at {LARGE} leads (inverse ms)", "value": 1000 / large_new,
         "unit": "1/s", "baseline": f"same at {SMALL} leads", "baseline_value": 1000 / small_new},
        {"metric": f"dedup: existing phone lookup at {LARGE} leads (inverse ms)", "value": 1000 / large_existing,
         "unit": "1/s", "baseline": f"same at {SMALL} leads", "baseline_value": 1000 / small_existing},
        {"metric": f"dedup latency, existing phone, {SMALL} leads", "value": small_existing, "unit": "ms",
         "baseline": f"{LARGE} leads", "baseline_value": large_existing},
        {"metric": f"dedup latency, new phone registration over HTTP, {SMALL} leads", "value": small_new, "unit": "ms",
         "baseline": f"{LARGE} leads", "baseline_value": large_new},
    ]


if __name__ == "__main__":  # the load process: port, token, registrations, connections
    port_, token_, n_, concurrency_, prefix_ = sys.argv[1:6]
    print(json.dumps(asyncio.run(_load(int(port_), token_, int(n_), int(concurrency_), prefix_))))
