"""Counter changes of many events, coalesced per day document and applied exactly once.

Every change carries a token (the event id, or a fact such as "f:<lead>:visited") that the
document keeps in its `applied` list, written in the same single-document update as the
counters. The changes collected for one document go out as one update guarded by "`applied`
holds none of these tokens", with `$inc`/`$max` of their sums; all documents in one unordered
bulk write, and a day's first changes as one `insert_many`. Whatever a guard refuses (a
redelivered event, a live event already written to a generation being rebuilt, a second
replica) is sorted out per token: tokens already stored are dropped, the rest written again.
So a batch that fails half-way and is retried one event per call still counts each change once.

Store costs (shared/README.md "Store rules"): no upsert with a non-`_id` filter; `_id` and
`$in` on `_id` lookups only; each write stamps `w` so that, after a partial bulk update, one
small read tells which documents took it, and only contested ones have their tokens read.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from pymongo import UpdateOne
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.errors import BulkWriteError

from crm_reports.projections.buckets import bucket_id, nested
from crm_shared.ids import uuid7

ATTEMPTS = 5
DUPLICATE_KEY = 11000
Change = tuple[dict[str, float], dict[str, float], dict[str, str]]
"""Counters to add, counters to raise to at least, labels of user text."""


@dataclass
class Day:
    """The pending changes of one day document, by token."""

    branch_id: str
    day: date
    changes: dict[str, Change] = field(default_factory=dict)

    def _sums(self) -> tuple[dict[str, float], dict[str, float], dict[str, str]]:
        inc: dict[str, float] = {}
        high: dict[str, float] = {}
        labels: dict[str, str] = {}
        for add, at_least, names in self.changes.values():
            for k, v in add.items():
                inc[k] = inc.get(k, 0) + v
            for k, v in at_least.items():
                high[k] = max(high.get(k, v), v)
            labels |= names
        return inc, high, labels

    def update(self, stamp: str) -> dict[str, Any]:
        inc, high, labels = self._sums()
        update: dict[str, Any] = {"$push": {"applied": {"$each": list(self.changes)}},  # the guard: none is there
                                  "$set": {"w": stamp, **{f"labels.{k}": v for k, v in labels.items()}}}
        if inc:
            update["$inc"] = {f"c.{k}": v for k, v in inc.items()}
        if high:
            update["$max"] = {f"c.{k}": v for k, v in high.items()}
        return update

    def document(self, _id: str, stamp: str) -> dict[str, Any]:
        inc, high, labels = self._sums()
        doc = {"_id": _id, "branch_id": self.branch_id, "date": self.day.isoformat(), "applied": list(self.changes),
               "w": stamp, **nested({f"c.{k}": v for k, v in (inc | high).items()})}
        return doc | ({"labels": labels} if labels else {})


class DayChanges:
    """Changes collected for day documents, written by `write` (see the module doc).

    `fresh`: the collection is a new generation's, so a document this object has not written
    yet is inserted first (live windows update first: their days usually exist).
    """

    def __init__(self, fresh: bool = False) -> None:
        self.pending: dict[str, Day] = {}
        self.fresh = fresh
        self.stored: set[str] = set()
        self.absent: set[str] = set()

    def __len__(self) -> int:
        return len(self.pending)

    def add(self, branch_id: str, day: date, token: str, inc: dict[str, float],
            maximum: dict[str, float] | None = None, labels: dict[str, str] | None = None) -> None:
        """One guarded change; the same token twice (two events for one fact) counts once."""
        _id = bucket_id(branch_id, day)
        if (pending := self.pending.get(_id)) is None:
            pending = self.pending[_id] = Day(branch_id, day)
        pending.changes.setdefault(token, (inc, maximum or {}, labels or {}))

    async def write(self, col: AsyncCollection) -> None:
        todo, self.pending = self.pending, {}
        for _ in range(ATTEMPTS):
            if not todo:
                return
            stamp = uuid7()
            first = {i: d for i, d in todo.items() if i in self.absent or (self.fresh and i not in self.stored)}
            rest = {i: d for i, d in todo.items() if i not in first}
            todo = {}
            if first:
                todo |= await self._insert(col, first, stamp)
            if rest:
                todo |= await self._update(col, rest, stamp)
        if todo:
            raise RuntimeError(f"day documents kept changing under this write: {sorted(todo)[:5]}")

    async def _insert(self, col: AsyncCollection, days: dict[str, Day], stamp: str) -> dict[str, Day]:
        """The days' first changes; a day inserted meanwhile by another writer is updated next."""
        ids = list(days)
        taken: set[str] = set()
        try:
            await col.insert_many([days[i].document(i, stamp) for i in ids], ordered=False)
        except BulkWriteError as exc:
            for err in exc.details.get("writeErrors", []):
                if err.get("code") != DUPLICATE_KEY:
                    raise
                taken.add(ids[err["index"]])
        self.stored.update(ids)
        self.absent.difference_update(ids)
        return {i: days[i] for i in taken}

    async def _update(self, col: AsyncCollection, days: dict[str, Day], stamp: str) -> dict[str, Day]:
        """One guarded update per day; returns what is left to write after a refusal."""
        ids = list(days)
        ops = [UpdateOne({"_id": i, "applied": {"$nin": list(days[i].changes)}}, days[i].update(stamp)) for i in ids]
        if (await col.bulk_write(ops, ordered=False)).matched_count == len(ops):
            self.stored.update(ids)
            return {}
        stamps = {d["_id"]: d.get("w") for d in await col.find({"_id": {"$in": ids}}, projection={"w": 1}).to_list()}
        left = {i: days[i] for i in ids if i not in stamps}
        self.absent.update(left)
        self.stored.update(stamps)
        contested = [i for i, w in stamps.items() if w != stamp]
        if contested:
            for doc in await col.find({"_id": {"$in": contested}}, projection={"applied": 1}).to_list():
                done = set(doc.get("applied") or ())
                day = days[doc["_id"]]
                if remaining := {t: c for t, c in day.changes.items() if t not in done}:
                    left[doc["_id"]] = Day(day.branch_id, day.day, remaining)
        return left
