"""Who sees which lead, and how people look leads up.

A consultant lists and opens only the leads it owns and the public pool (撞单 prevention,
本责任中心客户仅自己可以查阅); another consultant's lead is missing to it (404), exactly like
another branch's. Managers and the front desk see the whole branch. People search by a full
number, the partner mask (`138****5678`), the last four digits (`phone_last4`, indexed) or part
of the name.
"""

from __future__ import annotations

import re

from pymongo import UpdateOne

from crm_shared.http.auth import Principal
from crm_shared.phones import InvalidPhone, normalize, phone_hash
from crm_shared.plugins import ServiceContext

LAST4 = "phone_last4"
MIGRATIONS = "migrations"
BACKFILL_BATCH = 500
_LAST4 = re.compile(r"[0-9]{4}")
_MASK = re.compile(r"[0-9]{3}\*{4}[0-9]{4}")


def visible(doc: dict, who: Principal) -> bool:
    """Within the branch: everything for managers and the desk; its own and the pool's for a consultant."""
    return who.role != "consultant" or doc.get("owner_id") == who.sub or bool(doc.get("in_pool"))


def scope(query: dict, who: Principal, owner_id: str | None, pool: bool | None) -> dict | None:
    """A list query narrowed to what the caller may see (the other filters still apply on top);
    None when the filters ask only for what it may not see (another consultant's leads)."""
    if who.role != "consultant" or pool:
        return query
    if owner_id is None:
        return query | {"$or": [{"owner_id": who.sub}, {"in_pool": True}]}
    return query if owner_id == who.sub else None


def last4(e164_or_mask: str) -> str:
    """The last four digits, as people read them off a card or a caller id."""
    return e164_or_mask[-4:]


def text_query(ctx: ServiceContext, q: str) -> dict:
    """`q` as four digits (the end of a number), a partner mask, a full number, else part of a name."""
    if _LAST4.fullmatch(q):
        return {LAST4: q}
    if _MASK.fullmatch(q):
        return {"customer.phone_masked": q}
    try:
        return {"phone_hash": phone_hash(normalize(q, ctx.settings.default_region), ctx.settings.phone_hash_key)}
    except InvalidPhone:
        return {"customer.name": {"$regex": re.escape(q)}}


async def ensure_indexes(ctx: ServiceContext) -> None:
    """Leads stored before `phone_last4` existed get it from their mask (once per database), then the index."""
    done = await ctx.db[MIGRATIONS].find_one({"_id": LAST4})
    if done is None:
        while True:
            docs = await ctx.db.leads.find({LAST4: {"$exists": False}}, {"customer.phone_masked": 1}).limit(BACKFILL_BATCH).to_list()
            if not docs:
                break
            await ctx.db.leads.bulk_write([UpdateOne({"_id": d["_id"]}, {"$set": {LAST4: last4(d.get("customer", {}).get("phone_masked", ""))}})
                                           for d in docs], ordered=False)
        await ctx.db[MIGRATIONS].update_one({"_id": LAST4}, {"$set": {"done": True}}, upsert=True)
    await ctx.db.leads.create_index([("branch_id", 1), (LAST4, 1)])
