"""Which due slots a dispatcher pass visits: from a persisted front up to now, every minute.

Each visit is an equality lookup on `due_slot` (an index on both stores). The front, one small
document shared by the replicas, is the first minute that may still hold a job; it is kept at
least `lookback` minutes behind the wall clock, because writers stamp slots with their own
clocks (a job written "due now" can land in a minute a dispatcher has just walked past). So
a dispatcher that was down for hours starts where the work is, and nothing is skipped as long
as replica clocks agree within the lookback. Stretches longer than JUMP_MINUTES are crossed
with one ranged query for the next non-empty slot (an index range on MongoDB, a scan on the
dev store: only after long downtime, or in tests that move the clock years ahead).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from pymongo.errors import DuplicateKeyError

from crm_shared.ids import utcnow
from crm_notify.messages.service import MESSAGES
from crm_notify.messages.slots import PENDING, SLOT_FIELD, minutes_between, shift, slot_of

CURSORS = "dispatch_cursor"
CURSOR_ID = "due_slots"
JUMP_MINUTES = 60


async def stored_front(db: Any) -> str | None:
    doc = await db[CURSORS].find_one({"_id": CURSOR_ID})
    return doc["slot"] if doc else None


async def save_front(db: Any, slot: str) -> None:
    """Move the shared front forward (never back: another replica may be ahead)."""
    moved = await db[CURSORS].update_one({"_id": CURSOR_ID, "slot": {"$lt": slot}}, {"$set": {"slot": slot}})
    if not moved.matched_count:
        try:
            await db[CURSORS].insert_one({"_id": CURSOR_ID, "slot": slot})
        except DuplicateKeyError:
            pass  # it exists, at or past `slot`


async def next_busy_slot(db: Any, after: str | None, until: str) -> str | None:
    """The first slot in [after, until] holding a pending job (ranged: only for long stretches)."""
    bounds = {"$lte": until} | ({"$gte": after} if after else {})
    doc = await db[MESSAGES].find_one({SLOT_FIELD: bounds, "status": {"$in": list(PENDING)}},
                                      projection={SLOT_FIELD: 1}, sort=[(SLOT_FIELD, 1)])
    return doc[SLOT_FIELD] if doc else None


async def slot_is_empty(db: Any, slot: str) -> bool:
    return await db[MESSAGES].find_one({SLOT_FIELD: slot, "status": {"$in": list(PENDING)}}, projection={"_id": 1}) is None


@dataclass
class SlotWalk:
    """One pass's walk. Call `settled(slot)` after a slot was drained; `save()` at the end."""

    db: Any
    now: str
    cap: str  # the front never passes this: the wall clock minus the lookback
    stored: str | None
    front: str | None

    @classmethod
    async def start(cls, db: Any, now: datetime, lookback_minutes: int) -> "SlotWalk":
        cap = slot_of(min(now, utcnow()) - timedelta(minutes=lookback_minutes))
        stored = await stored_front(db)
        return cls(db, slot_of(now), cap, stored, stored)

    async def slots(self) -> AsyncIterator[str]:
        at = min(self.stored, self.cap) if self.stored else None
        while at is None or at <= self.now:
            if at is None or minutes_between(at, self.now) > JUMP_MINUTES:
                busy = await next_busy_slot(self.db, at, self.now)
                if self.front == at:  # nothing pending in between
                    self.front = min(busy or self.cap, self.cap)
                if busy is None:
                    return
                at = busy
            yield at
            at = shift(at, 1)

    async def settled(self, slot: str) -> None:
        """A slot with nothing claimable left: the front moves past it once it holds nothing at all."""
        if self.front == slot and slot < self.cap and await slot_is_empty(self.db, slot):
            self.front = shift(slot, 1)

    async def save(self) -> None:
        if self.front and (self.stored is None or self.front > self.stored):
            await save_front(self.db, min(self.front, self.cap))
