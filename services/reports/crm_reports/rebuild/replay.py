"""Rebuild: replay the CRM stream from the start into a fresh generation, then switch.

While it runs, live events go to both the current and the new generation (see
`generations.active`), and reads use the current one. The replay reads an ephemeral pull
consumer (no acks, batches fetched as the store keeps up) up to the stream's last sequence
as of the start (every later event reaches the new generation through the live consumer),
through the very projections the live consumer uses (branches in parallel, each branch in
stream order), then switches the pointer. One rebuild at a time, under a lease; one left
by a dead process is abandoned at the next start.
"""

from __future__ import annotations

import asyncio
import logging
import time
import zlib

from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy

from crm_reports import generations
from crm_reports.generations import META, Generation
from crm_reports.projections.buckets import Changes
from crm_reports.subscriptions import PROJECTIONS, project
from crm_shared import leases
from crm_shared.events import BadEvent, parse
from crm_shared.http.problems import Problem
from crm_shared.ids import utcnow, uuid7
from crm_shared.plugins import ServiceContext

LEASE = "reports-rebuild"
LEASE_SECONDS = 120
STATUS = "rebuild"
PARTITIONS = 8
FLUSH_EVERY = 2000
FETCH_BATCH = 256
FETCH_TIMEOUT = 10.0
log = logging.getLogger("crm.reports.rebuild")


async def status(ctx: ServiceContext) -> dict:
    doc = await ctx.db[META].find_one({"_id": STATUS}) or {}
    pointer = await generations.pointer(ctx.db)
    return {"current": pointer["current"], "building": pointer.get("building"),
            "last": {k: v for k, v in doc.items() if k != "_id"} or None}


async def start(ctx: ServiceContext) -> str:
    """Begin a rebuild in the background; 409 while another one runs."""
    owner = uuid7()
    if not await leases.acquire(ctx.db, LEASE, owner, LEASE_SECONDS):
        raise Problem(409, "rebuild-running", "a rebuild is already running")
    stale = (await generations.pointer(ctx.db)).get("building")
    name = "g" + uuid7().replace("-", "")[:20]
    await generations.start_building(ctx.db, name)
    if stale:  # left by a rebuild whose process died (its lease ran out); no longer fed
        await Generation(ctx.db, stale).drop()
    await ctx.db[META].update_one({"_id": STATUS}, {"$set": {
        "generation": name, "state": "running", "started_at": utcnow(), "finished_at": None,
        "events": 0, "up_to_sequence": None, "error": None}}, upsert=True)
    ctx.spawn(run(ctx, name, owner), name=f"rebuild:{name}")
    return name


class Partitions:
    """Events of one branch in stream order, branches side by side: each projection only
    depends on the order of its own branch's events (time zone first, then the rest)."""

    def __init__(self, g: Generation, count: int = PARTITIONS) -> None:
        self.g, self.errors = g, []
        self.queues = [asyncio.Queue(maxsize=256) for _ in range(count)]
        self.workers = [asyncio.create_task(self._work(q)) for q in self.queues]

    async def _work(self, queue: asyncio.Queue) -> None:
        """Project with a partition-wide branch memo and change buffer, flushed every
        FLUSH_EVERY changes and at the end."""
        g = Generation(self.g.db, self.g.name, memo={}, buffer=Changes())
        while (item := await queue.get()) is not None:
            if self.errors:
                continue
            try:
                await project(g, *item)
                if g.buffer.size >= FLUSH_EVERY:
                    await g.buffer.flush(g)
            except Exception as exc:  # keep draining so the reader never blocks; raised at the end
                self.errors.append(exc)
        if not self.errors:
            try:
                await g.buffer.flush(g)
            except Exception as exc:
                self.errors.append(exc)

    async def put(self, env, data) -> None:
        await self.queues[zlib.crc32(env.branch_id.encode()) % len(self.queues)].put((env, data))

    async def close(self) -> None:
        for queue in self.queues:
            await queue.put(None)
        await asyncio.gather(*self.workers)
        if self.errors:
            raise self.errors[0]


