"""Monthly bucket documents per branch, with a map of counters per branch-local day.

`_id = "<branch>:<YYYY-MM>"`, counters at `days.<YYYY-MM-DD>.<path>`. A report over a
month or two reads one or two documents by `_id`. Every change is guarded by a token
(the event id, or a fact such as "<lead>:visited") kept in `applied`, so the same change
applied twice counts once, whatever the order of arrival.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from pymongo.errors import DuplicateKeyError

from crm_reports.generations import Generation
from crm_shared.branches import local_date

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
    return f"{branch_id}:{day:%Y-%m}"


def months(start: date, end: date) -> list[str]:
    """`YYYY-MM` of every month touching [start, end]."""
    out, y, m = [], start.year, start.month
    while (y, m) <= (end.year, end.month):
        out.append(f"{y:04d}-{m:02d}")
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    return out


async def apply(
    g: Generation, branch_id: str, day: date, token: str,
    inc: dict[str, float] | None = None, maximum: dict[str, float] | None = None,
) -> bool:
    """Apply one guarded change to a day's counters; False when it was applied before."""
    prefix = f"days.{day.isoformat()}."
    update: dict[str, Any] = {
        "$addToSet": {"applied": token},
        "$setOnInsert": {"branch_id": branch_id, "month": f"{day:%Y-%m}"},
    }
    if inc:
        update["$inc"] = {prefix + k: v for k, v in inc.items()}
    if maximum:
        update["$max"] = {prefix + k: v for k, v in maximum.items()}
    try:
        result = await g.buckets.update_one(
            {"_id": bucket_id(branch_id, day), "applied": {"$ne": token}}, update, upsert=True
        )
    except DuplicateKeyError:
        return False
    return bool(result.modified_count or result.upserted_id is not None)


async def read_days(g: Generation, branch_id: str, start: date, end: date) -> dict[str, dict]:
    """Counters per day (ISO date -> nested map) for [start, end], by `_id` lookups."""
    out: dict[str, dict] = {}
    lo, hi = start.isoformat(), end.isoformat()
    for month in months(start, end):
        doc = await g.buckets.find_one({"_id": f"{branch_id}:{month}"}, projection={"applied": 0})
        for day, counters in ((doc or {}).get("days") or {}).items():
            if lo <= day <= hi:
                out[day] = counters
    return out


async def local_day(g: Generation, branch_id: str, moment: datetime) -> date:
    """The branch-local date of an instant (branch time zone, default Asia/Shanghai)."""
    return local_date(moment, await g.timezone(branch_id))
