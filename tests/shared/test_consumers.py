"""Consumers: idempotent under redelivery, poison messages dead-lettered after max_deliver."""

import asyncio
import json

import nats

from crm_shared.events import new_event
from tests.support.ledger import LedgerService, Pinged
from tests.support.runtime import eventually, isolated_settings, publish_event, running, stream_messages


async def publish_raw(settings, subject_tail: str, body: bytes) -> None:
    nc = await nats.connect(settings.nats_url)
    try:
        await nc.jetstream().publish(f"{settings.subject_prefix}.{subject_tail}", body, stream=settings.stream_name)
    finally:
        await nc.close()


async def test_redelivered_event_has_one_effect(urls):
    settings = isolated_settings(*urls)
    svc = LedgerService()
    async with running([svc], settings) as (app, _):
        db = app.state.contexts["ledger"].db
        env = new_event(Pinged(key="k1"), branch_id="b1", subject="k1")
        await publish_event(settings, env)
        await publish_event(settings, env, msg_id=env.id + "-replayed")  # same event, past the dedup window
        await publish_event(settings, new_event(Pinged(key="marker"), branch_id="b1", subject="m"))
        assert await eventually(lambda: db.counters.find_one({"_id": "marker"}))
        assert (await db.counters.find_one({"_id": "k1"}))["n"] == 1
        assert (await db.attempts.find_one({"_id": "k1"}))["n"] == 1, "the handler did not even run twice"


async def test_poison_message_is_dead_lettered_and_the_stream_keeps_flowing(urls):
    settings = isolated_settings(*urls, consumer_max_deliver=3)
    svc = LedgerService()
    async with running([svc], settings) as (app, _):
        db = app.state.contexts["ledger"].db
        poison = new_event(Pinged(key="bad", poison=True), branch_id="b1", subject="bad")
        await publish_event(settings, poison)
        for i in range(5):
            await publish_event(settings, new_event(Pinged(key=f"ok{i}"), branch_id="b1", subject="ok"))
        assert await eventually(lambda: db.dead_letters.find_one({"event_id": poison.id}))
        dead = await db.dead_letters.find_one({"event_id": poison.id})
        assert dead["attempts"] == 3 and "cannot handle bad" in dead["error"]
        assert json.loads(dead["body"])["id"] == poison.id
        assert (await db.attempts.find_one({"_id": "bad"}))["n"] == 3, "delivered exactly max_deliver times"
        for i in range(5):
            assert (await db.counters.find_one({"_id": f"ok{i}"}))["n"] == 1
        dlq = await stream_messages(settings, settings.dead_letter_stream)
        assert [json.loads(m.data)["event_id"] for m in dlq] == [poison.id]
        await asyncio.sleep(0.5)
        assert (await db.attempts.find_one({"_id": "bad"}))["n"] == 3, "no delivery after dead-lettering"


async def test_malformed_message_is_dead_lettered_at_once(urls):
    settings = isolated_settings(*urls)
    svc = LedgerService()
    async with running([svc], settings) as (app, _):
        db = app.state.contexts["ledger"].db
        await publish_raw(settings, "b1.ledger.pinged", b"{not json")
        await publish_raw(settings, "b1.ledger.pinged", json.dumps({"id": "e1", "type": "ledger.pinged"}).encode())
        await publish_event(settings, new_event(Pinged(key="after"), branch_id="b1", subject="a"))
        assert await eventually(lambda: db.counters.find_one({"_id": "after"}))
        dead = await db.dead_letters.find({}).to_list()
        assert len(dead) == 2 and all(d["attempts"] == 1 for d in dead)
        assert any("JSON" in d["error"] or "json" in d["error"] for d in dead)


async def test_events_flow_end_to_end_from_outbox_to_consumer(urls):
    settings = isolated_settings(*urls)
    svc = LedgerService()
    async with running([svc], settings) as (app, client):
        from tests.support.runtime import bearer
        r = await client.post("/v1/ledger/accounts", json={"branch_id": "b1", "name": "x"}, headers=bearer(settings, "manager", ["b1"]))
        assert r.status_code == 201, r.text
        acc = r.json()
        r = await client.patch(f"/v1/ledger/accounts/{acc['id']}", json={"name": "y"}, headers=bearer(settings, "manager", ["b1"]))
        assert r.status_code == 200
        db = app.state.contexts["ledger"].db
        assert await eventually(lambda: db.counters.find_one({"_id": f"rename:{acc['id']}"}))
        msgs = await stream_messages(settings)
        assert [json.loads(m.data)["type"] for m in msgs] == ["ledger.opened", "ledger.pinged"]
        assert all(m.subject.startswith(f"{settings.subject_prefix}.b1.") for m in msgs)