async def abandon_interrupted(ctx: ServiceContext) -> None:
    """At start: a generation left half-built by a dead process (its lease ran out) is dropped,
    so live events stop going to it; a rebuild still running elsewhere holds the lease."""
    building = (await generations.pointer(ctx.db)).get("building")
    owner = uuid7()
    if not building or not await leases.acquire(ctx.db, LEASE, owner, LEASE_SECONDS):
        return
    try:
        await ctx.db[META].update_one({"_id": generations.POINTER, "building": building}, {"$set": {"building": None}})
        await Generation(ctx.db, building).drop()
        await ctx.db[META].update_one({"_id": STATUS, "generation": building},
                                      {"$set": {"state": "failed", "error": "interrupted", "finished_at": utcnow()}})
    finally:
        await leases.release(ctx.db, LEASE, owner)


async def replay(ctx: ServiceContext, g: Generation, upto: int, owner: str) -> int:
    """Project every stream message with sequence <= upto into `g`; returns events projected."""
    if upto == 0:
        return 0
    sub = await ctx.js.pull_subscribe(
        f"{ctx.settings.subject_prefix}.>", stream=ctx.settings.stream_name,
        config=ConsumerConfig(deliver_policy=DeliverPolicy.ALL, ack_policy=AckPolicy.NONE, inactive_threshold=60.0),
    )
    partitions = Partitions(g)
    projected, renewed, seq = 0, time.monotonic(), 0
    try:
        while seq < upto:
            for msg in await sub.fetch(batch=FETCH_BATCH, timeout=FETCH_TIMEOUT):
                seq = msg.metadata.sequence.stream
                if seq > upto:
                    break
                try:
                    env, data = parse(msg.data)
                except BadEvent:
                    continue
                if env.type in PROJECTIONS:
                    await partitions.put(env, data)
                    projected += 1
            if time.monotonic() - renewed > LEASE_SECONDS / 4:
                await leases.acquire(ctx.db, LEASE, owner, LEASE_SECONDS)
                renewed = time.monotonic()
    finally:
        await sub.unsubscribe()
        await partitions.close()
    return projected


async def _abandon(ctx: ServiceContext, g: Generation, error: str, settle: bool = True) -> None:
    """Stop feeding a failed generation, then drop it (after cached pointers expire)."""
    await ctx.db[META].update_one({"_id": generations.POINTER, "building": g.name}, {"$set": {"building": None}})
    if settle:
        await asyncio.sleep(generations.POINTER_TTL_SECONDS + 0.5)
    await g.drop()
    await ctx.db[META].update_one({"_id": STATUS, "generation": g.name},
                                  {"$set": {"state": "failed", "error": error[:500], "finished_at": utcnow()}})


async def last_sequence(ctx: ServiceContext, name: str) -> int:
    """The stream's last sequence, fixed once every replica's cached pointer names `name`
    as `building` (so each event after it reaches the new generation live)."""
    await asyncio.sleep(generations.POINTER_TTL_SECONDS + 0.5)
    info = await ctx.js.stream_info(ctx.settings.stream_name)
    upto = info.state.last_seq if info.state.messages else 0
    await ctx.db[META].update_one({"_id": STATUS, "generation": name}, {"$set": {"up_to_sequence": upto}})
    return upto


async def run(ctx: ServiceContext, name: str, owner: str) -> None:
    g = Generation(ctx.db, name)
    try:
        projected = await replay(ctx, g, await last_sequence(ctx, name), owner)
        before = await generations.pointer(ctx.db)
        replaced = await generations.switch_to(ctx.db, name)
        if before.get("previous") and before["previous"] not in (name, replaced):
            await Generation(ctx.db, before["previous"]).drop()
        await ctx.db[META].update_one({"_id": generations.POINTER}, {"$set": {"previous": replaced}})
        await ctx.db[META].update_one({"_id": STATUS}, {"$set": {"state": "done", "events": projected, "finished_at": utcnow()}})
    except Exception as exc:
        log.exception("rebuild failed", extra={"generation": name})
        await _abandon(ctx, g, repr(exc))
    except asyncio.CancelledError:  # shutting down mid-rebuild: stop the dual writes, say so
        await asyncio.shield(_abandon(ctx, g, "cancelled at shutdown", settle=False))
        raise
    finally:
        await leases.release(ctx.db, LEASE, owner)
