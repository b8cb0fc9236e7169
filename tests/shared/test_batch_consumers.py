"""Batch consumers (`SubscriptionTable.handle_batch`): many events per call, the same per-event
guarantees as the per-event path (inbox, retries, dead letters), on the real stack."""

from __future__ import annotations

import asyncio
import json
import time

import nats
from pymongo.errors import DuplicateKeyError

from crm_shared.bus.consumers import SubscriptionTable
from crm_shared.bus.streams import ensure_streams
from crm_shared.events import new_event
from crm_shared.plugins import ServiceContext, ServicePlugin
from tests.shared.test_consumers import publish_raw
from tests.support.ledger import Pinged
from tests.support.runtime import eventually, isolated_settings, publish_event, running, stream_messages


async def count_once(ctx: ServiceContext, key: str, event_id: str) -> None:
    """A counter guarded by the event ids it holds: applying an event again changes nothing."""
    for _ in range(3):
        res = await ctx.db.counters.update_one({"_id": key, "applied": {"$ne": event_id}},
                                               {"$inc": {"n": 1}, "$addToSet": {"applied": event_id}})
        if res.matched_count:
            return
        try:
            await ctx.db.counters.insert_one({"_id": key, "n": 1, "applied": [event_id]})
            return
        except DuplicateKeyError:
            if await ctx.db.counters.find_one({"_id": key, "applied": event_id}):
                return


class TallyService(ServicePlugin):
    """A plugin with one batch table: logs each call, counts each event once, then fails the
    whole call if it held a poison event (after applying the others: a partial batch)."""

    name = "tally"

    def __init__(self, batch_size: int = 200) -> None:
        super().__init__()
        self.table = SubscriptionTable(consumer="main")
        self.table.handle_batch(self.on_batch, Pinged, batch_size=batch_size)

    async def on_batch(self, ctx: ServiceContext, events: list) -> None:
        await ctx.db.calls.insert_one({"keys": [data.key for _, data in events], "at": time.monotonic()})
        for _, data in events:
            await ctx.db.attempts.update_one({"_id": data.key}, {"$inc": {"n": 1}}, upsert=True)
        for env, data in events:
            if not data.poison:
                await count_once(ctx, data.key, env.id)
        if poison := [data.key for _, data in events if data.poison]:
            raise RuntimeError(f"cannot handle {poison}")

    def subscriptions(self) -> list[SubscriptionTable]:
        return [self.table]


async def waiting_in_the_stream(settings, events) -> None:
    """Publish before the consumer starts, so its first fetches find them all."""
    nc = await nats.connect(settings.nats_url)
    try:
        await ensure_streams(nc.jetstream(), settings)
    finally:
        await nc.close()
    for env in events:
        if isinstance(env, bytes):
            await publish_raw(settings, "b1.ledger.pinged", env)
        else:
            await publish_event(settings, env)


def ping(key: str, poison: bool = False):
    return new_event(Pinged(key=key, poison=poison), branch_id="b1", subject=key)


async def calls(db) -> list[list[str]]:
    return [c["keys"] for c in await db.calls.find({}).sort("at", 1).to_list()]


async def counted(db, keys) -> bool:
    return await db.counters.count_documents({"_id": {"$in": list(keys)}}) == len(keys)


async def test_a_batch_handler_gets_many_events_per_call_each_once(urls):
    settings = isolated_settings(*urls)
    events = [ping(f"k{i}") for i in range(60)]
    await waiting_in_the_stream(settings, events)
    async with running([TallyService()], settings) as (app, _):
        db = app.state.contexts["tally"].db
        assert await eventually(lambda: counted(db, [f"k{i}" for i in range(60)]))
        seen = await calls(db)
        assert max(len(keys) for keys in seen) > 10, f"events should come many per call: {[len(k) for k in seen]}"
        assert sorted(k for keys in seen for k in keys) == sorted(f"k{i}" for i in range(60)), "each event once"
        assert [k for keys in seen for k in keys] == [f"k{i}" for i in range(60)], "in stream order"
        assert await db.inbox.count_documents({}) == 60


