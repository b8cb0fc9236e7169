"""Security matrix lines of deals' payouts (结佣, 全民营销奖励), reward rules and the unit sheet import.

Decisions: reward rules are read by the branch's staff (not partners, not integrators) and saved by admins and
managers; payouts are money matters — managers, admins and finance see the branch, a partner only its own
commissions (another partner's is a 404, like another branch's); a manager approves (admins and finance
may not: 403), finance or a manager records the payment; the unit sheet is imported by managers and admins.

A payout exists only when deals' events say a deal was signed (and paid, for `due`): the builder publishes
`deal.signed` and `deal.paid` for a deal crediting partner p1 (own) or p2 (other) on the stream, as the deals
service would (no store access), then waits for the payout over HTTP.
"""

from __future__ import annotations

import asyncio
from uuid import uuid4

from crm_shared.events import new_event
from crm_shared.events.deals import Attribution, DealPaid, DealSigned
from tests.support.runtime import publish_event

TABLE = """
# method path                                            admin   manager  consultant  reception  finance  partner   integrator
# -- deals: reward rules, payouts (结佣, 全民营销奖励), the unit sheet (销控表导入)
GET    /v1/reward-rules/{branch_id}                      2xx     2xx      2xx         2xx        2xx      403       403
PUT    /v1/reward-rules/{branch_id}                      2xx     2xx      403         403        403      403       403
GET    /v1/payouts                                       2xx     2xx      403         403        2xx      2xx       403
GET    /v1/payouts/{payout_id}                           2xx     2xx      403         403        2xx      2xx,404   403
POST   /v1/payouts/{payout_id}/approve                   403     2xx      403         403        403      403,404   403
POST   /v1/payouts/{payout_id}/pay                       403     2xx      403         403        2xx      403,404   403
POST   /v1/units/import                                  2xx     2xx      403,403     403,403    403,403  403,403   403,403
"""

PRICE = 100_000_000  # 1,000,000.00 yuan in fen


async def _wait_for(case, deal_id: str, status: str) -> str:
    world = case.world
    for _ in range(300):
        r = await world.client.get("/v1/payouts", params={"deal_id": deal_id}, headers=world.root)
        items = r.json().get("items", []) if r.status_code == 200 else []
        if items and items[0]["status"] == status:
            return items[0]["id"]
        await asyncio.sleep(0.1)
    raise AssertionError(f"setup: no {status} payout for deal {deal_id}")


async def _payout(case, status: str = "due") -> str:
    """Partner p1's (own) or p2's (other) commission on a deal of the target's branch, `due` or `approved`."""
    side, key = case.side, f"{case.partner}-{status}"
    if not case.fresh and key in side.objects.get("payout", {}):
        return side.objects["payout"][key]
    deal_id = f"mx-deal-{uuid4().hex[:12]}"
    deal = {"deal_id": deal_id, "lead_id": f"mx-lead-{uuid4().hex[:12]}", "unit_id": f"mx-unit-{uuid4().hex[:12]}",
            "agreed_price": PRICE, "product_type": "apartment", "customer_name": "矩阵客户",
            "attribution": Attribution(partner_id=side.partners[case.partner])}
    for data in (DealSigned(**deal, contract_no=f"HT-{deal_id}"), DealPaid(**deal, paid_total=PRICE)):
        await publish_event(case.world.settings, new_event(data, branch_id=side.id, subject=deal_id))
    payout = await _wait_for(case, deal_id, "due")
    if status == "approved":
        await case.world.call("POST", f"/v1/payouts/{payout}/approve", case.world.as_("manager", side=side), json={})
        await _wait_for(case, deal_id, "approved")
    if not case.fresh:
        side.put("payout", key, payout)
    return payout


async def _approved_payout(case) -> str:
    return await _payout(case, "approved")


async def _sheet(case) -> dict:
    sheet = f"项目,楼栋,房号,业态,面积,总价\n矩阵花园,1栋,{uuid4().hex[:6]},公寓,89.5,\"1,000,000\"\n".encode()
    return {"files": {"file": ("销控表.csv", sheet, "text/csv")}, "data": {"branch_id": case.side.id}}


async def _rules(case) -> dict:
    return {"json": {"owner_reward": "5000", "commission_percent": "1.5"}}


async def _pay(case) -> dict:
    return {"json": {"reference": "银行流水 20261130-0001"}}


async def _approve(case) -> dict:
    return {"json": {"note": "核对无误"}}


BODIES = {
    ("PUT", "/v1/reward-rules/{branch_id}"): _rules,
    ("POST", "/v1/payouts/{payout_id}/approve"): _approve,
    ("POST", "/v1/payouts/{payout_id}/pay"): _pay,
    ("POST", "/v1/units/import"): _sheet,
}
KINDS = {"payout": _payout, "approved_payout": _approved_payout}
PARAMS = {"payout_id": "payout"}
SPECIAL_KIND = {("POST", "/v1/payouts/{payout_id}/pay"): "approved_payout"}
