"""The visitor queue (访客排队): waiting visitors get a consultant as soon as one may take them, the
longest-waiting first (`dispatch`, after a visit ends, a consultant joins, a hand-over, a check-in
that had to wait, and on the `visitor-queue` timer as a safety net); the desk hands a visitor to a
named consultant with a reason (`hand_over`).

Two documents change together without a transaction: the day's rotation (who is busy) first, then
the visit, guarded by its version. A lost race takes the rotation change back (`revoke`); a hold on
a visit that ended (a crash after ending it) is cleared by `free_finished`, and a hold on a visit
still waiting (a crash after the rotation's write) is completed by the next dispatch, which finds
the visitor already held and keeps that consultant.
"""

from __future__ import annotations

from datetime import date, datetime

from crm_shared.aggregates import Aggregate, event
from crm_shared.branches import local_date
from crm_shared.errors import Conflict, Invalid, Stale
from crm_shared.events.reception import VisitAssigned
from crm_shared.plugins import ServiceContext
from crm_reception.common import require_member, utc
from crm_reception.rotation import rules as rotation_rules
from crm_reception.rotation import service as rotation
from crm_reception.visits import rules

VISITS = "visits"
MAX_WAITING = 500  # a branch's visitor queue read in one pass


def visits(ctx: ServiceContext) -> Aggregate:
    return ctx.aggregate(VISITS)


async def free_finished(ctx: ServiceContext, branch_id: str, day: date) -> bool:
    """Free consultants still marked busy by visits that have ended (a crash between the visit's write and
    the rotation's). Only an ended visit is final: any other hold may belong to a change still in flight
    (a hold on a waiting visit is completed by the dispatcher)."""
    doc = await rotation.load(ctx, branch_id, day, create=False)
    freed = False
    for entry in doc.get("busy", []):
        visit = await visits(ctx).find_one({"_id": entry["visit_id"]}, projection={"status": 1})
        if visit is not None and visit["status"] == "ended":
            await rotation.apply(ctx, branch_id, day, lambda s, v=entry["visit_id"]: (rotation_rules.release(s, v), None))
            freed = True
    return freed


async def _assign(ctx: ServiceContext, visit: dict, w: rules.Waiting, day: date) -> dict | None:
    """Give one waiting visitor their consultant: rotation first, then the visit (guarded by version)."""
    vid, branch_id = visit["_id"], visit["branch_id"]

    def change(s):
        if (held := rotation_rules.holder(s, vid)) is not None:
            return s, held
        if w.waiting_for is not None:
            return rotation_rules.claim(s, w.waiting_for, vid, turn=w.turn, on_duty=w.on_duty)
        return rotation_rules.take_turn(s, vid)

    _, consultant = await rotation.apply(ctx, branch_id, day, change)
    if consultant is None:
        return None
    now = ctx.state.clock()
    waited = rules.waited_seconds(utc(visit["checked_in_at"]), now)
    env = event(VisitAssigned(visit_id=vid, consultant_id=consultant, waited_seconds=waited,
                              reason=visit.get("handover_reason"), assigned_by=visit.get("assigned_by"),
                              lead_id=visit.get("lead_id"), checked_in_at=visit["checked_in_at"]), branch_id, vid)
    updated = await visits(ctx).update(
        {"_id": vid, "status": "waiting", "version": visit["version"]},
        {"$set": {"status": "open", "consultant_id": consultant, "waiting_for": None, "assigned_at": now,
                  "waited_seconds": waited}}, env)
    if updated is None:
        current = await visits(ctx).find_one({"_id": vid}, projection={"status": 1, "consultant_id": 1})
        if not (current and current["status"] == "open" and current.get("consultant_id") == consultant):
            await rotation.apply(ctx, branch_id, day, lambda s: (rotation_rules.revoke(s, vid, consultant), None))
    return updated


async def dispatch(ctx: ServiceContext, branch_id: str, day: date) -> list[dict]:
    """Assign waiting visitors of the day while someone may take them, longest-waiting first."""
    assigned: list[dict] = []
    async with ctx.state.rotations.lock(f"queue:{rotation.day_id(branch_id, day)}"):
        for _ in range(MAX_WAITING):
            waiting = await visits(ctx).find(
                {"branch_id": branch_id, "rotation_day": day.isoformat(), "status": "waiting"}
            ).sort("_id", 1).limit(MAX_WAITING).to_list()
            if not waiting:
                break
            state = rotation_rules.RotationState.of(await rotation.load(ctx, branch_id, day, create=False))
            choice = rules.pick(state, [rules.waiting_of(v) for v in waiting])
            if choice is None:
                break
            w, _ = choice
            done = await _assign(ctx, next(v for v in waiting if v["_id"] == w.visit_id), w, day)
            if done is not None:
                assigned.append(done)
    return assigned


