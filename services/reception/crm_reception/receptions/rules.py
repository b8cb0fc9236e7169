"""Business reception (接待申请) rules on plain data: class policies, notice, budget, the
approval chain, resource buckets and the feedback deadline in working days."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, datetime, time, timedelta
from typing import Any

from crm_shared.branches import BranchSettings, add_working_days, at_local

RESOURCE_SLOT = timedelta(minutes=15)
MAX_DURATION = timedelta(days=3)


@dataclass(frozen=True)
class ClassPolicy:
    """Per-class defaults; a branch may override any field under settings `reception_classes.<class>`."""

    budget_min: float
    budget_max: float
    hotel: str
    accompany: tuple[str, ...]
    notice_days: int
    needs_general_manager: bool


DEFAULT_POLICIES: dict[str, ClassPolicy] = {
    "A": ClassPolicy(130, 150, "five_star", ("general_manager", "department_head", "host"), 2, True),
    "B": ClassPolicy(100, 130, "four_star", ("department_head", "host"), 1, False),
    "C": ClassPolicy(80, 100, "three_star", ("host",), 0, False),
    "D": ClassPolicy(0, 50, "none", ("host",), 0, False),  # D: the staff meal standard
}


def policy(cls: str, branch_settings: dict[str, Any] | None = None) -> ClassPolicy:
    """The class defaults with the branch's overrides; unknown or ill-typed overrides are ignored."""
    base = DEFAULT_POLICIES[cls]
    classes = (branch_settings or {}).get("reception_classes")
    override = classes.get(cls) if isinstance(classes, dict) else None
    if not isinstance(override, dict):
        return base
    changes: dict[str, Any] = {}
    for name, kinds in (("budget_min", (int, float)), ("budget_max", (int, float)), ("hotel", (str,)),
                        ("notice_days", (int,)), ("needs_general_manager", (bool,))):
        value = override.get(name)
        if isinstance(value, kinds) and isinstance(value, bool) == (kinds == (bool,)):
            changes[name] = value
    if isinstance(override.get("accompany"), list) and all(isinstance(x, str) for x in override["accompany"]):
        changes["accompany"] = tuple(override["accompany"])
    return replace(base, **changes)


def notice_problem(cls: str, pol: ClassPolicy, arrive_at: datetime, now: datetime) -> str | None:
    if arrive_at - now < timedelta(days=pol.notice_days):
        return (f"class {cls} needs at least {pol.notice_days} day(s) notice; "
                f"the guests arrive in {max(arrive_at - now, timedelta(0)).total_seconds() / 3600:.1f} hours")
    return None


def budget_problem(cls: str, pol: ClassPolicy, budget: float) -> str | None:
    if budget > pol.budget_max:
        return f"class {cls} allows at most {pol.budget_max:g} CNY per head"
    return None


def after_approval(status: str, pol: ClassPolicy) -> tuple[str, str]:
    """(step being approved, status after it): department head first, then the GM when the class needs one."""
    if status == "pending":
        return "department_head", "awaiting_general_manager" if pol.needs_general_manager else "approved"
    if status == "awaiting_general_manager":
        return "general_manager", "approved"
    raise ValueError(f"nothing to approve in status {status}")


PENDING = ("pending", "awaiting_general_manager")


def resource_claim_ids(branch_id: str, resource: str, start: datetime, end: datetime) -> list[str]:
    start, end = start.astimezone(UTC), end.astimezone(UTC)
    b = start.replace(minute=start.minute - start.minute % 15, second=0, microsecond=0)
    out = []
    while b < end:
        out.append(f"{branch_id}:{resource}:{b:%Y%m%dT%H%M}")
        b += RESOURCE_SLOT
    return out


def feedback_due(leave_at: datetime, days: int, settings: BranchSettings, tz: str) -> datetime:
    """End of the `days`-th working day after the visit's last day, branch time."""
    nth = add_working_days(leave_at, days, settings, tz)
    return at_local(nth.date(), time(23, 59, 59), tz).astimezone(UTC)
