"""Generations of read models: live projections write to the current one (and to the one
a rebuild is filling); reads use the current one; a rebuild switches the pointer when done.

Each generation has its own collections (`<gen>_buckets`, `<gen>_leads`, ...), so an old
one is dropped whole and a new one starts empty.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

from pydantic import ValidationError
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

from crm_shared.branches import DEFAULT_TIMEZONE, BranchSettings

META = "meta"
POINTER = "generation"
FIRST = "g0"
KINDS = ("buckets", "leads", "branches", "staff")


@dataclass(frozen=True)
class Generation:
    """One set of read-model collections."""

    db: AsyncDatabase
    name: str
    memo: dict[str, dict[str, Any]] | None = field(default=None, compare=False)
    buffer: Any = field(default=None, compare=False)

    def for_one_event(self) -> "Generation":
        """A view for one event: each branch read once, bucket changes written together at
        the end (a replay partition keeps its own memo and buffer for all its events)."""
        if self.memo is not None:
            return self
        from crm_reports.projections.buckets import Changes

        return Generation(self.db, self.name, {}, Changes())

    def forget_branch(self, branch_id: str) -> None:
        if self.memo is not None:
            self.memo.pop(branch_id, None)

    def col(self, kind: str) -> AsyncCollection:
        return self.db[f"{self.name}_{kind}"]

    @property
    def buckets(self) -> AsyncCollection:
        return self.col("buckets")

    @property
    def leads(self) -> AsyncCollection:
        return self.col("leads")

    @property
    def branches(self) -> AsyncCollection:
        return self.col("branches")

    @property
    def staff(self) -> AsyncCollection:
        return self.col("staff")

    async def branch(self, branch_id: str) -> dict[str, Any]:
        """The branch as last configured; defaults when it was never configured."""
        if self.memo is not None and branch_id in self.memo:
            return self.memo[branch_id]
        doc = await self.branches.find_one({"_id": branch_id}) or {
            "_id": branch_id, "timezone": DEFAULT_TIMEZONE, "settings": {}, "configured": False}
        if self.memo is not None:
            self.memo[branch_id] = doc
        return doc

    async def timezone(self, branch_id: str) -> str:
        return (await self.branch(branch_id)).get("timezone") or DEFAULT_TIMEZONE

    async def settings(self, branch_id: str) -> BranchSettings:
        return settings_of(await self.branch(branch_id))

    async def drop(self) -> None:
        for kind in KINDS:
            await self.col(kind).drop()


def settings_of(branch: dict[str, Any]) -> BranchSettings:
    """The branch's settings; the defaults when its stored settings do not validate."""
    try:
        return BranchSettings.from_event(branch.get("settings") or {})
    except ValidationError:
        return BranchSettings()


async def ensure_pointer(db: AsyncDatabase) -> None:
    try:
        await db[META].insert_one({"_id": POINTER, "current": FIRST, "building": None})
    except DuplicateKeyError:
        pass


async def pointer(db: AsyncDatabase) -> dict[str, Any]:
    return await db[META].find_one({"_id": POINTER}) or {"current": FIRST, "building": None}


async def current(db: AsyncDatabase) -> Generation:
    return Generation(db, (await pointer(db))["current"])


POINTER_TTL_SECONDS = 2.0
_cached: dict[str, tuple[float, dict[str, Any]]] = {}


async def active(db: AsyncDatabase) -> list[Generation]:
    """Where a live event goes: the current generation and the one being rebuilt, if any.

    The pointer is cached for POINTER_TTL_SECONDS per process. That is safe because a rebuild
    waits longer than that after setting `building` before it fixes the last sequence it
    replays (every later event sees `building`), and a stale view after the switch still
    names the new generation as `building`; old generations are dropped much later.
    """
    now = time.monotonic()
    hit = _cached.get(db.name)
    if hit is None or hit[0] < now:
        hit = _cached[db.name] = (now + POINTER_TTL_SECONDS, await pointer(db))
    doc = hit[1]
    names = [doc["current"]] + ([doc["building"]] if doc.get("building") and doc["building"] != doc["current"] else [])
    return [Generation(db, n) for n in names]


async def start_building(db: AsyncDatabase, name: str) -> None:
    await db[META].update_one({"_id": POINTER}, {"$set": {"building": name}}, upsert=True)


async def switch_to(db: AsyncDatabase, name: str) -> str | None:
    """Make `name` current; returns the generation it replaced."""
    before = await pointer(db)
    await db[META].update_one({"_id": POINTER}, {"$set": {"current": name, "building": None}})
    return before.get("current")
