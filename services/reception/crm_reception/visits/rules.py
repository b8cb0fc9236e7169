"""Front-desk rules on plain data: who a visitor is for, whether their owner is on duty, who of the
waiting visitors goes next, and how long they waited.

The visitor queue: a visitor nobody can take at once waits, either for a named consultant (their
appointment's, their lead's owner, or one the desk named) or for the rotation. When a consultant
becomes free, the longest-waiting visitor that consultant may take goes first; a visitor waiting
for someone still busy does not hold up the others.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Literal

from crm_reception.rotation.rules import RotationState, holder, next_up

OwnerStatus = Literal["on_duty", "off_duty", "left"]
AssignedBy = Literal["appointment", "owner", "rotation", "handover"]
IfOwnerOffDuty = Literal["wait", "rotation"]
LIVE = ("waiting", "open")


@dataclass(frozen=True)
class Plan:
    """Who should take a visitor: a named consultant (`consultant_id`), or the rotation (None)."""

    consultant_id: str | None
    assigned_by: AssignedBy
    on_duty: bool = False  # the named consultant must be in today's queue (a lead's owner)


def owner_status(active: bool, in_queue: bool) -> OwnerStatus:
    """A lead's owner is on duty when present in today's rotation; off duty when not (yet); gone when
    they left the company."""
    if not active:
        return "left"
    return "on_duty" if in_queue else "off_duty"


def plan(appointment_consultant: str | None, owner_id: str | None, status: OwnerStatus | None,
         if_owner_off_duty: IfOwnerOffDuty) -> Plan:
    """An appointment's (active) consultant first; else the lead's owner when on duty, or when off duty
    and the desk chose to wait; else the rotation (also when the owner has left)."""
    if appointment_consultant:
        return Plan(appointment_consultant, "appointment")
    if owner_id and (status == "on_duty" or (status == "off_duty" and if_owner_off_duty == "wait")):
        return Plan(owner_id, "owner", on_duty=True)
    return Plan(None, "rotation")


def takes_turn(assigned_by: str, returning: bool, appointment_id: str | None) -> bool:
    """The rotation always hands out turns; a hand-over of a new customer uses the named consultant's
    turn too (the turn follows the new customer); owners and appointments use none."""
    return assigned_by == "rotation" or (assigned_by == "handover" and not returning and not appointment_id)


@dataclass(frozen=True)
class Waiting:
    """A waiting visitor as the dispatcher sees it."""

    visit_id: str
    waiting_for: str | None
    on_duty: bool
    turn: bool


def waiting_of(doc: dict) -> Waiting:
    return Waiting(doc["_id"], doc.get("waiting_for"), doc.get("assigned_by") == "owner",
                   takes_turn(doc.get("assigned_by") or "rotation", bool(doc.get("returning")), doc.get("appointment_id")))


def pick(state: RotationState, waiting: list[Waiting]) -> tuple[Waiting, str] | None:
    """The longest-waiting visitor someone can take now, and who: whoever already holds them in the rotation,
    else their named consultant if free (and on duty when that is required), else for the rotation's
    visitors the rotation's next."""
    busy, nxt = state.busy_ids(), next_up(state)
    for w in waiting:
        if (held := holder(state, w.visit_id)) is not None:  # held, the visit not yet written (a crash, a race)
            return w, held
        if w.waiting_for is not None:
            if w.waiting_for not in busy and (not w.on_duty or w.waiting_for in state.queue):
                return w, w.waiting_for
        elif nxt is not None:
            return w, nxt
    return None


def waited_seconds(checked_in_at: datetime, now: datetime) -> int:
    return max(0, int((now - checked_in_at).total_seconds()))


def span_key(branch_id: str, phone_hash: str) -> str:
    """Held by the one live (waiting or open) visit of a person in a branch; a unique index keeps it one."""
    return f"{branch_id}:{phone_hash}"


def ended_key(visit_id: str) -> str:
    return f"ended:{visit_id}"


def stale(doc: dict, today: date) -> bool:
    """A live visit of an earlier day (never ended): it no longer holds the person's span."""
    return doc.get("rotation_day", today.isoformat()) < today.isoformat()
