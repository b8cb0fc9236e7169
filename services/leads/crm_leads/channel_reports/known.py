"""Customers the office knew before any partner reported them: booked or seen at the front desk.

A channel report claims a customer the office had not met (渠道报备); one the front desk had
booked (`appointment.scheduled`) or checked in (`visit.checked_in`) before the report is the
office's own. Leads keeps, per branch, the earliest time it heard of each customer under the
claim keys (`<branch>:h:<phone hash>` and `<branch>:m:<mask>:<name>`): no full number, and
`$min` makes a redelivered or out-of-order event change nothing.
"""

from __future__ import annotations

from datetime import datetime

from pymongo.errors import DuplicateKeyError

from crm_shared.plugins import ServiceContext

from crm_leads.channel_reports import rules

KNOWN = "known_customers"


async def learn(ctx: ServiceContext, branch_id: str, phone_hash: str | None, phone_masked: str, name: str,
                at: datetime) -> None:
    """The office knew this customer at `at` (keeps the earliest time per key)."""
    for key in rules.claim_keys(branch_id, phone_hash, phone_masked, name):
        update = {"$min": {"at": at}, "$setOnInsert": {"branch_id": branch_id}}
        try:
            await ctx.db[KNOWN].update_one({"_id": key}, update, upsert=True)
        except DuplicateKeyError:  # inserted concurrently: now it exists
            await ctx.db[KNOWN].update_one({"_id": key}, update)


async def known_before(ctx: ServiceContext, branch_id: str, phone_hash: str | None, phone_masked: str, name: str,
                       before: datetime) -> bool:
    """Did the office know the customer a report names before `before`? A full number matches on
    its hash, a masked one on mask + name (as reports conflict with each other)."""
    key = rules.hash_key(branch_id, phone_hash) if phone_hash else rules.mask_key(branch_id, phone_masked, name)
    return await ctx.db[KNOWN].find_one({"_id": key, "at": {"$lt": before}}, projection={"_id": 1}) is not None
