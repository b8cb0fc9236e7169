"""The manager's approvals (成交审批), a tab of the manager board: agreed prices below the discount floor
waiting for a decision (价格核定), and commissions and rewards due since their deal was paid (结佣审批)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request, Response

from crm_console import i18n
from crm_console.api import ApiError
from crm_console.views.deal_card import readable
from crm_console.views.deals_common import (customer_name, percent, staff_names, total, unit_label,
                                            units_by_id, yuan)
from crm_console.views.floor import error_status, if_match, q
from crm_console.views.manager_common import board, page
from crm_console.web import PREFIX, ConsoleRoute, Screen

router = APIRouter(prefix=f"{PREFIX}/manager/approvals", route_class=ConsoleRoute, include_in_schema=False)
HERE = f"{PREFIX}/manager/approvals"

i18n.register({
    "appr.prices": {"zh-CN": "待审批价格（价格核定）", "en": "Prices awaiting approval"},
    "appr.prices_hint": {"zh-CN": "成交价低于表价超过折扣底线的认购，批准后方可签约。",
                         "en": "Subscriptions priced below the discount floor: they sign once approved."},
    "appr.payouts": {"zh-CN": "待审批佣金与奖励", "en": "Payouts due for approval"},
    "appr.payouts_hint": {"zh-CN": "房款已付清的成交所产生的渠道佣金和全民营销奖励；批准后由财务付款。",
                          "en": "Commissions and rewards of deals paid in full; finance pays them once approved."},
    "appr.waiting_finance": {"zh-CN": "已批准、待财务付款：{n} 笔，共 {amount}", "en": "Approved, waiting for finance: {n}, {amount} in all"},
    "appr.beneficiary": {"zh-CN": "收款方", "en": "Beneficiary"},
    "appr.kind": {"zh-CN": "类型", "en": "Kind"},
    "appr.deal": {"zh-CN": "成交", "en": "Deal"},
    "appr.approve_payout": {"zh-CN": "批准", "en": "Approve"},
    "appr.payout_approved": {"zh-CN": "已批准：{name} {amount}", "en": "Approved: {name} {amount}"},
    "appr.note": {"zh-CN": "审批意见（可选）", "en": "Note (optional)"},
    "appr.manager_only": {"zh-CN": "佣金与奖励由销售经理审批。", "en": "Payouts are approved by the sales manager."},
    "appr.nth": {"zh-CN": "第{n}套", "en": "deal no. {n}"},
    "appr.err.wrong-status": {"zh-CN": "该笔已不是待审批状态，请刷新。", "en": "No longer due: reload."},
})


async def approvals_page(s: Screen, status_code: int = 200, **context) -> Response:
    branch = s.user.branch_id
    deals = [d for d in await s.api.items("/v1/deals", branch_id=branch, status="subscribed")
             if d.get("price_approval") == "pending"]
    units = await units_by_id(s)
    names = await staff_names(s)
    leads: dict[str, str] = {}
    prices = []
    for d in deals:
        list_price = d.get("list_price") or units.get(d.get("unit_id"), {}).get("list_price")
        discount = d.get("discount")
        prices.append({"deal": d, "customer": await customer_name(s, d, leads),
                       "unit": d.get("unit_label") or unit_label(s, units.get(d.get("unit_id"), {})),
                       "owner": d.get("owner_name") or names.get(d.get("owner_id") or "", ""), "list_price": list_price,
                       "discount": discount, "percent": percent(discount, list_price)})
    due = await s.api.items("/v1/payouts", branch_id=branch, status="due")
    approved = await s.api.items("/v1/payouts", branch_id=branch, status="approved")
    payouts = [{"p": p, "unit": unit_label(s, units[p["unit_id"]]) if p.get("unit_id") in units else ""} for p in due]
    context.setdefault("form", {})
    return await page(s, "approvals.html", "approvals", status_code=status_code, prices=prices, payouts=payouts,
                      waiting_n=len(approved), waiting_amount=yuan(total(approved)), can_approve=s.user.role == "manager",
                      can_decide=s.user.role in ("manager", "admin"),
                      **context)


@router.get("")
async def approvals(request: Request) -> Response:
    return await approvals_page(await board(request))


@router.post("/payouts/{payout_id}")
async def approve_payout(request: Request, payout_id: str, note: Annotated[str, Form(max_length=500)] = "",
                         version: Annotated[str, Form(max_length=12)] = "") -> Response:
    s = await board(request)
    payout_id = payout_id[:64]
    try:
        done = await s.api.post(f"/v1/payouts/{q(payout_id)}/approve", {"note": note.strip()} if note.strip() else {},
                                headers=if_match(version))
    except ApiError as exc:
        key = f"appr.err.{exc.kind}"
        message = s.t(key) if s.t(key) != key else readable(s, exc)
        return await approvals_page(s, error_status(exc), payout_error={"id": payout_id, "message": message})
    name = (done.get("beneficiary") or {}).get("name") or ""
    return s.redirect(HERE, flash=s.t("appr.payout_approved").format(name=name, amount=yuan(done.get("amount"))))
