"""Deals (成交): the list, and the deal card — its stage on 认购 → 签约 → 回款 → 已付清 (or 已退房), the unit
and prices, price approval (价格核定), attribution by name (渠道 / 全民营销推荐人), payments (回款), history,
and the forms each role may use: the owner or a manager signs (签约), finance or a manager records a
payment, a manager decides the price, cancels (退房, with a reason from the branch's list) or changes
the unit (换房)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Form, Request, Response

from crm_shared.branches import local_date

from crm_console import i18n
from crm_console.api import ApiError
from crm_console.views.deals_common import (DEAL_READERS, DEAL_STATUSES, MANAGERS, PAYERS, PAYMENT_METHODS,
                                            attribution_names, cancel_reasons, customer_name, minus,
                                            parse_money, percent, stage_of, staff_names, unit_label, unit_of,
                                            units_by_id, yuan)
from crm_console.views.floor import error_status, failure, if_match, local_to_utc, q
from crm_console.web import PREFIX, ConsoleRoute, Screen, screen

router = APIRouter(prefix=f"{PREFIX}/deals", route_class=ConsoleRoute, include_in_schema=False)
STAGES = ("subscribed", "signed", "paying", "paid")

i18n.register({
    "deals.title": {"zh-CN": "成交列表", "en": "Deals"},
    "deals.mine": {"zh-CN": "这里只显示您自己的成交。", "en": "Only your own deals are shown."},
    "deals.empty": {"zh-CN": "还没有成交。", "en": "No deals yet."},
    "deals.filter": {"zh-CN": "筛选", "en": "Filter"},
    "deals.all": {"zh-CN": "全部", "en": "All"},
    "deal.title": {"zh-CN": "成交卡片", "en": "Deal"},
    "deal.facts": {"zh-CN": "成交信息", "en": "The deal"},
    "deal.attribution": {"zh-CN": "成交归属", "en": "Attribution"},
    "deal.referrer_kind.employee": {"zh-CN": "集团员工", "en": "Group employee"},
    "deal.referrer_kind.owner": {"zh-CN": "老业主", "en": "Owner"},
    "deal.referrer_kind.public": {"zh-CN": "社会人士", "en": "Member of the public"},
    "deal.payments": {"zh-CN": "回款记录", "en": "Payments"},
    "deal.paid_at": {"zh-CN": "到账日期", "en": "Paid on"},
    "deal.amount": {"zh-CN": "金额", "en": "Amount"},
    "deal.method": {"zh-CN": "方式", "en": "Method"},
    "deal.reference": {"zh-CN": "流水号/凭证号", "en": "Reference"},
    "deal.reference_optional": {"zh-CN": "流水号/凭证号（可选）", "en": "Reference (optional)"},
    "deal.recorded_by": {"zh-CN": "登记人", "en": "Recorded by"},
    "deal.record_payment": {"zh-CN": "登记回款", "en": "Record a payment"},
    "deal.payment_saved": {"zh-CN": "已登记回款 {amount}", "en": "Payment of {amount} recorded"},
    "deal.paid_in_full": {"zh-CN": "房款已付清，佣金与奖励进入待审批。", "en": "Paid in full: commissions and rewards are now due."},
    "deal.history": {"zh-CN": "成交动态", "en": "History"},
    "deal.h.subscribed": {"zh-CN": "认购", "en": "Subscribed"},
    "deal.h.price_approved": {"zh-CN": "价格已批准", "en": "Price approved"},
    "deal.h.price_rejected": {"zh-CN": "价格被驳回", "en": "Price rejected"},
    "deal.h.signed": {"zh-CN": "签约", "en": "Signed"},
    "deal.h.payment": {"zh-CN": "回款", "en": "Payment"},
    "deal.d.amount": {"zh-CN": "金额", "en": "Amount"},
    "deal.d.deposit": {"zh-CN": "定金", "en": "Deposit"},
    "deal.d.agreed_price": {"zh-CN": "成交价", "en": "Agreed price"},
    "deal.d.previous_agreed_price": {"zh-CN": "原成交价", "en": "Previous price"},
    "deal.d.paid_total": {"zh-CN": "累计回款", "en": "Paid so far"},
    "deal.d.refund": {"zh-CN": "退款", "en": "Refund"},
    "deal.h.paid": {"zh-CN": "房款付清", "en": "Paid in full"},
    "deal.h.cancelled": {"zh-CN": "退房", "en": "Cancelled"},
    "deal.h.unit_changed": {"zh-CN": "换房", "en": "Unit changed"},
    "deal.h.attribution_changed": {"zh-CN": "成交归属变更", "en": "Attribution changed"},
    "deal.h.event": {"zh-CN": "变更", "en": "Change"},
    "deal.h.from_unit": {"zh-CN": "原房源：{unit}", "en": "From {unit}"},
    "deal.sign": {"zh-CN": "签约", "en": "Sign"},
    "deal.sign_hint": {"zh-CN": "填写购房合同编号，签约后房源变为已售。", "en": "The contract number; the unit is sold once signed."},
    "deal.signed_ok": {"zh-CN": "已签约，合同编号 {no}", "en": "Signed: contract {no}"},
    "deal.sign_blocked": {"zh-CN": "成交价低于折扣底线，经理批准价格后才能签约。",
                          "en": "The price is below the discount floor: a manager must approve it before signing."},
    "deal.decide": {"zh-CN": "价格审批", "en": "Decide the price"},
    "deal.decide_hint": {"zh-CN": "表价 {list}，成交价 {agreed}，优惠 {discount}（{percent}）。",
                         "en": "List {list}, agreed {agreed}, discount {discount} ({percent})."},
    "deal.approve": {"zh-CN": "批准", "en": "Approve"},
    "deal.reject": {"zh-CN": "驳回", "en": "Reject"},
    "deal.decision_reason": {"zh-CN": "审批意见", "en": "Reason"},
    "deal.approved_ok": {"zh-CN": "已批准 {customer} 的成交价", "en": "Price approved for {customer}"},
    "deal.rejected_ok": {"zh-CN": "已驳回 {customer} 的成交价", "en": "Price rejected for {customer}"},
    "deal.cancel": {"zh-CN": "退房", "en": "Cancel the deal"},
    "deal.cancel_reason": {"zh-CN": "退房原因", "en": "Reason"},
    "deal.refund": {"zh-CN": "退款金额（可选）", "en": "Refund (optional)"},
    "deal.cancel_confirm": {"zh-CN": "确定退房？房源将恢复可售，未付佣金作废。", "en": "Cancel? The unit becomes available again."},
    "deal.cancelled_ok": {"zh-CN": "已退房，房源恢复可售", "en": "Cancelled: the unit is available again"},
    "deal.cancel_reason_shown": {"zh-CN": "退房原因", "en": "Cancelled because"},
    "deal.refund_shown": {"zh-CN": "退款", "en": "Refund"},
    "deal.pick_reason": {"zh-CN": "请选择退房原因。", "en": "Choose a reason."},
    "deal.change_unit": {"zh-CN": "换房", "en": "Change the unit"},
    "deal.new_unit": {"zh-CN": "新房源（可售）", "en": "New unit (available)"},
    "deal.new_price": {"zh-CN": "新成交价（可选，默认按新房源表价）", "en": "New agreed price (optional)"},
    "deal.changed_ok": {"zh-CN": "已换房：{unit}", "en": "Unit changed: {unit}"},
    "deal.pick_unit": {"zh-CN": "请选择房源。", "en": "Choose a unit."},
    "deal.no_available": {"zh-CN": "暂无可售房源。", "en": "No unit is available."},
    "deal.bad_date": {"zh-CN": "请填写正确的日期。", "en": "Enter a valid date."},
    "deal.need_contract": {"zh-CN": "请填写合同编号。", "en": "Enter the contract number."},
    "deal.payouts": {"zh-CN": "佣金与奖励", "en": "Commissions and rewards"},
    "deal.back": {"zh-CN": "成交列表", "en": "Deals"},
    "deal.lead": {"zh-CN": "客户卡片", "en": "Lead card"},
    "deal.err.approval-required": {"zh-CN": "成交价低于折扣底线，经理批准价格后才能签约。",
                                   "en": "A manager must approve the price before signing."},
    "deal.err.unit-taken": {"zh-CN": "该房源已被其他成交占用，请选择其他房源。", "en": "The unit is taken: choose another."},
    "deal.err.unit-unavailable": {"zh-CN": "该房源当前不可售（销控保留），请选择其他房源。",
                                  "en": "The unit is held back: choose another."},
    "deal.err.wrong-status": {"zh-CN": "当前阶段不能进行此操作（回款须在签约之后），请刷新后再试。",
                              "en": "Not possible at this stage (payments follow signing): reload."},
    "deal.err.overpayment": {"zh-CN": "本次回款超出应收余额：尚欠 {remaining}。", "en": "More than the balance of {remaining}."},
    "deal.err.stale": {"zh-CN": "成交刚被他人修改，请刷新后重试。", "en": "Someone else changed the deal: reload and retry."},
    "deal.err.contract-exists": {"zh-CN": "该合同编号已被本案场其他成交使用。", "en": "The contract number is used by another deal."},
    "deal.err.unknown-reason": {"zh-CN": "请选择本案场的退房原因。", "en": "Choose one of the branch's reasons."},
    "deal.err.refund-exceeds-paid": {"zh-CN": "退款金额不能超过已收房款。", "en": "The refund exceeds what was paid."},
    "deal.err.paid-exceeds-price": {"zh-CN": "已收房款超过新成交价，不能换到该房源或该价格。",
                                    "en": "More was paid than the new price."},
    "deal.err.no-approval-pending": {"zh-CN": "该成交没有待审批的价格（可能已被其他经理处理），请刷新。",
                                     "en": "No price waits for approval: reload."},
})


def readable(s: Screen, exc: ApiError) -> str:
    """The deals API's refusals in the reader's language; the rest with the API's words after a lead-in."""
    if exc.status == 412:
        return s.t("deal.err.stale")
    key = f"deal.err.{exc.kind}"
    if exc.kind and s.t(key) != key:
        return s.t(key).replace("{remaining}", yuan(exc.body.get("remaining")) or "—")
    return failure(s, exc)


