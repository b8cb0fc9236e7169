"""The dispatcher: claim due jobs with a lease, apply policy, send, record the outcome.

Claiming is one `find_one_and_update` on `_id` guarded by status, due time and lease, so
any number of replicas may run `dispatch_due` at once and each job is sent by one of them.
A replica that dies holding a lease lets it expire; the job is then claimed again.
"""

from __future__ import annotations

import asyncio
import logging
import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from pymongo import ReturnDocument
from pymongo.errors import DuplicateKeyError

from crm_shared.bus.outbox import with_events
from crm_shared.events import new_event
from crm_shared.events.notify import NotificationFailed, NotificationSent
from crm_shared.observability import correlation_id
from crm_notify.directory.service import branch
from crm_notify.dispatch import policy
from crm_notify.dispatch.render import render_message
from crm_notify.dispatch.rules import retry_at
from crm_notify.messages.service import MESSAGES, PENDING
from crm_notify.providers.base import Outgoing, PermanentError, TransientError
from crm_notify.runtime import NotifyRuntime
from crm_notify.templates.engine import RenderError

log = logging.getLogger("crm.notify.dispatch")


@dataclass
class DispatchReport:
    claimed: int = 0
    outcomes: dict[str, int] = field(default_factory=dict)

    def count(self, outcome: str) -> None:
        self.outcomes[outcome] = self.outcomes.get(outcome, 0) + 1


def _lease_free(now: datetime) -> dict:
    return {"$or": [{"lease_until": None}, {"lease_until": {"$lt": now}}]}


async def due_ids(db: Any, now: datetime, limit: int) -> list[str]:
    """Due and unleased jobs. Real MongoDB uses the (status, due_at) index; the dev store scans."""
    query = {"status": {"$in": list(PENDING)}, "due_at": {"$lte": now}, **_lease_free(now)}
    docs = await db[MESSAGES].find(query, projection={"_id": 1}).sort("due_at", 1).limit(limit).to_list(limit)
    return [d["_id"] for d in docs]


async def claim(db: Any, message_id: str, now: datetime, owner: str, lease_seconds: float) -> dict | None:
    return await db[MESSAGES].find_one_and_update(
        {"_id": message_id, "status": {"$in": list(PENDING)}, "due_at": {"$lte": now}, **_lease_free(now)},
        {"$set": {"status": "queued", "lease_owner": owner, "lease_until": now + timedelta(seconds=lease_seconds),
                  "updated_at": now}, "$inc": {"version": 1}},
        return_document=ReturnDocument.AFTER,
    )


async def _finish(rt: NotifyRuntime, doc: dict, now: datetime, fields: dict, event=None, inc_attempts: bool = False) -> bool:
    """One conditional write: outcome, lease released, event in the outbox."""
    update: dict = {"$set": {**fields, "lease_owner": None, "lease_until": None, "updated_at": now},
                    "$inc": {"version": 1, **({"attempts": 1} if inc_attempts else {})}}
    if event is not None:
        env = new_event(event, branch_id=doc["branch_id"], subject=doc["_id"], correlation_id=doc.get("correlation_id"))
        update = with_events(rt.ctx.settings, update, env)
    result = await rt.db[MESSAGES].update_one({"_id": doc["_id"], "lease_owner": rt.owner, "version": doc["version"]}, update)
    if not result.modified_count:
        log.warning("lost the lease before finishing", extra={"message_id": doc["_id"]})
        return False
    if event is not None:
        rt.ctx.events_written(MESSAGES, doc["_id"])
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


async def _hold(rt: NotifyRuntime, doc: dict, now: datetime, decision: policy.Decision, waiting: str) -> str | None:
    """Apply a policy decision that stops this attempt; None lets the send go on."""
    if decision.action == "suppress":
        await _finish(rt, doc, now, {"status": "suppressed", "error": decision.reason})
        return "suppressed"
    if decision.action == "defer":
        await _finish(rt, doc, now, {"status": waiting, "due_at": decision.until, "deferred": decision.reason})
        return "deferred"
    return None


async def _fail(rt: NotifyRuntime, doc: dict, now: datetime, provider: str, error: str, attempts: int, inc: bool) -> str:
    await _finish(rt, doc, now, {"status": "failed", "error": error[:500], "provider": provider},
                  _event(NotificationFailed, doc, attempts, error[:500]), inc_attempts=inc)
    return "failed"


