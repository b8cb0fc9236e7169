"""Due slots: the minute from which dispatchers look at a job, as a string both stores find by equality.

The dev store (FerretDB + SQLite) serves only string equality on an indexed field from an
index; ranges, `$in` and `$or` decode the whole collection. So a job names its minute:

- pending (`scheduled`/`queued`), not leased: the UTC minute it falls due, never earlier than
  the minute it was written (a job due in the past is looked at from now on);
- leased by a dispatcher: the minute the lease runs out, so a dead dispatcher's job is found
  again in that minute;
- sent, failed, cancelled, suppressed: no slot.

Every write that changes a job's status, due time or lease sets `due_slot` in the same
single-document update. Dispatchers visit the minutes up to now (see dispatch/cursor.py).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

SLOT_FIELD = "due_slot"
PENDING = ("scheduled", "queued")
_FORMAT = "%Y-%m-%dT%H:%M"


def slot_of(at: datetime) -> str:
    """`2026-11-23T22:50`: the UTC minute `at` falls in; sorts as text in time order."""
    return at.astimezone(UTC).strftime(_FORMAT)


def slot_start(slot: str) -> datetime:
    return datetime.strptime(slot, _FORMAT).replace(tzinfo=UTC)


def shift(slot: str, minutes: int) -> str:
    return slot_of(slot_start(slot) + timedelta(minutes=minutes))


def minutes_between(first: str, last: str) -> int:
    return int((slot_start(last) - slot_start(first)).total_seconds() // 60)


def slots(first: str, last: str) -> Iterator[str]:
    """Every minute from `first` to `last`, both included."""
    at, end = slot_start(first), slot_start(last)
    while at <= end:
        yield slot_of(at)
        at += timedelta(minutes=1)


def pending_slot(due_at: datetime, now: datetime) -> str:
    """An unleased pending job is looked at from its due minute, or from now if that has passed."""
    return slot_of(max(due_at, now))


def slot_for(status: str, due_at: datetime, now: datetime) -> str | None:
    """The slot of a job written with this status and due time (unleased)."""
    return pending_slot(due_at, now) if status in PENDING else None
