"""The unit sheet import (销控表导入): every row becomes a unit (`unit.created`), a duplicate (the same
project, building and number earlier in the sheet or already on the branch's sheet: nothing changes)
or an invalid row (why, in Chinese, with its Excel row number).

The new units go in `insert_many` chunks, each unit with its own `unit.created` in its outbox, in the
shape `crm_deals.units.service.create` stores; a unit that another writer added meanwhile is refused by
the unique unit key and reported as a duplicate.
"""

from __future__ import annotations

from typing import Any

from pymongo.errors import DuplicateKeyError

from crm_shared.aggregates import event
from crm_shared.events.deals import UnitCreated
from crm_shared.ids import utcnow, uuid7
from crm_shared.plugins import ServiceContext
from crm_shared.sheets import Sheet

from crm_deals.sheet import rules
from crm_deals.sheet.columns import in_wan
from crm_deals.units import rules as unit_rules
from crm_deals.units.models import UnitIn
from crm_deals.units.service import KEY, UNITS

CHUNK = 500
STATUS_NAMES = {"created": "已导入", "duplicate": "重复", "invalid": "无效"}


def _outcome(n: int, status: str, label: str | None = None, unit_id: str | None = None,
             reason: str | None = None) -> dict[str, Any]:
    return {"row": n, "status": status, "status_name": STATUS_NAMES[status], "label": label, "unit_id": unit_id,
            "reason": reason}


def _label(body: UnitIn) -> str:
    return unit_rules.label(body.project, body.building, body.unit_no)


def _doc(body: UnitIn, created_by: str, now) -> dict[str, Any]:
    return {"_id": uuid7(), "branch_id": body.branch_id, "project": body.project, "building": body.building,
            "unit_no": body.unit_no, KEY: unit_rules.unit_key(body.branch_id, body.project, body.building, body.unit_no),
            "product_type": body.product_type, "area": unit_rules.area_text(body.area), "floor": body.floor,
            "list_price": unit_rules.to_fen(body.list_price), "status": "available", "deal_id": None,
            "created_by": created_by, "created_at": now, "updated_at": now, "source": "sheet"}


def _event(doc: dict[str, Any]):
    created = UnitCreated(unit_id=doc["_id"], project=doc["project"], building=doc["building"], unit_no=doc["unit_no"],
                          product_type=doc["product_type"], list_price=doc["list_price"], area=doc["area"],
                          floor=doc["floor"], status="available")
    return event(created, doc["branch_id"], doc["_id"])


def parse(sheet: Sheet, branch_id: str, project: str | None, default_type: str | None
          ) -> tuple[list[dict[str, Any]], list[tuple[int, UnitIn]]]:
    """The rows' outcomes known without the store (invalid, repeated in the sheet) and the units to add."""
    wan = any(in_wan(sheet.headers[i]) for i, f in sheet.fields.items() if f == "list_price")
    outcomes: list[dict[str, Any]] = []
    units: list[tuple[int, UnitIn]] = []
    seen: dict[str, int] = {}
    for row in sheet.rows:
        n = row["n"]
        if "error" in row:
            outcomes.append(_outcome(n, "invalid", reason=rules.read_error(row["error"])))
            continue
        try:
            body = rules.unit(row["cells"], branch_id, wan, project, default_type)
        except rules.Bad as bad:
            outcomes.append(_outcome(n, "invalid", reason=bad.reason))
            continue
        key = unit_rules.unit_key(branch_id, body.project, body.building, body.unit_no)
        if key in seen:
            outcomes.append(_outcome(n, "duplicate", _label(body), reason=f"与第{seen[key]}行是同一套房源"))
            continue
        seen[key] = n
        units.append((n, body))
    return outcomes, units


async def run(ctx: ServiceContext, sheet: Sheet, branch_id: str, who: str, project: str | None = None,
              default_type: str | None = None) -> dict[str, Any]:
    outcomes, units = parse(sheet, branch_id, project, default_type)
    now = utcnow()
    for start in range(0, len(units), CHUNK):
        chunk = [(n, body, _doc(body, who, now)) for n, body in units[start:start + CHUNK]]
        there = {d[KEY]: d["_id"] for d in await ctx.aggregate(UNITS).find(
            {KEY: {"$in": [doc[KEY] for _, _, doc in chunk]}}, {KEY: 1}).to_list()}
        fresh = [(n, body, doc) for n, body, doc in chunk if doc[KEY] not in there]
        for n, body, doc in chunk:
            if doc[KEY] in there:
                outcomes.append(_outcome(n, "duplicate", _label(body), there[doc[KEY]], "销控表中已有这套房源"))
        stored = await ctx.aggregate(UNITS).insert_many([(doc, [_event(doc)]) for _, _, doc in fresh])
        for (n, body, doc), result in zip(fresh, stored, strict=True):
            if isinstance(result, DuplicateKeyError):
                outcomes.append(_outcome(n, "duplicate", _label(body), reason="销控表中已有这套房源"))
            else:
                outcomes.append(_outcome(n, "created", _label(body), doc["_id"]))
    outcomes.sort(key=lambda o: o["row"])
    counts = {s: sum(o["status"] == s for o in outcomes) for s in STATUS_NAMES}
    return {"branch_id": branch_id, "total": len(outcomes), "created": counts["created"],
            "duplicates": counts["duplicate"], "invalid": counts["invalid"], "rows": outcomes}
