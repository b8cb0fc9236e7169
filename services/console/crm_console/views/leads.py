"""Leads (客户): a searchable list and the lead card (意向客户跟踪卡) — masked phone with an audited
reveal, the timeline of follow-ups, visits, appointments and messages, and the forms that change it."""

from __future__ import annotations

import math
from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, Form, Request, Response

from crm_console import i18n
from crm_console.api import ApiError
from crm_console.views.floor import (APPOINTMENT_KINDS, FOLLOW_UP_KINDS, GRADES, STATUSES, error_status, int_in,
                                     local_to_utc, names_of, q, staff_of)
from crm_console.web import PREFIX, ConsoleRoute, Screen, screen

router = APIRouter(prefix=f"{PREFIX}/leads", route_class=ConsoleRoute, include_in_schema=False)
ROLES = ("consultant", "reception", "manager", "admin")
OPEN = ("new", "contacted", "visited", "negotiating")

i18n.register({
    "lead.list": {"zh-CN": "客户列表", "en": "Leads"},
    "lead.search": {"zh-CN": "姓名或完整手机号", "en": "Name or full phone"},
    "lead.filter": {"zh-CN": "筛选", "en": "Filter"},
    "lead.all": {"zh-CN": "全部", "en": "All"},
    "lead.overdue_only": {"zh-CN": "仅逾期", "en": "Overdue only"},
    "lead.more": {"zh-CN": "下一页", "en": "Next page"},
    "lead.grade": {"zh-CN": "意向等级", "en": "Grade"},
    "lead.owner": {"zh-CN": "归属顾问", "en": "Owner"},
    "lead.pool": {"zh-CN": "公海", "en": "Public pool"},
    "lead.source": {"zh-CN": "来源", "en": "Source"},
    "lead.next": {"zh-CN": "下次跟进", "en": "Next follow-up"},
    "lead.created": {"zh-CN": "登记时间", "en": "Registered"},
    "lead.overdue": {"zh-CN": "逾期", "en": "Overdue"},
    "lead.interest": {"zh-CN": "意向", "en": "Interest"},
    "lead.lost_reason": {"zh-CN": "流失原因", "en": "Lost reason"},
    "lead.reveal": {"zh-CN": "查看完整号码", "en": "Show full number"},
    "lead.reveal_audited": {"zh-CN": "查看完整号码会被记录审计（谁、何时、原因）。", "en": "Showing the full number is audited (who, when, why)."},
    "lead.reveal_reason": {"zh-CN": "查看原因", "en": "Reason"},
    "lead.reveal_need_reason": {"zh-CN": "请填写查看原因", "en": "Give a reason"},
    "lead.timeline": {"zh-CN": "客户动态", "en": "Timeline"},
    "lead.tl.follow_up": {"zh-CN": "跟进", "en": "Follow-up"},
    "lead.tl.visit": {"zh-CN": "到访", "en": "Visit"},
    "lead.tl.appointment": {"zh-CN": "预约", "en": "Appointment"},
    "lead.tl.message": {"zh-CN": "消息", "en": "Message"},
    "lead.follow_up": {"zh-CN": "记录跟进", "en": "Log a follow-up"},
    "lead.kind": {"zh-CN": "方式", "en": "Kind"},
    "lead.outcome": {"zh-CN": "结果（可选）", "en": "Outcome (optional)"},
    "lead.next_date": {"zh-CN": "下次跟进日期（可选，默认按等级）", "en": "Next follow-up date (optional; default by grade)"},
    "lead.update": {"zh-CN": "调整等级/状态", "en": "Regrade / status"},
    "lead.unchanged": {"zh-CN": "不变", "en": "Unchanged"},
    "lead.book": {"zh-CN": "预约到访/带看", "en": "Book an appointment"},
    "lead.consultant": {"zh-CN": "顾问", "en": "Consultant"},
    "lead.appt_kind": {"zh-CN": "类型", "en": "Kind"},
    "lead.date": {"zh-CN": "日期", "en": "Date"},
    "lead.start": {"zh-CN": "开始时间", "en": "Start time"},
    "lead.minutes": {"zh-CN": "时长（分钟）", "en": "Minutes"},
    "lead.party": {"zh-CN": "人数", "en": "Party size"},
    "lead.book_phone": {"zh-CN": "客户手机（留空则使用档案号码，将记录审计）", "en": "Customer phone (empty: the number on file, audited)"},
    "lead.close": {"zh-CN": "结案", "en": "Close"},
    "lead.won": {"zh-CN": "成交", "en": "Won"},
    "lead.lost": {"zh-CN": "流失", "en": "Lost"},
    "lead.amount": {"zh-CN": "成交金额（可选）", "en": "Amount (optional)"},
    "lead.close_reason": {"zh-CN": "原因（流失必填）", "en": "Reason (required when lost)"},
    "lead.closed_confirm": {"zh-CN": "确定结案？结案后不能再跟进。", "en": "Close this lead? It cannot be followed up afterwards."},
    "lead.saved": {"zh-CN": "已保存", "en": "Saved"},
    "lead.booked": {"zh-CN": "已预约", "en": "Appointment booked"},
    "lead.closed": {"zh-CN": "已结案", "en": "Lead closed"},
    "lead.bad_time": {"zh-CN": "请填写正确的日期和时间", "en": "Enter a valid date and time"},
    "lead.bad_number": {"zh-CN": "人数须为 1–50，时长须为 5–720 分钟", "en": "Party size 1–50, duration 5–720 minutes"},
    "lead.bad_amount": {"zh-CN": "金额须为数字", "en": "The amount must be a number"},
    "lead.status.new": {"zh-CN": "新客户", "en": "New"},
    "lead.status.contacted": {"zh-CN": "已联系", "en": "Contacted"},
    "lead.status.visited": {"zh-CN": "已到访", "en": "Visited"},
    "lead.status.negotiating": {"zh-CN": "洽谈中", "en": "Negotiating"},
    "lead.status.won": {"zh-CN": "已成交", "en": "Won"},
    "lead.status.lost": {"zh-CN": "已流失", "en": "Lost"},
    "src.walk_in": {"zh-CN": "自然来访", "en": "Walk-in"},
    "src.phone": {"zh-CN": "来电", "en": "Phone call"},
    "src.partner": {"zh-CN": "渠道报备", "en": "Partner"},
    "src.referral": {"zh-CN": "老带新", "en": "Referral"},
    "src.online": {"zh-CN": "线上", "en": "Online"},
    "src.import": {"zh-CN": "导入", "en": "Import"},
    "src.event": {"zh-CN": "活动", "en": "Event"},
    "msg.scheduled": {"zh-CN": "待发送", "en": "Scheduled"},
    "msg.queued": {"zh-CN": "排队中", "en": "Queued"},
    "msg.sent": {"zh-CN": "已发送", "en": "Sent"},
    "msg.delivered": {"zh-CN": "已送达", "en": "Delivered"},
    "msg.failed": {"zh-CN": "发送失败", "en": "Failed"},
    "msg.cancelled": {"zh-CN": "已取消", "en": "Cancelled"},
    "msg.suppressed": {"zh-CN": "未发送（策略）", "en": "Suppressed"},
})


