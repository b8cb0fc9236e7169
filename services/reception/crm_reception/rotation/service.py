"""The day's rotation, one document per branch and branch-local day (`_id = "<branch>:<date>"`).

Every change reads the document, applies a pure rule and writes it back guarded by
`version`; a concurrent writer makes the guard fail and the change is recomputed on the
fresh state. So two simultaneous check-ins can never pick the same consultant.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from pymongo import ReturnDocument
from pymongo.errors import DuplicateKeyError

from crm_shared.branches import local_date
from crm_shared.errors import Busy
from crm_shared.plugins import ServiceContext
from crm_reception.rotation.rules import RotationState, leave, next_up

ROTATIONS = "rotations"
MAX_ATTEMPTS = 500
CACHE_MAX = 10_000

Change = Callable[[RotationState], tuple[RotationState, Any]]


@dataclass
class RotationCache:
    """Per process (`ctx.state.rotations`): a lock per day's rotation, and the document last written."""

    locks: dict[str, asyncio.Lock] = field(default_factory=dict)
    seen: dict[str, dict] = field(default_factory=dict)

    def lock(self, key: str) -> asyncio.Lock:
        if len(self.locks) > CACHE_MAX:
            self.locks.clear()
            self.seen.clear()
        return self.locks.setdefault(key, asyncio.Lock())


def day_id(branch_id: str, day: date) -> str:
    return f"{branch_id}:{day.isoformat()}"


async def today(ctx: ServiceContext, branch_id: str, now: datetime | None = None) -> date:
    b = await ctx.state.directory.branch(branch_id)
    return local_date(now or ctx.state.clock(), b.timezone)


async def load(ctx: ServiceContext, branch_id: str, day: date, create: bool = True) -> dict:
    """The day's rotation; an empty one (stored only when `create`) if nobody joined yet."""
    _id = day_id(branch_id, day)
    doc = await ctx.db[ROTATIONS].find_one({"_id": _id})
    if doc is None and not create:
        return {"_id": _id, "branch_id": branch_id, "date": day.isoformat(), "version": 0, **RotationState().as_fields()}
    if doc is None:
        doc = {"_id": _id, "branch_id": branch_id, "date": day.isoformat(), "version": 0, **RotationState().as_fields()}
        try:
            await ctx.db[ROTATIONS].insert_one(doc)
        except DuplicateKeyError:
            doc = await ctx.db[ROTATIONS].find_one({"_id": _id})
    return doc


async def apply(ctx: ServiceContext, branch_id: str, day: date, change: Change) -> tuple[dict, Any]:
    """Apply a rule to the day's rotation atomically (optimistic retry); returns (document, result).

    Requests in one process queue on a lock and start from the last document this process
    wrote, so they rarely conflict; the version guard still settles races between replicas.
    """
    cache: RotationCache = ctx.state.rotations
    key = day_id(branch_id, day)
    async with cache.lock(key):
        doc, fresh = cache.seen.get(key), False
        for attempt in range(MAX_ATTEMPTS):
            if doc is None:
                doc, fresh = await load(ctx, branch_id, day), True
            before = RotationState.of(doc)
            after, result = change(before)
            if after == before:
                if fresh:
                    cache.seen[key] = doc
                    return doc, result
                doc = None  # confirm "nothing to do" on a fresh read, not on our cached copy
                continue
            updated = await ctx.db[ROTATIONS].find_one_and_update(
                {"_id": doc["_id"], "version": doc["version"]},
                {"$set": after.as_fields(), "$inc": {"version": 1}},
                return_document=ReturnDocument.AFTER,
            )
            if updated is not None:
                cache.seen[key] = updated
                return updated, result
            doc = None
            await asyncio.sleep(random.uniform(0, 0.002 * min(attempt + 1, 10)))
    raise Busy("rotation-busy", "the rotation is changing too fast; retry")


async def remove_everywhere(ctx: ServiceContext, branch_id: str, consultant_id: str) -> None:
    """A consultant who left the company leaves every open day's queue of the branch."""
    docs = await ctx.db[ROTATIONS].find({"branch_id": branch_id, "queue": consultant_id}, projection={"date": 1}).to_list()
    for doc in docs:
        day = date.fromisoformat(doc["date"])
        await apply(ctx, branch_id, day, lambda s: (leave(s, consultant_id), None))


def public(doc: dict) -> dict:
    state = RotationState.of(doc)
    return {
        "branch_id": doc["branch_id"], "date": doc["date"], "queue": state.queue, "next": next_up(state),
        "busy": sorted(state.busy_ids()), "turns": state.turns(), "version": doc["version"],
    }
