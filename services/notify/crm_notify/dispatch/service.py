"""The dispatcher: claim due jobs with a lease, apply policy, send, record the outcome.

`dispatch` is one pass of the timer "dispatch", which every replica runs (unleased). Due jobs
are found by minute: a pass walks the due slots from the shared front up to now
(dispatch/cursor.py) and, in each, claims the next claimable job with one `find_one_and_update`
on `due_slot` guarded by status, due time and lease -- an index lookup on both stores, and
atomic, so any number of replicas may run `dispatch_due` at once and each job is claimed by one
of them without scanning, and without replicas tripping over each other's claims. A claim moves
the job to its lease's slot; a replica that dies lets the lease run out and the job is claimed
again from that slot. The outcome is written only by the lease owner, with the version it claimed.
"""

from __future__ import annotations

import asyncio
import logging
import time
from contextlib import aclosing
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from pymongo.errors import DuplicateKeyError

from crm_shared.events.notify import NotificationFailed, NotificationSent
from crm_shared.observability import correlation_id
from crm_shared.plugins import ServiceContext
from crm_shared.timers import AGAIN
from crm_notify.dispatch import policy
from crm_notify.dispatch.cursor import SlotWalk
from crm_notify.dispatch.render import render_message
from crm_notify.dispatch.rules import retry_at
from crm_notify.messages.service import MESSAGES, PENDING, message_event
from crm_notify.messages.slots import SLOT_FIELD, slot_for, slot_of
from crm_notify.providers.base import Outgoing, PermanentError, TransientError, printable
from crm_notify.templates.engine import RenderError

log = logging.getLogger("crm.notify.dispatch")
PROVIDER_REFS = "provider_refs"


@dataclass
class DispatchReport:
    claimed: int = 0
    outcomes: dict[str, int] = field(default_factory=dict)

    def count(self, outcome: str) -> None:
        self.outcomes[outcome] = self.outcomes.get(outcome, 0) + 1


@dataclass
class _Pass:
    """A pass's claim budget and its clock: `now` when it began, running on with the wall clock, so a
    lease taken late in a long pass still lasts `lease_seconds` (tests pass a `now` far from today)."""

    now: datetime
    left: int
    began: float = field(default_factory=time.monotonic)

    def take(self) -> bool:
        if self.left <= 0:
            return False
        self.left -= 1
        return True

    def clock(self) -> datetime:
        return self.now + timedelta(seconds=time.monotonic() - self.began)


def _claimable(now: datetime) -> dict:
    return {"status": {"$in": list(PENDING)}, "due_at": {"$lte": now},
            "$or": [{"lease_until": None}, {"lease_until": {"$lt": now}}]}


async def _claim(ctx: ServiceContext, query: dict, now: datetime, owner: str, lease_seconds: float) -> dict | None:
    until = now + timedelta(seconds=lease_seconds)
    return await ctx.aggregate(MESSAGES).update(
        {**query, **_claimable(now)},
        {"$set": {"status": "queued", "lease_owner": owner, "lease_until": until, SLOT_FIELD: slot_of(until),
                  "updated_at": now}},
    )


async def claim(ctx: ServiceContext, message_id: str, now: datetime, owner: str, lease_seconds: float) -> dict | None:
    """Claim one job by id, if it is due and unleased."""
    return await _claim(ctx, {"_id": message_id}, now, owner, lease_seconds)


async def claim_next(ctx: ServiceContext, slot: str, now: datetime, owner: str, lease_seconds: float) -> dict | None:
    """Claim any due, unleased job of a slot: discovery and claim in one atomic write."""
    return await _claim(ctx, {SLOT_FIELD: slot}, now, owner, lease_seconds)


async def claimable_count(db: Any, slot: str, now: datetime, limit: int) -> int:
    """How many jobs of a slot could be claimed now, up to `limit` (a read: no write for an idle minute)."""
    docs = await db[MESSAGES].find({SLOT_FIELD: slot, **_claimable(now)}, projection={"_id": 1}).limit(limit).to_list(limit)
    return len(docs)


