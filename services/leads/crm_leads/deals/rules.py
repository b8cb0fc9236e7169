"""Pure rules of a lead's deals: what each deal event changes on the lead, with no I/O.

A lead keeps every deal of its customer (`deals`, a short list) and names the one that won it
(`won_deal_id`). Per deal the later stage wins (`subscribed < signed < paid < cancelled`; a
cancellation is final), so a redelivered or late event changes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

from crm_shared.events.deals import DealCancelled, DealPaid, DealSigned

from crm_leads.context import OPEN_STATUSES

RANK = {"subscribed": 0, "signed": 1, "paid": 2, "cancelled": 3}
MAX_DEALS = 50  # a buyer of a whole floor is still one lead
REOPEN_STATUS = "negotiating"  # a cancelled sale goes back to the stage before signing, owner kept
WINNABLE = (*OPEN_STATUSES, "lost")  # a signed contract outranks a lost mark: the customer bought


def unit_label(data: Any) -> str | None:
    """The unit as people name it, when the deal event carries a label (`unit_label`, or project/building/unit_no)."""
    label = getattr(data, "unit_label", None)
    if label:
        return str(label)[:200]
    unit = getattr(data, "unit", None)
    parts = [getattr(unit, k, None) for k in ("project", "building", "unit_no")] if unit is not None else []
    return " ".join(str(p) for p in parts if p)[:200] or None


def entry_of(data: DealSigned | DealPaid | DealCancelled, at: datetime) -> dict:
    """The deal as the lead shows it, from one of its events (money in fen)."""
    entry: dict = {"deal_id": data.deal_id, "agreed_price": data.agreed_price, "unit_id": data.unit_id,
                   "unit_label": unit_label(data), "as_of": at}
    if isinstance(data, DealSigned):
        entry |= {"status": "signed", "contract_no": data.contract_no, "signed_at": data.signed_at or at}
    elif isinstance(data, DealPaid):
        entry |= {"status": "paid", "paid_total": data.paid_total, "paid_at": data.paid_at or at}
    else:
        entry |= {"status": "cancelled", "refund": data.refund, "paid_total": data.paid_total,
                  "cancel_reason": data.reason, "cancelled_at": at}
    return entry


def merged(deals: list[dict], new: dict) -> tuple[list[dict], dict] | None:
    """The lead's deals with `new` applied, and the deal after it; None when it changes nothing (a redelivery,
    or an earlier stage arriving after a later one)."""
    old = next((d for d in deals if d["deal_id"] == new["deal_id"]), None)
    if old is not None and RANK[new["status"]] <= RANK[old["status"]]:
        return None
    entry = (old or {}) | {k: v for k, v in new.items() if v is not None}
    rest = [d for d in deals if d["deal_id"] != new["deal_id"]]
    return (rest + [entry])[-MAX_DEALS:], entry


@dataclass
class Effect:
    """What a deal event does to the lead: `won` (publish lead.won), `reopen` (back to follow-up), or only `record`."""

    kind: Literal["won", "reopen", "record"]
    sets: dict = field(default_factory=dict)


def effect(lead: dict, entry: dict) -> Effect:
    """Signed or paid wins an open (or lost) lead and shows the deal on a lead won by hand; cancelling the deal that
    won the lead reopens it; anything else is recorded on the lead only."""
    status, won_by = lead["status"], lead.get("won_deal_id")
    if entry["status"] in ("signed", "paid"):
        if status in WINNABLE:
            return Effect("won", {"status": "won", "won_deal_id": entry["deal_id"], "amount_fen": entry["agreed_price"]})
        if status == "won" and not won_by:  # closed won by hand before the deal reached leads: the deal shows
            return Effect("record", {"won_deal_id": entry["deal_id"], "amount_fen": entry["agreed_price"]})
        return Effect("record")
    if entry["status"] == "cancelled" and status == "won" and won_by == entry["deal_id"]:
        return Effect("reopen", {"status": REOPEN_STATUS, "won_deal_id": None, "amount_fen": None, "closed_at": None})
    return Effect("record")


def changes_of(entry: dict, effect_: Effect) -> dict:
    """`lead.updated.changes` for a recorded deal (money in fen, times as text)."""
    shown = {"deal_id": entry["deal_id"], "deal_status": entry["status"]}
    for key in ("contract_no", "paid_total", "refund", "cancel_reason"):
        if entry.get(key) is not None:
            shown[key] = entry[key]
    for key, value in effect_.sets.items():
        shown[key] = value.isoformat() if isinstance(value, datetime) else value
    return shown
