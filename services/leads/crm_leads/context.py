"""What every leads module shares: the request context, ids, branch lookup and event helpers."""

from __future__ import annotations

import hashlib
import time
import uuid
from datetime import datetime
from typing import Annotated, Any

from fastapi import Depends, Path, Request
from pymongo import ReturnDocument

from crm_shared.branches import BranchSettings
from crm_shared.bus.outbox import with_events
from crm_shared.events import EventData, Envelope, new_event
from crm_shared.http.auth import Principal
from crm_shared.http.problems import Problem, not_found
from crm_shared.observability import correlation_id
from crm_shared.plugins import ServiceContext


async def _leads_context(request: Request) -> ServiceContext:
    """Async so FastAPI calls it inline: a plain `def` dependency costs a worker-thread hop per request."""
    return request.app.state.contexts["leads"]


Ctx = Annotated[ServiceContext, Depends(_leads_context)]
IdPath = Annotated[str, Path(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.:-]+$")]
ID_FIELD = dict(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.:-]+$")
BRANCH_FIELD = dict(pattern=r"^[a-z0-9][a-z0-9-]{0,62}$", max_length=63)
MANAGERS = ("manager", "admin")
OPEN_STATUSES = ("new", "contacted", "visited", "negotiating")


def envelope(data: EventData, branch_id: str, subject: str) -> Envelope:
    return new_event(data, branch_id=branch_id, subject=subject, correlation_id=correlation_id.get())


def seeded_id(seed: str, at: datetime) -> str:
    """A uuid7-shaped id fixed by a seed, so a redelivered event makes the same document."""
    ms = int(at.timestamp() * 1000) & ((1 << 48) - 1)
    rand = int.from_bytes(hashlib.sha256(seed.encode()).digest()[:10], "big")
    value = ms << 80 | 0x7 << 76 | ((rand >> 62) & 0xFFF) << 64 | 0b10 << 62 | rand & ((1 << 62) - 1)
    return str(uuid.UUID(int=value))


async def update_with_events(
    ctx: ServiceContext, collection: str, query: dict, update: dict, *envelopes: Envelope
) -> dict | None:
    """One conditional write carrying its events; publishes them soon after."""
    doc = await ctx.db[collection].find_one_and_update(
        query, with_events(ctx.settings, update, *envelopes), return_document=ReturnDocument.AFTER
    )
    if doc is not None and envelopes:
        ctx.events_written(collection, doc["_id"], *envelopes)
    return doc


class Branch:
    """A branch's id, timezone and effective settings, as the rules need them."""

    def __init__(self, doc: dict[str, Any]) -> None:
        self.id: str = doc["_id"]
        self.timezone: str = doc.get("timezone") or "Asia/Shanghai"
        self.settings = BranchSettings.from_event(doc.get("settings") or {})


_BRANCHES: dict[tuple[str, str], tuple[float, Branch]] = {}
BRANCH_CACHE_SECONDS = 5.0  # another replica's settings change reaches this one within this time


def forget_branch(ctx: ServiceContext, branch_id: str) -> None:
    _BRANCHES.pop((ctx.db.name, branch_id), None)


async def load_branch(ctx: ServiceContext, branch_id: str, who: Principal | None = None) -> Branch:
    """The branch, or 404 when unknown or outside the caller's scope (read through a short cache)."""
    if who is not None:
        who.require_branch(branch_id)
    key = (ctx.db.name, branch_id)
    cached = _BRANCHES.get(key)
    if cached is not None and cached[0] > time.monotonic():
        return cached[1]
    doc = await ctx.db.branches.find_one({"_id": branch_id})
    if doc is None:
        raise not_found("branch")
    _BRANCHES[key] = (time.monotonic() + BRANCH_CACHE_SECONDS, Branch(doc))
    return _BRANCHES[key][1]


async def branch_or_default(ctx: ServiceContext, branch_id: str) -> Branch:
    """For timers and consumers: a branch never configured gets the defaults."""
    doc = await ctx.db.branches.find_one({"_id": branch_id})
    return Branch(doc or {"_id": branch_id})


def conflict(kind: str, detail: str, **extra: Any) -> Problem:
    return Problem(409, kind, detail, **extra)
