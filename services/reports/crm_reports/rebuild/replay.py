"""Rebuild: replay the CRM stream from the start into a fresh generation, then switch.

`POST /v1/reports/rebuild` claims the rebuild (one at a time: the `rebuild` status document
in `meta` says `running`), names a new generation and marks it `building`: from then on live
events go to both generations (`generations.active`) while reads use the current one. The
platform timer "rebuild" (leased: one replica at a time) replays it in passes. The first pass
waits out every replica's cached pointer and fixes the stream's last sequence S (each later
event reaches the new generation live). Each pass applies the messages after the last one
replayed, up to `rebuild_window_events` events, in stream order, through the very projections
the live consumer uses, in one window (each day document and lead written about once a pass),
reading the next fetch while it projects the last one; then it records how far it got. The
pass that reaches S switches the pointer. A restarted service, or another replica, resumes
where the last recorded pass stopped (replaying a stretch twice counts nothing twice); a pass
that fails abandons the rebuild: the new generation is dropped and the status says why.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy
from pymongo.errors import DuplicateKeyError

from crm_reports import generations
from crm_reports.generations import META, Generation
from crm_reports.projections.flow import PROJECTIONS
from crm_reports.projections.window import Window
from crm_shared.errors import Conflict
from crm_shared.events import BadEvent, parse
from crm_shared.ids import utcnow, uuid7
from crm_shared.plugins import ServiceContext
from crm_shared.timers import AGAIN

TIMER = "rebuild"
STATUS = "rebuild"
RUNNING = "running"
INTERNAL = ("_id", "replayed")
FETCH_BATCH = 256
FETCH_TIMEOUT = 10.0
READ_AHEAD = 8
KEPT_LEADS = 50_000
log = logging.getLogger("crm.reports.rebuild")


async def status(ctx: ServiceContext) -> dict:
    doc = await ctx.db[META].find_one({"_id": STATUS}) or {}
    pointer = await generations.pointer(ctx.db)
    return {"current": pointer["current"], "building": pointer.get("building"),
            "last": {k: v for k, v in doc.items() if k not in INTERNAL} or None}


async def start(ctx: ServiceContext) -> str:
    """Claim the rebuild and name its generation; `Conflict` while another one runs."""
    name = "g" + uuid7().replace("-", "")[:20]
    fields = {"generation": name, "state": RUNNING, "started_at": utcnow(), "finished_at": None, "events": 0,
              "up_to_sequence": None, "replayed": 0, "error": None}
    if await ctx.db[META].find_one_and_update({"_id": STATUS, "state": {"$ne": RUNNING}}, {"$set": fields}) is None:
        try:
            await ctx.db[META].insert_one({"_id": STATUS, **fields})
        except DuplicateKeyError:
            raise Conflict("rebuild-running", "a rebuild is already running") from None
    stale = (await generations.pointer(ctx.db)).get("building")
    await generations.start_building(ctx.db, name)
    if stale and stale != name:  # left half-built by an older version's rebuild; no longer fed
        await Generation(ctx.db, stale).drop()
    ctx.wake(TIMER)
    return name


async def run_pass(ctx: ServiceContext, now: Any) -> Any:
    """One pass of the rebuild timer: None (nothing to do), AGAIN (more to replay) or the
    generation just switched to."""
    doc = await ctx.db[META].find_one({"_id": STATUS})
    if not doc or doc.get("state") != RUNNING:
        return None
    g = Generation(ctx.db, doc["generation"])
    try:
        upto = doc["up_to_sequence"] if doc.get("up_to_sequence") is not None else await last_sequence(ctx, doc)
        window = _window(ctx, g, doc["replayed"])
        seq, projected = await replay(ctx, window, doc["replayed"], upto, ctx.config.rebuild_window_events)
        moved = await ctx.db[META].update_one(
            {"_id": STATUS, "generation": g.name, "state": RUNNING, "replayed": doc["replayed"]},
            {"$set": {"replayed": seq}, "$inc": {"events": projected}})
        if not moved.matched_count:  # abandoned meanwhile, or a second pass got there first
            ctx.state.rebuild = None
            return None
        ctx.state.rebuild = (g.name, seq, window)
        if len(window.cohorts.docs) > KEPT_LEADS:
            window.forget()
        if seq < upto:
            return AGAIN
        await _switch(ctx, g)
        return g.name
    except Exception as exc:
        log.exception("rebuild failed", extra={"generation": g.name})
        ctx.state.rebuild = None
        await _abandon(ctx, g, repr(exc))
        return None


def _window(ctx: ServiceContext, g: Generation, replayed: int) -> Window:
    """The window of this process's last pass if it stopped where this one starts, else a new one."""
    held = ctx.state.rebuild
    if held and held[:2] == (g.name, replayed):
        return held[2]
    return Window(g, ctx.config.default_timezone, fresh=True)


