"""Complaints (客户投诉), revisits (回访), archives (顾客档案) and evaluations (客户关系评估) from customers' events.

Counters on day documents, each guarded by a token so a repeat never counts twice:
- `complaints.<category>.*`: received (and major) on the day received; closed, closed on time or late,
  days to close, the customer's response, reopened and improvement actions done on their day.
- Complaint deadlines are lines, not counters (crm_reports.projections.records.put_deadline): each
  deadline a receipt or a reopening sets, on the date it falls, marked `missed` by its overdue event, so
  a period counts each complaint once however often it was reopened (the overdue rate,
  crm_reports.queries.care_rules).
- `revisits.<assignee>.*`: tasks due on their due date (`due`, `overdue_tasks`, `done_on_time`,
  `done_late`, once per task), revisits logged (`done`, satisfaction) and overdue notices on their day.
- `archives.<tier>.*`: opened, tier moves, reviews, freezes on their day; evaluations by the archive's
  tier, grade and recommendation. The latest state of each archive and its latest grade are facts
  (crm_reports.projections.records), for the tier and grade mix as it stands.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from crm_reports.projections import records
from crm_reports.projections.buckets import key
from crm_shared.events import Envelope
from crm_shared.events.customers import (
    ArchiveTierChanged, ComplaintClosed, ComplaintOverdue, ComplaintReceived, ComplaintReopened, EvaluationSubmitted,
    RevisitLogged,
)

if TYPE_CHECKING:
    from crm_reports.projections.window import Window

DAY_SECONDS = 86_400
DUE_AT = {"report": "report_due_at", "handling": "due_at"}  # a complaint's deadlines, as its events carry them


def _on(w: Window, env: Envelope, at: datetime | None, token: str, inc: dict[str, float]) -> None:
    w.count(env.branch_id, w.local_day(env.branch_id, at or env.time), token, inc)


# ---- complaints

def close_counters(data: ComplaintClosed, closed_at: datetime) -> dict[str, float]:
    """What one closing adds: on time against the handling deadline, days since receipt, the response."""
    c = f"complaints.{key(data.category)}"
    inc: dict[str, float] = {f"{c}.closed": 1, f"{c}.{data.customer_response}": 1}
    if data.due_at is not None:
        inc[f"{c}.closed_on_time" if closed_at <= data.due_at else f"{c}.closed_late"] = 1
    if data.received_at is not None and closed_at >= data.received_at:
        inc[f"{c}.timed"] = 1
        inc[f"{c}.days_to_close"] = round((closed_at - data.received_at).total_seconds() / DAY_SECONDS, 4)
    return inc


async def _deadline(w: Window, env: Envelope, data: Any, deadline: str, due_at: datetime | None,
                    missed: bool = False) -> None:
    if due_at is not None:
        await records.put_deadline(w.g, env.branch_id, w.local_day(env.branch_id, due_at), data.complaint_id, deadline,
                                   due_at, {"category": data.category, **({"missed": True} if missed else {})})


async def on_complaint(w: Window, env: Envelope, data: Any) -> None:
    c, cid = f"complaints.{key(data.category)}", data.complaint_id
    if isinstance(data, ComplaintReceived | ComplaintReopened):  # both set the report and handling deadlines
        for deadline, field in DUE_AT.items():
            await _deadline(w, env, data, deadline, getattr(data, field))
    if isinstance(data, ComplaintReceived):
        _on(w, env, None, f"c:{cid}:received", {f"{c}.received": 1, **({f"{c}.major": 1} if data.severity == "major" else {})})
    elif isinstance(data, ComplaintOverdue):  # the deadline that passed (`missed_at`), due that day too
        await _deadline(w, env, data, data.deadline, data.missed_at or getattr(data, DUE_AT[data.deadline]), missed=True)
    elif isinstance(data, ComplaintClosed):
        closed_at = data.closed_at or env.time
        _on(w, env, closed_at, f"c:{cid}:closed:{env.id}", close_counters(data, closed_at))
    elif isinstance(data, ComplaintReopened):
        _on(w, env, None, f"c:{cid}:reopened:{env.id}", {f"{c}.reopened": 1})
    elif env.type == "complaint.action_done":
        _on(w, env, None, f"c:{cid}:action:{data.action_id}", {f"{c}.actions_done": 1})


# ---- revisits

async def on_revisit(w: Window, env: Envelope, data: Any) -> None:
    who = f"revisits.{key(data.assignee_id or getattr(data, 'logged_by', None) or 'unassigned')}"
    task = data.task_id
    if env.type == "revisit.due":
        _on(w, env, data.due_at, f"v:{task or env.id}:due", {f"{who}.due": 1})
    elif env.type == "revisit.overdue":
        if task and data.due_at:
            _on(w, env, data.due_at, f"v:{task}:overdue", {f"{who}.overdue_tasks": 1})
        _on(w, env, None, f"v:{env.id}:missed", {f"{who}.missed": 1})
    elif isinstance(data, RevisitLogged):
        inc: dict[str, float] = {f"{who}.done": 1}
        if data.satisfaction is not None:
            inc |= {f"{who}.satisfaction_sum": data.satisfaction, f"{who}.satisfaction_n": 1}
        _on(w, env, None, f"v:{data.revisit_id or env.id}:done", inc)
        if task and data.due_at:
            on_time = data.on_time if data.on_time is not None else \
                w.local_day(env.branch_id, env.time) <= w.local_day(env.branch_id, data.due_at)
            _on(w, env, data.due_at, f"v:{task}:closed", {f"{who}.done_on_time" if on_time else f"{who}.done_late": 1})


# ---- archives and evaluations

def _archive_fields(env: Envelope, data: Any) -> dict[str, Any]:
    return {"branch_id": env.branch_id, "kind": "archive", "tier": data.tier, "category": data.category,
            "frozen": data.frozen, "account_manager_id": data.account_manager_id}


async def on_archive(w: Window, env: Envelope, data: Any) -> None:
    a, aid = f"archives.{key(data.tier)}", data.archive_id
    if env.type == "archive.opened":
        _on(w, env, None, f"a:{aid}:opened", {f"{a}.opened": 1, f"{a}.opened_by_category.{key(data.category)}": 1})
    elif isinstance(data, ArchiveTierChanged) and data.previous_tier and data.previous_tier != data.tier:
        _on(w, env, None, f"a:{env.id}:tier", {f"archives.{key(data.previous_tier)}.moved_out": 1, f"{a}.moved_in": 1})
    elif env.type in ("archive.frozen", "archive.unfrozen"):
        _on(w, env, None, f"a:{env.id}:freeze", {f"{a}.{env.type.removeprefix('archive.')}": 1})
    await records.put_fact(w.g, f"archive:{aid}", env.time, _archive_fields(env, data))


async def on_evaluation(w: Window, env: Envelope, data: Any) -> None:
    archive = await records.fact(w.g, f"archive:{data.archive_id}") or {}
    tier = f"archives.{key(archive.get('tier') or 'unknown')}"
    if isinstance(data, EvaluationSubmitted):
        _on(w, env, None, f"e:{data.evaluation_id}:submitted", {
            f"{tier}.evaluations": 1, f"{tier}.graded.{key(data.grade)}": 1,
            f"{tier}.recommended.{key(data.recommendation)}": 1})
    if isinstance(data, EvaluationSubmitted) or data.decision == "approved":
        await records.put_fact(w.g, f"grade:{data.archive_id}", env.time, {
            "branch_id": env.branch_id, "kind": "grade", "archive_id": data.archive_id, "grade": data.grade,
            "recommendation": data.recommendation})
