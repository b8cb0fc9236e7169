"""Revisit plans (回访计划), pure: which tasks an archive should have on a branch-local day.

- By tier: one planned task at a time, `months(tier)` after the day it is planned (opening, a tier change, an
  unfreeze, or the day the previous one came due or was logged early): core monthly, key quarterly, general
  twice a year by default.
- After a sale: `after_sale_days` (7 and 30) days after signing, on the handover day (交房, `card.handover_on`) and
  on each anniversary of signing (the next one is planned when the last comes due).
- Only days from today on are planned: an archive opened long after its sale gets no task for a missed past.
"""

from __future__ import annotations

import calendar
import hashlib
import uuid
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from crm_shared.branches import at_local

KIND_NAMES = {"tier_cycle": "定期回访", "after_sale": "售后回访", "handover": "交房回访", "anniversary": "签约周年回访",
              "unplanned": "临时回访"}
WAY_NAMES = {"phone": "电话", "visit": "上门拜访", "wechat": "微信", "gift": "赠礼", "other": "其他"}
STATUS_NAMES = {"planned": "计划中", "due": "待回访", "overdue": "已逾期", "done": "已完成", "cancelled": "已取消"}
OPEN = ("planned", "due", "overdue")


@dataclass(frozen=True)
class Planned:
    """A task an archive should have: its kind, day and what it hangs on (a deal, a tier)."""

    kind: str
    due_on: date
    deal_id: str | None = None
    tier: str | None = None
    days: int | None = None

    @property
    def key(self) -> str:
        return ":".join(str(p) for p in (self.kind, self.deal_id or "", self.days or "", self.due_on.isoformat()))


def add_months(day: date, months: int) -> date:
    """The same day `months` later, the month's last day when it has fewer days (Jan 31 + 1 → Feb 28/29)."""
    total = day.month - 1 + months
    year, month = day.year + total // 12, total % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def anniversary(signed_on: date, year: int) -> date:
    """The signing's day in `year` (a Feb 29 signing on Feb 28 in other years)."""
    last = calendar.monthrange(year, signed_on.month)[1]
    return date(year, signed_on.month, min(signed_on.day, last))


def next_anniversary(signed_on: date, today: date) -> date:
    """The first anniversary strictly after `today` (and after the signing itself)."""
    year = max(today.year, signed_on.year + 1)
    day = anniversary(signed_on, year)
    return day if day > today else anniversary(signed_on, year + 1)


def tier_task(tier: str, months: dict[str, int], today: date) -> Planned:
    return Planned("tier_cycle", add_months(today, months[tier]), tier=tier)


def after_sale(deal_id: str, signed_on: date, today: date, after_days: list[int]) -> list[Planned]:
    """The sale's revisits from today on: N days after signing, and the next anniversary."""
    out = [Planned("after_sale", signed_on + timedelta(days=n), deal_id=deal_id, days=n) for n in sorted(set(after_days))]
    out.append(Planned("anniversary", next_anniversary(signed_on, today), deal_id=deal_id))
    return [p for p in out if p.due_on >= today]


def handover(handover_on: date | None, today: date) -> list[Planned]:
    return [Planned("handover", handover_on)] if handover_on and handover_on >= today else []


def plan(*, tier: str, months: dict[str, int], today: date, has_tier_task: bool,
         deals: list[tuple[str, date]], handover_on: date | None, after_days: list[int]) -> list[Planned]:
    """Every task an unfrozen archive should have from today on (those it already has are kept as they are)."""
    out = [] if has_tier_task else [tier_task(tier, months, today)]
    for deal_id, signed_on in deals:
        out += after_sale(deal_id, signed_on, today, after_days)
    return out + handover(handover_on, today)


def task_id(archive_id: str, planned: Planned, due_at: datetime) -> str:
    """A uuid7-shaped id fixed by the archive and the task (a replan or a redelivery makes the same task) whose
    time part is the due time, so lists paged by id come in due order."""
    ms = int(due_at.timestamp() * 1000) & ((1 << 48) - 1)
    rand = int.from_bytes(hashlib.sha256(f"{archive_id}|{planned.key}".encode()).digest()[:10], "big")
    value = ms << 80 | 0x7 << 76 | ((rand >> 62) & 0xFFF) << 64 | 0b10 << 62 | rand & ((1 << 62) - 1)
    return str(uuid.UUID(int=value))


def due_at(due_on: date, tz: str | None) -> datetime:
    """A task comes due at the start of its branch-local day."""
    return at_local(due_on, time(0), tz)


def overdue_at(due_on: date, grace_days: int, tz: str | None) -> datetime:
    """It is overdue when its day and `grace_days` more have passed without a log."""
    return at_local(due_on + timedelta(days=grace_days + 1), time(0), tz)


def day_of(value: object) -> date | None:
    """A stored day: a `date`, a datetime, or ISO text (`2026-05-01`); None for anything else."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value[:10])
        except ValueError:
            return None
    return None