async def hand_over(ctx: ServiceContext, doc: dict, consultant_id: str | None, reason: str | None, by: str,
                    expected: int | None = None) -> dict:
    """The desk hands a visitor to a named consultant (who takes them now if free, else the visitor waits
    for them), or a waiting visitor to the rotation. The consultant who had the visitor gets their turn
    and place back."""
    if expected is not None and expected != doc["version"]:
        raise Stale(doc["version"], expected)
    if doc["status"] not in rules.LIVE:
        raise Conflict("wrong-status", "the visit has already ended", status_now=doc["status"])
    branch_id, vid, day = doc["branch_id"], doc["_id"], date.fromisoformat(doc["rotation_day"])
    now = ctx.state.clock()
    previous = doc.get("consultant_id") if doc["status"] == "open" else None
    record = {"from_consultant_id": previous, "to_consultant_id": consultant_id, "reason": reason, "by": by, "at": now}
    if consultant_id is None:
        if doc["status"] != "waiting":
            raise Invalid("a visitor with a consultant is handed to a named consultant", kind="consultant-required",
                          loc=["body", "consultant_id"])
        sets = {"waiting_for": None, "assigned_by": "rotation", "handover_reason": reason}
        await _write(ctx, doc, {"$set": sets, "$push": {"handovers": record}})
    else:
        await require_member(ctx, branch_id, consultant_id, "unknown-consultant", ["body", "consultant_id"])
        if previous == consultant_id:
            return doc
        turn = rules.takes_turn("handover", bool(doc.get("returning")), doc.get("appointment_id"))
        _, got = await rotation.apply(ctx, branch_id, day,
                                      lambda s: rotation_rules.hand_over(s, vid, previous, consultant_id, turn))
        try:
            await _handed(ctx, doc, consultant_id, got, previous, reason, record, now)
        except Stale:
            await rotation.apply(ctx, branch_id, day, lambda s: (_undo(s, vid, previous, got), None))
            raise
    await dispatch(ctx, branch_id, day)
    return await visits(ctx).find_one({"_id": vid}) or doc


def _undo(s: rotation_rules.RotationState, vid: str, previous: str | None, got: str | None):
    after = rotation_rules.revoke(s, vid, got) if got else s
    return rotation_rules.occupy(after, previous, vid) if previous else after


async def _handed(ctx: ServiceContext, doc: dict, consultant_id: str, got: str | None, previous: str | None,
                  reason: str | None, record: dict, now: datetime) -> dict:
    base = {"assigned_by": "handover", "handover_reason": reason}
    if got is None:  # busy: the visitor waits for them
        return await _write(ctx, doc, {"$set": {**base, "status": "waiting", "consultant_id": None,
                                                "waiting_for": consultant_id}, "$push": {"handovers": record}})
    waited = (doc.get("waited_seconds") or 0) if previous else rules.waited_seconds(utc(doc["checked_in_at"]), now)
    env = event(VisitAssigned(visit_id=doc["_id"], consultant_id=got, waited_seconds=waited, reason=reason,
                              assigned_by="handover", previous_consultant_id=previous, lead_id=doc.get("lead_id"),
                              checked_in_at=doc["checked_in_at"]), doc["branch_id"], doc["_id"])
    sets = {**base, "status": "open", "consultant_id": got, "waiting_for": None, "assigned_at": now, "waited_seconds": waited}
    return await _write(ctx, doc, {"$set": sets, "$push": {"handovers": record}}, env)


async def _write(ctx: ServiceContext, doc: dict, update: dict, *envs) -> dict:
    updated = await visits(ctx).update({"_id": doc["_id"], "version": doc["version"]}, update, *envs)
    if updated is None:
        current = await visits(ctx).find_one({"_id": doc["_id"]}, projection={"version": 1}) or {"version": doc["version"]}
        raise Stale(current["version"], doc["version"])
    return updated


async def release_waits_for(ctx: ServiceContext, branch_id: str, consultant_id: str) -> None:
    """A consultant left the company: visitors waiting for them go to the rotation."""
    await ctx.db[VISITS].update_many(
        {"branch_id": branch_id, "status": "waiting", "waiting_for": consultant_id},
        {"$set": {"waiting_for": None, "assigned_by": "rotation"}, "$inc": {"version": 1}})
    await dispatch(ctx, branch_id, await rotation.today(ctx, branch_id))


async def assign_waiting(ctx: ServiceContext, now: datetime) -> int:
    """Timer pass: today's waiting visitors of every branch get anyone who is free (a missed trigger, a crash)."""
    days = {(v["branch_id"], v["rotation_day"]) for v in await ctx.db[VISITS].find(
        {"status": "waiting"}, projection={"branch_id": 1, "rotation_day": 1}).to_list(10_000)}
    count = 0
    for branch_id, day in sorted(days):
        if day != local_date(now, (await ctx.state.directory.branch(branch_id)).timezone).isoformat():
            continue
        await free_finished(ctx, branch_id, date.fromisoformat(day))
        count += len(await dispatch(ctx, branch_id, date.fromisoformat(day)))
    return count


async def position(ctx: ServiceContext, doc: dict) -> int | None:
    """A waiting visitor's place among those waiting for the same consultant (or for the rotation)."""
    if doc.get("status") != "waiting":
        return None
    ahead = await ctx.db[VISITS].count_documents({
        "branch_id": doc["branch_id"], "rotation_day": doc["rotation_day"], "status": "waiting",
        "waiting_for": doc.get("waiting_for"), "_id": {"$lt": doc["_id"]}})
    return ahead + 1
