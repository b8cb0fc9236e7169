"""Platform costs as ratios against raw baselines measured in the same run:
an outbox write + relay publish vs a raw `insert_one`; an envelope publish through the
platform (model, JSON, Nats-Msg-Id, ack) vs a raw nats-py JetStream publish."""

from __future__ import annotations

import time


from crm_shared.bus.outbox import OUTBOX_FIELD, OutboxRelay, new_document
from bench.common import bench_env
from crm_shared.events import new_event, nats_subject
from crm_shared.events.leads import LeadRegistered, LeadSource, MaskedCustomer

N_STORE = 400
N_BUS = 2000


def _event(i: int):
    data = LeadRegistered(
        lead_id=f"l{i}", customer=MaskedCustomer(name="王先生", phone_masked="138****5678", phone_hash="h" * 64),
        source=LeadSource(channel="walk_in"), owner_id="s1", grade="A",
    )
    return new_event(data, branch_id="bench", subject=f"l{i}")


def _rate(n: int, started: float) -> float:
    return n / (time.perf_counter() - started)


async def run(mongo_url: str, nats_url: str) -> list[dict]:
    async with bench_env(mongo_url, nats_url, "b", "bench") as (settings, db, js):
        started = time.perf_counter()
        for i in range(N_STORE):
            await db.raw.insert_one({"_id": f"r{i}", "name": "王先生", "version": 1})
        raw_insert = _rate(N_STORE, started)

        relay = OutboxRelay(db, ("leads",), js, settings)
        started = time.perf_counter()
        for i in range(N_STORE):
            env = _event(i)
            doc = new_document(settings, {"_id": f"l{i}", "name": "王先生", "version": 1}, env)
            await db.leads.insert_one(doc)
            await relay.publish_written("leads", doc["_id"], doc[OUTBOX_FIELD])
        outbox = _rate(N_STORE, started)

        subject = nats_subject(settings.subject_prefix, "bench", "lead.registered")
        payload = _event(0).model_dump_json().encode()
        started = time.perf_counter()
        for _ in range(N_BUS):
            await js.publish(subject, payload, stream=settings.stream_name)
        raw_publish = _rate(N_BUS, started)

        started = time.perf_counter()
        for i in range(N_BUS):
            env = _event(i)
            await js.publish(subject, env.model_dump_json().encode(), stream=settings.stream_name,
                             headers={"Nats-Msg-Id": env.id})
        envelope_publish = _rate(N_BUS, started)
    return [
        {"metric": "outbox write + relay publish", "value": outbox, "unit": "changes/s",
         "baseline": "raw insert_one", "baseline_value": raw_insert},
        {"metric": "envelope publish (model, JSON, Nats-Msg-Id, ack)", "value": envelope_publish, "unit": "msgs/s",
         "baseline": "raw nats-py JetStream publish", "baseline_value": raw_publish},
    ]
