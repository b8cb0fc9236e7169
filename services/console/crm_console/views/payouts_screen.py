"""Payouts (结佣付款): finance's list of approved commissions and rewards to pay, each recorded with the
payment's reference (流水号), and the signed deals still being paid for (回款); the partner's own
commissions (我的佣金) — customers by name and amounts, never a customer's number."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request, Response

from crm_console import i18n
from crm_console.api import ApiError
from crm_console.views.deal_card import readable
from crm_console.views.deals_common import (PAYERS, PAYOUT_STATUSES, customer_name, total, unit_label,
                                            units_by_id, yuan)
from crm_console.views.floor import error_status, if_match, q
from crm_console.web import PREFIX, ConsoleRoute, Screen, screen

router = APIRouter(prefix=PREFIX, route_class=ConsoleRoute, include_in_schema=False)
HERE = f"{PREFIX}/finance"
RECENT = 20

i18n.register({
    "pay.title": {"zh-CN": "结佣付款", "en": "Payouts"},
    "pay.to_pay": {"zh-CN": "待付款（经理已批准）", "en": "Approved, to pay"},
    "pay.to_pay_hint": {"zh-CN": "付款后填写银行流水号或凭证号，点击“确认已付款”。", "en": "After paying, enter the bank reference and confirm."},
    "pay.reference": {"zh-CN": "流水号/凭证号", "en": "Reference"},
    "pay.confirm": {"zh-CN": "确认已付款", "en": "Mark as paid"},
    "pay.paid_ok": {"zh-CN": "已付款：{name} {amount}", "en": "Paid: {name} {amount}"},
    "pay.need_reference": {"zh-CN": "请填写付款流水号或凭证号。", "en": "Enter the payment's reference."},
    "pay.recent": {"zh-CN": "最近已付款", "en": "Recently paid"},
    "pay.receivables": {"zh-CN": "待回款成交", "en": "Deals being paid for"},
    "pay.receivables_hint": {"zh-CN": "已认购或已签约、尚未付清的成交；点击客户登记回款。",
                             "en": "Subscribed or signed deals not yet paid in full; open one to record a payment."},
    "pay.total": {"zh-CN": "合计 {amount}", "en": "{amount} in all"},
    "pay.percent": {"zh-CN": "佣金比例", "en": "Commission"},
    "pay.tier": {"zh-CN": "推荐阶梯", "en": "Tier"},
    "pay.form": {"zh-CN": "奖励形式", "en": "Paid as"},
    "pay.paid_at": {"zh-CN": "付款时间", "en": "Paid"},
    "pay.approved_at": {"zh-CN": "批准时间", "en": "Approved"},
    "pay.err.wrong-status": {"zh-CN": "该笔已不是待付款状态，请刷新。", "en": "No longer approved: reload."},
    "com.title": {"zh-CN": "我的佣金", "en": "My commissions"},
    "com.hint": {"zh-CN": "成交房款付清后佣金进入审批，经理批准后由财务付款。", "en": "A commission is due once the deal is paid in full; "
                 "a manager approves it, then finance pays it."},
    "com.empty": {"zh-CN": "还没有佣金记录。", "en": "No commissions yet."},
    "com.sum": {"zh-CN": "{status}：{amount}", "en": "{status}: {amount}"},
    "com.customer": {"zh-CN": "成交客户", "en": "Customer"},
})


async def _finance(s: Screen, status_code: int = 200, **context) -> Response:
    branch = s.user.branch_id
    approved = await s.api.items("/v1/payouts", branch_id=branch, status="approved") if branch else []
    paid = (await s.api.get("/v1/payouts", branch_id=branch, status="paid", limit=RECENT)).get("items", []) if branch else []
    units = await units_by_id(s)
    open_deals = []
    if branch:
        for status in ("subscribed", "signed"):
            open_deals += await s.api.items("/v1/deals", branch_id=branch, status=status)
    leads: dict[str, str] = {}
    receivables = [{"deal": d, "customer": await customer_name(s, d, leads),
                    "unit": d.get("unit_label") or unit_label(s, units.get(d.get("unit_id"), {}))}
                   for d in open_deals if str(d.get("remaining") or "1") not in ("0", "0.00")]
    label = {uid: unit_label(s, u) for uid, u in units.items()}
    return s.render("finance.html", status_code=status_code, approved=approved, paid=paid, receivables=receivables,
                    units=label, approved_total=yuan(total(approved)), can_pay=s.user.role in ("finance", "manager"),
                    **context)


@router.get("/finance")
async def finance(request: Request) -> Response:
    s = await screen(request, *PAYERS)
    return await _finance(s)


@router.post("/finance/payouts/{payout_id}/pay")
async def pay(request: Request, payout_id: str, reference: Annotated[str, Form(max_length=200)] = "",
              version: Annotated[str, Form(max_length=12)] = "") -> Response:
    s = await screen(request, *PAYERS)
    payout_id = payout_id[:64]
    if not reference.strip():
        return await _finance(s, 422, row_error={"id": payout_id, "message": s.t("pay.need_reference"), "reference": reference})
    try:
        done = await s.api.post(f"/v1/payouts/{q(payout_id)}/pay", {"reference": reference.strip()}, headers=if_match(version))
    except ApiError as exc:
        key = f"pay.err.{exc.kind}"
        message = s.t(key) if s.t(key) != key else readable(s, exc)
        return await _finance(s, error_status(exc), row_error={"id": payout_id, "message": message, "reference": reference})
    name = (done.get("beneficiary") or {}).get("name") or ""
    return s.redirect(HERE, flash=s.t("pay.paid_ok").format(name=name, amount=yuan(done.get("amount"))))


@router.get("/partner/commissions")
async def commissions(request: Request) -> Response:
    s = await screen(request, "partner")
    payouts = await s.api.items("/v1/payouts", branch_id=s.user.branch_id) if s.user.branch_id else []
    mine = [p for p in payouts if (p.get("beneficiary") or {}).get("id") == s.user.id] if payouts else []
    sums = [{"status": st, "amount": yuan(total([p for p in mine if p.get("status") == st]))}
            for st in PAYOUT_STATUSES if any(p.get("status") == st for p in mine)]
    return s.render("commissions.html", payouts=mine, sums=sums)
