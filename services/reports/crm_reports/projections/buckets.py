"""Daily bucket documents per branch: `_id = "<branch>:<YYYY-MM-DD>"` (branch-local date),
counters under `c.<path>`.

A report over N days reads N documents by `_id` (concurrently). Every change is guarded
by a token (the event id, or a fact such as "f:<lead>:visited") kept in the document's
`applied` list, in the same single-document update as the counters, so the same change
applied twice counts once, whatever the order of arrival. A day's document stays small
(its tokens are that day's changes), which keeps each update cheap on either store.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import date, datetime, timedelta
from typing import Any

from pymongo.errors import DuplicateKeyError

from crm_reports.generations import Generation
from crm_shared.branches import local_date

READ_CONCURRENCY = 8
_ESCAPES = (("%", "%25"), (".", "%2E"), ("$", "%24"))


def key(part: Any) -> str:
    """A free-text value (a reason, an id) as one safe field name."""
    text = str(part if part not in (None, "") else "unknown")[:100]
    for raw, esc in _ESCAPES:
        text = text.replace(raw, esc)
    return text


def unkey(text: str) -> str:
    for raw, esc in reversed(_ESCAPES):
        text = text.replace(esc, raw)
    return text


def bucket_id(branch_id: str, day: date) -> str:
    return f"{branch_id}:{day.isoformat()}"


def nested(paths: dict[str, Any]) -> dict[str, Any]:
    """`{"c.a.b": 1}` as `{"c": {"a": {"b": 1}}}`, for the first write of a day's document."""
    out: dict[str, Any] = {}
    for path, value in paths.items():
        node = out
        *parents, leaf = path.split(".")
        for part in parents:
            node = node.setdefault(part, {})
        node[leaf] = value
    return out


async def apply(
    g: Generation, branch_id: str, day: date, token: str,
    inc: dict[str, float] | None = None, maximum: dict[str, float] | None = None,
) -> bool:
    """Apply one guarded change to a day's counters; False when it was applied before.

    A conditional update of an existing document first (the common case); the day's first
    change inserts the document. No upsert with a non-`_id` condition: the dev store runs
    those as slow scans, and a plain update plus an insert is as atomic.
    """
    _id = bucket_id(branch_id, day)
    paths = {f"c.{k}": v for k, v in (inc or {}).items()}
    highs = {f"c.{k}": v for k, v in (maximum or {}).items()}
    if g.buffer is not None:
        return g.buffer.add(_id, branch_id, day, token, paths, highs)
    return await _write(g, _id, branch_id, day, token, paths, highs)


async def _write(g: Generation, _id: str, branch_id: str, day: date, token: str,
                 paths: dict[str, float], highs: dict[str, float]) -> bool:
    update: dict[str, Any] = {"$addToSet": {"applied": token}}
    if paths:
        update["$inc"] = paths
    if highs:
        update["$max"] = highs
    for _ in range(3):
        if (await g.buckets.update_one({"_id": _id, "applied": {"$ne": token}}, update)).matched_count:
            return True
        try:
            await g.buckets.insert_one({"_id": _id, "branch_id": branch_id, "date": day.isoformat(),
                                        "applied": [token], **nested(paths | highs)})
            return True
        except DuplicateKeyError:
            if await g.buckets.find_one({"_id": _id, "applied": token}, projection={"_id": 1}):
                return False
    raise RuntimeError(f"bucket {_id} kept changing under token {token}")


class Changes:
    """Bucket changes (of one live event, or of a replay batch), merged per day document and
    written in one guarded update each (`applied` must hold none of the tokens); any overlap
    with what is already stored (a redelivery, or live events written to a generation being
    rebuilt) falls back to one guarded write per token. Marks that say "counted" (`after`)
    run only once the counts are stored, so a crash in between recounts, never loses."""

    def __init__(self) -> None:
        self.pending: dict[str, dict[str, Any]] = {}
        self.after: list[Callable[[], Awaitable[Any]]] = []
        self.size = 0

    def add(self, _id: str, branch_id: str, day: date, token: str, paths: dict, highs: dict) -> bool:
        bucket = self.pending.setdefault(_id, {"branch_id": branch_id, "day": day, "tokens": {}})
        if token in bucket["tokens"]:
            return False
        bucket["tokens"][token] = (paths, highs)
        self.size += 1
        return True

    async def flush(self, g: Generation) -> None:
        pending, after, self.pending, self.after, self.size = self.pending, self.after, {}, [], 0
        await self._write_all(g, pending)
        for mark in after:
            await mark()

    async def _write_all(self, g: Generation, pending: dict[str, dict[str, Any]]) -> None:
        for _id, bucket in pending.items():
            changes: dict[str, tuple[dict, dict]] = bucket["tokens"]
            for _ in range(3):
                if not changes or await _write_merged(g, _id, bucket, changes):
                    break
                stored = await g.buckets.find_one({"_id": _id}, projection={"applied": 1})
                done = set((stored or {}).get("applied") or [])
                changes = {t: c for t, c in changes.items() if t not in done}
            else:
                for token, (p, h) in changes.items():
                    await _write(g, _id, bucket["branch_id"], bucket["day"], token, p, h)


async def _write_merged(g: Generation, _id: str, bucket: dict[str, Any], changes: dict[str, tuple[dict, dict]]) -> bool:
    """One guarded update (or the day's first insert) for many tokens; False if any of them
    is already stored (the caller drops those and tries again)."""
    tokens = list(changes)
    paths: dict[str, float] = {}
    highs: dict[str, float] = {}
    for p, h in changes.values():
        for k, v in p.items():
            paths[k] = paths.get(k, 0) + v
        for k, v in h.items():
            highs[k] = max(highs.get(k, v), v)
    update: dict[str, Any] = {"$addToSet": {"applied": {"$each": tokens}}}
    if paths:
        update["$inc"] = paths
    if highs:
        update["$max"] = highs
    if (await g.buckets.update_one({"_id": _id, "applied": {"$nin": tokens}}, update)).matched_count:
        return True
    try:
        await g.buckets.insert_one({"_id": _id, "branch_id": bucket["branch_id"], "date": bucket["day"].isoformat(),
                                    "applied": tokens, **nested(paths | highs)})
        return True
    except DuplicateKeyError:
        return False


async def read_days(g: Generation, branch_id: str, start: date, end: date) -> dict[str, dict]:
    """Counters per day (ISO date -> nested map) for [start, end], by `_id` lookups, a few at a
    time (hundreds of simultaneous connections stall the dev store under load)."""
    limit = asyncio.Semaphore(READ_CONCURRENCY)

    async def one(day: date) -> dict | None:
        async with limit:
            return await g.buckets.find_one({"_id": bucket_id(branch_id, day)}, projection={"c": 1})

    docs = await asyncio.gather(*(one(start + timedelta(days=i)) for i in range((end - start).days + 1)))
    return {d["_id"].rsplit(":", 1)[1]: d.get("c") or {} for d in docs if d}


async def local_day(g: Generation, branch_id: str, moment: datetime) -> date:
    """The branch-local date of an instant (branch time zone, default Asia/Shanghai)."""
    return local_date(moment, await g.timezone(branch_id))
