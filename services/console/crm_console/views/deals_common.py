"""What the deals screens share (成交与结佣): who may use them, money as people read it (¥2,980,000.00 and
298万), the names behind ids (customers, consultants, partners, referrers, units), the branch's
cancellation reasons, and the Chinese words of every status."""

from __future__ import annotations

import re
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from crm_console import i18n
from crm_console.api import ApiError
from crm_console.views.floor import q
from crm_console.state import state_of
from crm_console.web import Screen, env

SALES = ("consultant", "manager", "admin")
"""The unit board and the subscription form: the sales floor."""
DEAL_READERS = ("consultant", "manager", "admin", "finance")
"""The deal list and card (a consultant sees its own, as the API answers)."""
MANAGERS = ("manager", "admin")
PAYERS = ("finance", "manager", "admin")
"""Record a deal's payment and pay an approved payout (finance records the reference)."""
DEAL_STATUSES = ("subscribed", "signed", "paid", "cancelled")
UNIT_STATUSES = ("available", "held", "reserved", "sold")
LIVE = ("subscribed", "signed", "paid")
PRODUCT_TYPES = ("apartment", "high_rise", "garden_house", "villa", "shop", "parking", "other")
PAYOUT_STATUSES = ("pending", "due", "approved", "paid", "void", "clawback")
PAYMENT_METHODS = ("bank_transfer", "mortgage", "provident_fund", "pos", "wechat", "alipay", "cash", "cheque", "other")
CANCEL_REASONS = (  # the branch's list when its settings name none (docs: deal.cancelled `reason`)
    ("financing_failed", "贷款未获批", "Financing refused"),
    ("customer_withdrew", "客户放弃购买", "Customer withdrew"),
    ("price", "价格原因", "Price"),
    ("unit_issue", "房源问题", "Problem with the unit"),
    ("family", "家庭原因", "Family reasons"),
    ("policy", "限购等政策原因", "Purchase restrictions"),
    ("other", "其他", "Other"),
)

