"""Complaints (客户投诉): the intake form any staff member uses (the number YYMM-NNN is shown once
saved), and the managers' board by status and deadline, overdue first and highlighted, with assign,
approve the investigation report, improvement actions (整改措施: add with an owner by name and a due date, mark
done, also after closing), close (the customer's response; a refund or exchange names one of the customer's
deals) and reopen. Status words are the customers service's own (已受理 调查中 已答复 已结案 已重开)."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, date, datetime
from functools import partial
from typing import Annotated

from fastapi import APIRouter, Form, Request, Response

from crm_console import i18n
from crm_console.api import ApiError
from crm_console.views.customers_common import (BOARD_ROLES, CHANNELS, COMPLAINT_CATEGORIES, COMPLAINT_STATUSES,
                                                INTAKE_ROLES, RESOLUTIONS, RESOLUTIONS_WITH_DEAL, RESPONSES, SEVERITIES, branch_screen, customer_deals,
                                                customer_of, names, readable, when)
from crm_console.views.floor import error_status, q, staff_of, today_bounds
from crm_console.web import PREFIX, ConsoleRoute, Screen

router = APIRouter(prefix=f"{PREFIX}/complaints", route_class=ConsoleRoute, include_in_schema=False)
BOARD = f"{PREFIX}/complaints"
ACTIVE = ("received", "investigating", "responded", "reopened")

i18n.register({
    "cmpl.board": {"zh-CN": "投诉看板", "en": "Complaint board"},
    "cmpl.intake": {"zh-CN": "登记投诉", "en": "Take a complaint"},
    "cmpl.intake_hint": {"zh-CN": "任何员工都可以登记客户投诉；保存后显示投诉编号，客户将收到短信。",
                         "en": "Any member of staff takes a complaint; the number shows once saved and the customer gets it by SMS."},
    "cmpl.archive": {"zh-CN": "已建档客户", "en": "Customer with an archive"},
    "cmpl.or_new": {"zh-CN": "或填写客户姓名和手机号", "en": "or the customer's name and phone"},
    "cmpl.no_archive": {"zh-CN": "（未建档）", "en": "(no archive)"},
    "cmpl.saved": {"zh-CN": "投诉已登记，编号", "en": "Complaint taken, number"},
    "cmpl.saved_deadlines": {"zh-CN": "调查报告截止 {report}，处理截止 {due}", "en": "Report due {report}, handling due {due}"},
    "cmpl.need_customer": {"zh-CN": "请选择已建档客户，或填写客户姓名和手机号。", "en": "Pick an archived customer or enter a name and phone."},
    "cmpl.need_fields": {"zh-CN": "请选择投诉渠道、类别和严重程度，并填写投诉内容。", "en": "Choose channel, category and severity and describe the complaint."},
    "cmpl.another": {"zh-CN": "再登记一条", "en": "Take another"},
    "cmpl.overdue_only": {"zh-CN": "仅逾期", "en": "Overdue only"},
    "cmpl.assign": {"zh-CN": "分派", "en": "Assign"},
    "cmpl.pick_handler": {"zh-CN": "选择处理人", "en": "Who handles it"},
    "cmpl.assigned": {"zh-CN": "已分派给 {name}", "en": "Assigned to {name}"},
    "cmpl.report": {"zh-CN": "调查报告", "en": "Investigation report"},
    "cmpl.cause": {"zh-CN": "原因", "en": "Cause"},
    "cmpl.responsibility": {"zh-CN": "责任", "en": "Responsibility"},
    "cmpl.proposal": {"zh-CN": "处理方案", "en": "Proposal"},
    "cmpl.report_missing": {"zh-CN": "调查报告尚未提交", "en": "No report yet"},
    "cmpl.approve": {"zh-CN": "批准报告", "en": "Approve the report"},
    "cmpl.approved": {"zh-CN": "报告已批准", "en": "Report approved"},
    "cmpl.report_approved": {"zh-CN": "报告已批准", "en": "Report approved"},
    "cmpl.actions": {"zh-CN": "整改措施", "en": "Improvement actions"},
    "cmpl.action_done": {"zh-CN": "已完成", "en": "Done"},
    "cmpl.action_open": {"zh-CN": "进行中", "en": "Open"},
    "cmpl.close": {"zh-CN": "结案", "en": "Close"},
    "cmpl.closed": {"zh-CN": "已结案：{number}", "en": "Closed: {number}"},
    "cmpl.response": {"zh-CN": "客户反馈", "en": "Customer's response"},
    "cmpl.resolution": {"zh-CN": "处理结果", "en": "Resolution"},
    "cmpl.pick_response": {"zh-CN": "请选择客户反馈（满意或不满意）。", "en": "Choose the customer's response."},
    "cmpl.pick_resolution": {"zh-CN": "请选择处理方式并填写处理结果。", "en": "Choose how it was resolved and describe it."},
    "cmpl.need_deal": {"zh-CN": "退款退房或换房须选择对应的成交记录。", "en": "A refund or exchange names the deal."},
    "cmpl.the_deal": {"zh-CN": "投诉所涉成交", "en": "The deal complained about"},
    "cmpl.resolution_kind": {"zh-CN": "处理方式", "en": "Resolved by"},
    "cmpl.deal": {"zh-CN": "对应成交（退房、换房时必选）", "en": "Deal (for a refund or exchange)"},
    "cmpl.reopen": {"zh-CN": "重新打开", "en": "Reopen"},
    "cmpl.reopened": {"zh-CN": "已重开：{number}", "en": "Reopened: {number}"},
    "cmpl.need_reason": {"zh-CN": "请填写原因。", "en": "Give a reason."},
    "cmpl.pick_assignee": {"zh-CN": "请选择处理人。", "en": "Pick who handles it."},
    "cmpl.count": {"zh-CN": "{n} 条", "en": "{n}"},
    "cmpl.add_action": {"zh-CN": "添加整改措施", "en": "Add an action"},
    "cmpl.action_what": {"zh-CN": "整改内容", "en": "What"},
    "cmpl.action_owner": {"zh-CN": "负责人", "en": "Owner"},
    "cmpl.action_due": {"zh-CN": "完成期限", "en": "Due"},
    "cmpl.action_note": {"zh-CN": "完成情况（可选）", "en": "How it was done (optional)"},
    "cmpl.mark_done": {"zh-CN": "标记完成", "en": "Mark done"},
    "cmpl.action_added": {"zh-CN": "已添加整改措施：{number}", "en": "Action added: {number}"},
    "cmpl.action_marked": {"zh-CN": "整改措施已完成：{number}", "en": "Action done: {number}"},
    "cmpl.need_action": {"zh-CN": "请填写整改内容，选择负责人和完成期限。", "en": "Say what, choose the owner and the due date."},
    "cmpl.action_late": {"zh-CN": "已逾期", "en": "Late"},
    "cmpl.no_deals": {"zh-CN": "该客户没有可选的成交记录；退款退房或换房须先有成交。",
                      "en": "The customer has no deal to name; a refund or exchange needs one."},
})


def action_body(what: str, owner_id: str, due: str) -> dict | None:
    """`{what, owner_id, due}` for POST /v1/complaints/{id}/actions, or None when a field is missing or the date
    is no date (the form says which)."""
    try:
        day = date.fromisoformat(due.strip())
    except ValueError:
        return None
    if not what.strip() or not owner_id.strip():
        return None
    return {"what": what.strip(), "owner_id": owner_id.strip(), "due": day.isoformat()}


Redraw = Callable[..., Awaitable[Response]]
"""The screen a complaint's form was on, drawn again: `redraw(status_code=..., errors=..., form=...)`."""


