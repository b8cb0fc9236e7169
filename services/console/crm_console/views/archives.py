"""Customer archives (顾客档案): the branch's list with filters (tier, category, account manager, frozen,
review), and the form that opens an archive for a customer worth keeping. A consultant's list is the
archives it manages, as the API answers it."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Form, Request, Response

from crm_console import i18n
from crm_console.api import ApiError
from crm_console.views.customers_common import (ARCHIVE_ROLES, ARCHIVE_STATUSES, CARD_FIELDS, CATEGORIES, KEY_TIERS,
                                                LEVELS, MANAGERS, TIERS, archive_link, branch_screen, customer_of,
                                                names)
from crm_console.views.floor import staff_of
from crm_console.web import PREFIX, ConsoleRoute, Screen

router = APIRouter(prefix=f"{PREFIX}/archives", route_class=ConsoleRoute, include_in_schema=False)
OPENERS = ("consultant", "manager")  # POST /v1/archives
PAGE = 100

i18n.register({
    "arc.list": {"zh-CN": "顾客档案", "en": "Customer archives"},
    "arc.mine": {"zh-CN": "这里只显示由您维护的档案。", "en": "Only the archives you manage are shown."},
    "arc.search": {"zh-CN": "姓名、手机号或尾号四位", "en": "Name, phone or last 4 digits"},
    "arc.review_state": {"zh-CN": "审核状态", "en": "Review"},
    "arc.frozen_filter": {"zh-CN": "冻结", "en": "Frozen"},
    "arc.more": {"zh-CN": "下一页", "en": "Next page"},
    "arc.open": {"zh-CN": "新建档案", "en": "Open an archive"},
    "arc.open_hint": {"zh-CN": "为值得长期维护的客户建档；新档案由销售经理在一周内审核。",
                      "en": "Open an archive for a customer worth keeping; a manager reviews it within a week."},
    "arc.birthday": {"zh-CN": "生日（可选）", "en": "Birthday (optional)"},
    "arc.tier_optional": {"zh-CN": "客户等级（可选）", "en": "Tier (optional)"},
    "arc.manager_me": {"zh-CN": "由我维护", "en": "Me"},
    "arc.opened": {"zh-CN": "已建档：{name}（{number}），待经理审核", "en": "Archive opened: {name} ({number}), awaiting review"},
    "arc.exists": {"zh-CN": "该客户在本案场已有档案：", "en": "This customer already has an archive here: "},
    "arc.need_name": {"zh-CN": "请填写客户姓名和手机号。", "en": "Enter the customer's name and phone."},
    "arc.need_category": {"zh-CN": "请选择客户类别。", "en": "Choose the category."},
    "arc.count": {"zh-CN": "共 {n} 份", "en": "{n} archives"},
    "arc.key_accounts": {"zh-CN": "重点客户名单", "en": "Key accounts"},
    "ka.title": {"zh-CN": "重点客户名单", "en": "Key accounts"},
    "ka.hint": {"zh-CN": "核心、重点客户及其专职客户经理：案场名单由销售经理审批，集团名单由管理员审批。",
                "en": "Core and key accounts with their account managers: the branch's list approved by its manager, the group's by an administrator."},
    "ka.level": {"zh-CN": "名单", "en": "List"},
    "ka.approved_by": {"zh-CN": "批准人", "en": "Approved by"},
    "ka.approved_at": {"zh-CN": "批准时间", "en": "Approved"},
    "ka.latest_grade": {"zh-CN": "最新评估", "en": "Latest grade"},
    "ka.pending": {"zh-CN": "待审批的等级申请", "en": "Tier requests awaiting a decision"},
    "ka.requested": {"zh-CN": "申请", "en": "Asked"},
    "ka.requested_by": {"zh-CN": "申请人", "en": "Asked by"},
    "ka.reason": {"zh-CN": "理由", "en": "Why"},
    "ka.decide": {"zh-CN": "去审批", "en": "Decide"},
    "ka.branch": {"zh-CN": "分公司", "en": "Branch"},
    "ka.all_branches": {"zh-CN": "集团名单包含所有分公司的客户。", "en": "The group's list covers every branch."},
    "ka.back": {"zh-CN": "返回顾客档案", "en": "Back to the archives"},
})


def _filters(tier: str, category: str, manager: str, frozen: str, status: str, name: str) -> dict:
    return {"tier": tier if tier in TIERS else "", "category": category if category in CATEGORIES else "",
            "account_manager_id": manager[:64], "frozen": frozen if frozen in ("true", "false") else "",
            "status": status if status in ARCHIVE_STATUSES else "", "q": name.strip()[:50]}


async def _page(s: Screen, filters: dict, cursor: str = "", status_code: int = 200, **extra) -> Response:
    params = {k: v for k, v in filters.items() if v}
    if s.user.role == "consultant":
        params["account_manager_id"] = s.user.id
    list_error, archives, next_cursor = "", [], None
    try:
        page = await s.api.get("/v1/archives", branch_id=s.user.branch_id, limit=PAGE, cursor=cursor or None, **params)
        archives, next_cursor = page.get("items", []), page.get("next_cursor")
    except ApiError as exc:
        list_error = exc.message
    staff = await staff_of(s)
    managers = [p for p in staff if p.get("role") in ("consultant", "manager") and p.get("active", True)]
    extra.setdefault("form", {})
    extra.setdefault("key", uuid.uuid4().hex)
    return s.render("archives.html", status_code=status_code, archives=archives, next_cursor=next_cursor,
                    filters=filters, names=names(staff), managers=managers, list_error=list_error, tiers=TIERS,
                    categories=CATEGORIES, statuses=ARCHIVE_STATUSES, card_fields=CARD_FIELDS,
                    can_open=s.user.role in OPENERS, customer_of=customer_of, can_list_keys=s.user.role in MANAGERS,
                    **extra)


@router.get("/key-accounts")
async def key_accounts(request: Request, level: str = "", tier: str = "") -> Response:
    """The key accounts (重点客户) on the branch's and the group's lists with their account managers' names, and
    the tier requests awaiting a decision; an admin choosing the group's list sees every branch's."""
    s = await branch_screen(request, *MANAGERS)
    level = level if level in LEVELS else ""
    tier = tier if tier in KEY_TIERS else ""
    whole_group = s.user.role == "admin" and level == "group"
    branch_id = None if whole_group else s.user.branch_id
    list_error, accounts, pending = "", [], []
    try:
        accounts = await s.api.items("/v1/key-accounts", branch_id=branch_id, level=level or None, tier=tier or None)
        pending = [r for r in await s.api.items("/v1/tier-requests", branch_id=branch_id, status="pending",
                                                 level=level or None) if r.get("status") == "pending"]
    except ApiError as exc:
        list_error = exc.message
    branches: dict[str, str] = {}
    if whole_group:
        try:
            branches = {b["id"]: b.get("name") or "" for b in await s.api.items("/v1/branches")}
        except ApiError:
            branches = {}
    order = {t: i for i, t in enumerate(TIERS)}
    accounts.sort(key=lambda a: (order.get(a.get("tier"), 9), a.get("level") != "group", a.get("customer_name") or ""))
    staff = await staff_of(s)
    return s.render("key_accounts.html", accounts=accounts, pending=pending, names=names(staff), branches=branches,
                    filters={"level": level, "tier": tier}, levels=LEVELS, tiers=KEY_TIERS, list_error=list_error,
                    whole_group=whole_group)


@router.get("")
async def archives(request: Request, tier: str = "", category: str = "", manager: str = "", frozen: str = "",
                   status: str = "", q: str = "", cursor: str = "") -> Response:
    s = await branch_screen(request, *ARCHIVE_ROLES)
    return await _page(s, _filters(tier, category, manager, frozen, status, q), cursor[:200])


@router.post("")
async def open_archive(
    request: Request, name: Annotated[str, Form(max_length=50)] = "", phone: Annotated[str, Form(max_length=40)] = "",
    birthday: Annotated[str, Form(max_length=10)] = "", category: Annotated[str, Form(max_length=20)] = "",
    tier: Annotated[str, Form(max_length=20)] = "", account_manager_id: Annotated[str, Form(max_length=64)] = "",
    lead_id: Annotated[str, Form(max_length=64)] = "", employer: Annotated[str, Form(max_length=200)] = "",
    position: Annotated[str, Form(max_length=200)] = "", address: Annotated[str, Form(max_length=200)] = "",
    family: Annotated[str, Form(max_length=500)] = "", preferences: Annotated[str, Form(max_length=500)] = "",
    key: Annotated[str, Form(max_length=64)] = "",
) -> Response:
    s = await branch_screen(request, *OPENERS)
    form = {"name": name, "phone": phone, "birthday": birthday, "category": category, "tier": tier,
            "account_manager_id": account_manager_id, "lead_id": lead_id, "employer": employer, "position": position,
            "address": address, "family": family, "preferences": preferences}
    empty = _filters("", "", "", "", "", "")
    if not name.strip() or not phone.strip():
        return await _page(s, empty, status_code=422, open_error=s.t("arc.need_name"), form=form)
    if category not in CATEGORIES:
        return await _page(s, empty, status_code=422, open_error=s.t("arc.need_category"), form=form)
    customer = {"name": name.strip(), "phone": phone.strip()} | ({"birthday": birthday.strip()} if birthday.strip() else {})
    card = {f: form[f].strip() for f in CARD_FIELDS if form[f].strip()}
    body: dict = {"branch_id": s.user.branch_id, "customer": customer, "category": category, "card": card}
    if tier in TIERS:
        body["tier"] = tier
    if s.user.role in MANAGERS and account_manager_id:
        body["account_manager_id"] = account_manager_id
    elif s.user.role == "consultant":
        body["account_manager_id"] = s.user.id
    if lead_id.strip():
        body["lead_id"] = lead_id.strip()
    try:
        made = await s.api.post("/v1/archives", body, headers={"Idempotency-Key": key} if key else None)
    except ApiError as exc:
        existing = exc.body.get("existing_archive_id") or exc.body.get("archive_id")
        return await _page(s, empty, status_code=exc.status if 400 <= exc.status < 500 else 502,
                           open_error=exc.message if exc.status != 409 else s.t("arc.exists"),
                           existing=existing if exc.status == 409 else None, form=form)
    flash = s.t("arc.opened").format(name=customer["name"], number=made.get("number") or "")
    return s.redirect(archive_link(made["id"]), flash=flash)
