"""Reception throughput as ratios against raw store writes measured in the same run:
check-ins through a 20-consultant rotation (each visit ended again, 8 front desks at once)
and appointment bookings under contention (16 clerks, 4 consultants, overlapping slots)."""

from __future__ import annotations

import asyncio
import random
import time
import uuid
from datetime import UTC, datetime, timedelta

import httpx
from pymongo import AsyncMongoClient

from crm_shared.aggregates import event
from crm_shared.app import create_app
from crm_shared.config import Settings
from crm_shared.events.leads import StaffJoined
from crm_shared.http.auth import mint_token
from crm_shared.ids import uuid7
from crm_reception.plugin import ReceptionService

N_RAW = 300
N_CHECK_INS = 150
N_BOOKINGS = 150
DESKS, CLERKS, BRANCH = 8, 16, "bench"


def _settings(mongo_url: str, nats_url: str) -> Settings:
    tag = uuid.uuid4().hex[:8]
    return Settings(mongo_url=mongo_url, nats_url=nats_url, stream_name=f"B{tag}", subject_prefix=f"b{tag}",
                    dead_letter_stream=f"B{tag}_DLQ", dead_letter_prefix=f"b{tag}dlq", db_prefix=f"b{tag}_",
                    log_json=False)


async def _raw_inserts(mongo_url: str, db_name: str) -> float:
    client = AsyncMongoClient(mongo_url, tz_aware=True)
    try:
        col = client[db_name].raw
        started = time.perf_counter()
        for i in range(N_RAW):
            await col.insert_one({"_id": f"r{i}", "branch_id": BRANCH, "name": "访客", "version": 1})
        return N_RAW / (time.perf_counter() - started)
    finally:
        await client.drop_database(db_name)
        await client.close()


async def _check_ins(client: httpx.AsyncClient, headers: dict) -> float:
    phones = iter(f"139{i:08d}" for i in range(10_000_000, 10_000_000 + N_CHECK_INS * 2))
    left = [N_CHECK_INS]

    async def desk() -> None:
        while left[0] > 0:
            left[0] -= 1
            r = await client.post("/v1/visits", headers=headers, json={
                "branch_id": BRANCH, "visitor": {"name": "访客", "phone": next(phones)}, "party_size": 1})
            if r.status_code != 201:
                raise RuntimeError(f"check-in failed: {r.status_code} {r.text}")
            r = await client.post(f"/v1/visits/{r.json()['id']}/end", headers=headers, json={"outcome": "interested"})
            if r.status_code != 200:
                raise RuntimeError(f"visit end failed: {r.status_code} {r.text}")

    started = time.perf_counter()
    await asyncio.gather(*(desk() for _ in range(DESKS)))
    return N_CHECK_INS / (time.perf_counter() - started)


async def _bookings(client: httpx.AsyncClient, headers: dict, consultants: list[str]) -> tuple[float, int]:
    base = (datetime.now(UTC) + timedelta(days=2)).replace(minute=0, second=0, microsecond=0)
    rng = random.Random(7)
    left, won = [N_BOOKINGS], [0]

    async def clerk() -> None:
        while left[0] > 0:
            left[0] -= 1
            start = base + timedelta(minutes=15 * rng.randrange(0, 4 * 48))
            r = await client.post("/v1/appointments", headers=headers, json={
                "branch_id": BRANCH, "consultant_id": rng.choice(consultants), "kind": "showing",
                "customer": {"name": "张女士", "phone": "13812345678"}, "party_size": 2,
                "start": start.isoformat(), "end": (start + timedelta(minutes=60)).isoformat()})
            if r.status_code == 201:
                won[0] += 1
            elif r.status_code != 409:
                raise RuntimeError(f"booking failed: {r.status_code} {r.text}")

    started = time.perf_counter()
    await asyncio.gather(*(clerk() for _ in range(CLERKS)))
    return N_BOOKINGS / (time.perf_counter() - started), won[0]


async def run(mongo_url: str, nats_url: str) -> list[dict]:
    settings = _settings(mongo_url, nats_url)
    raw = await _raw_inserts(mongo_url, settings.database_name("bench_raw"))
    app = create_app([ReceptionService()], settings)
    async with app.router.lifespan_context(app):
        ctx = app.state.contexts["reception"]
        consultants = [uuid7() for _ in range(20)]
        for cid in consultants:  # as `staff.joined` would, straight into the directory
            joined = StaffJoined(staff_id=cid, role="consultant", name="bench")
            await ctx.state.directory.record(event(joined, BRANCH, cid), joined)
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://bench", timeout=60) as client:
            desk = {"Authorization": f"Bearer {mint_token(settings, 'desk', 'reception', [BRANCH])}"}
            for cid in consultants:
                await client.post(f"/v1/rotation/{BRANCH}/join", headers=desk, json={"consultant_id": cid})
            check_ins = await _check_ins(client, desk)
            bookings, won = await _bookings(client, desk, consultants[:4])
        mongo = app.state.mongo
        await mongo.drop_database(ctx.db.name)
    return [
        {"metric": f"check-in+end/s, 20-consultant rotation, {DESKS} desks", "value": check_ins, "unit": "visits/s",
         "baseline": "raw insert_one/s", "baseline_value": raw},
        {"metric": f"booking attempts/s, {CLERKS} clerks on 4 consultants ({won} won)", "value": bookings,
         "unit": "req/s", "baseline": "raw insert_one/s", "baseline_value": raw},
    ]