def _payments(deal: dict) -> list[dict]:
    return sorted(deal.get("payments") or [], key=lambda p: str(p.get("paid_at") or ""))


DETAIL_MONEY = ("amount", "deposit", "agreed_price", "previous_agreed_price", "paid_total", "refund")


def _detail(s: Screen, stage: str, detail: dict, reasons: dict[str, str]) -> str:
    """What a history entry changed, in words: amounts as ¥, the contract, a unit by name, a reason by name."""
    parts = []
    if stage == "unit_changed":
        old = detail.get("previous_unit_label") or detail.get("from_unit_label")
        if old:
            parts.append(s.t("deal.h.from_unit").replace("{unit}", str(old)))
        if detail.get("unit_label"):
            parts.append(f"{s.t('unit.label')} {detail['unit_label']}")
    for key in DETAIL_MONEY:
        if detail.get(key) not in (None, "") and (key != "refund" or stage == "cancelled"):
            parts.append(f"{s.t('deal.d.' + key)} {yuan(detail[key])}")
    if detail.get("contract_no"):
        parts.append(f"{s.t('deal.contract_no')} {detail['contract_no']}")
    if detail.get("method") or detail.get("method_name"):
        method = detail.get("method")
        parts.append(s.t(f"deal.method.{method}") if method in PAYMENT_METHODS else str(detail.get("method_name") or ""))
    if stage == "cancelled" and detail.get("reason"):
        parts.append(detail.get("reason_name") or reasons.get(detail["reason"], ""))
    elif detail.get("reason"):
        parts.append(str(detail["reason"]))
    if detail.get("note"):
        parts.append(str(detail["note"]))
    return " · ".join(p for p in parts if p)


