"""Units (房源, the lines of the unit control sheet 销控表): created by hand or by the sheet import, held and
released by a manager (销控保留), reserved and sold by deals, available again when a deal is cancelled.

The unit is the lock of "one live deal per unit": a deal reserves it with one conditional update
(`status: available` → `reserved`, `deal_id` set), so under any concurrency exactly one deal wins.
"""

from __future__ import annotations

from typing import Any

from pymongo.errors import DuplicateKeyError

from crm_shared.aggregates import event
from crm_shared.errors import Conflict, NotFound
from crm_shared.events.deals import UnitCreated, UnitStatusChanged
from crm_shared.http.auth import Principal
from crm_shared.ids import utcnow, uuid7
from crm_shared.plugins import ServiceContext

from crm_deals.units import rules
from crm_deals.units.models import PRODUCT_NAMES, STATUS_NAMES, UnitOut, UnitIn

UNITS = "units"
KEY = "unit_key"


def public(doc: dict) -> UnitOut:
    return UnitOut(
        id=doc["_id"], branch_id=doc["branch_id"], project=doc["project"], building=doc.get("building"),
        unit_no=doc["unit_no"], label=rules.label(doc["project"], doc.get("building"), doc["unit_no"]),
        product_type=doc["product_type"], product_type_name=PRODUCT_NAMES.get(doc["product_type"], "其他"),
        area=doc.get("area"), floor=doc.get("floor"), list_price=rules.from_fen(doc["list_price"]),
        status=doc["status"], status_name=STATUS_NAMES.get(doc["status"], doc["status"]), deal_id=doc.get("deal_id"),
        held_by=doc.get("held_by"), hold_reason=doc.get("hold_reason"), created_by=doc.get("created_by"),
        created_at=doc["created_at"], updated_at=doc.get("updated_at"), version=doc["version"])


def _unit_fields(doc: dict) -> dict[str, Any]:
    return {"unit_id": doc["_id"], "project": doc["project"], "building": doc.get("building"),
            "unit_no": doc["unit_no"], "product_type": doc["product_type"], "list_price": doc["list_price"]}


def status_event(doc: dict, status: str, deal_id: str | None = None) -> UnitStatusChanged:
    """The `unit.status_changed` of `doc` (as read before the change) moving to `status`."""
    return UnitStatusChanged(**_unit_fields(doc), status=status, previous_status=doc["status"], deal_id=deal_id)


async def create(ctx: ServiceContext, body: UnitIn, created_by: str) -> dict:
    """Add a unit, `available`; 409 `unit-exists` (with `existing_unit_id`) for the same branch, project,
    building and unit number. The sheet import calls this per row."""
    _id, fen, now = uuid7(), rules.to_fen(body.list_price), utcnow()
    doc = {"_id": _id, "branch_id": body.branch_id, "project": body.project, "building": body.building,
           "unit_no": body.unit_no, KEY: rules.unit_key(body.branch_id, body.project, body.building, body.unit_no),
           "product_type": body.product_type, "area": rules.area_text(body.area), "floor": body.floor,
           "list_price": fen, "status": "available", "deal_id": None, "created_by": created_by,
           "created_at": now, "updated_at": now}
    created = UnitCreated(**_unit_fields(doc), area=doc["area"], floor=body.floor, status="available")
    try:
        return await ctx.aggregate(UNITS).insert(doc, event(created, body.branch_id, _id))
    except DuplicateKeyError:
        holder = await ctx.aggregate(UNITS).find_one({KEY: doc[KEY]}, {"_id": 1}) or {}
        raise Conflict("unit-exists", f"{rules.label(body.project, body.building, body.unit_no)} 已在销控表中",
                       existing_unit_id=holder.get("_id")) from None


async def visible(ctx: ServiceContext, unit_id: str, who: Principal) -> dict:
    """The unit, or 404 when missing or in a branch the caller does not see."""
    doc = await ctx.aggregate(UNITS).find_one({"_id": unit_id})
    if doc is None or not who.sees_branch(doc["branch_id"]):
        raise NotFound("unit")
    return doc


