"""Pure rules of deals: price approval, attribution at subscription and after a dispute, payments, refunds."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal

from crm_shared.errors import Conflict, Invalid

from crm_deals.units.rules import from_fen

LIVE = ("subscribed", "signed", "paid")
CHANGEABLE = ("subscribed", "signed")
CANCELLABLE = LIVE
EMPTY = {"partner_id": None, "report_id": None, "referrer_id": None, "referrer_kind": None}


def needs_approval(list_fen: int, agreed_fen: int, max_discount: Decimal) -> bool:
    """价格核定: an agreed price strictly below list × (1 − max_discount) waits for a manager. Exact (Decimal)."""
    return Decimal(agreed_fen) < Decimal(list_fen) * (1 - max_discount)


def lowest_without_approval(list_fen: int, max_discount: Decimal) -> str:
    """The lowest price that needs no approval, as people read it (rounded up to the fen)."""
    exact = Decimal(list_fen) * (1 - max_discount)
    return from_fen(int(exact.to_integral_value(rounding="ROUND_CEILING")))


def protection_end(report: dict) -> datetime | None:
    """When a confirmed report's protection ends: its `protection_until`, or earlier if it expired (lapsed)."""
    until = report.get("protection_until")
    ended = report.get("ended_at") if report.get("status") == "expired" else None
    if until is None:
        return None
    return min(until, ended) if ended else until


def attribution_at(lead: dict, reports: list[dict], referrer_kind: str | None, protection_days: int,
                   now: datetime) -> dict:
    """Who a deal subscribed `now` credits.

    - A dispute decided for the lead rules: its winner is credited while protected (the winning report's
      protection, or `protection_days` from the decision, as leads does); a decision for nobody credits no partner.
    - Otherwise a confirmed channel report of the lead whose protection runs at `now` credits its partner
      (the one protected longest, should there be several).
    - A referral lead (全民营销) credits its referrer when no partner is credited: one customer, one channel.
    """
    out = dict(EMPTY)
    decision = lead.get("decision")
    if decision:
        winner = decision.get("winner")
        if winner:
            same = decision.get("report_partner_id") == winner
            report = next((r for r in reports if r["_id"] == decision.get("report_id")), None)
            until = protection_end(report) if same and report else None
            until = until or decision["at"] + timedelta(days=protection_days)
            if now <= until:
                out |= {"partner_id": winner, "report_id": decision.get("report_id") if same else None}
    else:
        live = [(end, r) for r in reports if (end := protection_end(r)) is not None and now <= end]
        if live:
            _, report = max(live, key=lambda pair: pair[0])
            out |= {"partner_id": report["partner_id"], "report_id": report["_id"]}
    if out["partner_id"] is None and lead.get("channel") == "referral" and lead.get("referrer_id"):
        out |= {"referrer_id": lead["referrer_id"], "referrer_kind": referrer_kind}
    return out


def decided_attribution(current: dict, decision: dict) -> dict:
    """A dispute decided after subscription moves the credit: the winner (a partner) replaces whoever was credited;
    a decision for nobody takes the partner's credit away and leaves a referrer's."""
    winner = decision.get("winner")
    if winner:
        same = decision.get("report_partner_id") == winner
        return {**EMPTY, "partner_id": winner, "report_id": decision.get("report_id") if same else None}
    return {**EMPTY, "referrer_id": current.get("referrer_id"), "referrer_kind": current.get("referrer_kind")}


def check_deposit(agreed_fen: int, deposit_fen: int) -> None:
    if deposit_fen > agreed_fen:
        raise Invalid("定金不能超过成交价", kind="deposit-exceeds-price", loc=["body", "deposit"])


def check_payment(status: str, agreed_fen: int, paid_fen: int, amount_fen: int) -> None:
    """回款 only on a signed deal, and never beyond the agreed price: 409 `overpayment` naming what remains."""
    if status != "signed":
        detail = {"subscribed": "签约后才能登记回款", "paid": "房款已结清", "cancelled": "已退房的成交不能登记回款"}
        raise Conflict("wrong-status", detail.get(status, f"the deal is {status}"), status_now=status)
    remaining = agreed_fen - paid_fen
    if amount_fen > remaining:
        raise Conflict("overpayment", f"本次回款超出应收余额：尚欠 {from_fen(remaining)} 元",
                       remaining=from_fen(remaining), paid_total=from_fen(paid_fen), agreed_price=from_fen(agreed_fen))


def check_refund(paid_fen: int, refund_fen: int) -> None:
    if refund_fen > paid_fen:
        raise Invalid(f"退款不能超过已收房款 {from_fen(paid_fen)} 元", kind="refund-exceeds-paid",
                      loc=["body", "refund"], paid_total=from_fen(paid_fen))


def reached(agreed_fen: int, paid_fen: int) -> bool:
    return paid_fen >= agreed_fen