async def _finish(ctx: ServiceContext, doc: dict, now: datetime, fields: dict, event=None, inc_attempts: bool = False) -> bool:
    """One conditional write: outcome, lease released, slot for what comes next, event in the outbox.

    The aggregate's update publishes the event right away, without a relay lease: 1 write, not 2."""
    slot = slot_for(fields["status"], fields.get("due_at", doc["due_at"]), now)
    update: dict = {"$set": {**fields, "lease_owner": None, "lease_until": None, SLOT_FIELD: slot, "updated_at": now}}
    if inc_attempts:
        update["$inc"] = {"attempts": 1}
    envs = [message_event(event, doc)] if event is not None else []
    done = await ctx.aggregate(MESSAGES).update(
        {"_id": doc["_id"], "lease_owner": ctx.state.owner, "version": doc["version"]}, update, *envs)
    if done is None:
        log.warning("lost the lease before finishing", extra={"message_id": doc["_id"]})
        return False
    return True


def _event(cls, doc: dict, attempts: int, error: str | None = None):
    return cls(message_id=doc["_id"], channel=doc["channel"], template=doc.get("template"), attempts=attempts, error=error)


async def _cached(cache: dict | None, key: tuple, load):
    """Per-pass memo: a batch of reminders shares a handful of branches and templates."""
    if cache is None:
        return await load()
    if key not in cache:
        cache[key] = await load()
    return cache[key]


async def _hold(ctx: ServiceContext, doc: dict, now: datetime, decision: policy.Decision, waiting: str) -> str | None:
    """Apply a policy decision that stops this attempt; None lets the send go on."""
    if decision.action == "suppress":
        await _finish(ctx, doc, now, {"status": "suppressed", "error": decision.reason})
        return "suppressed"
    if decision.action == "defer":
        await _finish(ctx, doc, now, {"status": waiting, "due_at": decision.until, "deferred": decision.reason})
        return "deferred"
    return None


async def _fail(ctx: ServiceContext, doc: dict, now: datetime, provider: str | None, error: str, attempts: int,
                inc: bool) -> str:
    error = printable(error)[:500]
    await _finish(ctx, doc, now, {"status": "failed", "error": error, "provider": provider},
                  _event(NotificationFailed, doc, attempts, error), inc_attempts=inc)
    return "failed"


async def process(ctx: ServiceContext, doc: dict, now: datetime, cache: dict | None = None) -> str:
    """Run one claimed job to its next state; returns the outcome."""
    cfg, db = ctx.config, ctx.db
    info = await _cached(cache, ("branch", doc["branch_id"]), lambda: ctx.state.directory.branch(doc["branch_id"]))
    if held := await _hold(ctx, doc, now, await policy.before_render(db, cfg, doc, info, now), "scheduled"):
        return held
    provider = ctx.state.providers.get(doc["channel"])
    if provider is None:  # planned while a provider was configured for the channel, which is gone since
        return await _fail(ctx, doc, now, None, f"no {doc['channel']} provider is configured",
                           doc["attempts"], inc=False)
    try:
        rendered = await render_message(db, cfg, doc, info, cache)
    except RenderError as exc:
        return await _fail(ctx, doc, now, provider.name, str(exc), doc["attempts"], inc=False)
    if held := await _hold(ctx, doc, now, await policy.duplicate(db, cfg, doc, rendered.body, now), "queued"):
        return held
    if held := await _hold(ctx, doc, now, await policy.take_rate(db, cfg, doc, now), "queued"):
        return held
    outgoing = Outgoing(doc["_id"], doc["channel"], doc["to"], rendered.body, rendered.subject, doc.get("template"),
                        doc.get("data") or {}, rendered.segments or 1, doc["branch_id"])
    attempts = doc["attempts"] + 1
    try:
        result = await provider.send(outgoing)
    except PermanentError as exc:
        return await _fail(ctx, doc, now, provider.name, str(exc), attempts, inc=True)
    except Exception as exc:  # transient, or a provider bug: retried with backoff, never kills the loop
        if not isinstance(exc, TransientError):
            log.exception("provider raised unexpectedly", extra={"message_id": doc["_id"]})
        error = str(exc) if isinstance(exc, TransientError) else f"{type(exc).__name__}: {exc}"
        if attempts >= cfg.max_attempts:
            return await _fail(ctx, doc, now, provider.name, error, attempts, inc=True)
        await _finish(ctx, doc, now, {"status": "queued", "error": printable(error)[:500], "provider": provider.name,
                                      "due_at": retry_at(now, attempts, cfg.backoff_base_seconds, cfg.backoff_cap_seconds)},
                      inc_attempts=True)
        return "retry"
    await _index_refs(db, provider.name, result.provider_message_ids, doc["_id"], now)
    await _finish(ctx, doc, now, {
        "status": "sent", "error": None, "provider": provider.name, "provider_message_ids": result.provider_message_ids,
        "segments": rendered.segments, "parts": result.parts, "sent_at": now, "subject_sent": rendered.subject,
    }, _event(NotificationSent, doc, attempts), inc_attempts=True)
    return "sent"


