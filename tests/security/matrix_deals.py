"""Security matrix lines of deals' units (房源, 销控) and deals (认购 → 签约 → 回款, 换房, 退房).

Decisions: the unit sheet is the office's — every staff role and integrators read it, partners never; managers
and admins add units, a manager holds and releases them. Deals are money and customers: managers, admins,
finance and integrators read the branch's, a consultant only its own (another consultant's deal is a 404, as its
leads are); the front desk and partners none. A consultant or a manager subscribes (admins do not sell);
the deal's consultant or a manager signs; finance or a manager records payments; only managers (and admins)
decide prices, cancel and change units. Branch deal settings: read by staff and integrators, set by managers
and admins.

Deals are made over HTTP: a lead of the world's consultant c1 (own) or c2 (other) reaches deals through leads'
events, so the builder retries the subscription until deals has heard of the lead.
"""

from __future__ import annotations

import asyncio
from uuid import uuid4

TABLE = """
# method path                                            admin   manager  consultant  reception  finance  partner   integrator
# -- deals: units (房源, 销控表)
POST   /v1/units                                         2xx     2xx      403         403        403      403       403
GET    /v1/units                                         2xx     2xx      2xx         2xx        2xx      403       2xx
GET    /v1/units/{unit_id}                               2xx     2xx      2xx         2xx        2xx      403       2xx
POST   /v1/units/{unit_id}/hold                          403     2xx      403         403        403      403       403
POST   /v1/units/{unit_id}/release                       403     2xx      403         403        403      403       403
# -- deals: 认购 → 签约 → 回款, 换房, 退房
POST   /v1/deals                                         403     2xx      2xx         403        403      403       403
GET    /v1/deals                                         2xx     2xx      2xx         403        2xx      403       2xx
GET    /v1/deals/{deal_id}                               2xx     2xx      2xx,404     403        2xx      403       2xx
POST   /v1/deals/{deal_id}/price-approval                2xx     2xx      403,404     403        403      403       403
POST   /v1/deals/{deal_id}/sign                          2xx     2xx      2xx,404     403        403      403       403
POST   /v1/deals/{deal_id}/payments                      2xx     2xx      403,404     403        2xx      403       403
POST   /v1/deals/{deal_id}/cancel                        2xx     2xx      403,404     403        403      403       403
POST   /v1/deals/{deal_id}/change-unit                   2xx     2xx      403,404     403        403      403       403
GET    /v1/deal-settings/{branch_id}                     2xx     2xx      2xx         2xx        2xx      403       2xx
PUT    /v1/deal-settings/{branch_id}                     2xx     2xx      403         403        403      403       403
"""

LIST_PRICE = "1000000"


async def new_unit(case, side=None) -> str:
    side = side or case.side
    doc = await case.world.call("POST", "/v1/units", case.world.as_("manager", side=side), expect=(201,), json={
        "branch_id": side.id, "project": "矩阵花园", "building": "1栋", "unit_no": uuid4().hex[:8],
        "product_type": "apartment", "list_price": LIST_PRICE})
    return doc["id"]


async def _unit(case) -> str:
    side, key = case.side, "u-fresh" if case.fresh else "u1"
    if case.fresh:
        return await new_unit(case)
    if key not in side.objects.get("unit", {}):
        side.put("unit", key, await new_unit(case))
    return side.objects["unit"][key]


async def _held_unit(case) -> str:
    unit = await new_unit(case)
    await case.world.call("POST", f"/v1/units/{unit}/hold", case.world.as_("manager", side=case.side), json={})
    return unit


async def subscribe(case, owner: str, price: str = LIST_PRICE) -> str:
    """A deal for a fresh lead of consultant `owner` (c1, c2) on a fresh unit of the target's branch."""
    world, side = case.world, case.side
    lead, unit = await world.new_lead(side, owner), await new_unit(case)
    headers = world.as_("manager", side=side)
    for _ in range(300):
        r = await world.client.post("/v1/deals", headers=headers, json={
            "lead_id": lead, "unit_id": unit, "agreed_price": price, "deposit": "10000"})
        if r.status_code != 404:  # 404 until deals has heard of the lead
            break
        await asyncio.sleep(0.1)
    assert r.status_code == 201, f"setup POST /v1/deals: {r.status_code} {r.text[:300]}"
    return r.json()["id"]


async def _deal(case) -> str:
    owner = case.owner
    if case.fresh:
        return await subscribe(case, owner)
    if owner not in case.side.objects.get("deal", {}):
        case.side.put("deal", owner, await subscribe(case, owner))
    return case.side.objects["deal"][owner]