def _history(s: Screen, deal: dict, names: dict[str, str], reasons: dict[str, str]) -> list[dict]:
    """The deal's history (the API's stages), newest first."""
    rows = []
    for h in deal.get("history") or []:
        stage = str(h.get("stage") or "")
        key = f"deal.h.{stage}"
        what = s.t(key) if s.t(key) != key else (h.get("stage_name") or s.t("deal.h.event"))
        rows.append({"at": h.get("at"), "kind": stage, "what": what,
                     "by": h.get("by_name") or names.get(h.get("by") or "", ""),
                     "detail": _detail(s, stage, h.get("detail") or {}, reasons)})
    rows.reverse()  # newest first; of the same instant, the later step first (the sort below is stable)
    rows.sort(key=lambda r: str(r.get("at") or ""), reverse=True)
    return rows


async def _payouts(s: Screen, deal_id: str) -> list[dict]:
    if s.user.role not in PAYERS:
        return []
    try:
        return await s.api.items("/v1/payouts", branch_id=s.user.branch_id, deal_id=deal_id)
    except ApiError:
        return []


async def card(s: Screen, deal_id: str, status_code: int = 200, **extra) -> Response:
    deal = await s.api.get(f"/v1/deals/{q(deal_id)}")
    role, me, status = s.user.role, s.user.id, deal.get("status")
    names = await staff_names(s)
    available = await units_by_id(s, status="available") if role in MANAGERS and status in ("subscribed", "signed") else {}
    unit = await unit_of(s, deal.get("unit_id"), available)
    reasons = await cancel_reasons(s)
    reason_label = {r["code"]: r["label"] for r in reasons}
    approval = deal.get("price_approval") or "not_needed"
    list_price = deal.get("list_price") or unit.get("list_price")
    discount = deal.get("discount") or minus(list_price, deal.get("agreed_price"))
    cancellation = deal.get("cancellation") or {}
    extra.setdefault("form", {})
    return s.render(
        "deal_card.html", status_code=status_code, deal=deal, unit=unit,
        unit_name=deal.get("unit_label") or unit_label(s, unit),
        customer=await customer_name(s, deal), owner=deal.get("owner_name") or names.get(deal.get("owner_id") or "", ""),
        attribution=await attribution_names(s, deal), payments=_payments(deal),
        history=_history(s, deal, names, reason_label), payouts=await _payouts(s, deal["id"]),
        stage=stage_of(deal), stages=STAGES, list_price=list_price,
        discount=discount, discount_percent=percent(discount, list_price), approval=approval,
        balance=deal.get("remaining") or minus(deal.get("agreed_price"), deal.get("paid_total") or "0"),
        cancellation=cancellation,
        cancel_reason=(cancellation.get("reason_name") if s.locale != "en" else None)
        or reason_label.get(cancellation.get("reason") or "", ""),
        can_decide=role in MANAGERS and approval == "pending" and status == "subscribed",
        can_sign=status == "subscribed" and (role in MANAGERS or (role == "consultant" and deal.get("owner_id") == me)),
        sign_blocked=approval in ("pending", "rejected"),
        can_pay=role in PAYERS and status == "signed",
        can_cancel=role in MANAGERS and status in ("subscribed", "signed", "paid"),
        can_change=role in MANAGERS and status in ("subscribed", "signed"),
        available=sorted((u for u in available.values() if u["id"] != deal.get("unit_id")), key=lambda u: unit_label(s, u)),
        reasons=reasons, methods=PAYMENT_METHODS, today=local_date(datetime.now(UTC), s.tz).isoformat(), names=names,
        can_see_lead=role in ("consultant", "manager", "admin"), **extra)


