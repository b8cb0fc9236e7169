"""The lead card (意向客户跟踪卡): masked phone with an audited reveal, the timeline of follow-ups,
visits, appointments and messages, and the forms that change it — each shown only to who may use
it: the owner and managers edit, managers assign (分配), a consultant claims a pool lead."""

from __future__ import annotations

import math
from datetime import timedelta
from functools import partial
from typing import Annotated

from fastapi import APIRouter, Form, Request, Response

from crm_console import i18n
from crm_console.api import ApiError
from crm_console.views import lead_channel
from crm_console.views.floor import (APPOINTMENT_KINDS, FOLLOW_UP_KINDS, GRADES, error_status, if_match, int_in,
                                     local_to_utc, names_of, q, staff_of)
from crm_console.views.leads import ASSIGNERS, ROLES
from crm_console.views.reveal import reveal_phone
from crm_console.web import PREFIX, ConsoleRoute, Screen, screen

router = APIRouter(prefix=f"{PREFIX}/leads", route_class=ConsoleRoute, include_in_schema=False)
OPEN = ("new", "contacted", "visited", "negotiating")
VISIT_OUTCOMES = ("interested", "deposit", "not_interested")
TEMPLATES = ("appointment_confirmation", "appointment_reminder", "appointment_rescheduled", "appointment_cancelled",
             "birthday_greeting", "holiday_greeting")

i18n.register({
    "lead.interest": {"zh-CN": "意向", "en": "Interest"},
    "lead.lost_reason": {"zh-CN": "流失原因", "en": "Lost reason"},
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
    "lead.close_outcome": {"zh-CN": "结案结果", "en": "Outcome"},
    "lead.won": {"zh-CN": "成交", "en": "Won"},
    "lead.lost": {"zh-CN": "流失", "en": "Lost"},
    "lead.amount": {"zh-CN": "成交金额（可选）", "en": "Amount (optional)"},
    "lead.close_reason": {"zh-CN": "流失原因（流失时必选）", "en": "Lost reason (required when lost)"},
    "lead.close_note": {"zh-CN": "说明（选“其他”时必填）", "en": "Note (required for “Other”)"},
    "lead.pick_outcome": {"zh-CN": "请选择结案结果：成交或流失。", "en": "Choose the outcome: won or lost."},
    "lead.pick_reason": {"zh-CN": "流失结案请选择流失原因。", "en": "Choose why the lead was lost."},
    "lead.need_note": {"zh-CN": "该流失原因需要填写说明。", "en": "This reason needs a note."},
    "lead.closed_confirm": {"zh-CN": "确定结案？结案后不能再跟进。", "en": "Close this lead? It cannot be followed up afterwards."},
    "lead.saved": {"zh-CN": "已保存", "en": "Saved"},
    "lead.booked": {"zh-CN": "已预约", "en": "Appointment booked"},
    "lead.closed": {"zh-CN": "已结案", "en": "Lead closed"},
    "lead.assign": {"zh-CN": "分配顾问", "en": "Assign to a consultant"},
    "lead.assign_to": {"zh-CN": "新的归属顾问", "en": "New owner"},
    "lead.assign_submit": {"zh-CN": "分配", "en": "Assign"},
    "lead.assigned": {"zh-CN": "已分配给 {name}", "en": "Assigned to {name}"},
    "lead.claim": {"zh-CN": "从公海领取", "en": "Claim from the pool"},
    "lead.claimed": {"zh-CN": "已领取，现在是您的客户", "en": "Claimed: this customer is now yours"},
    "lead.bad_time": {"zh-CN": "请填写正确的日期和时间", "en": "Enter a valid date and time"},
    "lead.bad_number": {"zh-CN": "人数须为 1–50，时长须为 5–720 分钟", "en": "Party size 1–50, duration 5–720 minutes"},
    "lead.bad_amount": {"zh-CN": "金额须为数字", "en": "The amount must be a number"},
})


def lost_reasons(s: Screen) -> list[dict]:
    """The branch's lost reasons as (code, words in the user's language, note needed)."""
    words = "en" if s.locale == "en" else "zh"
    return [{"code": r["code"], "label": r.get(words) or r.get("zh") or r["code"], "note_required": r.get("note_required", False)}
            for r in (s.branch.get("settings") or {}).get("lost_reasons") or []]