async def add_action_from(s: Screen, redraw: Redraw, back: str, complaint_id: str, what: str, owner_id: str,
                          due: str) -> Response:
    """An improvement action posted from the board or the assignee's day; back to the complaint on that screen."""
    typed = {"what": what, "owner_id": owner_id, "due": due, "which": "action"}
    body = action_body(what, owner_id, due)
    if body is None:
        return await redraw(status_code=422, errors={complaint_id: s.t("cmpl.need_action")}, form={complaint_id: typed})
    try:
        c = await s.api.post(f"/v1/complaints/{q(complaint_id)}/actions", body)
    except ApiError as exc:
        return await redraw(status_code=error_status(exc), errors={complaint_id: readable(s, exc)},
                            form={complaint_id: typed})
    return s.redirect(f"{back}#c-{complaint_id}", flash=s.t("cmpl.action_added").replace("{number}", c.get("number") or ""))


async def action_done_from(s: Screen, redraw: Redraw, back: str, complaint_id: str, action_id: str, note: str) -> Response:
    """An action marked done (also after the complaint was closed) from the board or the assignee's day."""
    try:
        c = await s.api.post(f"/v1/complaints/{q(complaint_id)}/actions/{q(action_id[:64])}/done",
                             {"note": note.strip()} if note.strip() else {})
    except ApiError as exc:
        return await redraw(status_code=error_status(exc), errors={complaint_id: readable(s, exc)})
    return s.redirect(f"{back}#c-{complaint_id}", flash=s.t("cmpl.action_marked").replace("{number}", c.get("number") or ""))