def _back(deal_id: str) -> str:
    return f"{PREFIX}/deals/{q(deal_id)}"


@router.get("")
async def deal_list(request: Request, status: str = "") -> Response:
    s = await screen(request, *DEAL_READERS)
    status = status if status in DEAL_STATUSES else ""
    deals = await s.api.items("/v1/deals", branch_id=s.user.branch_id, status=status) if s.user.branch_id else []
    names = await staff_names(s)
    units = await units_by_id(s)
    leads: dict[str, str] = {}
    rows = []
    for d in list(reversed(deals))[:300]:  # newest first
        unit = await unit_of(s, d.get("unit_id"), units)
        rows.append({"deal": d, "customer": await customer_name(s, d, leads), "unit": unit_label(s, unit),
                     "owner": names.get(d.get("owner_id") or "", ""), "stage": stage_of(d)})
    return s.render("deals.html", rows=rows, statuses=DEAL_STATUSES, chosen=status)


@router.get("/{deal_id}")
async def deal_card(request: Request, deal_id: str) -> Response:
    s = await screen(request, *DEAL_READERS)
    return await card(s, deal_id[:64])


@router.post("/{deal_id}/price-approval")
async def decide(request: Request, deal_id: str, decision: Annotated[str, Form(max_length=10)] = "",
                 reason: Annotated[str, Form(max_length=500)] = "", version: Annotated[str, Form(max_length=12)] = "",
                 back: Annotated[str, Form(max_length=20)] = "") -> Response:
    s = await screen(request, *MANAGERS)
    deal_id = deal_id[:64]
    body = {"decision": decision if decision in ("approved", "rejected") else "approved"}
    if reason.strip():
        body["reason"] = reason.strip()
    try:
        deal = await s.api.post(f"/v1/deals/{q(deal_id)}/price-approval", body, headers=if_match(version))
    except ApiError as exc:
        if back == "approvals":
            from crm_console.views.approvals import approvals_page
            return await approvals_page(s, error_status(exc), row_error={"id": deal_id, "message": readable(s, exc)})
        return await card(s, deal_id, error_status(exc), decide_error=readable(s, exc), form={"decide": {"reason": reason}})
    who = await customer_name(s, deal or {"lead_id": None})
    flash = s.t("deal.approved_ok" if body["decision"] == "approved" else "deal.rejected_ok").format(customer=who)
    return s.redirect(f"{PREFIX}/manager/approvals" if back == "approvals" else _back(deal_id), flash=flash)


