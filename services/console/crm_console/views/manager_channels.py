"""Channels (渠道管理): the branch's partner accounts, agencies (中介公司) and their agents (经纪人), whom a
partner signs in as; and the referrers of 全民营销 (employees outside sales, owners 老带新, the public).
Everything through `/v1/partners` and `/v1/referrers`."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request, Response

from crm_console import i18n
from crm_console.api import ApiError
from crm_console.views.manager_common import board, failure, page
from crm_console.web import PREFIX, ConsoleRoute, Screen

router = APIRouter(prefix=f"{PREFIX}/manager/channels", route_class=ConsoleRoute, include_in_schema=False)
HERE = f"{PREFIX}/manager/channels"
KINDS = ("agency", "agent")
REFERRER_KINDS = ("employee", "owner", "public")

i18n.register({
    "chan.partners": {"zh-CN": "渠道账号（中介公司与经纪人）", "en": "Partner accounts (agencies and agents)"},
    "chan.partners_hint": {"zh-CN": "中介公司账号由其负责人使用，可查看本公司全部经纪人的报备与申诉；经纪人只看自己的。",
                           "en": "An agency's account is its manager's: it sees every agent's reports and disputes; an "
                                 "agent sees only its own."},
    "chan.name": {"zh-CN": "名称", "en": "Name"},
    "chan.kind": {"zh-CN": "类型", "en": "Kind"},
    "chan.agency": {"zh-CN": "所属中介公司", "en": "Agency"},
    "chan.no_agency": {"zh-CN": "无（独立经纪人）", "en": "None (independent)"},
    "chan.add_partner": {"zh-CN": "登记渠道账号", "en": "Register a partner account"},
    "chan.partner_added": {"zh-CN": "已登记渠道账号：{name}", "en": "Partner account registered: {name}"},
    "chan.referrers": {"zh-CN": "全民营销推荐人", "en": "Referrers (everyone sells)"},
    "chan.referrers_hint": {"zh-CN": "集团非销售员工、老业主（老带新）和登记的社会人士。案场本身的销售人员不能登记为推荐人。",
                            "en": "Group staff outside sales, owners and registered members of the public. The "
                                  "branch's own sales staff cannot be referrers."},
    "chan.referrer_kind.employee": {"zh-CN": "集团员工", "en": "Group employee"},
    "chan.referrer_kind.owner": {"zh-CN": "老业主", "en": "Owner"},
    "chan.referrer_kind.public": {"zh-CN": "社会人士", "en": "Member of the public"},
    "chan.note": {"zh-CN": "备注", "en": "Note"},
    "chan.add_referrer": {"zh-CN": "登记推荐人", "en": "Register a referrer"},
    "chan.referrer_added": {"zh-CN": "已登记推荐人：{name}", "en": "Referrer registered: {name}"},
    "chan.err.sales-staff": {"zh-CN": "该手机号属于本案场员工：案场销售人员不能作为全民营销推荐人。",
                             "en": "That number belongs to this branch's staff: sales staff cannot be referrers."},
    "chan.err.duplicate-referrer": {"zh-CN": "该手机号已登记为推荐人：{name}。", "en": "Already registered as a referrer: {name}."},
    "chan.err.unknown-agency": {"zh-CN": "请选择本案场已登记的中介公司。", "en": "Pick an agency registered in this branch."},
    "mgr.tab.channels": {"zh-CN": "渠道管理", "en": "Channels"},
})


def readable(s: Screen, exc: ApiError) -> str:
    key = f"chan.err.{exc.kind}"
    known = s.t(key)
    return known.replace("{name}", str(exc.body.get("existing_name") or "")) if known != key else failure(s, exc)


async def _page(s: Screen, status_code: int = 200, **context) -> Response:
    partners = await s.api.items("/v1/partners", branch_id=s.user.branch_id)
    referrers = await s.api.items("/v1/referrers", branch_id=s.user.branch_id)
    context.setdefault("partner_form", {})
    context.setdefault("referrer_form", {})
    return await page(s, "manager_channels.html", "channels", status_code=status_code, partners=partners,
                      agencies=[p for p in partners if p["kind"] == "agency"], referrers=referrers, kinds=KINDS,
                      referrer_kinds=REFERRER_KINDS, **context)


@router.get("")
async def channels(request: Request) -> Response:
    return await _page(await board(request))


@router.post("/partners")
async def add_partner(request: Request, name: Annotated[str, Form(max_length=100)] = "",
                      kind: Annotated[str, Form(max_length=20)] = "agent",
                      agency_id: Annotated[str, Form(max_length=64)] = "") -> Response:
    s = await board(request)
    body = {"branch_id": s.user.branch_id, "name": name.strip(), "kind": kind}
    if kind == "agent" and agency_id:
        body["agency_id"] = agency_id
    try:
        created = await s.api.post("/v1/partners", body)
    except ApiError as exc:
        return await _page(s, exc.status if exc.status < 500 else 502, partner_error=readable(s, exc),
                           partner_form={"name": name, "kind": kind, "agency_id": agency_id})
    return s.redirect(HERE, flash=s.t("chan.partner_added").format(name=created["name"]))


@router.post("/referrers")
async def add_referrer(request: Request, name: Annotated[str, Form(max_length=100)] = "",
                       phone: Annotated[str, Form(max_length=40)] = "", kind: Annotated[str, Form(max_length=20)] = "owner",
                       note: Annotated[str, Form(max_length=500)] = "") -> Response:
    s = await board(request)
    body = {"branch_id": s.user.branch_id, "name": name.strip(), "phone": phone.strip(), "kind": kind}
    if note.strip():
        body["note"] = note.strip()
    try:
        created = await s.api.post("/v1/referrers", body)
    except ApiError as exc:
        return await _page(s, exc.status if exc.status < 500 else 502, referrer_error=readable(s, exc),
                           referrer_form={"name": name, "phone": phone, "kind": kind, "note": note})
    return s.redirect(HERE, flash=s.t("chan.referrer_added").format(name=created["name"]))
