"""Subscribe (认购) from the lead card: the lead's customer, an available unit, the agreed price and the
deposit. A unit another deal took first (409 `unit-taken`) is explained in Chinese, naming the holder."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Annotated

from fastapi import APIRouter, Form, Request, Response

from crm_console import i18n
from crm_console.api import ApiError
from crm_console.state import state_of
from crm_console.views import lead_channel
from crm_console.views.deal_card import readable
from crm_console.views.deals_common import SALES, customer_name, parse_money, stage_of, staff_names, unit_label, yuan
from crm_console.views.floor import error_status, q
from crm_console.web import PREFIX, ConsoleRoute, Screen, screen

router = APIRouter(prefix=f"{PREFIX}/leads", route_class=ConsoleRoute, include_in_schema=False)
OPEN = ("new", "contacted", "visited", "negotiating")

i18n.register({
    "sub.title": {"zh-CN": "认购房源", "en": "Subscribe a unit"},
    "sub.for": {"zh-CN": "客户：{name}", "en": "Customer: {name}"},
    "sub.unit": {"zh-CN": "选择可售房源", "en": "Available unit"},
    "sub.agreed_price": {"zh-CN": "成交价（元，可填“298万”）", "en": "Agreed price (CNY)"},
    "sub.deposit": {"zh-CN": "定金（元）", "en": "Deposit (CNY)"},
    "sub.note": {"zh-CN": "备注（可选）", "en": "Note (optional)"},
    "sub.submit": {"zh-CN": "确认认购", "en": "Subscribe"},
    "sub.discount_hint": {"zh-CN": "成交价低于表价 {pct} 以上时，需经理审批价格后才能签约。",
                          "en": "A price more than {pct} below list needs a manager's approval before signing."},
    "sub.no_units": {"zh-CN": "暂无可售房源。", "en": "No unit is available."},
    "sub.closed": {"zh-CN": "该客户已结案，不能认购。", "en": "The lead is closed."},
    "sub.done": {"zh-CN": "认购成功：{unit}，成交价 {price}", "en": "Subscribed: {unit} at {price}"},
    "sub.done_pending": {"zh-CN": "认购成功：{unit}。成交价低于折扣底线，已提交经理审批。",
                         "en": "Subscribed: {unit}. The price is below the floor: sent for a manager's approval."},
    "sub.deals": {"zh-CN": "该客户的成交", "en": "This customer's deals"},
    "sub.pick_unit": {"zh-CN": "请选择房源。", "en": "Choose a unit."},
    "sub.need_price": {"zh-CN": "请填写成交价，例如 2980000 或 298万。", "en": "Enter the agreed price, e.g. 2980000."},
    "sub.bad_deposit": {"zh-CN": "定金格式不正确：请填写数字，例如 50000 或 5万。", "en": "Enter the deposit as a number."},
    "sub.taken_by": {"zh-CN": "房源 {unit} 已被认购（认购客户：{holder}），请选择其他房源。",
                     "en": "{unit} was subscribed first (by {holder}): choose another unit."},
    "sub.taken_by_owner": {"zh-CN": "房源 {unit} 已被认购（认购客户：{holder}，置业顾问：{owner}），请选择其他房源。",
                           "en": "{unit} was subscribed first (by {holder}, consultant {owner}): choose another unit."},
    "sub.taken": {"zh-CN": "房源 {unit} 已被其他客户认购，请选择其他房源。",
                  "en": "{unit} was subscribed by another customer: choose another unit."},
    "sub.err.unit-unavailable": {"zh-CN": "房源 {unit} 已被销控保留，暂不可认购，请选择其他房源。",
                                 "en": "{unit} is held back: choose another."},
    "sub.err.lead-has-deal": {"zh-CN": "该客户已有进行中的成交，请在成交卡片中办理换房或退房。",
                              "en": "This customer already has a live deal: change its unit or cancel it there."},
    "sub.err.lead-lost": {"zh-CN": "该客户已标记流失，不能认购。", "en": "The lead is lost."},
    "sub.err.not-your-lead": {"zh-CN": "只能为自己的客户认购。", "en": "Only your own customers."},
})


async def _max_discount(s: Screen) -> str:
    """The branch's discount floor as a percentage (3%), for the form's hint."""
    path = f"/v1/deal-settings/{q(s.user.branch_id)}"

    async def load() -> dict:
        try:
            return await s.api.get(path)
        except ApiError:
            return {}

    found = await state_of(s.request).cached(("deal-settings", s.user.branch_id, s.user.role), 30, load) or {}
    try:
        pct = Decimal(str(found.get("max_discount") or "0.03")) * 100
    except InvalidOperation:
        pct = Decimal(3)
    return f"{pct.normalize():f}%"


async def _page(s: Screen, lead_id: str, status_code: int = 200, **extra) -> Response:
    lead = await s.api.get(f"/v1/leads/{q(lead_id)}")
    units = [u for u in await s.api.items("/v1/units", branch_id=lead["branch_id"], status="available")]
    units.sort(key=lambda u: (u.get("project") or "", u.get("building") or "", str(u.get("unit_no") or "")))
    groups: dict[str, list[dict]] = {}
    for u in units:
        groups.setdefault(" ".join(p for p in (u.get("project"), u.get("building")) if p), []).append(u)
    try:
        deals = await s.api.items("/v1/deals", branch_id=lead["branch_id"], lead_id=lead_id)
    except ApiError:
        deals = []
    deals = [d for d in deals if d.get("lead_id") == lead_id]
    names = await staff_names(s)
    extra.setdefault("form", {})
    if not extra["form"].get("unit_id"):
        extra["form"]["unit_id"] = s.request.query_params.get("unit_id", "")[:64]
    return s.render("subscribe.html", status_code=status_code, lead=lead, groups=groups, open=lead.get("status") in OPEN,
                    owner=names.get(lead.get("owner_id") or "", ""), channel=await lead_channel.of(s, lead),
                    deals=[{"deal": d, "unit": d.get("unit_label") or "", "stage": stage_of(d)} for d in deals],
                    max_discount=await _max_discount(s), **extra)


async def taken_message(s: Screen, exc: ApiError, unit: str) -> str:
    """409 `unit-taken`: who holds the unit, by name — from the problem, else from the holder deal when the caller may
    read it; without a name, that another customer holds it."""
    body = exc.body
    holder = body.get("holder_customer_name") or ""
    owner = body.get("holder_owner_name") or ""
    if not owner and body.get("holder_owner_id"):
        owner = (await staff_names(s)).get(str(body["holder_owner_id"]), "")
    if not holder and body.get("holder_deal_id"):
        try:
            deal = await s.api.get(f"/v1/deals/{q(str(body['holder_deal_id']))}")
            holder, owner = await customer_name(s, deal), owner or deal.get("owner_name") or ""
        except ApiError:
            pass
    if holder and owner:
        return s.t("sub.taken_by_owner").format(unit=unit, holder=holder, owner=owner)
    if holder:
        return s.t("sub.taken_by").format(unit=unit, holder=holder)
    return s.t("sub.taken").format(unit=unit)


@router.get("/{lead_id}/subscribe")
async def subscribe_form(request: Request, lead_id: str) -> Response:
    s = await screen(request, *SALES)
    return await _page(s, lead_id[:64])


@router.post("/{lead_id}/subscribe")
async def subscribe(request: Request, lead_id: str, unit_id: Annotated[str, Form(max_length=64)] = "",
                    agreed_price: Annotated[str, Form(max_length=30)] = "", deposit: Annotated[str, Form(max_length=30)] = "",
                    note: Annotated[str, Form(max_length=500)] = "") -> Response:
    s = await screen(request, *SALES)
    lead_id = lead_id[:64]
    form = {"unit_id": unit_id, "agreed_price": agreed_price, "deposit": deposit, "note": note}
    price = parse_money(agreed_price) if agreed_price.strip() else None
    money_deposit = parse_money(deposit) if deposit.strip() else "0.00"
    problem = ("sub.pick_unit" if not unit_id else "sub.need_price" if price is None else
               "sub.bad_deposit" if money_deposit is None else None)
    if problem:
        return await _page(s, lead_id, 422, error=s.t(problem), form=form)
    body = {"lead_id": lead_id, "unit_id": unit_id, "agreed_price": price, "deposit": money_deposit}
    if note.strip():
        body["note"] = note.strip()
    try:
        deal = await s.api.post("/v1/deals", body)
    except ApiError as exc:
        unit = ""
        try:
            unit = unit_label(s, await s.api.get(f"/v1/units/{q(unit_id)}"))
        except ApiError:
            pass
        if exc.kind == "unit-taken":
            message = await taken_message(s, exc, unit)
            form["unit_id"] = ""
        elif exc.kind == "unit-unavailable":
            message, form["unit_id"] = s.t("sub.err.unit-unavailable").format(unit=unit), ""
        elif exc.kind in ("lead-has-deal", "lead-lost"):
            message = s.t(f"sub.err.{exc.kind}")
        elif exc.kind == "not-your-lead" or exc.status == 403:
            message = s.t("sub.err.not-your-lead")
        else:
            message = readable(s, exc)
        return await _page(s, lead_id, error_status(exc), error=message, error_kind=exc.kind, form=form)
    unit = deal.get("unit_label") or ""
    key = "sub.done_pending" if deal.get("price_approval") == "pending" else "sub.done"
    return s.redirect(f"{PREFIX}/deals/{q(deal['id'])}", flash=s.t(key).format(unit=unit, price=yuan(deal.get("agreed_price"))))