@router.post("/{deal_id}/sign")
async def sign(request: Request, deal_id: str, contract_no: Annotated[str, Form(max_length=100)] = "",
               version: Annotated[str, Form(max_length=12)] = "") -> Response:
    s = await screen(request, *DEAL_READERS)
    deal_id, form = deal_id[:64], {"sign": {"contract_no": contract_no}}
    if not contract_no.strip():
        return await card(s, deal_id, 422, sign_error=s.t("deal.need_contract"), form=form)
    try:
        await s.api.post(f"/v1/deals/{q(deal_id)}/sign", {"contract_no": contract_no.strip()}, headers=if_match(version))
    except ApiError as exc:
        return await card(s, deal_id, error_status(exc), sign_error=readable(s, exc), form=form)
    return s.redirect(_back(deal_id), flash=s.t("deal.signed_ok").format(no=contract_no.strip()))


@router.post("/{deal_id}/payments")
async def record_payment(request: Request, deal_id: str, amount: Annotated[str, Form(max_length=30)] = "",
                         paid_on: Annotated[str, Form(max_length=10)] = "", method: Annotated[str, Form(max_length=30)] = "",
                         reference: Annotated[str, Form(max_length=200)] = "") -> Response:
    s = await screen(request, *PAYERS)
    deal_id = deal_id[:64]
    form = {"pay": {"amount": amount, "paid_on": paid_on, "method": method, "reference": reference}}
    money = parse_money(amount)
    if money is None:
        return await card(s, deal_id, 422, pay_error=s.t("deal.err.money"), form=form)
    at = local_to_utc(paid_on, "12:00", s.tz)
    if at is None:
        return await card(s, deal_id, 422, pay_error=s.t("deal.bad_date"), form=form)
    body = {"amount": money, "paid_at": min(at, datetime.now(UTC)).isoformat(),
            "method": method if method in PAYMENT_METHODS else "bank_transfer"}
    if reference.strip():
        body["reference"] = reference.strip()
    try:
        await s.api.post(f"/v1/deals/{q(deal_id)}/payments", body)
        deal = await s.api.get(f"/v1/deals/{q(deal_id)}")
    except ApiError as exc:
        return await card(s, deal_id, error_status(exc), pay_error=readable(s, exc), form=form)
    flash = s.t("deal.payment_saved").format(amount=yuan(money))
    if deal.get("status") == "paid":
        flash += "；" + s.t("deal.paid_in_full")
    return s.redirect(_back(deal_id), flash=flash)


@router.post("/{deal_id}/cancel")
async def cancel(request: Request, deal_id: str, reason: Annotated[str, Form(max_length=60)] = "",
                 refund: Annotated[str, Form(max_length=30)] = "", version: Annotated[str, Form(max_length=12)] = "") -> Response:
    s = await screen(request, *MANAGERS)
    deal_id, form = deal_id[:64], {"cancel": {"reason": reason, "refund": refund}}
    if reason not in {r["code"] for r in await cancel_reasons(s)}:
        return await card(s, deal_id, 422, cancel_error=s.t("deal.pick_reason"), form=form)
    body: dict = {"reason": reason}
    if refund.strip():
        money = parse_money(refund)
        if money is None:
            return await card(s, deal_id, 422, cancel_error=s.t("deal.err.money"), form=form)
        body["refund"] = money
    try:
        await s.api.post(f"/v1/deals/{q(deal_id)}/cancel", body, headers=if_match(version))
    except ApiError as exc:
        return await card(s, deal_id, error_status(exc), cancel_error=readable(s, exc), form=form)
    return s.redirect(_back(deal_id), flash=s.t("deal.cancelled_ok"))


@router.post("/{deal_id}/change-unit")
async def change_unit(request: Request, deal_id: str, unit_id: Annotated[str, Form(max_length=64)] = "",
                      agreed_price: Annotated[str, Form(max_length=30)] = "",
                      version: Annotated[str, Form(max_length=12)] = "") -> Response:
    s = await screen(request, *MANAGERS)
    deal_id, form = deal_id[:64], {"change": {"unit_id": unit_id, "agreed_price": agreed_price}}
    if not unit_id:
        return await card(s, deal_id, 422, change_error=s.t("deal.pick_unit"), form=form)
    body: dict = {"unit_id": unit_id}
    if agreed_price.strip():
        money = parse_money(agreed_price)
        if money is None:
            return await card(s, deal_id, 422, change_error=s.t("deal.err.money"), form=form)
        body["agreed_price"] = money
    try:
        await s.api.post(f"/v1/deals/{q(deal_id)}/change-unit", body, headers=if_match(version))
        unit = await unit_of(s, unit_id)
    except ApiError as exc:
        return await card(s, deal_id, error_status(exc), change_error=readable(s, exc), form=form)
    return s.redirect(_back(deal_id), flash=s.t("deal.changed_ok").format(unit=unit_label(s, unit)))
