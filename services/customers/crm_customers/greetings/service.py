"""The daily greetings pass: per branch, once its local day has reached `greeting_hour`, one `greeting.due` per
occasion of every unfrozen archive (birthday, important dates, the first day of a statutory holiday).

Every archive's greetings are published, each with the archive's marketing consent (`consent`, `consent_at`):
notify sends the customer's SMS only under consent (the archive's, or its own from `POST /v1/contacts`) and never
past an opt-out, while a key or core account's birthday (`gift`) tells the account manager to prepare a small
gift whatever the SMS consent says — a gift handed over is no marketing message.

Each greeting is a document whose `_id` is its stable greeting id, inserted with its event: a rerun, a second
replica or a restart meets the id and sends nothing twice. A marker per branch and day spares the rescans.
"""

from __future__ import annotations

from datetime import date, datetime

from pymongo.errors import DuplicateKeyError

from crm_shared.aggregates import event
from crm_shared.branches import zone
from crm_shared.events.customers import GreetingDue
from crm_shared.events.reception import SealedVisitor
from crm_shared.plugins import ServiceContext

from crm_customers.archives import rules as archive_rules
from crm_customers.greetings import rules

GREETINGS, DAYS = "greetings", "greeting_days"
CHUNK = 500
FIELDS = {"branch_id": 1, "tier": 1, "frozen": 1, "account_manager_id": 1, "customer": 1, "card.important_dates": 1,
          "marketing_consent": 1}


def _items(archive: dict, today: date, holiday: str | None, now: datetime) -> list[tuple[dict, GreetingDue]]:
    c = archive.get("customer") or {}
    if not c.get("phone_masked") or not c.get("phone_hash"):
        return []
    customer = SealedVisitor(name=c.get("name") or "客户", phone_masked=c["phone_masked"], phone_hash=c["phone_hash"],
                             phone_sealed=c.get("phone_sealed"))
    consent, consent_at = archive_rules.consent_statement(archive.get("marketing_consent"))
    out = []
    for occasion, name, gift, key in rules.occasions(
            tier=archive.get("tier"), birthday=c.get("birthday"), important_dates=(archive.get("card") or {}).get(
                "important_dates") or [], today=today, holiday=holiday):
        gid = rules.greeting_id(archive["_id"], occasion, today, key)
        data = GreetingDue(greeting_id=gid, archive_id=archive["_id"], occasion=occasion, occasion_name=name, on=today,
                           customer=customer, account_manager_id=archive.get("account_manager_id"), gift=gift,
                           consent=consent, consent_at=consent_at)
        doc = {"_id": gid, "branch_id": archive["branch_id"], "archive_id": archive["_id"], "occasion": occasion,
               "occasion_name": name, "on": today.isoformat(), "gift": gift, "consent": consent, "created_at": now}
        out.append((doc, data))
    return out


async def greet_branch(ctx: ServiceContext, branch_id: str, today: date, now: datetime) -> int:
    """Every greeting of one branch's day; returns how many were new."""
    holiday = rules.holiday_starting(today)
    sent, batch = 0, []
    agg = ctx.aggregate(GREETINGS)
    cursor = ctx.db.archives.find({"branch_id": branch_id, "frozen": {"$ne": True}}, projection=FIELDS)
    async for archive in cursor:
        batch += _items(archive, today, holiday, now)
        if len(batch) >= CHUNK:
            sent += await _store(agg, batch)
            batch = []
    return sent + (await _store(agg, batch) if batch else 0)


async def _store(agg, batch: list[tuple[dict, GreetingDue]]) -> int:
    outcomes = await agg.insert_many([(doc, [event(data, doc["branch_id"], doc["archive_id"])]) for doc, data in batch])
    return sum(1 for o in outcomes if not isinstance(o, DuplicateKeyError))


async def send_greetings(ctx: ServiceContext, now: datetime) -> dict[str, int]:
    """Timer pass: {branch: greetings published} for the branches whose greeting hour has come today."""
    out: dict[str, int] = {}
    for branch_id in sorted(await ctx.db.archives.distinct("branch_id")):
        tz = (await ctx.state.branch(branch_id)).timezone
        local = now.astimezone(zone(tz))
        if local.hour < ctx.config.greeting_hour:
            continue
        marker = f"{branch_id}:{local.date().isoformat()}"
        if await ctx.db[DAYS].find_one({"_id": marker}, projection={"_id": 1}):
            continue
        sent = await greet_branch(ctx, branch_id, local.date(), now)
        try:
            await ctx.db[DAYS].insert_one({"_id": marker, "branch_id": branch_id, "sent": sent, "at": now})
        except DuplicateKeyError:
            pass  # another pass finished the same day meanwhile: its greetings are the same ones
        if sent:
            out[branch_id] = sent
    return out
