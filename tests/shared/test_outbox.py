"""The outbox: a change and its events are one write; publishing is at-least-once and
JetStream's Nats-Msg-Id dedup makes it exactly-once in the stream."""

import asyncio
import json

import nats
import pytest
from pymongo import AsyncMongoClient
from pymongo.errors import DuplicateKeyError

from crm_shared.bus.outbox import OUTBOX_FIELD, OutboxRelay, new_document, with_events
from crm_shared.bus.streams import ensure_streams
from crm_shared.events import new_event
from tests.support.ledger import Opened, Pinged
from tests.support.runtime import isolated_settings, stream_messages


@pytest.fixture
async def env(urls):
    settings = isolated_settings(*urls, relay_lease_seconds=1.0)
    mongo = AsyncMongoClient(settings.mongo_url, tz_aware=True)
    nc = await nats.connect(settings.nats_url)
    js = nc.jetstream()
    await ensure_streams(js, settings)
    db = mongo[settings.database_name("ledger")]
    yield settings, db, js
    await js.delete_stream(settings.stream_name)
    await js.delete_stream(settings.dead_letter_stream)
    await mongo.drop_database(db.name)
    await mongo.close()
    await nc.close()


def relay(settings, db, js) -> OutboxRelay:
    return OutboxRelay(db, ("accounts",), js, settings)


async def open_account(settings, db, n: int) -> str:
    _id = f"acc-{n:04d}"
    env = new_event(Opened(account_id=_id, name=f"n{n}"), branch_id="b1", subject=_id)
    await db.accounts.insert_one(new_document(settings, {"_id": _id, "version": 1}, env))
    return _id


async def event_ids(settings) -> list[str]:
    return [json.loads(m.data)["id"] for m in await stream_messages(settings)]


async def test_relay_stopped_between_write_and_publish_then_restarted(env):
    settings, db, js = env
    ids = [await open_account(settings, db, n) for n in range(20)]
    # a failed write: duplicate _id, so neither the change nor its event exists
    with pytest.raises(DuplicateKeyError):
        await open_account(settings, db, 0)
    assert await event_ids(settings) == [], "nothing is published before the relay runs"

    assert await relay(settings, db, js).sweep() == 20  # the "restarted" relay
    published = await event_ids(settings)
    assert len(published) == len(set(published)) == 20
    assert await db.accounts.count_documents({f"{OUTBOX_FIELD}.0": {"$exists": True}}) == 0
    assert sorted(json.loads(m.data)["subject"] for m in await stream_messages(settings)) == ids


async def test_crash_after_publish_before_removal_publishes_once(env):
    settings, db, js = env
    _id = await open_account(settings, db, 1)
    await db.accounts.update_one({"_id": _id}, with_events(settings, {"$inc": {"version": 1}},
                                 new_event(Pinged(key="k"), branch_id="b1", subject=_id)))
    doc = await db.accounts.find_one({"_id": _id})
    first = relay(settings, db, js)
    await first._publish(doc[OUTBOX_FIELD])  # published and acked, then the process "dies"
    assert len(await event_ids(settings)) == 2
    assert await relay(settings, db, js).sweep() == 2  # republished after restart...
    msgs = await stream_messages(settings)
    assert len(msgs) == 2, "...and JetStream dropped the repeats by Nats-Msg-Id"
    assert [json.loads(m.data)["type"] for m in msgs] == ["ledger.opened", "ledger.pinged"]
    assert all(m.headers["Nats-Msg-Id"] == json.loads(m.data)["id"] for m in msgs)


async def test_duplicate_publish_is_dropped_by_msg_id(env):
    settings, _, js = env
    subject = f"{settings.subject_prefix}.b1.ledger.pinged"
    a = await js.publish(subject, b"{}", headers={"Nats-Msg-Id": "same"}, stream=settings.stream_name)
    b = await js.publish(subject, b"{}", headers={"Nats-Msg-Id": "same"}, stream=settings.stream_name)
    assert not a.duplicate and b.duplicate and a.seq == b.seq
    assert len(await stream_messages(settings)) == 1


async def test_replicas_share_the_work_and_publish_each_event_once(env):
    settings, db, js = env
    for n in range(60):
        await open_account(settings, db, n)
    replicas = [relay(settings, db, js) for _ in range(3)]
    counts = await asyncio.gather(*(r.sweep() for r in replicas))
    assert sum(counts) == 60, f"leases keep replicas from publishing a document twice: {counts}"
    assert len(await event_ids(settings)) == 60


async def test_a_dead_relays_lease_expires_and_another_takes_over(env):
    settings, db, js = env
    _id = await open_account(settings, db, 7)
    dead = relay(settings, db, js)
    assert await dead._claim("accounts", _id) is not None  # claimed, then the process died
    live = relay(settings, db, js)
    assert await live.flush("accounts", _id) == 0, "a live lease is respected"
    await asyncio.sleep(1.1)
    assert await live.flush("accounts", _id) == 1
    assert len(await event_ids(settings)) == 1


async def test_events_added_while_publishing_are_not_lost(env):
    settings, db, js = env
    _id = await open_account(settings, db, 3)
    r = relay(settings, db, js)

    async def writer():
        for i in range(10):
            await db.accounts.update_one({"_id": _id}, with_events(settings, {"$inc": {"version": 1}},
                                         new_event(Pinged(key=str(i)), branch_id="b1", subject=_id)))
            await asyncio.sleep(0)

    await asyncio.gather(writer(), r.flush("accounts", _id))
    await r.sweep()
    assert len(await event_ids(settings)) == 11
    assert (await db.accounts.find_one({"_id": _id}))[OUTBOX_FIELD] == []


async def test_fast_path_racing_a_sweep_still_publishes_each_event_once(env):
    settings, db, js = env
    r = relay(settings, db, js)
    writes = []
    for n in range(30):
        _id = await open_account(settings, db, n)
        writes.append((_id, (await db.accounts.find_one({"_id": _id}))[OUTBOX_FIELD]))
    counts = await asyncio.gather(r.sweep(), *(r.publish_written("accounts", i, e) for i, e in writes))
    assert sum(counts) >= 30
    assert len(await event_ids(settings)) == 30
    assert await db.accounts.count_documents({f"{OUTBOX_FIELD}.id": {"$type": "string"}}) == 0
