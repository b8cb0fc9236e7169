"""Deals, lost reasons (流失分析), grade movement and follow-up overdue counters by day.

Deals (`deals`, `deal_amount`, `deals_by_consultant`) count leads won: a lead once, at its first `lead.won`, on
the branch date of the signing that won it (`signed_at`, else the event's time), with that win's amount and
consultant. A second `lead.won` (a lead reopened by a cancellation and signed again) and a cancellation after
signing change nothing here: the sales report (crm_reports.projections.sales) counts deals, cancellations and
re-signings. The lead's first win is a lead fact (`won_first`, crm_reports.projections.funnel), counted once
across days by the funnel's lead documents.
"""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING, Any

from crm_reports.projections.buckets import key, text_key
from crm_shared.events import Envelope
from crm_shared.events.leads import LeadFollowUpOverdue, LeadGraded, LeadLost, LeadWon

if TYPE_CHECKING:
    from crm_reports.projections.window import Window

TOKEN = "o"
GRADE_RANK = {"O": 0, "A": 1, "B": 2, "C": 3}
AGE_BUCKETS = ((1, "0-1"), (3, "2-3"), (7, "4-7"), (14, "8-14"))


def age_bucket(days: int) -> str:
    """Days a follow-up is overdue, as the compliance report's age bucket."""
    for limit, label in AGE_BUCKETS:
        if days <= limit:
            return label
    return "15+"


def missed_bucket(missed: int) -> str:
    return str(missed) if missed < 3 else "3+"


def grade_direction(previous: str | None, grade: str) -> str:
    if previous is None or previous not in GRADE_RANK:
        return "set"
    if GRADE_RANK[grade] < GRADE_RANK[previous]:
        return "up"
    return "down" if GRADE_RANK[grade] > GRADE_RANK[previous] else "same"


def _count(w: Window, env: Envelope, inc: dict, labels: dict[str, str] | None = None) -> None:
    w.count(env.branch_id, w.local_day(env.branch_id, env.time), f"{TOKEN}:{env.id}", inc, labels=labels)


def first_win(w: Window, env: Envelope, data: LeadWon) -> dict[str, Any]:
    """The lead's win as the lead-based reports count it (when it is the lead's first)."""
    fen = data.fen() or 0
    return {"branch_id": env.branch_id, "day": w.local_day(env.branch_id, data.signed_at or env.time).isoformat(),
            "owner": data.owner_id or "unassigned", "amount": float(Decimal(fen) / 100), "partner": data.partner_id,
            "deal_id": data.deal_id, "event": env.id}


def won_counters(first: dict[str, Any]) -> dict[str, float]:
    return {"deals": 1, "deal_amount": first["amount"], f"deals_by_consultant.{key(first['owner'])}": 1}


async def on_lead_won(w: Window, env: Envelope, data: LeadWon) -> None:
    """Remembered as the lead's first win unless it has one; counted once (crm_reports.projections.funnel)."""
    w.cohorts.record(data.lead_id, {"won_first": first_win(w, env, data)}, w.changes)


async def on_lead_lost(w: Window, env: Envelope, data: LeadLost) -> None:
    reason, labels = text_key(data.reason, "unknown")
    stage = key(data.status_before or "unknown")
    _count(w, env, {"lost.total": 1, f"lost.reason.{reason}": 1, f"lost.matrix.{reason}.{stage}": 1}, labels)


async def on_lead_graded(w: Window, env: Envelope, data: LeadGraded) -> None:
    direction = grade_direction(data.previous_grade, data.grade)
    _count(w, env, {f"grades.moves.{key(data.previous_grade or 'none')}>{data.grade}": 1, f"grades.{direction}": 1})


async def on_overdue(w: Window, env: Envelope, data: LeadFollowUpOverdue) -> None:
    day, due_day = w.local_day(env.branch_id, env.time), w.local_day(env.branch_id, data.due_at)
    owner = f"overdue.{key(data.owner_id or 'unassigned')}"
    inc = {
        f"{owner}.events": 1,
        f"{owner}.missed.{missed_bucket(data.missed_count)}": 1,
        f"{owner}.age.{age_bucket(max((day - due_day).days, 0))}": 1,
    }
    if data.missed_count == 1:
        inc[f"{owner}.new"] = 1
    w.count(env.branch_id, day, f"{TOKEN}:{env.id}", inc, {f"{owner}.max_missed": data.missed_count})
