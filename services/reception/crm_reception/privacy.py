"""What reception keeps about a customer, and what an erasure (`customer.erased`) does to it
(crm_shared.erasure; docs/architecture.md "Personal data and erasure").

- visits of the phone hash: kept for the day's rotation and counts, the visitor's name and mask anonymised, the
  sealed number dropped (the seal is shut for good anyway: its key is gone);
- appointments of the customer (their leads, the visits' bookings, or a contact number whose hash is the
  customer's -- an appointment keeps the contact in clear for its audited reveal, and seals it afresh into every
  event, `schema_version` 2): the contact anonymised (later events of it carry the name only);
- reception's copy of the customer's leads (lead id -> phone hash): deleted.
"""

from __future__ import annotations

from crm_shared import erasure
from crm_shared.erasure import Kind, Spec, Subject, anonymised, numbers_matching
from crm_shared.phones import phone_hash
from crm_shared.plugins import ServiceContext

from crm_reception.projections.service import LEAD_PHONES, LEADS


async def _prepare(ctx: ServiceContext, who: Subject) -> None:
    own = await ctx.db[LEADS].find({"phone_hash": who.phone_hash}, projection={"_id": 1}).to_list(None)
    who.lead_ids = list(dict.fromkeys([*who.lead_ids, *(d["_id"] for d in own)]))
    visits = await ctx.db.visits.find({"visitor.phone_hash": who.phone_hash}, projection={"appointment_id": 1}).to_list(None)
    numbers = numbers_matching(await ctx.db.appointments.distinct("customer.phone"),
                               lambda e164: phone_hash(e164, ctx.settings.phone_hash_key), who.phone_hash)
    query: list[dict] = [{"_id": {"$in": [v["appointment_id"] for v in visits if v.get("appointment_id")]}}]
    if who.lead_ids:
        query.append({"lead_id": {"$in": who.lead_ids}})
    if numbers:
        query.append({"customer.phone": {"$in": numbers}})
    booked = await ctx.db.appointments.find({"$or": query}, projection={"_id": 1}).to_list(None)
    who.found["appointments"] = [d["_id"] for d in booked]


SPEC = erasure.register(Spec("reception", prepare=_prepare, kinds=(
    Kind("visits", "到访记录", "visits", lambda w: {"visitor.phone_hash": w.phone_hash},
         anonymised("visitor.name", "visitor.phone_masked", cleared=("visitor.phone_sealed",), versioned=True),
         shown=("branch_id", "status", "visitor.name", "visitor.phone_masked", "consultant_id", "checked_in_at")),
    Kind("appointments", "预约", "appointments",
         lambda w: {"_id": {"$in": w.ids("appointments")}} if w.ids("appointments") else None,
         anonymised("customer.name", cleared=("customer.phone", "customer.email"), versioned=True),
         shown=("branch_id", "status", "kind", "customer.name", "consultant_id", "start")),
    Kind("lead_copies", "线索副本", LEADS, lambda w: {"phone_hash": w.phone_hash}, shown=("branch_id",)),
    Kind("lead_phones", "号码索引", LEAD_PHONES, lambda w: {"lead_ids": {"$in": w.lead_ids}} if w.lead_ids else None),
)))

on_customer_erased = erasure.on_erased(SPEC)
