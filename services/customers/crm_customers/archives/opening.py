"""Opening archives: one per person (phone hash) and branch, numbered per branch without gaps or repeats.

The order makes both hold under any concurrency: first a claim document whose `_id` is the person key
(`<branch>:<phone hash>`; a second opener of the same person meets it and gets 409 naming the archive),
only then a number from the branch's counter (`$inc`, so never twice), recorded on the claim with the
prepared archive, then the archive itself with `archive.opened`. A number is only taken by an opening
that will store its archive: a crash after the number was recorded is finished by the `archive-openings`
timer (or by the next opener of that person), which stores the prepared archive under its number.
"""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta

from pymongo import ReturnDocument, UpdateOne
from pymongo.errors import DuplicateKeyError

from crm_shared.aggregates import event
from crm_shared.errors import Busy, Conflict
from crm_shared.events.customers import ArchiveOpened
from crm_shared.events.reception import SealedVisitor
from crm_shared.ids import utcnow
from crm_shared.plugins import ServiceContext

from crm_customers.archives import rules

ARCHIVES, CLAIMS, COUNTERS = "archives", "archive_claims", "archive_numbers"
ABANDONED = timedelta(minutes=1)
"""A claim this old whose archive is not stored was left by a crash: its number is finished or taken over."""
BATCH = 200
WAITS, WAIT_SECONDS = 40, 0.05


def opened_event(doc: dict) -> ArchiveOpened:
    c = doc["customer"]
    return ArchiveOpened(
        archive_id=doc["_id"], number=doc["number"], category=doc["category"], tier=doc["tier"],
        account_manager_id=doc.get("account_manager_id"), lead_id=doc.get("lead_id"), customer_name=c["name"],
        status=doc["status"], frozen=False, opened_by=doc.get("opened_by"),
        deal_id=(doc.get("deals") or [{}])[0].get("deal_id"),
        customer=SealedVisitor(name=c["name"], phone_masked=c["phone_masked"], phone_hash=c["phone_hash"],
                               phone_sealed=c.get("phone_sealed")))


def exists(doc: dict) -> Conflict:
    return Conflict("archive-exists", f"this customer already has archive {doc['number']} in the branch",
                    existing_archive_id=doc["_id"], existing_number=doc["number"])


async def _take_numbers(ctx: ServiceContext, branch_id: str, n: int) -> list[str]:
    counter = await ctx.db[COUNTERS].find_one_and_update(
        {"_id": branch_id}, {"$inc": {"seq": n}}, upsert=True, return_document=ReturnDocument.AFTER)
    last = counter["seq"]
    return [rules.number(ctx.config.archive_number_prefix, s) for s in range(last - n + 1, last + 1)]


async def _store(ctx: ServiceContext, doc: dict) -> dict:
    """The archive with its event; a repeat of an opening already stored returns what is stored."""
    try:
        stored = await ctx.aggregate(ARCHIVES).insert(doc, event(opened_event(doc), doc["branch_id"], doc["_id"]))
    except DuplicateKeyError:
        stored = await ctx.aggregate(ARCHIVES).find_one({"person_key": doc["person_key"]})
        if stored is None:
            raise
    await ctx.db[CLAIMS].update_one({"_id": doc["person_key"]}, {"$set": {"state": "done"}, "$unset": {"doc": ""}})
    return stored


async def _claimed(ctx: ServiceContext, doc: dict, now: datetime) -> dict | None:
    """The claim we may finish (ours, or an abandoned one we took over); 409 naming the archive, or 503."""
    key = doc["person_key"]
    try:
        await ctx.db[CLAIMS].insert_one({"_id": key, "branch_id": doc["branch_id"], "archive_id": doc["_id"],
                                         "state": "claimed", "at": now})
        return None
    except DuplicateKeyError:
        claim = await ctx.db[CLAIMS].find_one({"_id": key})
    for _ in range(WAITS):  # a concurrent opener of the same person: its archive is a moment away
        holder = await ctx.aggregate(ARCHIVES).find_one({"person_key": key}, {"number": 1})
        if holder is not None:
            raise exists(holder)
        if claim is None or claim["at"] <= now - ABANDONED:
            break
        await asyncio.sleep(WAIT_SECONDS)
        claim = await ctx.db[CLAIMS].find_one({"_id": key})
    if claim is not None and claim.get("number") and claim["at"] > now - ABANDONED:
        raise exists({"_id": claim["archive_id"], "number": claim["number"]})
    if claim is None or claim["at"] > now - ABANDONED:
        raise Busy("archive-opening", "this customer's archive is being opened right now; try again")
    taken = await ctx.db[CLAIMS].find_one_and_update({"_id": key, "at": claim["at"]}, {"$set": {"at": now}},
                                                     return_document=ReturnDocument.AFTER)
    if taken is None:
        raise Busy("archive-opening", "this customer's archive is being opened right now; try again")
    return taken


