"""Sales (成交), changes and refunds (换房/退房), approved discounts (特殊优惠) and payouts (结佣) from
deals' events.

Sales count on day documents under `sales.<dimension>.<key>.<counter>`, for the dimensions
consultant, channel, partner, referrer and product type (and `total.all`), money in integer fen:
- a signing counts `signed` and `signed_amount` on its branch-local signing date (token
  `d:<deal>:signed`, so a repeat never counts twice);
- a cancellation after signing (退房) counts `cancelled`, `cancelled_amount` and `refund` on the
  cancellation date: sold units are `signed − cancelled (+ moved)`, and a closed period never changes;
- a unit change (换房) or a credit moved by a dispute after signing moves the deal between keys on
  the change date (`moved` ±1, `moved_amount` ± price), so the product type or partner credited follows;
- payments (回款) count `collected_amount` on their date.
Payouts count under `payouts.<kind>.<beneficiary>.<status>` (and `<status>_amount`) on the date each
status was reached (token `y:<payout>:<status>`). Lists are rows (crm_reports.projections.records).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from crm_reports.projections import records
from crm_reports.projections.buckets import key
from crm_shared.events import Envelope
from crm_shared.events.deals import (
    Attribution, DealAttributionChanged, DealCancelled, DealPaymentReceived, DealPriceApproved, DealSigned,
    DealUnitChanged,
)

if TYPE_CHECKING:
    from crm_reports.projections.window import Window

DIMENSIONS = ("consultant", "channel", "partner", "referrer", "product_type")
SOLD = ("signed", "paid")
NOBODY = "none"


def channel_of(attribution: Attribution, lead_channel: str | None) -> str:
    """The channel a deal is credited to: its partner's, its referrer's, else the lead's own source."""
    if attribution.partner_id:
        return "partner"
    if attribution.referrer_id:
        return "referral"
    return lead_channel or "unknown"


def dimensions(owner_id: str | None, attribution: Attribution, product_type: str | None,
               lead_channel: str | None) -> dict[str, str]:
    """Where one deal counts: a key per dimension (ids and codes, never text)."""
    return {"total": "all", "consultant": owner_id or "unassigned", "channel": channel_of(attribution, lead_channel),
            "partner": attribution.partner_id or NOBODY, "referrer": attribution.referrer_id or NOBODY,
            "product_type": product_type or "other"}


def sale_counters(dims: dict[str, str], fields: dict[str, int]) -> dict[str, int]:
    return {f"sales.{dim}.{key(k)}.{f}": v for dim, k in dims.items() for f, v in fields.items() if v}


def move_counters(before: dict[str, str], after: dict[str, str], old_price: int, new_price: int) -> dict[str, int]:
    """A sold deal moving keys (another unit, another credit): out of the old key, into the new one."""
    inc: dict[str, int] = {}
    for dim, old in before.items():
        new = after[dim]
        if old == new:
            if new_price != old_price:
                inc[f"sales.{dim}.{key(old)}.moved_amount"] = new_price - old_price
            continue
        inc[f"sales.{dim}.{key(old)}.moved"] = -1
        inc[f"sales.{dim}.{key(new)}.moved"] = 1
        if old_price:
            inc[f"sales.{dim}.{key(old)}.moved_amount"] = -old_price
        if new_price:
            inc[f"sales.{dim}.{key(new)}.moved_amount"] = new_price
    return inc


def _lead_channel(w: Window, lead_id: str) -> str | None:
    return (w.cohorts.docs.get(lead_id) or {}).get("channel")


def _dims(w: Window, data: Any, attribution: Attribution | None = None, product_type: str | None = None) -> dict[str, str]:
    return dimensions(data.owner_id, attribution or data.attribution, product_type or data.product_type,
                      _lead_channel(w, data.lead_id))


async def on_signed(w: Window, env: Envelope, data: DealSigned) -> None:
    day = w.local_day(env.branch_id, data.signed_at or env.time)
    w.count(env.branch_id, day, f"d:{data.deal_id}:signed",
            sale_counters(_dims(w, data), {"signed": 1, "signed_amount": data.agreed_price}))


