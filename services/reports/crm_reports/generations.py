"""Generations of read models: live projections write to the current one (and to the one
a rebuild is filling); reads use the current one; a rebuild switches the pointer when done.

Each generation has its own collections (`<gen>_buckets`, `<gen>_leads`, the branch and
staff directory `<gen>_branches`, `<gen>_staff`, the names of partners, referrers and units
`<gen>_names`, the 一览表 lines `<gen>_rows` and archive states `<gen>_facts`), so an old one is dropped whole and a new one starts empty.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from pymongo.asynchronous.collection import AsyncCollection
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

from crm_shared.directory import Directory

META = "meta"
POINTER = "generation"
FIRST = "g0"
KINDS = ("buckets", "leads", "branches", "staff", "names", "rows", "facts")
POINTER_TTL_SECONDS = 2.0


@dataclass(frozen=True)
class Generation:
    """One set of read-model collections."""

    db: AsyncDatabase
    name: str

    def col(self, kind: str) -> AsyncCollection:
        return self.db[f"{self.name}_{kind}"]

    @property
    def buckets(self) -> AsyncCollection:
        return self.col("buckets")

    @property
    def leads(self) -> AsyncCollection:
        return self.col("leads")

    @property
    def staff(self) -> AsyncCollection:
        return self.col("staff")

    @property
    def names(self) -> AsyncCollection:
        """Partners and referrers by `<kind>:<id>`: `name`, `branch_id` (and an agent's `agency_id`)."""
        return self.col("names")

    def directory(self, default_timezone: str) -> Directory:
        """This generation's copy of the branch and staff directory (crm_shared.directory)."""
        return Directory(self.db, default_timezone, branches=f"{self.name}_branches", staff=f"{self.name}_staff")

    async def drop(self) -> None:
        for kind in KINDS:
            await self.col(kind).drop()


@dataclass
class PointerCache:
    """The pointer as this process last read it, kept POINTER_TTL_SECONDS (lives in `ctx.state`)."""

    until: float = 0.0
    doc: dict[str, Any] | None = None


async def ensure_pointer(db: AsyncDatabase) -> None:
    try:
        await db[META].insert_one({"_id": POINTER, "current": FIRST, "building": None})
    except DuplicateKeyError:
        pass


async def pointer(db: AsyncDatabase) -> dict[str, Any]:
    return await db[META].find_one({"_id": POINTER}) or {"current": FIRST, "building": None}


async def current(db: AsyncDatabase) -> Generation:
    return Generation(db, (await pointer(db))["current"])


async def active(db: AsyncDatabase, cache: PointerCache) -> list[Generation]:
    """Where a live event goes: the current generation and the one being rebuilt, if any.

    The pointer is cached for POINTER_TTL_SECONDS per process. That is safe because a rebuild
    waits longer than that after setting `building` before it fixes the last sequence it
    replays (every later event sees `building`), and a stale view after the switch still
    names the new generation as `building`; old generations are dropped much later.
    """
    now = time.monotonic()
    if cache.doc is None or cache.until < now:
        cache.doc, cache.until = await pointer(db), now + POINTER_TTL_SECONDS
    doc = cache.doc
    names = [doc["current"]] + ([doc["building"]] if doc.get("building") and doc["building"] != doc["current"] else [])
    return [Generation(db, n) for n in names]


async def start_building(db: AsyncDatabase, name: str) -> None:
    await db[META].update_one({"_id": POINTER}, {"$set": {"building": name}}, upsert=True)


async def switch_to(db: AsyncDatabase, name: str) -> str | None:
    """Make `name` current; returns the generation it replaced."""
    before = await pointer(db)
    await db[META].update_one({"_id": POINTER}, {"$set": {"current": name, "building": None}})
    return before.get("current")