async def hold(ctx: ServiceContext, doc: dict, expected: int | None, who: Principal, reason: str | None) -> dict:
    """销控保留: an available unit is kept off sale by a manager; 409 `wrong-status` otherwise."""
    if doc["status"] not in rules.HOLDABLE:
        raise Conflict("wrong-status", f"房源{STATUS_NAMES.get(doc['status'], doc['status'])}，不能保留",
                       status_now=doc["status"], holder_deal_id=doc.get("deal_id"))
    now = utcnow()
    return await ctx.aggregate(UNITS).change(
        doc, expected, {"$set": {"status": "held", "held_by": who.sub, "hold_reason": reason, "held_at": now,
                                 "updated_at": now}},
        event(status_event(doc, "held"), doc["branch_id"], doc["_id"]))


async def release(ctx: ServiceContext, doc: dict, expected: int | None) -> dict:
    """The end of a hold: the unit is available again; 409 `wrong-status` unless held."""
    if doc["status"] != "held":
        raise Conflict("wrong-status", f"房源{STATUS_NAMES.get(doc['status'], doc['status'])}，未被保留",
                       status_now=doc["status"])
    return await ctx.aggregate(UNITS).change(
        doc, expected, {"$set": {"status": "available", "held_by": None, "hold_reason": None, "held_at": None,
                                 "updated_at": utcnow()}},
        event(status_event(doc, "available"), doc["branch_id"], doc["_id"]))


async def reserve(ctx: ServiceContext, branch_id: str, unit_id: str, deal_id: str) -> dict:
    """Reserve the unit for `deal_id` in one conditional update: `available` → `reserved`.

    Returns the unit as reserved. A second call for the same deal finds it already reserved by
    that deal and returns it (a retried subscription). 404 for a missing unit or another branch's;
    409 `unit-taken` with `holder_deal_id` when another deal has it; 409 `unit-unavailable` when held.
    """
    units = ctx.aggregate(UNITS)
    before = await units.find_one({"_id": unit_id})
    if before is None or before["branch_id"] != branch_id:
        raise NotFound("unit")
    if before["status"] == "available":
        done = await units.update(
            {"_id": unit_id, "status": "available"},
            {"$set": {"status": "reserved", "deal_id": deal_id, "updated_at": utcnow()}},
            event(status_event(before, "reserved", deal_id), branch_id, unit_id))
        if done is not None:
            return done
        before = await units.find_one({"_id": unit_id}) or before
    if before.get("deal_id") == deal_id and before["status"] in ("reserved", "sold"):
        return before
    if before.get("deal_id"):
        holder = await ctx.db.deals.find_one({"_id": before["deal_id"]}, {"owner_id": 1}) or {}
        raise Conflict("unit-taken", f"{rules.label(before['project'], before.get('building'), before['unit_no'])} "
                       "已被认购", holder_deal_id=before["deal_id"], holder_owner_id=holder.get("owner_id"),
                       status_now=before["status"])
    raise Conflict("unit-unavailable", f"房源{STATUS_NAMES.get(before['status'], before['status'])}，不能认购",
                   status_now=before["status"])


async def sell(ctx: ServiceContext, branch_id: str, unit_id: str, deal_id: str) -> dict | None:
    """The deal signed: its reserved unit is sold. None when the unit is not this deal's (nothing changes)."""
    units = ctx.aggregate(UNITS)
    before = await units.find_one({"_id": unit_id, "deal_id": deal_id})
    if before is None or before["status"] == "sold":
        return before
    return await units.update(
        {"_id": unit_id, "deal_id": deal_id, "status": "reserved"},
        {"$set": {"status": "sold", "updated_at": utcnow()}},
        event(status_event(before, "sold", deal_id), branch_id, unit_id))


async def free(ctx: ServiceContext, branch_id: str, unit_id: str, deal_id: str) -> dict | None:
    """The deal was cancelled or moved away: its unit is available again. Only the holding deal frees it,
    so a repeat (or a stale deal) changes nothing."""
    units = ctx.aggregate(UNITS)
    before = await units.find_one({"_id": unit_id, "deal_id": deal_id})
    if before is None:
        return None
    return await units.update(
        {"_id": unit_id, "deal_id": deal_id},
        {"$set": {"status": "available", "deal_id": None, "updated_at": utcnow()}},
        event(status_event(before, "available", deal_id), branch_id, unit_id))


async def ensure_indexes(ctx: ServiceContext) -> None:
    await ctx.db[UNITS].create_index([(KEY, 1)], unique=True, name="one_row_per_unit")
    await ctx.db[UNITS].create_index([("branch_id", 1), ("status", 1)])
    await ctx.db[UNITS].create_index([("deal_id", 1)])
