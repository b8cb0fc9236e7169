"""Front desk (来访登记): check visitors in, the live rotation board (轮排), today's appointments,
visits in progress. Everything goes through reception's API with the receptionist's token."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request, Response

from crm_console import i18n
from crm_console.api import ApiError
from crm_console.views.floor import error_status, int_in, names_of, q, staff_of, today_bounds
from crm_console.web import PREFIX, Answer, ConsoleRoute, Screen, screen

router = APIRouter(prefix=f"{PREFIX}/front-desk", route_class=ConsoleRoute, include_in_schema=False)
ROLES = ("reception", "manager", "admin")
HERE = f"{PREFIX}/front-desk"

i18n.register({
    "desk.title": {"zh-CN": "来访登记", "en": "Front desk"},
    "desk.check_in": {"zh-CN": "登记来访", "en": "Check a visitor in"},
    "desk.visitor_name": {"zh-CN": "访客姓名", "en": "Visitor name"},
    "desk.party_size": {"zh-CN": "来访人数", "en": "Party size"},
    "desk.appointment": {"zh-CN": "预约（可选）", "en": "Appointment (optional)"},
    "desk.walk_in": {"zh-CN": "无预约（自然来访）", "en": "No appointment (walk-in)"},
    "desk.submit": {"zh-CN": "登记并分配顾问", "en": "Check in and assign"},
    "desk.result": {"zh-CN": "登记结果", "en": "Check-in result"},
    "desk.assigned_to": {"zh-CN": "接待顾问", "en": "Assigned consultant"},
    "desk.returning": {"zh-CN": "老客户（归属顾问接待）", "en": "Returning customer (their owner)"},
    "desk.new": {"zh-CN": "新客户（按轮排）", "en": "New visitor (rotation)"},
    "desk.by_appointment": {"zh-CN": "预约到访", "en": "Appointment arrival"},
    "desk.checked_in": {"zh-CN": "已登记：{name} → {consultant}", "en": "Checked in: {name} → {consultant}"},
    "desk.board": {"zh-CN": "轮排看板", "en": "Rotation board"},
    "desk.next_up": {"zh-CN": "下一位", "en": "Next up"},
    "desk.nobody": {"zh-CN": "无人可接待", "en": "Nobody free"},
    "desk.queue": {"zh-CN": "排队顺序", "en": "Queue"},
    "desk.busy": {"zh-CN": "接待中", "en": "Busy"},
    "desk.free": {"zh-CN": "空闲", "en": "Free"},
    "desk.turns": {"zh-CN": "今日轮次", "en": "Turns today"},
    "desk.off_queue": {"zh-CN": "未上岗的顾问", "en": "Consultants not in the queue"},
    "desk.join": {"zh-CN": "上岗", "en": "Join"},
    "desk.leave": {"zh-CN": "离岗", "en": "Leave"},
    "desk.joined": {"zh-CN": "已上岗", "en": "Joined the queue"},
    "desk.left": {"zh-CN": "已离岗", "en": "Left the queue"},
    "desk.appointments": {"zh-CN": "今日预约", "en": "Today's appointments"},
    "desk.arrived": {"zh-CN": "已到访", "en": "Arrived"},
    "desk.visits": {"zh-CN": "接待中的来访", "en": "Visits in progress"},
    "desk.end_visit": {"zh-CN": "结束接待", "en": "End visit"},
    "desk.ended": {"zh-CN": "接待已结束", "en": "Visit ended"},
    "desk.outcome": {"zh-CN": "结果", "en": "Outcome"},
    "desk.consultant": {"zh-CN": "顾问", "en": "Consultant"},
    "desk.checked_in_at": {"zh-CN": "到访时间", "en": "Arrived at"},
    "desk.need_branch": {"zh-CN": "请先选择一个案场。", "en": "Choose a branch first."},
    "desk.bad_party": {"zh-CN": "来访人数须为 1–50 的整数", "en": "Party size must be a whole number from 1 to 50"},
    "desk.need_visitor": {"zh-CN": "请填写访客姓名和手机号", "en": "Enter the visitor's name and phone"},
    "desk.live": {"zh-CN": "自动刷新", "en": "Live"},
    "appt.showing": {"zh-CN": "带看", "en": "Showing"},
    "appt.office_visit": {"zh-CN": "到访洽谈", "en": "Office visit"},
    "appt.signing": {"zh-CN": "签约", "en": "Signing"},
    "appt.scheduled": {"zh-CN": "待到访", "en": "Scheduled"},
    "appt.arrived": {"zh-CN": "已到访", "en": "Arrived"},
    "appt.cancelled": {"zh-CN": "已取消", "en": "Cancelled"},
    "appt.no_show": {"zh-CN": "未到访", "en": "No-show"},
    "outcome.interested": {"zh-CN": "有意向", "en": "Interested"},
    "outcome.deposit": {"zh-CN": "已交定金", "en": "Paid a deposit"},
    "outcome.not_interested": {"zh-CN": "无意向", "en": "Not interested"},
})
OUTCOMES = ("interested", "deposit", "not_interested")


async def _board(s: Screen) -> dict:
    """The rotation, the people on it, and the visits in progress (the live panel's data)."""
    branch_id = q(s.user.branch_id)
    staff = await staff_of(s)
    rotation = await s.api.get(f"/v1/rotation/{branch_id}")
    visits = await s.api.items("/v1/visits", branch_id=s.user.branch_id, status="open")
    consultants = [p for p in staff if p.get("role") == "consultant" and p.get("active", True)]
    return {"rotation": rotation, "names": names_of(staff), "visits": visits, "outcomes": OUTCOMES,
            "off_queue": [p for p in consultants if p["id"] not in rotation.get("queue", [])]}


async def _page(s: Screen, status_code: int = 200, **extra) -> Response:
    if not s.user.branch_id:
        return s.render("error.html", status_code=409, message=s.t("desk.need_branch"))
    _, start, end = today_bounds(s.tz)
    appointments = sorted(await s.api.items("/v1/appointments", branch_id=s.user.branch_id, **{"from": start, "to": end}),
                          key=lambda a: a.get("start", ""))
    context = await _board(s)
    visit = None
    if (visit_id := s.request.query_params.get("visit", "")[:64]):
        try:
            visit = await s.api.get(f"/v1/visits/{q(visit_id)}")
        except ApiError:
            visit = None
    extra.setdefault("form", {})
    return s.render("front_desk.html", status_code=status_code, appointments=appointments, visit=visit, **context, **extra)


@router.get("")
async def front_desk(request: Request) -> Response:
    s = await screen(request, *ROLES)
    return await _page(s)


@router.get("/board")
async def board(request: Request) -> Response:
    """The live rotation panel alone (console.js swaps it in every few seconds)."""
    try:
        s = await screen(request, *ROLES)
    except Answer as answer:  # signed out meanwhile: no sign-in page inside the panel; keep the last board
        return Response(status_code=401 if answer.response.status_code == 303 else answer.response.status_code)
    return s.render("front_desk_board.html", **await _board(s))


async def _check_in(s: Screen, body: dict, form: dict) -> Response:
    try:
        visit = await s.api.post("/v1/visits", body)
    except ApiError as exc:
        return await _page(s, error_status(exc), checkin_error=exc.message, form=form)
    names = names_of(await staff_of(s))
    consultant = names.get(visit.get("consultant_id") or "", visit.get("consultant_id") or "")
    flash = s.t("desk.checked_in").format(name=visit["visitor"]["name"], consultant=consultant)
    return s.redirect(f"{HERE}?visit={q(visit['id'])}", flash=flash)


@router.post("/check-in")
async def check_in(
    request: Request, name: Annotated[str, Form(max_length=100)] = "", phone: Annotated[str, Form(max_length=40)] = "",
    party_size: Annotated[str, Form(max_length=10)] = "1", appointment_id: Annotated[str, Form(max_length=64)] = "",
) -> Response:
    s = await screen(request, *ROLES)
    form = {"name": name, "phone": phone, "party_size": party_size, "appointment_id": appointment_id}
    size = int_in(party_size, 1, 50)
    if size is None:
        return await _page(s, 422, checkin_error=s.t("desk.bad_party"), form=form)
    if appointment_id and not (name.strip() and phone.strip()):
        try:
            appt = await s.api.get(f"/v1/appointments/{q(appointment_id)}")
        except ApiError as exc:
            return await _page(s, error_status(exc), checkin_error=exc.message, form=form)
        name = name.strip() or appt["customer"]["name"]
        phone = phone.strip() or (appt["customer"].get("phone") or "")
    if not (name.strip() and phone.strip()):
        return await _page(s, 422, checkin_error=s.t("desk.need_visitor"), form=form)
    body = {"branch_id": s.user.branch_id, "visitor": {"name": name.strip(), "phone": phone.strip()}, "party_size": size}
    if appointment_id:
        body["appointment_id"] = appointment_id
    return await _check_in(s, body, form)


@router.post("/appointments/{appointment_id}/arrived")
async def arrived(request: Request, appointment_id: str) -> Response:
    """The appointment's customer is here: check in bound to it (its consultant serves them)."""
    s = await screen(request, *ROLES)
    try:
        appt = await s.api.get(f"/v1/appointments/{q(appointment_id[:64])}")
    except ApiError as exc:
        return await _page(s, error_status(exc), appointments_error=exc.message)
    body = {"branch_id": s.user.branch_id, "appointment_id": appt["id"], "party_size": appt.get("party_size") or 1,
            "visitor": {"name": appt["customer"]["name"], "phone": appt["customer"].get("phone") or ""}}
    try:
        visit = await s.api.post("/v1/visits", body)
    except ApiError as exc:
        return await _page(s, error_status(exc), appointments_error=exc.message)
    names = names_of(await staff_of(s))
    flash = s.t("desk.checked_in").format(name=visit["visitor"]["name"],
                                          consultant=names.get(visit.get("consultant_id") or "", ""))
    return s.redirect(f"{HERE}?visit={q(visit['id'])}", flash=flash)


async def _queue(request: Request, action: str, consultant_id: str) -> Response:
    s = await screen(request, *ROLES)
    try:
        await s.api.post(f"/v1/rotation/{q(s.user.branch_id)}/{action}", {"consultant_id": consultant_id})
    except ApiError as exc:
        return await _page(s, error_status(exc), board_error=exc.message)
    return s.redirect(HERE, flash=s.t("desk.joined" if action == "join" else "desk.left"))


@router.post("/rotation/join")
async def join(request: Request, consultant_id: Annotated[str, Form(max_length=64)] = "") -> Response:
    return await _queue(request, "join", consultant_id)


@router.post("/rotation/leave")
async def leave(request: Request, consultant_id: Annotated[str, Form(max_length=64)] = "") -> Response:
    return await _queue(request, "leave", consultant_id)


@router.post("/visits/{visit_id}/end")
async def end_visit(request: Request, visit_id: str, outcome: Annotated[str, Form(max_length=100)] = "",
                    note: Annotated[str, Form(max_length=2000)] = "") -> Response:
    s = await screen(request, *ROLES)
    body = {k: v for k, v in (("outcome", outcome.strip()), ("note", note.strip())) if v}
    try:
        await s.api.post(f"/v1/visits/{q(visit_id[:64])}/end", body)
    except ApiError as exc:
        return await _page(s, error_status(exc), visits_error=exc.message)
    return s.redirect(HERE, flash=s.t("desk.ended"))
