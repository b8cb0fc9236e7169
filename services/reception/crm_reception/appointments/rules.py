"""Appointment rules on plain data: slot buckets, site checklists, no-show timing, free time.

A consultant's time is cut into 5-minute buckets (UTC); an appointment claims every bucket
it touches, rounding outward. Two bookings overlap exactly when they share a bucket (up to
the rounding), so a unique `_id` per (consultant, bucket) makes double booking impossible
without transactions.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from crm_shared import checklist

SLOT = timedelta(minutes=5)
MAX_DURATION = timedelta(hours=12)
OPEN_STATUSES = ("scheduled",)
BUSY_STATUSES = ("scheduled", "arrived")


def buckets(start: datetime, end: datetime) -> list[datetime]:
    """Every 5-minute bucket [b, b+5min) the interval [start, end) touches."""
    start, end = start.astimezone(UTC), end.astimezone(UTC)
    first = start.replace(minute=start.minute - start.minute % 5, second=0, microsecond=0)
    out, b = [], first
    while b < end:
        out.append(b)
        b += SLOT
    return out


def claim_ids(consultant_id: str, start: datetime, end: datetime) -> list[str]:
    return [f"{consultant_id}:{b:%Y%m%dT%H%M}" for b in buckets(start, end)]


def overlaps(a_start: datetime, a_end: datetime, b_start: datetime, b_end: datetime) -> bool:
    return a_start < b_end and b_start < a_end


def interval_problem(start: datetime, end: datetime) -> str | None:
    if end <= start:
        return "end must be after start"
    if end - start > MAX_DURATION:
        return "an appointment may last at most 12 hours"
    return None


def site_checklist(kind: str, on_site: bool, party_size: int, children: int, elderly: int, route: str | None) -> list[dict]:
    """What a construction-site showing needs, as data (crm_shared.checklist): for the appointment, its
    events and reminders, each rendering it in its reader's language."""
    if kind != "showing" or not on_site:
        return []
    return [i.model_dump(exclude_none=True) for i in checklist.site_items(party_size, children, elderly, route)]


def no_show_due(start: datetime, grace_minutes: int, now: datetime) -> bool:
    """Nobody checked in within the grace after the start."""
    return now >= start + timedelta(minutes=grace_minutes)


def free_intervals(open_at: datetime, close_at: datetime, busy: list[tuple[datetime, datetime]]) -> list[tuple[datetime, datetime]]:
    """The gaps between busy intervals inside opening hours."""
    free, cursor = [], open_at
    for s, e in sorted(busy):
        if s > cursor:
            free.append((cursor, min(s, close_at)))
        cursor = max(cursor, e)
        if cursor >= close_at:
            break
    if cursor < close_at:
        free.append((cursor, close_at))
    return [(s, e) for s, e in free if e > s]