async def _read(sub: Any, upto: int, limit: int | None, out: asyncio.Queue) -> None:
    """Fetch and parse messages up to sequence `upto` (whole fetches, until about `limit`
    events), in stream order, as (last sequence, [(envelope, data)]); then None, or the error."""
    seq, count, past = 0, 0, False
    try:
        while seq < upto and not past and (limit is None or count < limit):
            events = []
            for msg in await sub.fetch(batch=FETCH_BATCH, timeout=FETCH_TIMEOUT):
                if past := msg.metadata.sequence.stream > upto:
                    break
                seq = msg.metadata.sequence.stream
                try:
                    env, data = parse(msg.data)
                except BadEvent:
                    continue
                if type(data) in PROJECTIONS:
                    events.append((env, data))
            count += len(events)
            await out.put((seq, events))
    except Exception as exc:
        await out.put(exc)
        return
    await out.put(None)


async def replay(ctx: ServiceContext, window: Window, after: int, upto: int,
                 limit: int | None = None) -> tuple[int, int]:
    """Apply the stream's messages after sequence `after` up to `upto` (about `limit` events at
    most) to the window and write it; returns the last sequence applied and the events projected."""
    if after >= upto:
        return after, 0
    sub = await ctx.js.pull_subscribe(
        f"{ctx.settings.subject_prefix}.>", stream=ctx.settings.stream_name,
        config=ConsumerConfig(deliver_policy=DeliverPolicy.BY_START_SEQUENCE, opt_start_seq=after + 1,
                              ack_policy=AckPolicy.NONE, inactive_threshold=60.0),
    )
    queue: asyncio.Queue = asyncio.Queue(maxsize=READ_AHEAD)
    reader = asyncio.create_task(_read(sub, upto, limit, queue))
    seq, projected = after, 0
    try:
        while (item := await queue.get()) is not None:
            if isinstance(item, Exception):
                raise item
            last, events = item
            await window.apply(events)
            seq, projected = last, projected + len(events)
        await window.flush()
    finally:
        reader.cancel()
        await asyncio.gather(reader, return_exceptions=True)
        await sub.unsubscribe()
    return seq, projected


async def last_sequence(ctx: ServiceContext, doc: dict) -> int:
    """The stream's last sequence, fixed once every replica's cached pointer names the new
    generation as `building` (so each event after it reaches the new generation live)."""
    waited = (utcnow() - doc["started_at"]).total_seconds()
    await asyncio.sleep(max(0.0, generations.POINTER_TTL_SECONDS + 0.5 - waited))
    info = await ctx.js.stream_info(ctx.settings.stream_name)
    upto = info.state.last_seq if info.state.messages else 0
    await ctx.db[META].update_one({"_id": STATUS, "generation": doc["generation"], "up_to_sequence": None},
                                  {"$set": {"up_to_sequence": upto}})
    return (await ctx.db[META].find_one({"_id": STATUS}))["up_to_sequence"]


async def _switch(ctx: ServiceContext, g: Generation) -> None:
    """Make `g` current; the generation before the previous one is dropped."""
    before = await generations.pointer(ctx.db)
    replaced = await generations.switch_to(ctx.db, g.name)
    if before.get("previous") and before["previous"] not in (g.name, replaced):
        await Generation(ctx.db, before["previous"]).drop()
    await ctx.db[META].update_one({"_id": generations.POINTER}, {"$set": {"previous": replaced}})
    await ctx.db[META].update_one({"_id": STATUS, "generation": g.name},
                                  {"$set": {"state": "done", "finished_at": utcnow()}})
    ctx.state.rebuild = None


async def _abandon(ctx: ServiceContext, g: Generation, error: str) -> None:
    """Stop feeding a failed generation, then drop it (after cached pointers expire)."""
    await ctx.db[META].update_one({"_id": generations.POINTER, "building": g.name}, {"$set": {"building": None}})
    await asyncio.sleep(generations.POINTER_TTL_SECONDS + 0.5)
    await g.drop()
    await ctx.db[META].update_one({"_id": STATUS, "generation": g.name},
                                  {"$set": {"state": "failed", "error": error[:500], "finished_at": utcnow()}})