i18n.register({
    "role.finance": {"zh-CN": "财务", "en": "Finance"},
    "nav.units": {"zh-CN": "销控表", "en": "Unit board"},
    "nav.deals": {"zh-CN": "成交", "en": "Deals"},
    "nav.finance": {"zh-CN": "结佣付款", "en": "Payouts"},
    "nav.commissions": {"zh-CN": "我的佣金", "en": "My commissions"},
    "mgr.tab.approvals": {"zh-CN": "成交审批", "en": "Approvals"},
    # units
    "unit.status.available": {"zh-CN": "可售", "en": "Available"},
    "unit.status.held": {"zh-CN": "保留", "en": "Held"},
    "unit.status.reserved": {"zh-CN": "已认购", "en": "Subscribed"},
    "unit.status.sold": {"zh-CN": "已售", "en": "Sold"},
    "unit.type.apartment": {"zh-CN": "公寓", "en": "Apartment"},
    "unit.type.high_rise": {"zh-CN": "小高层", "en": "High-rise"},
    "unit.type.garden_house": {"zh-CN": "洋房", "en": "Garden house"},
    "unit.type.villa": {"zh-CN": "别墅", "en": "Villa"},
    "unit.type.shop": {"zh-CN": "商铺", "en": "Shop"},
    "unit.type.parking": {"zh-CN": "车位", "en": "Parking"},
    "unit.type.other": {"zh-CN": "其他", "en": "Other"},
    "unit.floor": {"zh-CN": "{n}层", "en": "Floor {n}"},
    "unit.no_floor": {"zh-CN": "未分层", "en": "No floor"},
    "unit.no_building": {"zh-CN": "（无楼栋）", "en": "(no building)"},
    "unit.label": {"zh-CN": "房源", "en": "Unit"},
    "unit.area": {"zh-CN": "建筑面积", "en": "Area"},
    "unit.area_value": {"zh-CN": "{n}㎡", "en": "{n} m²"},
    "unit.list_price": {"zh-CN": "表价", "en": "List price"},
    "unit.product": {"zh-CN": "业态", "en": "Product"},
    "unit.project": {"zh-CN": "项目", "en": "Project"},
    "unit.building": {"zh-CN": "楼栋", "en": "Building"},
    "unit.unknown": {"zh-CN": "未知房源", "en": "Unknown unit"},
    "wan": {"zh-CN": "万", "en": " ×10k"},
    # deals
    "deal.status.subscribed": {"zh-CN": "已认购", "en": "Subscribed"},
    "deal.status.signed": {"zh-CN": "已签约", "en": "Signed"},
    "deal.status.paid": {"zh-CN": "已付清", "en": "Paid"},
    "deal.status.cancelled": {"zh-CN": "已退房", "en": "Cancelled"},
    "deal.stage.subscribed": {"zh-CN": "认购", "en": "Subscribed"},
    "deal.stage.signed": {"zh-CN": "签约", "en": "Signed"},
    "deal.stage.paying": {"zh-CN": "回款", "en": "Payments"},
    "deal.stage.paid": {"zh-CN": "已付清", "en": "Paid"},
    "deal.stage.cancelled": {"zh-CN": "已退房", "en": "Cancelled"},
    "deal.approval.not_needed": {"zh-CN": "无需审批", "en": "Not needed"},
    "deal.approval.pending": {"zh-CN": "待经理审批", "en": "Awaiting approval"},
    "deal.approval.approved": {"zh-CN": "已批准", "en": "Approved"},
    "deal.approval.rejected": {"zh-CN": "已驳回", "en": "Rejected"},
    "deal.method.bank_transfer": {"zh-CN": "银行转账", "en": "Bank transfer"},
    "deal.method.mortgage": {"zh-CN": "按揭放款", "en": "Mortgage"},
    "deal.method.provident_fund": {"zh-CN": "公积金贷款", "en": "Provident fund loan"},
    "deal.method.pos": {"zh-CN": "刷卡", "en": "Card"},
    "deal.method.wechat": {"zh-CN": "微信支付", "en": "WeChat Pay"},
    "deal.method.alipay": {"zh-CN": "支付宝", "en": "Alipay"},
    "deal.method.cash": {"zh-CN": "现金", "en": "Cash"},
    "deal.method.cheque": {"zh-CN": "支票", "en": "Cheque"},
    "deal.method.other": {"zh-CN": "其他", "en": "Other"},
    "deal.customer": {"zh-CN": "客户", "en": "Customer"},
    "deal.owner": {"zh-CN": "置业顾问", "en": "Consultant"},
    "deal.agreed_price": {"zh-CN": "成交价", "en": "Agreed price"},
    "deal.deposit": {"zh-CN": "定金", "en": "Deposit"},
    "deal.paid_total": {"zh-CN": "已回款", "en": "Paid"},
    "deal.balance": {"zh-CN": "待回款", "en": "Balance"},
    "deal.discount": {"zh-CN": "优惠", "en": "Discount"},
    "deal.approval": {"zh-CN": "价格审批", "en": "Price approval"},
    "deal.contract_no": {"zh-CN": "合同编号", "en": "Contract no."},
    "deal.subscribed_at": {"zh-CN": "认购时间", "en": "Subscribed"},
    "deal.signed_at": {"zh-CN": "签约时间", "en": "Signed"},
    "deal.partner": {"zh-CN": "成交渠道", "en": "Partner"},
    "deal.referrer": {"zh-CN": "推荐人（全民营销）", "en": "Referrer"},
    "deal.no_attribution": {"zh-CN": "无渠道、无推荐人（自然成交）", "en": "No partner or referrer"},
    "deal.unnamed": {"zh-CN": "未登记", "en": "not registered"},
    "deal.someone": {"zh-CN": "其他顾问的客户", "en": "another consultant's customer"},
    "deal.open": {"zh-CN": "查看成交", "en": "Open the deal"},
    "payout.kind.commission": {"zh-CN": "渠道佣金", "en": "Commission"},
    "payout.kind.referral_reward": {"zh-CN": "推荐奖励", "en": "Referral reward"},
    "payout.status.pending": {"zh-CN": "待回款", "en": "Waiting for payment"},
    "payout.status.due": {"zh-CN": "待审批", "en": "Due"},
    "payout.status.approved": {"zh-CN": "待付款", "en": "Approved"},
    "payout.status.paid": {"zh-CN": "已付款", "en": "Paid"},
    "payout.status.void": {"zh-CN": "已作废", "en": "Void"},
    "payout.status.clawback": {"zh-CN": "待追回", "en": "Claw-back"},
    "payout.beneficiary.partner": {"zh-CN": "渠道", "en": "Partner"},
    "payout.beneficiary.referrer": {"zh-CN": "推荐人", "en": "Referrer"},
    "payout.form.cash": {"zh-CN": "现金", "en": "Cash"},
    "payout.form.property_fee": {"zh-CN": "抵物业费", "en": "Property-fee credit"},
    "payout.form.shopping_card": {"zh-CN": "购物卡", "en": "Shopping card"},
    "deal.err.money": {"zh-CN": "金额格式不正确：请填写数字，例如 2980000 或 298万。",
                       "en": "Enter an amount such as 2980000 or 298万."},
})


