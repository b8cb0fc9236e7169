"""The outbox: a change and its events are one write; publishing is at-least-once and
JetStream's Nats-Msg-Id dedup makes it exactly-once in the stream."""

import asyncio
import json

import nats
import pytest
from pymongo import AsyncMongoClient
from pymongo.errors import DuplicateKeyError

from crm_shared.bus.outbox import OUTBOX_FIELD, OUTBOX_STATE, OutboxRelay, new_document, outbox_entries, with_events
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


async def pending_docs(db) -> int:
    """Documents still holding an event, or still marked as holding one."""
    return await db.accounts.count_documents({"$or": [{f"{OUTBOX_FIELD}.0": {"$exists": True}}, {OUTBOX_STATE: {"$exists": True}}]})


async def test_batched_clears_empty_every_document_and_its_state(env):
    settings, db, js = env
    r = relay(settings, db, js)
    await r.ensure_indexes()
    writes = []
    for n in range(40):
        _id = await open_account(settings, db, n)
        doc = await db.accounts.find_one({"_id": _id})
        assert doc[OUTBOX_STATE] == "pending", "the write that adds an event marks the document"
        writes.append((_id, doc[OUTBOX_FIELD]))
    counts = await asyncio.gather(*(r.publish_written("accounts", i, e) for i, e in writes))
    assert sum(counts) == 40
    assert len(await event_ids(settings)) == 40
    assert await pending_docs(db) == 0
    assert "outbox_state" in await db.accounts.index_information(), "the sweep finds pending documents by index"


async def test_crash_after_batched_publish_before_the_clear_keeps_one_event_per_change(env):
    settings, db, js = env
    info = await js.stream_info(settings.stream_name)
    assert info.config.duplicate_window == settings.duplicate_window_seconds, "dedup by Nats-Msg-Id for this long"
    ids = [await open_account(settings, db, n) for n in range(25)]
    dying = relay(settings, db, js)
    for _id in ids:  # published and acked; the process dies with the clears still queued in memory
        assert len(await dying._publish((await db.accounts.find_one({"_id": _id}))[OUTBOX_FIELD])) == 1
    assert len(await event_ids(settings)) == 25
    assert await relay(settings, db, js).sweep() == 25, "the restarted relay republishes what it finds pending..."
    published = await event_ids(settings)
    assert len(published) == len(set(published)) == 25, "...and the stream keeps one event per change"
    assert await pending_docs(db) == 0


async def test_an_event_added_before_the_clear_stays_pending_until_published(env):
    settings, db, js = env
    _id = await open_account(settings, db, 5)
    first = (await db.accounts.find_one({"_id": _id}))[OUTBOX_FIELD]
    later = new_event(Pinged(key="later"), branch_id="b1", subject=_id)
    await db.accounts.update_one({"_id": _id}, with_events(settings, {"$inc": {"version": 1}}, later))
    r = relay(settings, db, js)
    assert await r.publish_written("accounts", _id, first) == 1
    doc = await db.accounts.find_one({"_id": _id})
    assert [e["id"] for e in doc[OUTBOX_FIELD]] == [later.id]
    assert doc[OUTBOX_STATE] == "pending", "clearing one event must not hide the other from the sweep"
    assert await r.sweep() == 1
    assert await r.sweep() == 0
    assert [json.loads(m.data)["id"] for m in await stream_messages(settings)][-1] == later.id
    assert await pending_docs(db) == 0


async def test_a_sweep_leaves_documents_to_its_own_running_fast_path(env):
    settings, db, js = env
    r = relay(settings, db, js)
    writes = []
    for n in range(30):
        _id = await open_account(settings, db, n)
        writes.append((_id, (await db.accounts.find_one({"_id": _id}))[OUTBOX_FIELD]))
    fast = [r.publish_written("accounts", i, e) for i, e in writes]  # marked before they run
    counts = await asyncio.gather(r.sweep(), *fast)
    assert counts[0] == 0 and sum(counts[1:]) == 30, "one publish per event from this process"
    assert len(await event_ids(settings)) == 30
    assert await pending_docs(db) == 0


async def test_fresh_documents_are_cleared_together_and_a_later_write_keeps_its_events(env):
    """Inserted documents not written since are cleared by one statement per batch; one that
    took another event before its clear loses only the published one and stays pending."""
    settings, db, js = env
    r = relay(settings, db, js)
    stored = []
    for n in range(60):
        _id = f"acc-{n:04d}"
        doc = new_document(settings, {"_id": _id, "version": 1}, new_event(Opened(account_id=_id, name="x"), branch_id="b1", subject=_id))
        await db.accounts.insert_one(doc)
        stored.append(doc)
    later = new_event(Pinged(key="later"), branch_id="b1", subject="acc-0007")
    await db.accounts.update_one({"_id": "acc-0007"}, with_events(settings, {"$inc": {"version": 1}}, later))

    counts = await asyncio.gather(*(r.publish_written("accounts", d["_id"], d[OUTBOX_FIELD], inserted=True) for d in stored))
    assert sum(counts) == 60
    assert len(await event_ids(settings)) == 60
    held = await db.accounts.find({f"{OUTBOX_FIELD}.0": {"$exists": True}}).to_list(None)
    assert [(d["_id"], [e["id"] for e in d[OUTBOX_FIELD]], d[OUTBOX_STATE]) for d in held] == [("acc-0007", [later.id], "pending")]
    assert await db.accounts.count_documents({OUTBOX_STATE: {"$exists": True}}) == 1
    await r.sweep()  # the later event goes out through the sweep
    assert (await event_ids(settings))[-1] == later.id
    assert await pending_docs(db) == 0


async def test_a_partly_published_fresh_document_keeps_what_did_not_go_out(env):
    settings, db, js = env
    first, second = (new_event(Pinged(key=k), branch_id="b1", subject="two") for k in ("a", "b"))
    doc = new_document(settings, {"_id": "two", "version": 1}, first, second)
    await db.accounts.insert_one(doc)
    r = relay(settings, db, js)
    real = r._publish
    r._publish = lambda entries: real(entries[:1])  # the second publish "fails"
    assert await r.publish_written("accounts", "two", doc[OUTBOX_FIELD], inserted=True) == 1
    stored = await db.accounts.find_one({"_id": "two"})
    assert [e["id"] for e in stored[OUTBOX_FIELD]] == [second.id] and stored[OUTBOX_STATE] == "pending"
