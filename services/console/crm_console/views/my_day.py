"""Consultant's day (我的一天): overdue follow-ups first, today's appointments, new leads, visitors
now, and the public pool (公海) with the claims left today. Built for a phone in one hand."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request, Response

from crm_console import i18n
from crm_console.api import ApiError
from crm_console.views.floor import FOLLOW_UP_KINDS, error_status, q, today_bounds
from crm_console.web import PREFIX, ConsoleRoute, Screen, screen

router = APIRouter(prefix=f"{PREFIX}/my-day", route_class=ConsoleRoute, include_in_schema=False)
ROLES = ("consultant", "manager")
HERE = f"{PREFIX}/my-day"
POOL_SHOWN = 30

i18n.register({
    "day.title": {"zh-CN": "我的一天", "en": "My day"},
    "day.overdue": {"zh-CN": "逾期未跟进", "en": "Overdue follow-ups"},
    "day.due": {"zh-CN": "应跟进", "en": "Due"},
    "day.missed": {"zh-CN": "已错过 {n} 次", "en": "missed {n}×"},
    "day.appointments": {"zh-CN": "今日预约", "en": "Today's appointments"},
    "day.new": {"zh-CN": "新分配给我", "en": "Newly assigned to me"},
    "day.visits": {"zh-CN": "正在接待", "en": "Visitors with me now"},
    "day.pool": {"zh-CN": "公海客户", "en": "Public pool"},
    "day.claims_left": {"zh-CN": "今日还可领取 {n}/{limit} 个", "en": "{n} of {limit} claims left today"},
    "day.claim": {"zh-CN": "领取", "en": "Claim"},
    "day.claimed": {"zh-CN": "已领取客户 {name}", "en": "Claimed {name}"},
    "day.follow_up": {"zh-CN": "记录跟进", "en": "Log follow-up"},
    "day.followed_up": {"zh-CN": "已记录跟进：{name}", "en": "Follow-up logged: {name}"},
    "day.all_clear": {"zh-CN": "没有逾期的跟进，干得好！", "en": "Nothing overdue. Well done!"},
    "day.open_card": {"zh-CN": "客户卡", "en": "Lead card"},
    "day.managers_no_claim": {"zh-CN": "经理不从公海领取：可在客户卡上分配，或在客户列表中批量分配。",
                              "en": "Managers assign pool leads from the lead card, or several at once from the lead list."},
    "fu.call": {"zh-CN": "电话", "en": "Call"},
    "fu.sms": {"zh-CN": "短信", "en": "SMS"},
    "fu.wechat": {"zh-CN": "微信", "en": "WeChat"},
    "fu.visit": {"zh-CN": "到访", "en": "Visit"},
    "fu.email": {"zh-CN": "邮件", "en": "Email"},
    "fu.other": {"zh-CN": "其他", "en": "Other"},
    "fu.note": {"zh-CN": "跟进内容", "en": "What was said"},
    "grade.none": {"zh-CN": "未定级", "en": "Ungraded"},
    "day.reveal": {"zh-CN": "查看完整号码", "en": "Show full number"},
    "day.reveal_note": {"zh-CN": "查看将记录审计（客户信息保密）", "en": "Each view is audited"},
})


async def _page(s: Screen, status_code: int = 200, **extra) -> Response:
    me, branch_id = s.user.id, s.user.branch_id
    _, start, end = today_bounds(s.tz)
    overdue = sorted(await s.api.items("/v1/leads", branch_id=branch_id, owner_id=me, overdue="true"),
                     key=lambda lead: lead.get("next_follow_up_at") or "")
    late = {lead["id"] for lead in overdue}
    fresh = [lead for lead in await s.api.items("/v1/leads", branch_id=branch_id, owner_id=me, status="new")
             if lead["id"] not in late]
    appointments = sorted(await s.api.items("/v1/appointments", branch_id=branch_id, consultant_id=me,
                                            **{"from": start, "to": end}), key=lambda a: a.get("start", ""))
    visits = [v for v in await s.api.items("/v1/visits", branch_id=branch_id, status="open") if v.get("consultant_id") == me]
    pool = (await s.api.get("/v1/leads", branch_id=branch_id, pool="true", limit=POOL_SHOWN)).get("items", [])
    quota = None
    if s.user.role == "consultant":
        try:
            quota = await s.api.get("/v1/pool/quota", branch_id=branch_id)
        except ApiError:
            quota = None
    extra.setdefault("errors", {})
    extra.setdefault("form", {})
    extra.setdefault("revealed", {})
    return s.render("my_day.html", status_code=status_code, overdue=overdue, fresh=fresh, appointments=appointments,
                    visits=visits, pool=pool, quota=quota, kinds=FOLLOW_UP_KINDS, **extra)


@router.get("")
async def my_day(request: Request) -> Response:
    s = await screen(request, *ROLES)
    return await _page(s)


@router.post("/leads/{lead_id}/follow-up")
async def follow_up(request: Request, lead_id: str, kind: Annotated[str, Form(max_length=20)] = "call",
                    note: Annotated[str, Form(max_length=2000)] = "") -> Response:
    s = await screen(request, *ROLES)
    lead_id = lead_id[:64]
    try:
        lead = await s.api.get(f"/v1/leads/{q(lead_id)}")
        await s.api.post(f"/v1/leads/{q(lead_id)}/follow-ups", {"kind": kind, "note": note.strip()},
                         headers={"If-Match": str(lead["version"])})
    except ApiError as exc:
        return await _page(s, error_status(exc), errors={lead_id: exc.message}, form={lead_id: {"kind": kind, "note": note}})
    return s.redirect(HERE, flash=s.t("day.followed_up").format(name=lead["customer"]["name"]))


@router.post("/leads/{lead_id}/claim")
async def claim(request: Request, lead_id: str) -> Response:
    s = await screen(request, *ROLES)
    try:
        lead = await s.api.post(f"/v1/leads/{q(lead_id[:64])}/claim")
    except ApiError as exc:
        return await _page(s, error_status(exc), pool_error=exc.message)
    return s.redirect(HERE, flash=s.t("day.claimed").format(name=lead["customer"]["name"]))


@router.post("/appointments/{appointment_id}/reveal")
async def reveal(request: Request, appointment_id: str) -> Response:
    """The full contact of one of the consultant's own appointments, audited by reception before it is shown."""
    s = await screen(request, *ROLES)
    appointment_id = appointment_id[:64]
    try:
        contact = await s.api.get(f"/v1/appointments/{q(appointment_id)}/contact", reason="预约联系客户")
    except ApiError as exc:
        return await _page(s, error_status(exc), errors={appointment_id: exc.message})
    return await _page(s, revealed={appointment_id: contact})


@router.post("/visits/{visit_id}/end")
async def end_visit(request: Request, visit_id: str, outcome: Annotated[str, Form(max_length=100)] = "") -> Response:
    s = await screen(request, *ROLES)
    try:
        await s.api.post(f"/v1/visits/{q(visit_id[:64])}/end", {"outcome": outcome.strip()} if outcome.strip() else {})
    except ApiError as exc:
        return await _page(s, error_status(exc), visits_error=exc.message)
    return s.redirect(HERE, flash=s.t("desk.ended"))