async def _index_refs(db: Any, provider: str, refs: list[str], message_id: str, now: datetime) -> None:
    """Receipts name the provider's id; this `_id` lookup leads back to the message (kept
    `provider_refs_retention_days`)."""
    for ref in refs:
        try:  # an insert, not an upsert: the dev store scans the collection on every update
            await db[PROVIDER_REFS].insert_one({"_id": f"{provider}:{ref}", "message_id": message_id, "at": now})
        except DuplicateKeyError:
            pass


async def _run(ctx: ServiceContext, doc: dict, now: datetime, report: DispatchReport, cache: dict) -> None:
    token = correlation_id.set(doc.get("correlation_id") or doc["_id"])
    try:
        report.count(await process(ctx, doc, now, cache))
    except Exception:  # the store hiccuped: the lease runs out and a later pass retries
        log.exception("dispatch failed", extra={"message_id": doc["_id"]})
        report.count("error")
    finally:
        correlation_id.reset(token)


async def _drain(ctx: ServiceContext, slot: str, run: _Pass, report: DispatchReport, cache: dict) -> bool:
    """Claim and process a slot's jobs with up to `dispatch_concurrency` workers; True once none is claimable."""
    workers = await claimable_count(ctx.db, slot, run.clock(), ctx.config.dispatch_concurrency)
    drained = workers == 0

    async def worker() -> None:
        nonlocal drained
        while run.take():
            at = run.clock()
            doc = await claim_next(ctx, slot, at, ctx.state.owner, ctx.config.lease_seconds)
            if doc is None:
                run.left += 1
                drained = True
                return
            report.claimed += 1
            await _run(ctx, doc, at, report, cache)

    await asyncio.gather(*(worker() for _ in range(workers)))
    return drained


async def dispatch_due(ctx: ServiceContext, now: datetime, limit: int | None = None) -> DispatchReport:
    """Claim and process up to `limit` jobs due at `now`, minute by minute from the front."""
    report, cache = DispatchReport(), {}
    run = _Pass(now, limit or ctx.config.dispatch_batch)
    walk = await SlotWalk.start(ctx.db, now, ctx.config.dispatch_lookback_minutes)
    async with aclosing(walk.slots()) as slots:
        async for slot in slots:
            if await _drain(ctx, slot, run, report, cache):
                await walk.settled(slot)
            if run.left <= 0:
                break
    await walk.save()
    return report


async def dispatch(ctx: ServiceContext, now: datetime) -> Any:
    """The dispatch timer's pass: `AGAIN` when it stopped at `dispatch_batch` (more is due), else
    what it did (nothing for an idle pass, so idle passes are not logged)."""
    report = await dispatch_due(ctx, now)
    if report.claimed >= ctx.config.dispatch_batch:
        return AGAIN
    return report.outcomes or None
