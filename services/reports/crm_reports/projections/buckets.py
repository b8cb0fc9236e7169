"""Daily bucket documents per branch: `_id = "<branch>:<YYYY-MM-DD>"` (branch-local date),
counters under `c.<path>`.

A report over N days reads N documents by `_id` (a few at a time). Field names come from
ids and enums only; user text (a lost reason, a visit outcome) is counted under its digest
(`text_key`) and kept once per document under `labels.<digest>`, so no typed word ever
becomes a field name. Reads put the text back (`read_days`), escaped like every key.
How changes are applied exactly once: `crm_reports.projections.changes`.
"""

from __future__ import annotations

import asyncio
from datetime import date, timedelta
from hashlib import blake2b
from typing import Any

from crm_reports.generations import Generation

READ_CONCURRENCY = 8
LABEL_MAX = 100
_ESCAPES = (("%", "%25"), (".", "%2E"), ("$", "%24"))


def key(part: Any) -> str:
    """An id or enum value as one safe field name (user text goes through `text_key`)."""
    text = str(part if part not in (None, "") else "unknown")[:LABEL_MAX]
    for raw, esc in _ESCAPES:
        text = text.replace(raw, esc)
    return text


def unkey(text: str) -> str:
    for raw, esc in reversed(_ESCAPES):
        text = text.replace(esc, raw)
    return text


def text_key(text: str | None, default: str) -> tuple[str, dict[str, str]]:
    """User text as (field name, labels): its digest and the text to show, or `default` when empty."""
    text = (text or "").strip()
    if not text:
        return default, {}
    digest = "h" + blake2b(text.encode(), digest_size=8).hexdigest()
    return digest, {digest: text[:LABEL_MAX]}


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


def _summed(a: Any, b: Any) -> Any:
    if isinstance(a, dict) and isinstance(b, dict):
        return {k: _summed(a[k], b[k]) if k in a and k in b else a.get(k, b.get(k)) for k in a.keys() | b.keys()}
    return a + b if isinstance(a, int | float) and isinstance(b, int | float) else b


def labelled(counters: dict[str, Any], labels: dict[str, str]) -> dict[str, Any]:
    """Counters with each text digest replaced by its text (as `key` escapes it); two texts
    that agree on their first LABEL_MAX characters add up, as they did before digests."""
    out: dict[str, Any] = {}
    for k, v in counters.items():
        name = key(labels[k]) if k in labels else k
        v = labelled(v, labels) if isinstance(v, dict) else v
        out[name] = _summed(out[name], v) if name in out else v
    return out


async def read_days(g: Generation, branch_id: str, start: date, end: date) -> dict[str, dict]:
    """Counters per day (ISO date -> nested map) for [start, end], by `_id` lookups, a few at a
    time (hundreds of simultaneous connections stall the dev store under load)."""
    limit = asyncio.Semaphore(READ_CONCURRENCY)

    async def one(day: date) -> dict | None:
        async with limit:
            return await g.buckets.find_one({"_id": bucket_id(branch_id, day)}, projection={"c": 1, "labels": 1})

    docs = await asyncio.gather(*(one(start + timedelta(days=i)) for i in range((end - start).days + 1)))
    return {d["_id"].rsplit(":", 1)[1]: labelled(d.get("c") or {}, d["labels"]) if d.get("labels") else d.get("c") or {}
            for d in docs if d}
