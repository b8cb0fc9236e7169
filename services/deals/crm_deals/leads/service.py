"""The copy of leads' facts that deals needs, fed by leads' events (`subscribers.py`), and the one-live-deal
lock a subscription takes on its lead.

Collections (no events: they are copies, and a lock):
- `lead_copies`: `_id` the lead id; customer name, masked phone, hash and sealed phone; channel,
  partner and referrer of the source; owner; `open`/`won`/`lost`; a dispute decision; `live_deal_id`.
  Each group of fields keeps the time of the event that wrote it (`*_as_of`): the newer event wins.
- `report_copies`: confirmed channel reports (`_id` the report id): partner, lead, protection.
- `referrer_copies`, `partner_copies`: names and referrer kinds.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pymongo import ReturnDocument
from pymongo.errors import DuplicateKeyError

from crm_shared.errors import NotFound
from crm_shared.http.auth import Principal
from crm_shared.plugins import ServiceContext

LEADS, REPORTS, REFERRERS, PARTNERS = "lead_copies", "report_copies", "referrer_copies", "partner_copies"
LIVE = "live_deal_id"


async def newer_wins(col: Any, _id: str, stamp: str, at: datetime, fields: dict[str, Any],
                     on_insert: dict[str, Any] | None = None) -> bool:
    """Write `fields` (stamped `stamp` = `at`) unless the copy holds a newer event for that group; True if written.

    A compare-and-set on the stamp read: a concurrent writer of the same group makes it read again.
    """
    for _ in range(5):
        doc = await col.find_one({"_id": _id}, projection={stamp: 1})
        if doc is None:
            try:
                await col.insert_one({"_id": _id, **(on_insert or {}), **fields, stamp: at})
                return True
            except DuplicateKeyError:
                continue
        seen = doc.get(stamp)
        if seen is not None and seen > at:
            return False
        res = await col.update_one({"_id": _id, stamp: seen}, {"$set": {**fields, stamp: at}})
        if res.matched_count:
            return True
    return False


async def lead(ctx: ServiceContext, lead_id: str) -> dict | None:
    return await ctx.db[LEADS].find_one({"_id": lead_id})


async def visible(ctx: ServiceContext, lead_id: str, who: Principal) -> dict:
    """The lead a caller may sell to: registered, in its branches, and a consultant's own; else 404 (as in leads:
    another consultant's lead is as missing as another branch's)."""
    doc = await lead(ctx, lead_id)
    if doc is None or not doc.get("registered") or not who.sees_branch(doc["branch_id"]):
        raise NotFound("lead")
    if who.role == "consultant" and doc.get("owner_id") != who.sub:
        raise NotFound("lead")
    return doc


async def lock(ctx: ServiceContext, lead_id: str, deal_id: str, now: datetime) -> dict | None:
    """Take the lead's one-live-deal lock for `deal_id`; None when another deal holds it."""
    return await ctx.db[LEADS].find_one_and_update(
        {"_id": lead_id, LIVE: None}, {"$set": {LIVE: deal_id, "live_deal_at": now}},
        return_document=ReturnDocument.AFTER)


async def unlock(ctx: ServiceContext, lead_id: str, deal_id: str) -> None:
    """Free the lock if `deal_id` still holds it (a repeat, or a later deal's lock, is left alone)."""
    await ctx.db[LEADS].update_one({"_id": lead_id, LIVE: deal_id}, {"$set": {LIVE: None, "live_deal_at": None}})


async def reports_of(ctx: ServiceContext, lead_id: str) -> list[dict]:
    return await ctx.db[REPORTS].find({"lead_id": lead_id}).to_list()


async def report(ctx: ServiceContext, report_id: str | None) -> dict | None:
    return await ctx.db[REPORTS].find_one({"_id": report_id}) if report_id else None


async def referrer(ctx: ServiceContext, referrer_id: str | None) -> dict | None:
    return await ctx.db[REFERRERS].find_one({"_id": referrer_id}) if referrer_id else None


async def names(ctx: ServiceContext, collection: str, ids: set[str | None]) -> dict[str, str]:
    """`{id: name}` of the given partners, referrers or staff (`collection`), for answers that name people."""
    wanted = [i for i in ids if i]
    if not wanted:
        return {}
    return {d["_id"]: d.get("name") for d in await ctx.db[collection].find({"_id": {"$in": wanted}},
                                                                          projection={"name": 1}).to_list()
            if d.get("name")}


async def leads_by_id(ctx: ServiceContext, ids: set[str]) -> dict[str, dict]:
    if not ids:
        return {}
    return {d["_id"]: d for d in await ctx.db[LEADS].find({"_id": {"$in": list(ids)}}).to_list()}


async def ensure_indexes(ctx: ServiceContext) -> None:
    await ctx.db[REPORTS].create_index([("lead_id", 1)])
    await ctx.db[LEADS].create_index([("branch_id", 1)])
