"""Deals under contention, as a ratio against raw store writes measured in the same run: 16 clients
subscribing (认购, `POST /v1/deals`) the 200 units of one sheet, each attempt for a lead of its own and a
unit chosen at random, so most attempts meet a unit already taken (409 `unit-taken`). Afterwards the unit
race is checked: no unit has two live deals, and every reserved unit names the one live deal that holds it.
"""

from __future__ import annotations

import asyncio
import random
import time
import uuid
from collections import Counter

import httpx
from pymongo import AsyncMongoClient

from crm_shared.aggregates import event
from crm_shared.app import create_app
from crm_shared.config import Settings
from crm_shared.events.leads import LeadRegistered, LeadSource, MaskedCustomer
from crm_shared.http.auth import mint_token
from crm_deals.leads import subscribers as lead_copies
from crm_deals.plugin import DealsService
from crm_deals.settings import DealsSettings

UNITS, CLIENTS, ATTEMPTS, N_RAW, BRANCH = 200, 16, 600, 600, "bench"
PRICE = "1000000"
LIVE = ("subscribed", "signed", "paid")


def _settings(mongo_url: str, nats_url: str) -> Settings:
    tag = uuid.uuid4().hex[:8]
    return Settings(mongo_url=mongo_url, nats_url=nats_url, stream_name=f"B{tag}", subject_prefix=f"b{tag}",
                    dead_letter_stream=f"B{tag}_DLQ", dead_letter_prefix=f"b{tag}dlq", db_prefix=f"b{tag}_",
                    log_json=False)


async def _raw_inserts(mongo_url: str, db_name: str) -> float:
    """insert_one/s with the same number of concurrent writers, the store's own pace."""
    client = AsyncMongoClient(mongo_url, tz_aware=True)
    left = iter(range(N_RAW))
    try:
        col = client[db_name].raw

        async def writer() -> None:
            for i in left:
                await col.insert_one({"_id": f"r{i}", "branch_id": BRANCH, "unit_id": f"u{i % UNITS}", "version": 1})

        started = time.perf_counter()
        await asyncio.gather(*(writer() for _ in range(CLIENTS)))
        return N_RAW / (time.perf_counter() - started)
    finally:
        await client.drop_database(db_name)
        await client.close()


def _sheet() -> bytes:
    rows = [f"湾区壹号,{1 + i // 50}栋,{1001 + i},公寓,89.5,1000000" for i in range(UNITS)]
    return ("项目,楼栋,房号,业态,面积,总价\n" + "\n".join(rows) + "\n").encode("gbk")


async def _leads(ctx, n: int) -> list[str]:
    """Deals' copy of `n` leads, as `lead.registered` would make it (no leads service in this bench)."""
    ids = []
    for i in range(n):
        lead_id = f"lead-{i:05d}"
        data = LeadRegistered(lead_id=lead_id, owner_id="c1", source=LeadSource(channel="walk_in"),
                              customer=MaskedCustomer(name="王先生", phone_masked="138****0000", phone_hash=f"h{i}"))
        await lead_copies.on_registered(ctx, event(data, BRANCH, lead_id), data)
        ids.append(lead_id)
    return ids


async def _subscribe(client: httpx.AsyncClient, headers: dict, units: list[str], leads: list[str]) -> tuple[float, Counter]:
    rng, todo, outcomes = random.Random(18), iter(leads), Counter()

    async def seller() -> None:
        for lead in todo:
            r = await client.post("/v1/deals", headers=headers, json={
                "lead_id": lead, "unit_id": rng.choice(units), "agreed_price": PRICE, "deposit": "50000"})
            kind = r.json().get("type", "").rsplit("/", 1)[-1] if r.status_code == 409 else ""
            if r.status_code not in (201, 409):
                raise RuntimeError(f"subscription failed: {r.status_code} {r.text[:300]}")
            outcomes[f"{r.status_code}{':' + kind if kind else ''}"] += 1

    started = time.perf_counter()
    await asyncio.gather(*(seller() for _ in range(CLIENTS)))
    return len(leads) / (time.perf_counter() - started), outcomes


async def _race_holds(ctx) -> tuple[int, int]:
    """(units with more than one live deal, reserved units whose deal is not their one live deal) — both must be 0."""
    deals = await ctx.db.deals.find({"status": {"$in": list(LIVE)}}, {"unit_id": 1}).to_list()
    per_unit = Counter(d["unit_id"] for d in deals)
    doubled = sum(1 for n in per_unit.values() if n > 1)
    live = {d["unit_id"]: d["_id"] for d in deals}
    units = await ctx.db.units.find({"branch_id": BRANCH}, {"status": 1, "deal_id": 1}).to_list()
    wrong = sum(1 for u in units if (u["status"] in ("reserved", "sold")) != (u["_id"] in live)
                or (u["_id"] in live and u.get("deal_id") != live[u["_id"]]))
    return doubled, wrong


async def run(mongo_url: str, nats_url: str) -> list[dict]:
    settings = _settings(mongo_url, nats_url)
    raw = await _raw_inserts(mongo_url, settings.database_name("bench_raw"))
    app = create_app([DealsService(DealsSettings(timers=False))], settings)
    async with app.router.lifespan_context(app):
        ctx = app.state.contexts["deals"]
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://bench", timeout=120) as client:
            manager = {"Authorization": f"Bearer {mint_token(settings, 'm1', 'manager', [BRANCH])}"}
            r = await client.post("/v1/units/import", headers=manager, files={"file": ("销控表.csv", _sheet())},
                                  data={"branch_id": BRANCH})
            if r.status_code != 200 or r.json()["created"] != UNITS:
                raise RuntimeError(f"unit sheet import failed: {r.status_code} {r.text[:300]}")
            units = [row["unit_id"] for row in r.json()["rows"]]
            leads = await _leads(ctx, ATTEMPTS)
            rate, outcomes = await _subscribe(client, manager, units, leads)
        doubled, wrong = await _race_holds(ctx)
        await app.state.mongo.drop_database(ctx.db.name)
    won = outcomes.get("201", 0)
    if doubled or wrong:
        raise RuntimeError(f"unit race broken: {doubled} units with two live deals, {wrong} units not held by their deal")
    return [
        {"metric": f"subscriptions/s over HTTP, {CLIENTS} clients on {UNITS} units ({ATTEMPTS} attempts: {won} won, "
                   f"{outcomes.get('409:unit-taken', 0)} unit-taken; units with two live deals: {doubled})",
         "value": rate, "unit": "req/s", "baseline": f"raw insert_one/s, {CLIENTS} writers", "baseline_value": raw},
    ]