@router.get("")
async def lead_list(request: Request) -> Response:
    s = await screen(request, *ROLES)
    p = request.query_params
    filters = {"q": p.get("q", "").strip()[:100], "status": p.get("status", ""), "grade": p.get("grade", ""),
               "overdue": p.get("overdue", "") == "true"}
    params = {"branch_id": s.user.branch_id, "limit": 50, "cursor": p.get("cursor", "")[:200],
              "q": filters["q"], "status": filters["status"] if filters["status"] in STATUSES else "",
              "grade": filters["grade"] if filters["grade"] in GRADES else "", "overdue": "true" if filters["overdue"] else ""}
    leads, next_cursor, list_error = [], None, ""
    try:
        page = await s.api.get("/v1/leads", **params)
        leads, next_cursor = page.get("items", []), page.get("next_cursor")
    except ApiError as exc:
        list_error = exc.message
    names = names_of(await staff_of(s))
    return s.render("leads.html", leads=leads, next_cursor=next_cursor, filters=filters, list_error=list_error,
                    names=names, statuses=STATUSES, grades=GRADES)


async def _timeline(s: Screen, lead: dict) -> tuple[list[dict], list[dict]]:
    """Follow-ups, visits, appointments and messages of a lead, newest first; and its appointments."""
    branch_id, lead_id = lead["branch_id"], lead["id"]
    follow_ups = (await s.api.get(f"/v1/leads/{q(lead_id)}/follow-ups")).get("items", [])
    # reception's lists filter by branch, not lead: bounded scans of the branch (see Api.items)
    appointments = await s.api.items("/v1/appointments", branch_id=branch_id, lead_id=lead_id)
    visits = await s.api.items("/v1/visits", branch_id=branch_id, lead_id=lead_id)
    events = [{"at": f.get("at"), "kind": "follow_up", "what": s.t("fu." + f.get("kind", "other")),
               "text": " · ".join(x for x in (f.get("note"), f.get("outcome")) if x), "by": f.get("by")} for f in follow_ups]
    events += [{"at": v.get("checked_in_at"), "kind": "visit", "by": v.get("consultant_id"),
                "what": s.t("lead.tl.visit") + (" · " + s.t("outcome." + v["outcome"]) if v.get("outcome") in
                                                ("interested", "deposit", "not_interested") else ""),
                "text": " · ".join(x for x in (v.get("outcome"), v.get("note")) if x)} for v in visits]
    events += [{"at": a.get("start"), "kind": "appointment", "what": s.t("appt." + a["kind"]), "by": a.get("consultant_id"),
                "text": s.t("appt." + a["status"]) + (" · " + a["notes"] if a.get("notes") else "")} for a in appointments]
    seen: set[str] = set()
    for phone in {a["customer"].get("phone") for a in appointments if a["customer"].get("phone")}:
        try:
            messages = (await s.api.get("/v1/messages", branch_id=branch_id, to=phone, limit=50)).get("items", [])
        except ApiError:
            continue
        for m in messages:
            if m["id"] not in seen:
                seen.add(m["id"])
                events.append({"at": m.get("created_at"), "kind": "message", "by": None,
                               "what": f"{m.get('channel', '').upper()} {m.get('template') or ''}".strip(),
                               "text": s.t("msg." + m.get("status", "queued"))})
    events.sort(key=lambda e: str(e.get("at") or ""), reverse=True)
    return events, appointments


