"""Pure: which payouts a deal should have and how each existing one moves toward that.

A deal's payouts follow from its state (as the payouts part last heard it): nothing before
signing; once signed a commission for the credited partner and a reward for the credited
referrer, `pending`; `due` once the deal is paid in full (never before); a cancelled deal voids
what is not paid and claws back what is; a credit moved to someone else voids the old
beneficiary's payout (claws it back if paid) and makes the new one's; a new unit or price
recomputes what is not paid yet. An approved payout whose amount changes goes back to `due`,
so a manager approves the amount that is paid. Running the plan twice changes nothing.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from crm_deals.payouts import rules

LIVE = ("pending", "due", "approved")
"""Not paid and not void: the amount may still change, and cancellation voids it."""


@dataclass(frozen=True)
class Want:
    """One payout the deal should have."""

    key: str
    kind: str  # commission | referral_reward
    beneficiary_type: str  # partner | referrer
    beneficiary_id: str
    amount: int
    reward_form: str
    referrer_kind: str | None = None
    nth: int | None = None
    percent: str | None = None


@dataclass(frozen=True)
class Step:
    """The move of one existing payout: its new status and amount, and why (for a void)."""

    status: str
    amount: int
    reason: str | None = None


def key(deal_id: str, kind: str, beneficiary_type: str, beneficiary_id: str) -> str:
    return f"{deal_id}:{kind}:{beneficiary_type}:{beneficiary_id}"


def wanted(deal: Mapping[str, Any], rule: Mapping[str, Any], referrer_kind: str | None, nth: int) -> dict[str, Want]:
    """The payouts a signed, live deal should have (none before signing or once cancelled); amount 0 = none."""
    if deal.get("cancelled") or not (deal.get("signed") or deal.get("paid")):
        return {}
    price, product, credit = deal["agreed_price"], deal.get("product_type"), deal.get("attribution") or {}
    out: dict[str, Want] = {}
    if partner := credit.get("partner_id"):
        amount = rules.commission(price, rule["commission_percent"])
        if amount > 0:
            k = key(deal["_id"], "commission", "partner", partner)
            out[k] = Want(k, "commission", "partner", partner, amount, "cash", percent=str(rule["commission_percent"]))
    if referrer := credit.get("referrer_id"):
        amount = rules.referral_reward(rule, referrer_kind, product, price, nth)
        if amount > 0:
            k = key(deal["_id"], "referral_reward", "referrer", referrer)
            out[k] = Want(k, "referral_reward", "referrer", referrer, amount, rules.reward_form(rule, referrer_kind),
                          referrer_kind=referrer_kind, nth=nth if referrer_kind == "public" else None)
    return out


def step(payout: Mapping[str, Any], want: Want | None, deal: Mapping[str, Any]) -> Step | None:
    """How an existing payout moves given what the deal wants now; None: it stays as it is."""
    status, amount = payout["status"], payout["amount"]
    if want is None:
        reason = "deal_cancelled" if deal.get("cancelled") else "no_longer_credited"
        if status in LIVE:
            return Step("void", amount, reason)
        if status == "paid":
            return Step("clawback", amount, reason)
        return None
    target = "due" if deal.get("paid") else "pending"
    if status == "void":
        return Step(target, want.amount)  # credited again (the credit came back): alive again
    if status == "pending":
        return Step(target, want.amount) if (target, want.amount) != ("pending", amount) else None
    if status == "due":
        return Step("due", want.amount) if want.amount != amount else None
    if status == "approved":
        return Step("due", want.amount) if want.amount != amount else None
    return None  # paid, clawback: settled