def action_owners(staff: list[dict]) -> list[dict]:
    """Who may carry out an action: the branch's active staff, by name."""
    return [p for p in staff if p.get("active", True) and p.get("role") != "partner"]


def _deadlines(c: dict, now: datetime) -> list[dict]:
    report = c.get("report") if isinstance(c.get("report"), dict) else {}
    out = []
    if not report and c.get("status") in ("received", "investigating", "reopened"):
        d = when(c.get("report_due_at"))
        if d:
            out.append({"key": "cmp.report_due", "at": d, "late": d < now})
    d = when(c.get("due_at"))
    if d and c.get("status") != "closed":
        out.append({"key": "cmp.due", "at": d, "late": d < now})
    return out


def _line(c: dict, now: datetime) -> dict:
    deadlines = _deadlines(c, now)
    report = c.get("report") if isinstance(c.get("report"), dict) else None
    approved = bool(report and (report.get("approved") or report.get("approved_at") or report.get("approved_by"))) or bool(
        c.get("report_approved") or c.get("report_approved_at"))
    return {"c": c, "name": customer_of(c)["name"], "phone": customer_of(c)["phone_masked"], "deadlines": deadlines,
            "late": bool(c.get("overdue")) or any(d["late"] for d in deadlines), "report": report,
            "approved": approved, "actions": c.get("actions") if isinstance(c.get("actions"), list) else [],
            "next": min((d["at"] for d in deadlines), default=None)}


async def _board(s: Screen, status: str = "", category: str = "", overdue: bool = False, status_code: int = 200,
                 **extra) -> Response:
    now = datetime.now(UTC)
    params = {"status": status if status in COMPLAINT_STATUSES else None,
              "category": category if category in COMPLAINT_CATEGORIES else None, "overdue": "true" if overdue else None}
    complaints = await s.api.items("/v1/complaints", branch_id=s.user.branch_id, **params)
    lines = [_line(c, now) for c in complaints]
    if overdue:
        lines = [x for x in lines if x["late"]]
    far = datetime.max.replace(tzinfo=UTC)
    lines.sort(key=lambda x: (not x["late"], x["next"] or far, x["c"].get("number") or ""))
    groups = [(st, [x for x in lines if x["c"].get("status") == st]) for st in COMPLAINT_STATUSES
              if not params["status"] or st == params["status"]]
    staff = await staff_of(s)
    handlers = [p for p in staff if p.get("active", True) and p.get("role") in ("consultant", "manager", "reception")]
    extra.setdefault("errors", {})
    extra.setdefault("form", {})
    return s.render("complaints.html", status_code=status_code, groups=groups, names=names(staff), handlers=handlers,
                    owners=action_owners(staff), today=today_bounds(s.tz)[0].isoformat(),
                    filters={"status": params["status"] or "", "category": params["category"] or "", "overdue": overdue},
                    statuses=COMPLAINT_STATUSES, categories=COMPLAINT_CATEGORIES, responses=RESPONSES,
                    resolutions=RESOLUTIONS, deals=await _deal_choices(s, complaints),
                    late_count=sum(1 for x in lines if x["late"]), **extra)