async def _card(s: Screen, lead_id: str, status_code: int = 200, **extra) -> Response:
    lead = await s.api.get(f"/v1/leads/{q(lead_id)}")
    staff = await staff_of(s)
    timeline, appointments = await _timeline(s, lead)
    extra.setdefault("form", {})
    return s.render("lead_card.html", status_code=status_code, lead=lead, timeline=timeline, appointments=appointments,
                    names=names_of(staff), consultants=[p for p in staff if p.get("role") == "consultant" and p.get("active", True)],
                    is_open=lead["status"] in OPEN, grades=GRADES, open_statuses=OPEN, kinds=FOLLOW_UP_KINDS,
                    appointment_kinds=APPOINTMENT_KINDS, **extra)


@router.get("/{lead_id}")
async def lead_card(request: Request, lead_id: str) -> Response:
    s = await screen(request, *ROLES)
    return await _card(s, lead_id[:64])


@router.post("/{lead_id}/reveal")
async def reveal(request: Request, lead_id: str, reason: Annotated[str, Form(max_length=200)] = "") -> Response:
    """The full number, shown once on this response (never put in a URL or cookie); the API audits it."""
    s = await screen(request, *ROLES)
    lead_id = lead_id[:64]
    if not reason.strip():
        return await _card(s, lead_id, 422, reveal_error=s.t("lead.reveal_need_reason"))
    try:
        shown = await s.api.get(f"/v1/leads/{q(lead_id)}/phone", reason=reason.strip())
    except ApiError as exc:
        return await _card(s, lead_id, error_status(exc), reveal_error=exc.message, form={"reveal": {"reason": reason}})
    return await _card(s, lead_id, phone=shown["phone"])


@router.post("/{lead_id}/follow-up")
async def follow_up(request: Request, lead_id: str, version: Annotated[str, Form(max_length=12)] = "",
                    kind: Annotated[str, Form(max_length=20)] = "call", note: Annotated[str, Form(max_length=2000)] = "",
                    outcome: Annotated[str, Form(max_length=200)] = "",
                    next_date: Annotated[str, Form(max_length=10)] = "") -> Response:
    s = await screen(request, *ROLES)
    lead_id, form = lead_id[:64], {"follow_up": {"kind": kind, "note": note, "outcome": outcome, "next_date": next_date}}
    body: dict = {"kind": kind, "note": note.strip()}
    if outcome.strip():
        body["outcome"] = outcome.strip()
    if next_date.strip():
        due = local_to_utc(next_date, "23:59", s.tz)
        if due is None:
            return await _card(s, lead_id, 422, followup_error=s.t("lead.bad_time"), form=form)
        body["next_follow_up_at"] = due.isoformat()
    try:
        await s.api.post(f"/v1/leads/{q(lead_id)}/follow-ups", body, headers=_if_match(version))
    except ApiError as exc:
        return await _card(s, lead_id, error_status(exc), followup_error=exc.message, form=form)
    return s.redirect(f"{PREFIX}/leads/{q(lead_id)}", flash=s.t("lead.saved"))