async def on_payment(w: Window, env: Envelope, data: DealPaymentReceived) -> None:
    day = w.local_day(env.branch_id, data.paid_at or env.time)
    w.count(env.branch_id, day, f"d:pay:{data.payment_id}", sale_counters(_dims(w, data), {"collected_amount": data.amount}))


def _customer(data: Any) -> dict[str, Any]:
    return {"deal_id": data.deal_id, "lead_id": data.lead_id, "customer_name": data.customer_name,
            "owner_id": data.owner_id, "unit_id": data.unit_id, "product_type": data.product_type,
            "agreed_price": data.agreed_price, "list_price": data.list_price}


async def on_cancelled(w: Window, env: Envelope, data: DealCancelled) -> None:
    day = w.local_day(env.branch_id, env.time)
    if data.previous_status in SOLD:
        w.count(env.branch_id, day, f"d:{data.deal_id}:cancelled", sale_counters(_dims(w, data), {
            "cancelled": 1, "cancelled_amount": data.agreed_price, "refund": data.refund}))
    await records.put_row(w.g, env, day, "change", {
        **_customer(data), "change_kind": "cancel", "stage": data.previous_status or "unknown", "reason": data.reason,
        "reason_name": data.reason_name, "refund": data.refund, "paid_total": data.paid_total})


async def on_unit_changed(w: Window, env: Envelope, data: DealUnitChanged) -> None:
    day = w.local_day(env.branch_id, env.time)
    old_price = data.previous_agreed_price if data.previous_agreed_price is not None else data.agreed_price
    if data.status in SOLD:
        old_type = data.previous_product_type
        if old_type is None:
            old_type = (await records.units(w.g, [data.previous_unit_id])).get(data.previous_unit_id, {}).get("product_type")
        before = _dims(w, data, product_type=old_type or "other")
        w.count(env.branch_id, day, f"d:{data.deal_id}:unit:{env.id}",
                move_counters(before, _dims(w, data), old_price, data.agreed_price))
    await records.put_row(w.g, env, day, "change", {
        **_customer(data), "change_kind": "unit_change", "stage": data.status or "unknown", "reason": data.reason,
        "reason_name": data.reason_name, "previous_unit_id": data.previous_unit_id, "previous_price": old_price})


async def on_attribution_changed(w: Window, env: Envelope, data: DealAttributionChanged) -> None:
    if data.status not in SOLD:
        return
    before = _dims(w, data, attribution=data.previous_attribution)
    w.count(env.branch_id, w.local_day(env.branch_id, env.time), f"d:{data.deal_id}:credit:{env.id}",
            move_counters(before, _dims(w, data), data.agreed_price, data.agreed_price))


async def on_price_approved(w: Window, env: Envelope, data: DealPriceApproved) -> None:
    """特殊优惠客户一览表: one row per approved price below the line."""
    unit = (await records.units(w.g, [data.unit_id])).get(data.unit_id, {})
    list_price = data.list_price if data.list_price is not None else unit.get("list_price")
    discount = data.discount if data.discount is not None else (list_price - data.agreed_price if list_price else None)
    await records.put_row(w.g, env, w.local_day(env.branch_id, env.time), "discount", {
        **_customer(data), "list_price": list_price, "discount": discount,
        "product_type": data.product_type or unit.get("product_type"), "approved_by": data.decided_by, "note": data.reason})


async def on_unit(w: Window, env: Envelope, data: Any) -> None:
    await records.put_unit(w.g, env.branch_id, data.unit_id, {
        "project": data.project, "building": data.building, "unit_no": data.unit_no, "product_type": data.product_type,
        "list_price": data.list_price})


async def on_payout(w: Window, env: Envelope, data: Any) -> None:
    b = data.beneficiary
    who = f"payouts.{key(data.kind)}.{key(f'{b.type}:{b.id}')}"
    w.count(env.branch_id, w.local_day(env.branch_id, env.time), f"y:{data.payout_id}:{data.status}",
            {f"{who}.{data.status}": 1, f"{who}.{data.status}_amount": data.amount})
    if b.name:
        await records.upsert(w.g.names, f"payee:{b.type}:{b.id}", {"branch_id": env.branch_id, "name": b.name})