async def open_one(ctx: ServiceContext, doc: dict) -> dict:
    """Store a new archive (`doc` without `number`); 409 `archive-exists` naming the person's archive."""
    holder = await ctx.aggregate(ARCHIVES).find_one({"person_key": doc["person_key"]}, {"number": 1})
    if holder is not None:
        raise exists(holder)
    now = utcnow()
    taken = await _claimed(ctx, doc, now)
    if taken is not None:
        doc["_id"] = taken["archive_id"]
        if taken.get("number"):  # finish the crashed opening's number with this opener's data
            return await _store(ctx, {**doc, "number": taken["number"]})
    doc["number"] = (await _take_numbers(ctx, doc["branch_id"], 1))[0]
    await ctx.db[CLAIMS].update_one({"_id": doc["person_key"]}, {"$set": {"number": doc["number"], "doc": doc,
                                                                          "state": "numbered"}})
    return await _store(ctx, doc)


async def open_many(ctx: ServiceContext, branch_id: str, docs: list[dict]) -> list[dict | Conflict]:
    """An import's archives in four bulk writes: claims, a block of numbers, numbers on the claims, archives.
    Returns per doc the stored archive or the 409 naming the archive (or the sheet's earlier row) it met."""
    now = utcnow()
    claims = ctx.db[CLAIMS]
    outcomes: list[dict | Conflict | None] = [None] * len(docs)
    won: list[int] = []
    for i, doc in enumerate(docs):
        try:
            await claims.insert_one({"_id": doc["person_key"], "branch_id": branch_id, "archive_id": doc["_id"],
                                     "state": "claimed", "at": now})
            won.append(i)
        except DuplicateKeyError:
            holder = await ctx.aggregate(ARCHIVES).find_one({"person_key": doc["person_key"]}, {"number": 1})
            outcomes[i] = exists(holder) if holder else Conflict("archive-opening", "the same customer is in the "
                                                                 "sheet more than once, or being opened right now")
    if won:
        numbers = await _take_numbers(ctx, branch_id, len(won))
        for i, n in zip(won, numbers, strict=True):
            docs[i]["number"] = n
        await claims.bulk_write([UpdateOne({"_id": docs[i]["person_key"]}, {"$set": {
            "number": docs[i]["number"], "doc": docs[i], "state": "numbered"}}) for i in won], ordered=False)
        stored = await ctx.aggregate(ARCHIVES).insert_many(
            [(docs[i], [event(opened_event(docs[i]), branch_id, docs[i]["_id"])]) for i in won])
        done = []
        for i, result in zip(won, stored, strict=True):
            outcomes[i] = result if isinstance(result, dict) else await _store(ctx, docs[i])
            done.append(docs[i]["person_key"])
        await claims.update_many({"_id": {"$in": done}}, {"$set": {"state": "done"}, "$unset": {"doc": ""}})
    return outcomes  # type: ignore[return-value]


async def finish_abandoned(ctx: ServiceContext, now: datetime) -> int:
    """Timer pass: openings that took a number and died before storing the archive are stored now; claims
    that never took a number are dropped (the person may be opened again)."""
    old = await ctx.db[CLAIMS].find({"state": {"$in": ["claimed", "numbered"]}, "at": {"$lt": now - ABANDONED}}
                                    ).limit(BATCH).to_list()
    for claim in old:
        if claim["state"] == "numbered" and claim.get("doc"):
            await _store(ctx, claim["doc"])
        else:
            await ctx.db[CLAIMS].delete_one({"_id": claim["_id"], "state": "claimed", "at": claim["at"]})
    return len(old)


async def ensure_indexes(ctx: ServiceContext) -> None:
    await ctx.db[ARCHIVES].create_index([("person_key", 1)], unique=True, name="one_archive_per_person")
    await ctx.db[CLAIMS].create_index([("state", 1), ("at", 1)])