async def process(rt: NotifyRuntime, doc: dict, now: datetime, cache: dict | None = None) -> str:
    """Run one claimed job to its next state; returns the outcome."""
    cfg, db = rt.config, rt.db
    info = await _cached(cache, ("branch", doc["branch_id"]), lambda: branch(db, doc["branch_id"]))
    if held := await _hold(rt, doc, now, await policy.before_render(db, cfg, doc, info, now), "scheduled"):
        return held
    provider = rt.providers[doc["channel"]]
    try:
        rendered = await render_message(db, cfg, doc, info, cache)
    except RenderError as exc:
        return await _fail(rt, doc, now, provider.name, str(exc), doc["attempts"], inc=False)
    if held := await _hold(rt, doc, now, await policy.duplicate(db, cfg, doc, rendered.body, now), "queued"):
        return held
    if held := await _hold(rt, doc, now, await policy.take_rate(db, cfg, doc, now), "queued"):
        return held
    outgoing = Outgoing(doc["_id"], doc["channel"], doc["to"], rendered.body, rendered.subject, doc.get("template"),
                        doc.get("data") or {}, rendered.segments or 1, doc["branch_id"])
    attempts = doc["attempts"] + 1
    try:
        result = await provider.send(outgoing)
    except PermanentError as exc:
        return await _fail(rt, doc, now, provider.name, str(exc), attempts, inc=True)
    except Exception as exc:  # transient, or a provider bug: retried with backoff, never kills the loop
        if not isinstance(exc, TransientError):
            log.exception("provider raised unexpectedly", extra={"message_id": doc["_id"]})
        error = str(exc) if isinstance(exc, TransientError) else f"{type(exc).__name__}: {exc}"
        if attempts >= cfg.max_attempts:
            return await _fail(rt, doc, now, provider.name, error, attempts, inc=True)
        await _finish(rt, doc, now, {"status": "queued", "error": error[:500], "provider": provider.name,
                                     "due_at": retry_at(now, attempts, cfg.backoff_base_seconds, cfg.backoff_cap_seconds)},
                      inc_attempts=True)
        return "retry"
    await _index_refs(db, provider.name, result.provider_message_ids, doc["_id"])
    await _finish(rt, doc, now, {
        "status": "sent", "error": None, "provider": provider.name, "provider_message_ids": result.provider_message_ids,
        "segments": rendered.segments, "parts": result.parts, "sent_at": now, "subject_sent": rendered.subject,
    }, _event(NotificationSent, doc, attempts), inc_attempts=True)
    return "sent"


async def _index_refs(db: Any, provider: str, refs: list[str], message_id: str) -> None:
    """Receipts name the provider's id; this `_id` lookup leads back to the message."""
    for ref in refs:
        try:  # an insert, not an upsert: the dev store scans the collection on every update
            await db["provider_refs"].insert_one({"_id": f"{provider}:{ref}", "message_id": message_id})
        except DuplicateKeyError:
            pass


async def dispatch_due(rt: NotifyRuntime, now: datetime, limit: int | None = None) -> DispatchReport:
    """Claim and process every job due at `now` (one scan, then `_id` claims), concurrently."""
    report = DispatchReport()
    ids = await due_ids(rt.db, now, limit or rt.config.dispatch_batch)
    random.shuffle(ids)  # replicas that scanned the same jobs mostly claim different ones first
    gate = asyncio.Semaphore(rt.config.dispatch_concurrency)
    cache: dict = {}

    async def one(message_id: str) -> None:
        async with gate:
            doc = await claim(rt.db, message_id, now, rt.owner, rt.config.lease_seconds)
            if doc is None:
                return
            report.claimed += 1
            token = correlation_id.set(doc.get("correlation_id") or message_id)
            try:
                report.count(await process(rt, doc, now, cache))
            except Exception:  # the store hiccuped: the lease runs out and another pass retries
                log.exception("dispatch failed", extra={"message_id": message_id})
                report.count("error")
            finally:
                correlation_id.reset(token)

    await asyncio.gather(*(one(i) for i in ids))
    return report