# ---- money ----

def _decimal(value: Any) -> Decimal | None:
    if value is None or value == "":
        return None
    try:
        d = Decimal(str(value))
    except (InvalidOperation, ValueError):
        return None
    return d if d.is_finite() else None


def yuan(value: Any) -> str:
    """An API amount ("2980000.00") as people read it: ¥2,980,000.00; empty for none."""
    d = _decimal(value)
    if d is None:
        return ""
    sign = "-" if d < 0 else ""
    return f"{sign}¥{abs(d).quantize(Decimal('0.01'), rounding=ROUND_HALF_UP):,}"


def wan(value: Any, unit: str = "万") -> str:
    """A price in 万元 for the unit board: 2980000 -> 298万, 2985000 -> 298.5万."""
    d = _decimal(value)
    if d is None:
        return ""
    text = f"{(d / 10000).quantize(Decimal('0.01'), rounding=ROUND_HALF_UP):,}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return f"{text}{unit}"


def percent(part: Any, whole: Any) -> str:
    """part / whole as a percentage with one place: 3.5%."""
    a, b = _decimal(part), _decimal(whole)
    if a is None or not b:
        return ""
    return f"{(a * 100 / b).quantize(Decimal('0.1'), rounding=ROUND_HALF_UP)}%"


def minus(a: Any, b: Any) -> str | None:
    x, y = _decimal(a), _decimal(b)
    return None if x is None or y is None else str(x - y)


def total(rows: list[dict], key: str = "amount") -> str:
    """The sum of the rows' decimal-string amounts, as a decimal string (never through floats)."""
    return str(sum((_decimal(r.get(key)) or Decimal(0) for r in rows), Decimal(0)))


MONEY_TYPED = re.compile(r"^[¥￥]?\s*([0-9][0-9,，]*(?:\.[0-9]{1,4})?)\s*(万|万元|元)?$")


def parse_money(raw: str) -> str | None:
    """What a person typed as an amount (2980000, 2,980,000.00, ¥2980000, 298万) as a decimal string for the
    API, or None when it is not an amount. The API still checks the range and places."""
    m = MONEY_TYPED.match(raw.strip())
    if not m:
        return None
    try:
        d = Decimal(m.group(1).replace(",", "").replace("，", ""))
    except InvalidOperation:
        return None
    if m.group(2) in ("万", "万元"):
        d *= 10000
    d = d.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    return str(d)


env.filters["yuan"] = yuan
env.filters["wan"] = wan


# ---- names behind ids ----

async def _get(s: Screen, path: str) -> dict | None:
    try:
        return await s.api.get(path)
    except ApiError:  # not there, or not the caller's to read: the screen shows a word instead
        return None


async def staff_names(s: Screen) -> dict[str, str]:
    """Staff id -> name; empty for roles that may not read the staff list (finance)."""
    if not s.user.branch_id or s.user.role == "partner":
        return {}
    try:
        return {p["id"]: p.get("name") or "" for p in await s.api.items("/v1/staff", branch_id=s.user.branch_id)}
    except ApiError:
        return {}


