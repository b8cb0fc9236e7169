"""The deals reports as pure functions: sales, changes and refunds, approved discounts, payouts.

Inputs are day counters (any key -> counters, one branch or several: a roll-up is the same sum) and
list rows; money is integer fen inside and a decimal string with two places outside (`"2980000.00"`).
`names` maps the ids of one dimension (staff, partners, referrers, units) to what people call them.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from crm_reports.queries.tally import merge, num, rate, sub

SALES_DIMENSIONS = ("consultant", "channel", "partner", "referrer", "product_type")
PRODUCT_TYPES = ("apartment", "high_rise", "garden_house", "villa", "shop", "parking", "other")
PAYOUT_STATUSES = ("pending", "due", "approved", "paid", "void", "clawback")
CENT = Decimal("0.01")


def fen(value: Any) -> int:
    return int(round(num(value or 0)))


def money(amount_fen: Any) -> str:
    """Integer fen as a decimal string with two places, sign kept (`-150000` -> `"-1500.00"`)."""
    return str((Decimal(fen(amount_fen)) / 100).quantize(CENT))


def sales_row(c: dict[str, Any]) -> dict[str, Any]:
    signed, cancelled, moved = (int(num(c.get(k, 0))) for k in ("signed", "cancelled", "moved"))
    amounts = {k: fen(c.get(k)) for k in ("signed_amount", "cancelled_amount", "moved_amount", "refund", "collected_amount")}
    return {"units": signed - cancelled + moved,
            "amount": money(amounts["signed_amount"] - amounts["cancelled_amount"] + amounts["moved_amount"]),
            "signed": signed, "signed_amount": money(amounts["signed_amount"]), "cancelled": cancelled,
            "cancelled_amount": money(amounts["cancelled_amount"]), "refund": money(amounts["refund"]), "moved": moved,
            "moved_amount": money(amounts["moved_amount"]), "collected_amount": money(amounts["collected_amount"])}


def sales(days: dict[str, dict], group_by: str, names: dict[str, str] | None = None) -> dict[str, Any]:
    """Sold units and amount per key of one dimension; every product type is listed, sold or not."""
    groups = merge(sub(days, f"sales.{group_by}"))
    if group_by == "product_type":
        groups = {t: groups.get(t, {}) for t in PRODUCT_TYPES} | groups
    items = [{"group": g, "name": (names or {}).get(g), **sales_row(c)} for g, c in groups.items()]
    if group_by != "product_type":
        items.sort(key=lambda i: (-i["units"], -Decimal(i["amount"]), i["group"]))
    total = merge(sub(days, "sales.total")).get("all", {})
    return {"group_by": group_by, "items": items, "total": sales_row(total)}


def _unit_label(unit: dict[str, Any] | None) -> str | None:
    if not unit:
        return None
    parts = [unit.get(k) for k in ("project", "building", "unit_no")]
    return " ".join(str(p) for p in parts if p) or None


def deal_changes(rows: list[dict[str, Any]], staff: dict[str, str], units: dict[str, dict],
                 reasons: dict[str, str]) -> dict[str, Any]:
    """换房/退房一览表: one line per cancellation or unit change, and the count and refunds per reason."""
    items, by_reason = [], {}
    for r in rows:
        reason = r.get("reason") or "unknown"
        reason_name = r.get("reason_name") or reasons.get(reason) or reason
        cancel = r["change_kind"] == "cancel"
        old_unit = units.get(r.get("unit_id") if cancel else r.get("previous_unit_id"))
        items.append({
            "date": r["date"], "change_kind": r["change_kind"], "deal_id": r.get("deal_id"), "customer": r.get("customer_name"),
            "consultant_id": r.get("owner_id"), "consultant": staff.get(r.get("owner_id") or ""),
            "unit_id": r.get("unit_id") if cancel else r.get("previous_unit_id"), "unit": _unit_label(old_unit),
            "new_unit_id": None if cancel else r.get("unit_id"),
            "new_unit": None if cancel else _unit_label(units.get(r.get("unit_id"))),
            "stage": r.get("stage") or "unknown", "reason": reason, "reason_name": reason_name,
            "agreed_price": money(r.get("agreed_price")),
            "previous_price": None if cancel else money(r.get("previous_price")),
            "refund": money(r.get("refund")) if cancel else None,
            "paid_total": money(r.get("paid_total")) if cancel else None,
        })
        group = by_reason.setdefault((r["change_kind"], reason), {"change_kind": r["change_kind"], "reason": reason,
                                                                   "reason_name": reason_name, "count": 0, "refund": 0})
        group["count"] += 1
        group["refund"] += fen(r.get("refund")) if cancel else 0
    groups = sorted(by_reason.values(), key=lambda g: (g["change_kind"], -g["count"], g["reason"]))
    cancels = [i for i in items if i["change_kind"] == "cancel"]
    return {"items": items, "by_reason": [{**g, "refund": money(g["refund"])} for g in groups],
            "total": {"cancellations": len(cancels), "unit_changes": len(items) - len(cancels),
                      "refund": money(sum(fen(r.get("refund")) for r in rows if r["change_kind"] == "cancel"))}}


def discounts(rows: list[dict[str, Any]], staff: dict[str, str], units: dict[str, dict]) -> dict[str, Any]:
    """特殊优惠客户一览表: one line per approved price below the line, with the discount."""
    items = []
    for r in rows:
        list_price, discount = r.get("list_price"), r.get("discount")
        items.append({
            "date": r["date"], "deal_id": r.get("deal_id"), "customer": r.get("customer_name"),
            "consultant_id": r.get("owner_id"), "consultant": staff.get(r.get("owner_id") or ""),
            "unit_id": r.get("unit_id"), "unit": _unit_label(units.get(r.get("unit_id"))),
            "product_type": r.get("product_type") or "other",
            "list_price": money(list_price) if list_price is not None else None, "agreed_price": money(r.get("agreed_price")),
            "discount": money(discount) if discount is not None else None,
            "discount_rate": rate(fen(discount), fen(list_price)) if discount is not None and list_price else None,
            "approved_by_id": r.get("approved_by"), "approved_by": staff.get(r.get("approved_by") or ""),
            "note": r.get("note"),
        })
    return {"items": items, "total": {"count": len(items),
                                      "discount": money(sum(fen(r.get("discount")) for r in rows))}}


def payouts(days: dict[str, dict], names: dict[str, str] | None = None) -> dict[str, Any]:
    """Commissions and referral rewards per kind and beneficiary: payouts and amounts that reached each
    status in the period (pending on signing, due when paid in full, approved, paid, void, clawback)."""
    items, totals = [], {s: 0 for s in PAYOUT_STATUSES} | {f"{s}_amount": 0 for s in PAYOUT_STATUSES}
    for kind, beneficiaries in merge(sub(days, "payouts")).items():
        for who, c in beneficiaries.items():
            btype, _, bid = who.partition(":")
            row: dict[str, Any] = {"kind": kind, "beneficiary": {"type": btype, "id": bid}, "name": (names or {}).get(who)}
            for s in PAYOUT_STATUSES:
                n, amount = int(num(c.get(s, 0))), fen(c.get(f"{s}_amount"))
                row[f"n_{s}"], row[f"{s}_amount"] = n, money(amount)
                totals[s] += n
                totals[f"{s}_amount"] += amount
            items.append(row)
    items.sort(key=lambda i: (i["kind"], -Decimal(i["paid_amount"]), -Decimal(i["due_amount"]), i["beneficiary"]["id"]))
    total = {**{f"n_{s}": totals[s] for s in PAYOUT_STATUSES},
             **{f"{s}_amount": money(totals[f"{s}_amount"]) for s in PAYOUT_STATUSES}}
    return {"items": items, "total": total}
