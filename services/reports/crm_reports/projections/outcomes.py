"""Deals, lost reasons (流失分析), grade movement and follow-up overdue counters by day."""

from __future__ import annotations

from datetime import date

from crm_reports.generations import Generation
from crm_reports.projections.buckets import apply, key, local_day
from crm_shared.events import Envelope
from crm_shared.events.leads import LeadFollowUpOverdue, LeadGraded, LeadLost, LeadWon

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


async def _count(g: Generation, env: Envelope, inc: dict, maximum: dict | None = None) -> None:
    day = await local_day(g, env.branch_id, env.time)
    await apply(g, env.branch_id, day, f"{TOKEN}:{env.id}", inc, maximum)


async def on_lead_won(g: Generation, env: Envelope, data: LeadWon) -> None:
    inc = {"deals": 1, "deal_amount": float(data.amount or 0), f"deals_by_consultant.{key(data.owner_id or 'unassigned')}": 1}
    await _count(g, env, inc)


async def on_lead_lost(g: Generation, env: Envelope, data: LeadLost) -> None:
    reason, stage = key(data.reason.strip() or "unknown"), key(data.status_before or "unknown")
    await _count(g, env, {"lost.total": 1, f"lost.reason.{reason}": 1, f"lost.matrix.{reason}.{stage}": 1})


async def on_lead_graded(g: Generation, env: Envelope, data: LeadGraded) -> None:
    direction = grade_direction(data.previous_grade, data.grade)
    await _count(g, env, {f"grades.moves.{key(data.previous_grade or 'none')}>{data.grade}": 1, f"grades.{direction}": 1})


async def on_overdue(g: Generation, env: Envelope, data: LeadFollowUpOverdue) -> None:
    tz_day = await local_day(g, env.branch_id, env.time)
    due_day: date = await local_day(g, env.branch_id, data.due_at)
    owner = f"overdue.{key(data.owner_id or 'unassigned')}"
    inc = {
        f"{owner}.events": 1,
        f"{owner}.missed.{missed_bucket(data.missed_count)}": 1,
        f"{owner}.age.{age_bucket(max((tz_day - due_day).days, 0))}": 1,
    }
    if data.missed_count == 1:
        inc[f"{owner}.new"] = 1
    await apply(g, env.branch_id, tz_day, f"{TOKEN}:{env.id}", inc, {f"{owner}.max_missed": data.missed_count})
