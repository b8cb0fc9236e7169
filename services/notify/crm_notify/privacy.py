"""What notify keeps about a customer, and what an erasure (`customer.erased`) does to it
(crm_shared.erasure; docs/architecture.md "Personal data and erasure").

Notify keeps addresses in clear (it must send to them), so it finds the customer's by hashing the numbers it
holds with the group key; their contacts' emails count too.

- messages to those addresses, or planned for that person (greetings): deleted, with the console provider's copies;
- contacts and marketing consents of those addresses: deleted;
- opt-outs: **kept**, without the address (a customer who said no must not be written to again when they come
  back): the number gives way to its digest (`erased:<digest>`, what the opt-out's id already holds) and the phone hash;
- the names notify keeps of the customer's leads, and the people of frozen archives: deleted.
"""

from __future__ import annotations

from crm_shared import erasure
from crm_shared.erasure import Kind, Spec, Subject, numbers_matching
from crm_shared.phones import phone_hash
from crm_shared.plugins import ServiceContext

from crm_notify.contacts.service import CONTACTS
from crm_notify.messages.service import MESSAGES
from crm_notify.optouts.service import CONSENTS, OPTOUTS, erased_address
from crm_notify.providers.console import COLLECTION as CONSOLE
from crm_notify.triggers.customers import LEAD_NAMES
from crm_notify.triggers.freezes import ARCHIVE_PEOPLE, PERSON


async def _prepare(ctx: ServiceContext, who: Subject) -> None:
    held = set(await ctx.db[MESSAGES].distinct("to")) | set(await ctx.db[CONTACTS].distinct("phone")) \
        | set(await ctx.db[OPTOUTS].distinct("to")) | set(await ctx.db[CONSENTS].distinct("to"))
    numbers = numbers_matching(sorted(v for v in held if isinstance(v, str)),
                               lambda e164: phone_hash(e164, ctx.settings.phone_hash_key), who.phone_hash)
    emails = [c["email"] for c in await ctx.db[CONTACTS].find({"phone": {"$in": numbers}}, projection={"email": 1})
              .to_list(None) if c.get("email")] if numbers else []
    who.found["addresses"] = [*numbers, *emails]


async def _keep_optouts(ctx: ServiceContext, who: Subject) -> int:
    """Opt-outs survive the erasure, without the address."""
    kept = 0
    for to in who.ids("addresses"):
        kept += (await ctx.db[OPTOUTS].update_many({"to": to}, {"$set": {
            "to": erased_address(to), "phone_hash": who.phone_hash, "erased": True}})).modified_count
    return kept


def _addressed(w: Subject) -> dict | None:
    return {"to": {"$in": w.ids("addresses")}} if w.ids("addresses") else None


SPEC = erasure.register(Spec("notify", prepare=_prepare, special=_keep_optouts, kinds=(
    Kind("messages", "短信及邮件", MESSAGES,
         lambda w: {"$or": [{"to": {"$in": w.ids("addresses")}}, {PERSON: w.phone_hash}]},
         shown=("branch_id", "channel", "template", "category", "status", "created_at")),
    Kind("console_outbox", "发送记录", CONSOLE, _addressed, shown=("channel", "at")),
    Kind("contacts", "联系人", CONTACTS, lambda w: {"phone": {"$in": w.ids("addresses")}} if w.ids("addresses") else None,
         shown=("branch_id", "name", "birthday")),
    Kind("consents", "营销同意", CONSENTS, _addressed, shown=("branch_id", "channel", "granted", "at")),
    Kind("optouts", "退订（保留，不含号码）", OPTOUTS,
         lambda w: {"$or": [{"to": {"$in": w.ids("addresses")}}, {"phone_hash": w.phone_hash}]}, erase={"$set": {"erased": True}},
         shown=("branch_id", "channel", "category", "at")),
    Kind("lead_names", "线索姓名", LEAD_NAMES, lambda w: {"_id": {"$in": w.lead_ids}} if w.lead_ids else None,
         shown=("branch_id", "name")),
    Kind("archive_people", "档案冻结状态", ARCHIVE_PEOPLE, lambda w: {"phone_hash": w.phone_hash},
         shown=("branch_id", "frozen")),
)))

on_customer_erased = erasure.on_erased(SPEC)
