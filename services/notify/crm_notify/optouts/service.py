"""Opt-outs per (branch, channel, recipient, category or all), and marketing consent per branch.

A branch's opt-out stops that branch's messages only; a group-wide one (`branch_id` "*")
stops every branch: those are what links without a branch and the opt-outs stored before
opt-outs had branches promised. Sending reads a recipient's opt-outs in one indexed lookup.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from crm_shared.ids import utcnow
from crm_notify.optouts.links import GROUP_WIDE
from crm_notify.triggers.rules import recipient_token

OPTOUTS = "optouts"
CONSENTS = "consents"


def optout_id(branch_id: str, channel: str, to: str, category: str | None) -> str:
    """At most 100 characters (a page cursor), and no address in it."""
    return f"{branch_id}:{channel}:{recipient_token(to)}:{category or 'all'}"


async def opt_out(db: Any, branch_id: str, channel: str, to: str, category: str | None, via: str,
                  note: str | None = None, at: datetime | None = None) -> dict:
    doc = {"branch_id": branch_id, "channel": channel, "to": to, "category": category, "via": via, "note": note,
           "at": at or utcnow()}
    await db[OPTOUTS].update_one({"_id": optout_id(branch_id, channel, to, category)}, {"$set": doc}, upsert=True)
    return doc


async def opt_in(db: Any, branch_id: str, channel: str, to: str, category: str | None) -> int:
    result = await db[OPTOUTS].delete_one({"_id": optout_id(branch_id, channel, to, category)})
    return result.deleted_count


def erased_address(to: str) -> str:
    """What an opt-out keeps for `to` once its customer is erased (crm_notify.privacy): its digest, never the address."""
    return f"erased:{recipient_token(to)}"


async def is_opted_out(db: Any, branch_id: str, channel: str, to: str, category: str) -> bool:
    """The branch's or a group-wide opt-out of the whole channel, or of this category (one written
    without a branch, by a replica not yet upgraded, counts as group-wide)."""
    docs = await db[OPTOUTS].find({"to": {"$in": [to, erased_address(to)]}},  # kept through an erasure, without the number
                                  projection={"branch_id": 1, "channel": 1, "category": 1}).to_list(None)
    return any(d.get("channel") == channel and d.get("branch_id", GROUP_WIDE) in (branch_id, GROUP_WIDE)
               and d.get("category") in (None, category) for d in docs)


async def adopt_unscoped(db: Any) -> int:
    """Opt-outs stored before they had branches become group-wide (what they promised); idempotent."""
    moved = 0
    for doc in await db[OPTOUTS].find({"branch_id": {"$exists": False}}).to_list(None):
        await opt_out(db, GROUP_WIDE, doc["channel"], doc["to"], doc.get("category"), doc.get("via") or "before-branches",
                      at=doc.get("at"))
        await db[OPTOUTS].delete_one({"_id": doc["_id"]})
        moved += 1
    return moved


def consent_id(branch_id: str, channel: str, to: str) -> str:
    return f"{branch_id}:{channel}:{to}"


async def set_consent(db: Any, branch_id: str, channel: str, to: str, granted: bool) -> None:
    await db[CONSENTS].update_one(
        {"_id": consent_id(branch_id, channel, to)},
        {"$set": {"branch_id": branch_id, "channel": channel, "to": to, "granted": granted, "at": utcnow()}},
        upsert=True,
    )


async def has_consent(db: Any, branch_id: str, channel: str, to: str) -> bool:
    doc = await db[CONSENTS].find_one({"_id": consent_id(branch_id, channel, to)})
    return bool(doc and doc.get("granted"))