async def _deal_choices(s: Screen, complaints: list[dict]) -> dict[str, list[dict]]:
    """For each complaint ready to close: the customer's deals a refund or exchange may name (the archive's, its
    lead's, and the complaint's own), labelled by unit, stage and contract; cancelled deals are not offered."""
    out: dict[str, list[dict]] = {}
    archives: dict[str, dict] = {}
    for c in complaints:
        if c.get("status") != "responded":
            continue
        archive = None
        if c.get("archive_id"):
            if c["archive_id"] not in archives:
                try:
                    archives[c["archive_id"]] = await s.api.get(f"/v1/archives/{q(c['archive_id'])}")
                except ApiError:
                    archives[c["archive_id"]] = {}
            archive = archives[c["archive_id"]]
        deals = await customer_deals(s, c.get("branch_id") or s.user.branch_id, archive=archive,
                                     lead_id=c.get("lead_id"), deal_ids=(c["deal_id"],) if c.get("deal_id") else ())
        out[c["id"]] = [d | ({"label": f"{d['label']}（{s.t('cmpl.the_deal')}）"} if d["id"] == c.get("deal_id") else {})
                        for d in deals if d["status_code"] != "cancelled" or d["id"] == c.get("deal_id")]
    return out


@router.get("")
async def board(request: Request, status: str = "", category: str = "", overdue: str = "") -> Response:
    s = await branch_screen(request, *BOARD_ROLES)
    return await _board(s, status[:20], category[:20], overdue == "true")


async def _intake(s: Screen, status_code: int = 200, **extra) -> Response:
    archives: list[dict] = []
    try:
        archives = (await s.api.get("/v1/archives", branch_id=s.user.branch_id, limit=500)).get("items", [])
    except ApiError:
        archives = []
    extra.setdefault("form", {})
    extra.setdefault("key", uuid.uuid4().hex)
    archives.sort(key=lambda a: customer_of(a)["name"])
    return s.render("complaint_new.html", status_code=status_code, archives=archives, customer_of=customer_of,
                    channels=CHANNELS, categories=COMPLAINT_CATEGORIES, severities=SEVERITIES, **extra)


@router.get("/new")
async def intake(request: Request, archive: str = "") -> Response:
    s = await branch_screen(request, *INTAKE_ROLES)
    return await _intake(s, form={"archive_id": archive[:64]})


@router.post("/new")
async def take(
    request: Request, archive_id: Annotated[str, Form(max_length=64)] = "", name: Annotated[str, Form(max_length=50)] = "",
    phone: Annotated[str, Form(max_length=40)] = "", channel: Annotated[str, Form(max_length=20)] = "",
    category: Annotated[str, Form(max_length=20)] = "", severity: Annotated[str, Form(max_length=10)] = "",
    summary: Annotated[str, Form(max_length=2000)] = "", key: Annotated[str, Form(max_length=64)] = "",
) -> Response:
    s = await branch_screen(request, *INTAKE_ROLES)
    form = {"archive_id": archive_id, "name": name, "phone": phone, "channel": channel, "category": category,
            "severity": severity, "summary": summary}
    if not archive_id and not (name.strip() and phone.strip()):
        return await _intake(s, 422, error=s.t("cmpl.need_customer"), form=form)
    if not (channel and category and severity and summary.strip()):
        return await _intake(s, 422, error=s.t("cmpl.need_fields"), form=form)
    body: dict = {"branch_id": s.user.branch_id, "channel": channel, "category": category, "severity": severity,
                  "summary": summary.strip()}
    if archive_id:
        body["archive_id"] = archive_id
    else:
        body["customer"] = {"name": name.strip(), "phone": phone.strip()}
    try:
        made = await s.api.post("/v1/complaints", body, headers={"Idempotency-Key": key} if key else None)
    except ApiError as exc:
        return await _intake(s, error_status(exc), error=readable(s, exc), form=form)
    return await _intake(s, saved=made, saved_name=customer_of(made)["name"] or name.strip())


async def _act(s: Screen, complaint_id: str, path: str, body: dict, error_key: str, flash: str) -> Response:
    try:
        c = await s.api.post(f"/v1/complaints/{q(complaint_id)}{path}", body)
    except ApiError as exc:
        return await _board(s, status_code=error_status(exc), errors={complaint_id: readable(s, exc)},
                            form={complaint_id: body | {"which": error_key}})
    return s.redirect(f"{BOARD}#c-{complaint_id}", flash=flash.replace("{number}", (c or {}).get("number") or ""))