async def _pending_deal(case) -> str:
    return await subscribe(case, case.owner, "900000")


async def _signed_deal(case) -> str:
    deal = await subscribe(case, case.owner)
    await case.world.call("POST", f"/v1/deals/{deal}/sign", case.world.as_("manager", side=case.side),
                          json={"contract_no": f"HT-{uuid4().hex[:8]}"})
    return deal


async def _new_deal_body(case) -> dict:
    """A lead of the caller's own (c1's) and a free unit of its branch."""
    world, side = case.world, case.side
    lead, unit = await world.new_lead(side, "c1"), await new_unit(case)
    for _ in range(300):  # wait until deals has heard of the lead (the probe changes nothing)
        if await _known(world, side, lead):
            break
        await asyncio.sleep(0.1)
    return {"json": {"lead_id": lead, "unit_id": unit, "agreed_price": LIST_PRICE, "deposit": "0"}}


async def _known(world, side, lead: str) -> bool:
    """Whether deals has heard of the lead: a subscription of a held unit answers 409 for a known lead, 404 before."""
    unit = side.objects.get("unit", {}).get("probe")
    if unit is None:
        doc = await world.call("POST", "/v1/units", world.as_("manager", side=side), expect=(201,), json={
            "branch_id": side.id, "project": "矩阵花园", "building": "探针", "unit_no": uuid4().hex[:8],
            "product_type": "parking", "list_price": "1"})
        unit = doc["id"]
        await world.call("POST", f"/v1/units/{unit}/hold", world.as_("manager", side=side), json={})
        side.put("unit", "probe", unit)
    r = await world.client.post("/v1/deals", headers=world.as_("manager", side=side),
                                json={"lead_id": lead, "unit_id": unit, "agreed_price": "1"})
    return r.status_code == 409


async def _change_unit_body(case) -> dict:
    return {"json": {"unit_id": await new_unit(case), "reason": "换大户型"}}


def _json(value):
    async def build(case) -> dict:
        return {"json": value(case) if callable(value) else value}
    return build


BODIES = {
    ("POST", "/v1/units"): _json(lambda case: {
        "branch_id": case.side.id, "project": "矩阵花园", "building": "2栋", "unit_no": uuid4().hex[:8],
        "product_type": "villa", "area": "120.5", "list_price": "3000000"}),
    ("POST", "/v1/units/{unit_id}/hold"): _json({"reason": "开发商保留"}),
    ("POST", "/v1/units/{unit_id}/release"): _json({}),
    ("POST", "/v1/deals"): _new_deal_body,
    ("POST", "/v1/deals/{deal_id}/price-approval"): _json({"decision": "approved", "reason": "同意"}),
    ("POST", "/v1/deals/{deal_id}/sign"): _json(lambda case: {"contract_no": f"HT-{uuid4().hex[:8]}"}),
    ("POST", "/v1/deals/{deal_id}/payments"): _json({"amount": "1000", "paid_at": "2026-11-30T10:00:00+08:00",
                                                     "method": "bank_transfer"}),
    ("POST", "/v1/deals/{deal_id}/cancel"): _json({"reason": "other", "refund": "0"}),
    ("POST", "/v1/deals/{deal_id}/change-unit"): _change_unit_body,
    ("PUT", "/v1/deal-settings/{branch_id}"): _json({"max_discount": "0.03", "cancel_reasons": [
        {"code": "other", "name": "其他"}, {"code": "financing_failed", "name": "贷款未获批"}]}),
}
KINDS = {"unit": _unit, "held_unit": _held_unit, "deal": _deal, "pending_deal": _pending_deal,
         "signed_deal": _signed_deal}
PARAMS = {"unit_id": "unit", "deal_id": "deal"}
SPECIAL_KIND = {("POST", "/v1/units/{unit_id}/release"): "held_unit",
                ("POST", "/v1/deals/{deal_id}/price-approval"): "pending_deal",
                ("POST", "/v1/deals/{deal_id}/payments"): "signed_deal"}
FLOOR = ("unit", "deal")

# test_scope.py: body fields naming objects, aimed at branch B's (404 or 422, nothing stored).
REFERENCES = {
    (("POST", "/v1/deals"), ("lead_id",)): "lead:c1",
    (("POST", "/v1/deals"), ("unit_id",)): "unit:u1",
    (("POST", "/v1/deals/{deal_id}/change-unit"), ("unit_id",)): "unit:u1",
}
ROLE = {("POST", "/v1/deals"): "manager"}  # subscribing is the manager's and consultants' (admin: 403)