def _message_line(s: Screen, m: dict) -> str:
    template = m.get("template") if m.get("template") in TEMPLATES else "other"
    channel = s.t(f"msg.{m['channel']}") if m.get("channel") in ("sms", "email", "wecom") else ""
    return " · ".join(x for x in (channel, s.t(f"msg.tpl.{template}")) if x)


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
                "what": s.t("lead.tl.visit") + (" · " + s.t("outcome." + v["outcome"]) if v.get("outcome") in VISIT_OUTCOMES else ""),
                "text": " · ".join(x for x in (v.get("outcome") if v.get("outcome") not in VISIT_OUTCOMES else None,
                                               v.get("note")) if x)} for v in visits]
    events += [{"at": a.get("start"), "kind": "appointment", "what": s.t("appt." + a["kind"]), "by": a.get("consultant_id"),
                "text": s.t("appt." + a["status"]) + (" · " + a["notes"] if a.get("notes") else "")} for a in appointments]
    seen: set[str] = set()
    for appointment_id in {a["id"] for a in appointments}:  # its confirmations and reminders (numbers are masked)
        try:
            messages = (await s.api.get("/v1/messages", branch_id=branch_id, entity=appointment_id, limit=50)).get("items", [])
        except ApiError:
            continue
        for m in messages:
            if m["id"] not in seen:
                seen.add(m["id"])
                events.append({"at": m.get("created_at"), "kind": "message", "by": None, "what": _message_line(s, m),
                               "text": s.t("msg." + m.get("status", "queued"))})
    events.sort(key=lambda e: str(e.get("at") or ""), reverse=True)
    return events, appointments


async def _card(s: Screen, lead_id: str, status_code: int = 200, **extra) -> Response:
    lead = await s.api.get(f"/v1/leads/{q(lead_id)}")
    staff = await staff_of(s)
    timeline, appointments = await _timeline(s, lead)
    role, me = s.user.role, s.user.id
    is_open = lead["status"] in OPEN
    can_edit = is_open and (role in ASSIGNERS or (role == "consultant" and lead.get("owner_id") == me))
    reasons = lost_reasons(s)
    extra.setdefault("form", {})
    return s.render("lead_card.html", status_code=status_code, lead=lead, timeline=timeline, appointments=appointments,
                    names=names_of(staff), consultants=[p for p in staff if p.get("role") == "consultant" and p.get("active", True)],
                    is_open=is_open, can_edit=can_edit, can_assign=is_open and role in ASSIGNERS,
                    can_book=is_open and (can_edit or role == "reception"),
                    can_claim=is_open and role == "consultant" and lead.get("in_pool"),
                    lost_reasons=reasons, lost_label={r["code"]: r["label"] for r in reasons},
                    grades=GRADES, open_statuses=OPEN, kinds=FOLLOW_UP_KINDS, appointment_kinds=APPOINTMENT_KINDS,
                    channel=await lead_channel.of(s, lead), **extra)


def _back(lead_id: str) -> str:
    return f"{PREFIX}/leads/{q(lead_id)}"


@router.get("/{lead_id}")
async def lead_card(request: Request, lead_id: str) -> Response:
    s = await screen(request, *ROLES)
    return await _card(s, lead_id[:64])


@router.post("/{lead_id}/reveal")
async def reveal(request: Request, lead_id: str, reason: Annotated[str, Form(max_length=200)] = "") -> Response:
    """The full number, once, audited (views.reveal)."""
    s = await screen(request, *ROLES)
    lead_id = lead_id[:64]
    return await reveal_phone(s, partial(_card, s, lead_id), f"/v1/leads/{q(lead_id)}/phone", reason)


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
        await s.api.post(f"/v1/leads/{q(lead_id)}/follow-ups", body, headers=if_match(version))
    except ApiError as exc:
        return await _card(s, lead_id, error_status(exc), followup_error=exc.message, form=form)
    return s.redirect(_back(lead_id), flash=s.t("lead.saved"))