def _if_match(version: str) -> dict:
    return {"If-Match": version.strip()} if version.strip().isdigit() else {}


@router.post("/{lead_id}/update")
async def update(request: Request, lead_id: str, version: Annotated[str, Form(max_length=12)] = "",
                 grade: Annotated[str, Form(max_length=5)] = "", status: Annotated[str, Form(max_length=20)] = "") -> Response:
    s = await screen(request, *ROLES)
    lead_id = lead_id[:64]
    body = {k: v for k, v in (("grade", grade), ("status", status)) if v}
    if body:
        try:
            await s.api.patch(f"/v1/leads/{q(lead_id)}", body, headers=_if_match(version))
        except ApiError as exc:
            return await _card(s, lead_id, error_status(exc), update_error=exc.message,
                               form={"update": {"grade": grade, "status": status}})
    return s.redirect(f"{PREFIX}/leads/{q(lead_id)}", flash=s.t("lead.saved"))


@router.post("/{lead_id}/appointments")
async def book(request: Request, lead_id: str, consultant_id: Annotated[str, Form(max_length=64)] = "",
               kind: Annotated[str, Form(max_length=20)] = "office_visit", day: Annotated[str, Form(max_length=10)] = "",
               start: Annotated[str, Form(max_length=5)] = "", minutes: Annotated[str, Form(max_length=5)] = "60",
               party_size: Annotated[str, Form(max_length=5)] = "1", notes: Annotated[str, Form(max_length=2000)] = "",
               phone: Annotated[str, Form(max_length=40)] = "") -> Response:
    s = await screen(request, *ROLES)
    lead_id = lead_id[:64]
    form = {"book": {"consultant_id": consultant_id, "kind": kind, "day": day, "start": start, "minutes": minutes,
                     "party_size": party_size, "notes": notes, "phone": phone}}
    at = local_to_utc(day, start, s.tz) if start.strip() else None
    size, length = int_in(party_size, 1, 50), int_in(minutes, 5, 720)
    if at is None:
        return await _card(s, lead_id, 422, book_error=s.t("lead.bad_time"), form=form)
    if size is None or length is None:
        return await _card(s, lead_id, 422, book_error=s.t("lead.bad_number"), form=form)
    try:
        lead = await s.api.get(f"/v1/leads/{q(lead_id)}")
        number = phone.strip() or (await s.api.get(f"/v1/leads/{q(lead_id)}/phone", reason="appointment booking"))["phone"]
        await s.api.post("/v1/appointments", {
            "branch_id": lead["branch_id"], "consultant_id": consultant_id or lead.get("owner_id") or "", "lead_id": lead_id,
            "customer": {"name": lead["customer"]["name"], "phone": number}, "kind": kind, "start": at.isoformat(),
            "end": (at + timedelta(minutes=length)).isoformat(), "party_size": size, **({"notes": notes.strip()} if notes.strip() else {}),
        })
    except ApiError as exc:
        return await _card(s, lead_id, error_status(exc), book_error=exc.message, form=form)
    return s.redirect(f"{PREFIX}/leads/{q(lead_id)}", flash=s.t("lead.booked"))


@router.post("/{lead_id}/close")
async def close(request: Request, lead_id: str, version: Annotated[str, Form(max_length=12)] = "",
                outcome: Annotated[str, Form(max_length=10)] = "", reason: Annotated[str, Form(max_length=500)] = "",
                amount: Annotated[str, Form(max_length=20)] = "") -> Response:
    s = await screen(request, *ROLES)
    lead_id, form = lead_id[:64], {"close": {"outcome": outcome, "reason": reason, "amount": amount}}
    body: dict = {"outcome": outcome}
    if reason.strip():
        body["reason"] = reason.strip()
    if amount.strip():
        try:
            body["amount"] = float(amount.strip().replace(",", ""))
        except ValueError:
            body["amount"] = math.nan
        if not math.isfinite(body["amount"]):
            return await _card(s, lead_id, 422, close_error=s.t("lead.bad_amount"), form=form)
    try:
        await s.api.post(f"/v1/leads/{q(lead_id)}/close", body, headers=_if_match(version))
    except ApiError as exc:
        return await _card(s, lead_id, error_status(exc), close_error=exc.message, form=form)
    return s.redirect(f"{PREFIX}/leads/{q(lead_id)}", flash=s.t("lead.closed"))
