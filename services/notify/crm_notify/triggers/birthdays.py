"""Daily birthday greetings (marketing: consent, opt-out and quiet hours apply at send time).

The pass of the leased timer "birthdays" (every `birthday_check_seconds`).
"""

from __future__ import annotations

from datetime import datetime

from pymongo.errors import DuplicateKeyError

from crm_shared.branches import zone
from crm_shared.plugins import ServiceContext
from crm_notify.contacts.service import CONTACTS, with_birthday
from crm_notify.messages.service import plan_many
from crm_notify.triggers.planner import keyed

RUNS = "birthday_runs"


async def plan_birthdays(ctx: ServiceContext, now: datetime) -> int:
    """Once per branch and branch-local day, from `birthday_hour` on; returns messages planned."""
    directory = ctx.state.directory
    branch_ids = set(await directory.branches.distinct("_id")) | set(await ctx.db[CONTACTS].distinct("branch_id"))
    planned = 0
    for branch_id in sorted(b for b in branch_ids if b):
        info = await directory.branch(branch_id)
        local = now.astimezone(zone(info.timezone))
        if local.hour < ctx.config.birthday_hour:
            continue
        run_id = f"{branch_id}:{local.date().isoformat()}"
        if await ctx.db[RUNS].find_one({"_id": run_id}):
            continue
        docs = []
        for contact in await with_birthday(ctx.db, branch_id, local.date()):
            consent = contact.get("consent") or {}
            channel, to = ("sms", contact.get("phone")) if consent.get("sms") and contact.get("phone") else ("email", contact.get("email"))
            if not to or not consent.get(channel):
                continue
            docs.append(keyed(kind="birthday_greeting", template="birthday_greeting", entity=contact["_id"], channel=channel,
                              to=to, recipient=contact["_id"], occurrence=str(local.year), branch_id=branch_id,
                              due_at=now, now=now, category="marketing",
                              data={"customer_name": contact.get("name", ""), "branch_name": info.name}))
        planned += await plan_many(ctx, docs)  # keyed per contact and year: a rerun plans nothing twice
        try:
            await ctx.db[RUNS].insert_one({"_id": run_id, "at": now})
        except DuplicateKeyError:
            pass
    if planned:
        ctx.wake("dispatch")
    return planned
