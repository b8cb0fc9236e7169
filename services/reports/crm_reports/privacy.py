"""What reports keeps about a customer, and what an erasure (`customer.erased`) does to it
(crm_shared.erasure; docs/architecture.md "Personal data and erasure").

Reports keep counts, never contact data; the one personal trace is the buyer's name on list rows (the
deal-changes and discount lists, 退房换房一览表 and 特殊优惠客户一览表), taken from deal events. An erasure:

- remembers the customer's lead ids (`privacy_erased_leads`, service-wide: it outlives generations), and
- writes `已删除` over the name on those rows of the current generation and of one being rebuilt.

Every row written later -- a redelivery, a live event, a whole `POST /v1/reports/rebuild` replaying the old
deal events that still name the buyer -- goes through `scrubbed` (crm_reports.projections.records.put_row), so
no generation ever shows the name again. Counts do not change.
"""

from __future__ import annotations

from typing import Any

from pymongo.errors import DuplicateKeyError

from crm_shared import erasure
from crm_shared.erasure import ERASED_NAME, Kind, Spec, Subject, anonymised
from crm_shared.events import Envelope
from crm_shared.events.privacy import CustomerErased
from crm_shared.ids import utcnow
from crm_shared.plugins import ServiceContext

from crm_reports import generations

ERASED_LEADS = "privacy_erased_leads"
NAMED = ("customer_name",)


async def scrubbed(db: Any, fields: dict[str, Any]) -> dict[str, Any]:
    """A list row's fields, with the buyer's name anonymised when the lead's customer was erased."""
    lead_id = fields.get("lead_id")
    if not lead_id or not any(fields.get(n) for n in NAMED):
        return fields
    if await db[ERASED_LEADS].find_one({"_id": lead_id}, projection={"_id": 1}) is None:
        return fields
    return fields | {n: ERASED_NAME for n in NAMED if fields.get(n)}


async def _prepare(ctx: ServiceContext, who: Subject) -> None:
    pointer = await generations.pointer(ctx.db)
    who.found["rows"] = [f"{pointer['current']}_rows"]
    building = pointer.get("building")
    who.found["building_rows"] = [f"{building}_rows"] if building and building != pointer["current"] else []


async def _forget_names(ctx: ServiceContext, who: Subject) -> int:
    for lead_id in who.lead_ids:
        try:
            await ctx.db[ERASED_LEADS].insert_one({"_id": lead_id, "at": utcnow()})
        except DuplicateKeyError:
            pass
    if not who.lead_ids:
        return 0
    changed = 0
    for rows in who.ids("building_rows"):  # the current generation's rows are the `rows` kind
        changed += (await ctx.db[rows].update_many({"lead_id": {"$in": who.lead_ids}, "erased": {"$ne": True}},
                                                   anonymised(*NAMED))).modified_count
    return changed


SPEC = erasure.register(Spec("reports", prepare=_prepare, special=_forget_names, kinds=(
    Kind("rows", "报表名单行（退房换房、特殊优惠）", lambda w: w.ids("rows")[0] if w.ids("rows") else None,
         lambda w: {"lead_id": {"$in": w.lead_ids}} if w.lead_ids else None, anonymised(*NAMED),
         shown=("branch_id", "kind", "date", "customer_name")),
)))

_on_erased = erasure.on_erased(SPEC)


def with_erasures(handler):
    """The reports' batch handler, with `customer.erased` events taken out and handled one by one."""

    async def on_events(ctx: ServiceContext, events: list[tuple[Envelope, Any]]) -> None:
        rest = []
        for env, data in events:
            if isinstance(data, CustomerErased):
                await _on_erased(ctx, env, data)
            else:
                rest.append((env, data))
        if rest:
            await handler(ctx, rest)

    return on_events