async def units_by_id(s: Screen, **filters: Any) -> dict[str, dict]:
    if not s.user.branch_id:
        return {}
    try:
        return {u["id"]: u for u in await s.api.items("/v1/units", branch_id=s.user.branch_id, **filters)}
    except ApiError:
        return {}


async def unit_of(s: Screen, unit_id: str | None, known: dict[str, dict] | None = None) -> dict:
    if not unit_id:
        return {}
    if known and unit_id in known:
        return known[unit_id]
    return await _get(s, f"/v1/units/{q(unit_id)}") or {}


def unit_label(s: Screen, unit: dict) -> str:
    if not unit:
        return s.t("unit.unknown")
    return unit.get("label") or " ".join(str(p) for p in (unit.get("project"), unit.get("building"), unit.get("unit_no")) if p)


async def customer_name(s: Screen, deal: dict, cache: dict[str, str] | None = None) -> str:
    """The deal's customer by name: the deal's own copy, else the lead's (when the caller may read it)."""
    for key in ("customer_name",):
        if deal.get(key):
            return deal[key]
    if isinstance(deal.get("customer"), dict) and deal["customer"].get("name"):
        return deal["customer"]["name"]
    lead_id = deal.get("lead_id")
    if not lead_id or s.user.role not in ("consultant", "reception", "manager", "admin"):
        return ""
    if cache is not None and lead_id in cache:
        return cache[lead_id]
    lead = await _get(s, f"/v1/leads/{q(lead_id)}") or {}
    name = (lead.get("customer") or {}).get("name") or ""
    if cache is not None:
        cache[lead_id] = name
    return name


async def party_name(s: Screen, kind: str, party_id: str | None, given: str | None = None,
                     cache: dict[tuple, str] | None = None) -> str:
    """A partner account's or a referrer's name (`kind` partner/referrer), or the word for an unregistered one."""
    if given:
        return given
    if not party_id:
        return ""
    key = (kind, party_id)
    if cache is not None and key in cache:
        return cache[key]
    if s.user.role == "partner" and kind == "partner" and party_id != s.user.id:
        found = None
    else:
        found = await _get(s, f"/v1/{'partners' if kind == 'partner' else 'referrers'}/{q(party_id)}")
    name = (found or {}).get("name") or s.t("deal.unnamed")
    if cache is not None:
        cache[key] = name
    return name


async def attribution_names(s: Screen, deal: dict) -> dict:
    """`partner` and `referrer` names of a deal's attribution (names the deal carries win)."""
    a = deal.get("attribution") or {}
    out = {}
    if a.get("partner_id"):
        out["partner"] = await party_name(s, "partner", a["partner_id"], a.get("partner_name"))
    if a.get("referrer_id"):
        out["referrer"] = await party_name(s, "referrer", a["referrer_id"], a.get("referrer_name"))
        if a.get("referrer_kind"):
            out["referrer_kind"] = a["referrer_kind"]
    return out


async def cancel_reasons(s: Screen) -> list[dict]:
    """The branch's cancellation reasons (退房原因) as {code, label}: the deals service's list for the branch
    (`GET /v1/deal-settings/{branch}`), else the usual one."""
    words = "en" if s.locale == "en" else "zh"
    listed: list = []
    if s.user.branch_id:
        path = f"/v1/deal-settings/{q(s.user.branch_id)}"
        found = await state_of(s.request).cached(("deal-settings", s.user.branch_id, s.user.role), 30,
                                                 lambda: _get(s, path))
        listed = (found or {}).get("cancel_reasons") or []
    english = {code: en for code, _, en in CANCEL_REASONS} if words == "en" else {}
    out = [{"code": r["code"], "label": english.get(r["code"]) or r.get("name") or r["code"]}
           for r in listed if isinstance(r, dict) and r.get("code")]
    if out:
        return out
    return [{"code": code, "label": en if words == "en" else zh} for code, zh, en in CANCEL_REASONS]


def stage_of(deal: dict) -> str:
    """Where the deal is on 认购 → 签约 → 回款 → 已付清 (or 已退房)."""
    status = deal.get("status")
    if status == "signed" and (_decimal(deal.get("paid_total")) or 0) > 0:
        return "paying"
    return status if status in DEAL_STATUSES else "subscribed"
