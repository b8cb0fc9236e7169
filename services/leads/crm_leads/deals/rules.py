"""Pure rules of a lead's deals: what each deal event changes on the lead, with no I/O.

A lead keeps every deal of its customer (`deals`, a short list) and names the one that won it
(`won_deal_id`). Per deal the later stage wins (`subscribed < signed < paid < cancelled`; a
cancellation is final), so a redelivered or late event changes nothing.

A unit change (换房) moves the deal's unit and price: per deal the newer event wins for those fields
(`unit_as_of`), so a signing or payment that arrives after a later unit change keeps the new unit.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

from crm_shared.events.deals import DealCancelled, DealPaid, DealSigned, DealUnitChanged

from crm_leads.context import OPEN_STATUSES

RANK = {"subscribed": 0, "signed": 1, "paid": 2, "cancelled": 3}
MAX_DEALS = 50  # a buyer of a whole floor is still one lead
UNIT_FIELDS = ("unit_id", "unit_label", "agreed_price")
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
                   "unit_label": unit_label(data), "as_of": at, "unit_as_of": at}
    if isinstance(data, DealSigned):
        entry |= {"status": "signed", "contract_no": data.contract_no, "signed_at": data.signed_at or at}
    elif isinstance(data, DealPaid):
        entry |= {"status": "paid", "paid_total": data.paid_total, "paid_at": data.paid_at or at}
    else:
        entry |= {"status": "cancelled", "refund": data.refund, "paid_total": data.paid_total,
                  "cancel_reason": data.reason, "cancelled_at": at}
    return entry


def move_of(data: DealUnitChanged, at: datetime) -> dict:
    """A unit change as leads keeps it per deal: the new unit and price, as of the event's time."""
    return {"deal_id": data.deal_id, "unit_id": data.unit_id, "unit_label": unit_label(data),
            "agreed_price": data.agreed_price, "previous_unit_id": data.previous_unit_id, "unit_as_of": at}


def _unit_time(entry: dict) -> datetime | None:
    return entry.get("unit_as_of") or entry.get("as_of")


def with_unit(entry: dict, move: dict | None) -> dict:
    """`entry` with the unit and price of `move` when the move is newer (a later unit change wins, whatever the
    order of arrival); `entry` itself otherwise."""
    if not move or move.get("deal_id") != entry["deal_id"] or move.get("unit_as_of") is None:
        return entry
    mine = _unit_time(entry)
    if mine is not None and move["unit_as_of"] <= mine:
        return entry
    return entry | {k: move[k] for k in UNIT_FIELDS if move.get(k) is not None} | {"unit_as_of": move["unit_as_of"]}


def merged(deals: list[dict], new: dict, move: dict | None = None) -> tuple[list[dict], dict] | None:
    """The lead's deals with `new` applied, and the deal after it; None when it changes nothing (a redelivery,
    or an earlier stage arriving after a later one). The unit and price are the newest known: the entry's own,
    the event's, or `move` (the deal's latest unit change)."""
    old = next((d for d in deals if d["deal_id"] == new["deal_id"]), None)
    if old is not None and RANK[new["status"]] <= RANK[old["status"]]:
        return None
    entry = (old or {}) | {k: v for k, v in new.items() if v is not None}
    if old is not None:
        entry = with_unit(entry, {"deal_id": old["deal_id"], "unit_as_of": _unit_time(old),
                                  **{k: old.get(k) for k in UNIT_FIELDS}})
    entry = with_unit(entry, move)
    rest = [d for d in deals if d["deal_id"] != new["deal_id"]]
    return (rest + [entry])[-MAX_DEALS:], entry


def moved(deals: list[dict], move: dict) -> tuple[list[dict], dict] | None:
    """The lead's deals with a unit change applied to its deal, and the deal after it; None when the lead does not
    show the deal (not signed yet: its signing will carry the unit) or already shows this or a newer unit."""
    old = next((d for d in deals if d["deal_id"] == move["deal_id"]), None)
    if old is None:
        return None
    entry = with_unit(old, move)
    if entry is old:
        return None
    return [entry if d["deal_id"] == move["deal_id"] else d for d in deals], entry


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


def move_effect(lead: dict, entry: dict) -> dict:
    """What a unit change sets on the lead besides its deals: the amount, when the moved deal is the one that won."""
    if lead.get("status") == "won" and lead.get("won_deal_id") == entry["deal_id"]:
        return {"amount_fen": entry["agreed_price"]}
    return {}


def changes_of(entry: dict, effect_: Effect) -> dict:
    """`lead.updated.changes` for a recorded deal (money in fen, times as text)."""
    shown = {"deal_id": entry["deal_id"], "deal_status": entry["status"]}
    for key in ("contract_no", "paid_total", "refund", "cancel_reason"):
        if entry.get(key) is not None:
            shown[key] = entry[key]
    for key, value in effect_.sets.items():
        shown[key] = value.isoformat() if isinstance(value, datetime) else value
    return shown
