"""Slot claims: one document per (consultant, 5-minute bucket), `_id` unique on both stores.

Claims are inserted in time order in one ordered `insert_many`, so two racing bookings meet
at their first shared bucket and exactly one wins it (lock ordering: nobody deadlocks, and
the loser never holds a bucket the winner still needs). The loser removes what it took.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta

from pymongo.errors import BulkWriteError, DuplicateKeyError

from crm_shared.errors import Conflict
from crm_shared.ids import utcnow
from crm_shared.plugins import ServiceContext
from crm_reception.appointments.rules import BUSY_STATUSES

SLOTS = "slots"
ORPHAN_AFTER = timedelta(seconds=30)


async def _holder_is_gone(ctx: ServiceContext, slot_id: str) -> bool:
    """A claim left by a crash between claiming and storing the appointment, or by a cancel that died."""
    claim = await ctx.db[SLOTS].find_one({"_id": slot_id})
    if claim is None:
        return True
    appointment = await ctx.db.appointments.find_one({"_id": claim["appointment_id"]}, projection={"status": 1})
    if appointment is not None and appointment["status"] in BUSY_STATUSES:
        return False
    if appointment is None and claim["at"] > utcnow() - ORPHAN_AFTER:
        return False  # its appointment may be being written right now
    await ctx.db[SLOTS].delete_one({"_id": slot_id, "appointment_id": claim["appointment_id"]})
    return True


async def claim(ctx: ServiceContext, branch_id: str, consultant_id: str, ids: list[str], appointment_id: str,
                already_held: frozenset[str] = frozenset()) -> None:
    """Take every bucket not `already_held` or none; `Conflict` `double-booking` naming the appointment in the way."""
    wanted = [i for i in ids if i not in already_held]
    for _ in range(3):
        now = utcnow()
        docs = [{"_id": i, "branch_id": branch_id, "consultant_id": consultant_id, "appointment_id": appointment_id,
                 "at": now} for i in wanted]
        if not docs:
            return
        try:
            await ctx.db[SLOTS].insert_many(docs, ordered=True)
            return
        except BulkWriteError as exc:
            taken = wanted[: exc.details.get("nInserted", 0)]
            errors = exc.details.get("writeErrors") or [{}]
            if errors[0].get("code") != 11000:
                await release(ctx, taken, appointment_id)
                raise
            conflict = wanted[errors[0].get("index", len(taken))]
        except DuplicateKeyError:
            taken, conflict = [], wanted[0]
        await release(ctx, taken, appointment_id)
        if not await _holder_is_gone(ctx, conflict):
            holder = await ctx.db[SLOTS].find_one({"_id": conflict}) or {}
            raise Conflict("double-booking", "the consultant already has an appointment at that time",
                           consultant_id=consultant_id, conflicting_appointment_id=holder.get("appointment_id"))
    raise Conflict("double-booking", "the consultant's time is being booked by someone else; retry")


async def release(ctx: ServiceContext, ids: list[str], appointment_id: str) -> None:
    """Free buckets this appointment holds (never someone else's)."""
    if ids:  # one `_id` equality each: the dev store scans the collection for `$in`
        await asyncio.gather(*(ctx.db[SLOTS].delete_one({"_id": i, "appointment_id": appointment_id}) for i in ids))
