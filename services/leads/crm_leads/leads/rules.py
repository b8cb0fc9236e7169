"""Pure lead rules: follow-up cadence in branch time, missed dates, reclaim and pool-claim windows.

No I/O: the service and the timers call these with an explicit `now`.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta

from crm_shared.branches import BranchSettings, at_local, local_date
from crm_shared.errors import Invalid

FIRST_CONTACT_GRADE = "O"  # an ungraded lead is followed up as urgently as the hottest grade


def cadence_days(grade: str | None, settings: BranchSettings) -> int:
    return getattr(settings.cadence_days, grade or FIRST_CONTACT_GRADE)


def due_after(now: datetime, days: int, tz: str) -> datetime:
    """The end of the branch-local day `days` days after today (a follow-up is due 'by that day')."""
    day = local_date(now, tz) + timedelta(days=days + 1)
    return at_local(day, time(0, 0), tz)


def next_follow_up(now: datetime, grade: str | None, settings: BranchSettings, tz: str) -> datetime:
    return due_after(now, cadence_days(grade, settings), tz)


def missed_dates(due_at: datetime | None, days: int, now: datetime) -> int:
    """How many follow-up dates have passed: the due date, then one per cadence period after it."""
    if due_at is None or now <= due_at:
        return 0
    return int((now - due_at) / timedelta(days=days)) + 1


def latest_missed_date(due_at: datetime, days: int, missed: int) -> datetime:
    return due_at + timedelta(days=days) * (missed - 1)


def reclaim_at(last_activity: datetime, settings: BranchSettings) -> datetime:
    return last_activity + timedelta(days=settings.reclaim_after_days)


def warn_at(last_activity: datetime, settings: BranchSettings) -> datetime | None:
    if settings.reclaim_warning_days <= 0:
        return None
    return reclaim_at(last_activity, settings) - timedelta(days=settings.reclaim_warning_days)


def may_claim(lost_to_pool_at: datetime | None, now: datetime, settings: BranchSettings) -> bool:
    """A consultant cannot take back, within the reclaim window, a lead it lost to the pool."""
    return lost_to_pool_at is None or now >= lost_to_pool_at + timedelta(days=settings.reclaim_after_days)


def claim_day(now: datetime, tz: str) -> str:
    """Pool claim limits count per branch-local calendar day."""
    return local_date(now, tz).isoformat()


def require_lost_reason(settings: BranchSettings, code: str | None, note: str | None) -> None:
    """A lost lead names one of the branch's reasons (so the analysis adds up), with a note where it asks for one."""
    reason = settings.lost_reason(code)
    if reason is None:
        allowed = [r.code for r in settings.lost_reasons]
        raise Invalid(f"reason must be one of the branch's lost reasons: {', '.join(allowed)}", kind="unknown-lost-reason",
                      loc=["body", "reason"], allowed=allowed)
    if reason.note_required and not note:
        raise Invalid(f"the lost reason {code!r} needs a note", kind="note-required", loc=["body", "note"])