@router.post("/{complaint_id}/assign")
async def assign(request: Request, complaint_id: str, assignee_id: Annotated[str, Form(max_length=64)] = "") -> Response:
    s = await branch_screen(request, *BOARD_ROLES)
    complaint_id = complaint_id[:64]
    if not assignee_id:
        return await _board(s, status_code=422, errors={complaint_id: s.t("cmpl.pick_assignee")})
    name = names(await staff_of(s)).get(assignee_id, "")
    return await _act(s, complaint_id, "/assign", {"assignee_id": assignee_id}, "assign",
                      s.t("cmpl.assigned").replace("{name}", name))


@router.post("/{complaint_id}/approve")
async def approve(request: Request, complaint_id: str) -> Response:
    s = await branch_screen(request, *BOARD_ROLES)
    return await _act(s, complaint_id[:64], "/report/approve", {}, "approve", s.t("cmpl.approved"))


@router.post("/{complaint_id}/close")
async def close(request: Request, complaint_id: str, customer_response: Annotated[str, Form(max_length=20)] = "",
                kind: Annotated[str, Form(max_length=20)] = "", resolution: Annotated[str, Form(max_length=2000)] = "",
                deal_id: Annotated[str, Form(max_length=64)] = "") -> Response:
    s = await branch_screen(request, *BOARD_ROLES)
    complaint_id = complaint_id[:64]
    typed = {"customer_response": customer_response, "kind": kind, "resolution": resolution, "deal_id": deal_id,
             "which": "close"}
    problem = ("cmpl.pick_response" if customer_response not in RESPONSES else
               "cmpl.pick_resolution" if kind not in RESOLUTIONS or not resolution.strip() else
               "cmpl.need_deal" if kind in RESOLUTIONS_WITH_DEAL and not deal_id.strip() else None)
    if problem:
        return await _board(s, status_code=422, errors={complaint_id: s.t(problem)}, form={complaint_id: typed})
    body: dict = {"customer_response": customer_response, "resolution": {"kind": kind, "note": resolution.strip()}}
    if deal_id.strip():
        body["deal_id"] = deal_id.strip()
    try:
        c = await s.api.post(f"/v1/complaints/{q(complaint_id)}/close", body)
    except ApiError as exc:
        return await _board(s, status_code=error_status(exc), errors={complaint_id: readable(s, exc)}, form={complaint_id: typed})
    return s.redirect(f"{BOARD}#c-{complaint_id}", flash=s.t("cmpl.closed").replace("{number}", c.get("number") or ""))


@router.post("/{complaint_id}/reopen")
async def reopen(request: Request, complaint_id: str, reason: Annotated[str, Form(max_length=1000)] = "") -> Response:
    s = await branch_screen(request, *BOARD_ROLES)
    complaint_id = complaint_id[:64]
    if not reason.strip():
        return await _board(s, status_code=422, errors={complaint_id: s.t("cmpl.need_reason")})
    return await _act(s, complaint_id, "/reopen", {"reason": reason.strip()}, "reopen", s.t("cmpl.reopened"))


@router.post("/{complaint_id}/actions")
async def add_action(request: Request, complaint_id: str, what: Annotated[str, Form(max_length=1000)] = "",
                     owner_id: Annotated[str, Form(max_length=64)] = "", due: Annotated[str, Form(max_length=10)] = "") -> Response:
    """An improvement action (整改措施): what, the owner from the branch's staff, the due date."""
    s = await branch_screen(request, *BOARD_ROLES)
    return await add_action_from(s, partial(_board, s), BOARD, complaint_id[:64], what, owner_id, due)


@router.post("/{complaint_id}/actions/{action_id}/done")
async def action_done(request: Request, complaint_id: str, action_id: str,
                      note: Annotated[str, Form(max_length=1000)] = "") -> Response:
    """An action marked done, also after the complaint was closed."""
    s = await branch_screen(request, *BOARD_ROLES)
    return await action_done_from(s, partial(_board, s), BOARD, complaint_id[:64], action_id, note)
