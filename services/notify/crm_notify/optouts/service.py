"""Opt-outs keyed by `_id` (channel, recipient, category or all) and marketing consent per branch."""

from __future__ import annotations

from typing import Any

from crm_shared.ids import utcnow

OPTOUTS = "optouts"
CONSENTS = "consents"


def optout_id(channel: str, to: str, category: str | None) -> str:
    return f"{channel}:{to}:{category or 'all'}"


async def opt_out(db: Any, channel: str, to: str, category: str | None, via: str) -> None:
    await db[OPTOUTS].update_one(
        {"_id": optout_id(channel, to, category)},
        {"$set": {"channel": channel, "to": to, "category": category, "via": via, "at": utcnow()}}, upsert=True,
    )


async def opt_in(db: Any, channel: str, to: str, category: str | None) -> int:
    result = await db[OPTOUTS].delete_one({"_id": optout_id(channel, to, category)})
    return result.deleted_count


async def is_opted_out(db: Any, channel: str, to: str, category: str) -> bool:
    """A channel-wide opt-out stops everything; a category opt-out stops that category."""
    for cat in (None, category):
        if await db[OPTOUTS].find_one({"_id": optout_id(channel, to, cat)}, projection={"_id": 1}):
            return True
    return False


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