@router.post("/{lead_id}/update")
async def update(request: Request, lead_id: str, version: Annotated[str, Form(max_length=12)] = "",
                 grade: Annotated[str, Form(max_length=5)] = "", status: Annotated[str, Form(max_length=20)] = "") -> Response:
    s = await screen(request, *ROLES)
    lead_id = lead_id[:64]
    body = {k: v for k, v in (("grade", grade), ("status", status)) if v}
    if body:
        try:
            await s.api.patch(f"/v1/leads/{q(lead_id)}", body, headers=if_match(version))
        except ApiError as exc:
            return await _card(s, lead_id, error_status(exc), update_error=exc.message,
                               form={"update": {"grade": grade, "status": status}})
    return s.redirect(_back(lead_id), flash=s.t("lead.saved"))


@router.post("/{lead_id}/assign")
async def assign(request: Request, lead_id: str, version: Annotated[str, Form(max_length=12)] = "",
                 owner_id: Annotated[str, Form(max_length=64)] = "", reason: Annotated[str, Form(max_length=200)] = "") -> Response:
    s = await screen(request, *ASSIGNERS)
    lead_id, form = lead_id[:64], {"assign": {"owner_id": owner_id, "reason": reason}}
    if not owner_id:
        return await _card(s, lead_id, 422, assign_error=s.t("lead.bulk_owner"), form=form)
    body = {"owner_id": owner_id} | ({"reason": reason.strip()} if reason.strip() else {})
    try:
        await s.api.post(f"/v1/leads/{q(lead_id)}/assign", body, headers=if_match(version))
    except ApiError as exc:
        return await _card(s, lead_id, error_status(exc), assign_error=exc.message, form=form)
    name = names_of(await staff_of(s)).get(owner_id, "")
    return s.redirect(_back(lead_id), flash=s.t("lead.assigned").format(name=name))


@router.post("/{lead_id}/claim")
async def claim(request: Request, lead_id: str) -> Response:
    s = await screen(request, "consultant")
    lead_id = lead_id[:64]
    try:
        await s.api.post(f"/v1/leads/{q(lead_id)}/claim")
    except ApiError as exc:
        return await _card(s, lead_id, error_status(exc), claim_error=exc.message)
    return s.redirect(_back(lead_id), flash=s.t("lead.claimed"))


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
    return s.redirect(_back(lead_id), flash=s.t("lead.booked"))


@router.post("/{lead_id}/close")
async def close(request: Request, lead_id: str, version: Annotated[str, Form(max_length=12)] = "",
                outcome: Annotated[str, Form(max_length=10)] = "", reason: Annotated[str, Form(max_length=60)] = "",
                note: Annotated[str, Form(max_length=1000)] = "", amount: Annotated[str, Form(max_length=20)] = "") -> Response:
    s = await screen(request, *ROLES)
    lead_id, form = lead_id[:64], {"close": {"outcome": outcome, "reason": reason, "note": note, "amount": amount}}
    needs_note = {r["code"] for r in lost_reasons(s) if r["note_required"]}
    problem = ("lead.pick_outcome" if outcome not in ("won", "lost") else
               "lead.pick_reason" if outcome == "lost" and not reason else
               "lead.need_note" if outcome == "lost" and reason in needs_note and not note.strip() else None)
    if problem:
        return await _card(s, lead_id, 422, close_error=s.t(problem), form=form)
    body: dict = {"outcome": outcome}
    if outcome == "lost":
        body |= {"reason": reason} | ({"note": note.strip()} if note.strip() else {})
    if amount.strip():
        try:
            body["amount"] = float(amount.strip().replace(",", ""))
        except ValueError:
            body["amount"] = math.nan
        if not math.isfinite(body["amount"]):
            return await _card(s, lead_id, 422, close_error=s.t("lead.bad_amount"), form=form)
    try:
        await s.api.post(f"/v1/leads/{q(lead_id)}/close", body, headers=if_match(version))
    except ApiError as exc:
        return await _card(s, lead_id, error_status(exc), close_error=exc.message, form=form)
    return s.redirect(_back(lead_id), flash=s.t("lead.closed"))