async def test_handled_and_repeated_events_are_left_out_of_a_batch(urls):
    settings = isolated_settings(*urls)
    first, again = ping("first"), ping("twice")
    async with running([TallyService()], settings) as (app, _):
        db = app.state.contexts["tally"].db
        await publish_event(settings, first)
        assert await eventually(lambda: counted(db, ["first"]))
        await publish_event(settings, first, msg_id=first.id + "-replayed")  # handled before: inbox
        await publish_event(settings, again)
        await publish_event(settings, again, msg_id=again.id + "-replayed")  # twice in one delivery
        await publish_event(settings, ping("marker"))
        assert await eventually(lambda: counted(db, ["twice", "marker"]))
        await asyncio.sleep(0.5)
        seen = [k for keys in await calls(db) for k in keys]
        assert seen.count("first") == 1 and seen.count("twice") == 1, seen
        assert (await db.attempts.find_one({"_id": "twice"}))["n"] == 1
        assert (await db.counters.find_one({"_id": "first"}))["n"] == 1


async def test_a_poison_event_is_dead_lettered_alone_and_the_others_apply_once(urls):
    settings = isolated_settings(*urls, consumer_max_deliver=3)
    good = [ping(f"ok{i}") for i in range(8)]
    poison = ping("bad", poison=True)
    await waiting_in_the_stream(settings, good[:4] + [poison] + good[4:])
    async with running([TallyService()], settings) as (app, _):
        db = app.state.contexts["tally"].db
        assert await eventually(lambda: db.dead_letters.find_one({"event_id": poison.id}))
        dead = await db.dead_letters.find({}).to_list()
        assert [d["event_id"] for d in dead] == [poison.id]
        assert dead[0]["attempts"] == 3 and "cannot handle" in dead[0]["error"]
        first, *later = await calls(db)
        assert "bad" in first and len(first) == 9, "the first call had the whole batch"
        assert all(len(keys) == 1 for keys in later), "after a failed batch, one event per call"
        for env in good:
            doc = await db.counters.find_one({"_id": env.subject})
            assert doc["n"] == 1, f"{env.subject} applied exactly once"
        assert await db.inbox.count_documents({}) == 8, "the good events are handled, the poison is not"
        assert (await db.attempts.find_one({"_id": "bad"}))["n"] == 4, "in its batch, then alone on each of 3 deliveries"
        dlq = await stream_messages(settings, settings.dead_letter_stream)
        assert [json.loads(m.data)["event_id"] for m in dlq] == [poison.id]
        await publish_event(settings, ping("after"))
        assert await eventually(lambda: counted(db, ["after"])), "the stream keeps flowing"


async def test_a_malformed_message_in_a_batch_is_dead_lettered_at_once(urls):
    settings = isolated_settings(*urls)
    await waiting_in_the_stream(settings, [ping("before"), b"{not json", ping("after")])
    async with running([TallyService()], settings) as (app, _):
        db = app.state.contexts["tally"].db
        assert await eventually(lambda: counted(db, ["before", "after"]))
        dead = await db.dead_letters.find({}).to_list()
        assert len(dead) == 1 and dead[0]["attempts"] == 1
        assert [k for keys in await calls(db) for k in keys] == ["before", "after"]


async def test_a_trickle_of_events_is_handled_promptly(urls):
    """A batch that is not full is handled when the fetch times out, not after the ack wait."""
    settings = isolated_settings(*urls, consumer_ack_wait_seconds=30.0)
    async with running([TallyService()], settings) as (app, _):
        db = app.state.contexts["tally"].db
        for i in range(6):
            await publish_event(settings, ping(f"t{i}"))
            started = time.monotonic()
            assert await eventually(lambda i=i: counted(db, [f"t{i}"]), timeout=10)
            assert time.monotonic() - started < 5, f"event t{i} waited {time.monotonic() - started:.1f} s"
            await asyncio.sleep(0.2 * i)


async def test_a_batch_redelivered_after_a_crash_before_its_inbox_record_counts_once(urls):
    """The handler's writes landed, the inbox record did not: the batch comes back whole."""
    settings = isolated_settings(*urls)
    events = [ping(f"c{i}") for i in range(5)]
    async with running([TallyService()], settings) as (app, _):
        db = app.state.contexts["tally"].db
        for env in events:
            await publish_event(settings, env)
        assert await eventually(lambda: _inbox_holds(db, 5))
        await db.inbox.delete_many({})
        for env in events:
            await publish_event(settings, env, msg_id=env.id + "-redelivered")
        assert await eventually(lambda: _all_attempted_twice(db, 5))
        assert await eventually(lambda: _inbox_holds(db, 5))
        assert [d["n"] for d in await db.counters.find({}).sort("_id", 1).to_list()] == [1] * 5


async def _inbox_holds(db, n: int) -> bool:
    return await db.inbox.count_documents({}) == n


async def _all_attempted_twice(db, n: int) -> bool:
    return await db.attempts.count_documents({"n": 2}) == n
