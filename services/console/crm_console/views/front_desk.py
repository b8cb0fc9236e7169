"""Front desk (来访登记): check visitors in, the visitor queue with waiting times (访客排队), hand-over
to a named consultant, the warning (and the choice) when a returning customer's owner is off duty,
the live rotation board (轮排), today's appointments, visits in progress. Everything goes through
reception's API with the receptionist's token; what the API refuses is said in the desk's language."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request, Response

from crm_console import i18n
from crm_console.api import ApiError
from crm_console.views import desk_channel
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
    "desk.owner_away": {"zh-CN": "老客户的归属顾问不在岗时", "en": "If a returning customer's owner is off duty"},
    "desk.owner_away.wait": {"zh-CN": "等候归属顾问", "en": "Wait for the owner"},
    "desk.owner_away.rotation": {"zh-CN": "交给轮排顾问接待", "en": "Hand to the rotation"},
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
    "desk.waiting_queue": {"zh-CN": "等候接待的访客", "en": "Visitors waiting"},
    "desk.waiting": {"zh-CN": "等候中", "en": "Waiting"},
    "desk.position": {"zh-CN": "第 {n} 位", "en": "No. {n}"},
    "desk.waited": {"zh-CN": "已等 {minutes} 分钟", "en": "Waiting {minutes} min"},
    "desk.waited_total": {"zh-CN": "等候 {minutes} 分钟", "en": "Waited {minutes} min"},
    "desk.waits_for": {"zh-CN": "等候 {name}", "en": "Waiting for {name}"},
    "desk.waits_rotation": {"zh-CN": "等候轮排顾问", "en": "Waiting for the rotation"},
    "desk.checked_in_waiting": {"zh-CN": "已登记：{name}，正在等候（第 {n} 位）", "en": "Checked in: {name}, waiting (No. {n})"},
    "desk.repeat": {"zh-CN": "{name} 已在接待中或等候中，未重复登记", "en": "{name} is already checked in: not counted twice"},
    "desk.owner_off_duty": {"zh-CN": "老客户：归属顾问 {name} 今日不在岗", "en": "Returning customer: owner {name} is off duty today"},
    "desk.owner_left": {"zh-CN": "老客户：归属顾问 {name} 已离职", "en": "Returning customer: owner {name} has left"},
    "desk.owner_choice": {"zh-CN": "请选择：继续等候归属顾问，交给轮排，或转交指定顾问。",
                          "en": "Choose: keep waiting for the owner, hand to the rotation, or to a named consultant."},
    "desk.keep_waiting": {"zh-CN": "继续等候归属顾问（顾问上岗后自动分配）", "en": "Keep waiting (assigned when the owner joins)"},
    "desk.to_rotation": {"zh-CN": "交给轮排", "en": "Hand to the rotation"},
    "desk.handover": {"zh-CN": "转交", "en": "Hand over"},
    "desk.handover_to": {"zh-CN": "转交给", "en": "Hand over to"},
    "desk.handover_reason": {"zh-CN": "转交原因", "en": "Reason"},
    "desk.handed_over": {"zh-CN": "已转交：{name} → {consultant}", "en": "Handed over: {name} → {consultant}"},
    "desk.handed_waiting": {"zh-CN": "已转交：{name} 等候 {consultant}", "en": "Handed over: {name} waits for {consultant}"},
    "desk.to_rotation_done": {"zh-CN": "已交给轮排：{name}", "en": "Handed to the rotation: {name}"},
    "desk.pick_consultant": {"zh-CN": "选择顾问", "en": "Choose a consultant"},
    "desk.left_queue": {"zh-CN": "访客离开", "en": "Left"},
    "desk.left_done": {"zh-CN": "已记录访客离开", "en": "Recorded: the visitor left"},
    "desk.someone": {"zh-CN": "（未知人员）", "en": "(unknown)"},
    "desk.err.reason": {"zh-CN": "请填写转交原因。", "en": "Give a reason for the hand-over."},
    "desk.err.pick": {"zh-CN": "请选择要转交的顾问。", "en": "Choose the consultant to hand over to."},
    "desk.err.phone": {"zh-CN": "手机号格式不正确，请检查后重试。", "en": "The phone number is not valid."},
    "desk.err.unknown-consultant": {"zh-CN": "该顾问不是本案场在职的置业顾问。", "en": "Not an active consultant of this branch."},
    "desk.err.consultant-required": {"zh-CN": "该访客已有顾问接待，请选择要转交的顾问。",
                                     "en": "The visitor has a consultant: choose whom to hand over to."},
    "desk.err.wrong-status": {"zh-CN": "该来访或预约的状态已变化，请刷新后查看。", "en": "It changed meanwhile; look again."},
    "desk.err.stale-version": {"zh-CN": "该来访已被他人更新，请刷新后重试。", "en": "Someone changed it meanwhile; retry."},
    "desk.err.not-found": {"zh-CN": "找不到该记录。", "en": "Not found."},
    "desk.err.forbidden": {"zh-CN": "您的角色不能进行此操作。", "en": "Your role cannot do this."},
    "desk.err.rotation-busy": {"zh-CN": "轮排正忙，请稍后重试。", "en": "The rotation is busy; retry."},
    "desk.err.request-in-progress": {"zh-CN": "同一操作正在处理，请稍候。", "en": "The same request is in progress."},
    "desk.err.unknown": {"zh-CN": "操作未完成（{status}），请稍后重试。", "en": "It did not work ({status}): {detail}"},
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
    "outcome.left": {"zh-CN": "未接待即离开", "en": "Left before being served"},
})
OUTCOMES = ("interested", "deposit", "not_interested")


def readable(s: Screen, exc: ApiError) -> str:
    """What the API refused, in the desk's language: the problem's kind from the catalogue (a bad phone by
    its field), never the API's English words on the Chinese screen."""
    if any(str((e.get("loc") or [""])[-1]) == "phone" for e in exc.errors):
        return s.t("desk.err.phone")
    key = f"desk.err.{exc.kind}"
    known = s.t(key)
    if known != key:
        return known
    return s.t("desk.err.unknown").format(status=exc.status, detail=exc.message)


def _name(names: dict[str, str], s: Screen, staff_id: str | None) -> str:
    return names.get(staff_id or "", s.t("desk.someone")) if staff_id else ""


async def _board(s: Screen) -> dict:
    """The rotation, the visitor queue, the people, and the visits in progress (the live panel's data)."""
    branch_id = q(s.user.branch_id)
    staff = await staff_of(s)
    today, _, _ = today_bounds(s.tz)
    rotation = await s.api.get(f"/v1/rotation/{branch_id}")
    visits = await s.api.items("/v1/visits", branch_id=s.user.branch_id, status="open")
    waiting = await s.api.items("/v1/visits", branch_id=s.user.branch_id, status="waiting", date=today.isoformat())
    consultants = [p for p in staff if p.get("role") == "consultant" and p.get("active", True)]
    return {"rotation": rotation, "names": names_of(staff), "visits": visits, "waiting": waiting, "outcomes": OUTCOMES,
            "consultants": consultants, "minutes": lambda v: (v.get("waited_seconds") or 0) // 60,
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
    if visit:  # 渠道客户: the partner who reported the visitor, and recording who brought them
        extra |= await desk_channel.context(s, visit)
    extra.setdefault("form", {})
    return s.render("front_desk.html", status_code=status_code, appointments=appointments, visit=visit, **context, **extra)


@router.get("")
async def front_desk(request: Request) -> Response:
    s = await screen(request, *ROLES)
    return await _page(s)


@router.get("/board")
async def board(request: Request) -> Response:
    """The live rotation panel and visitor queue (console.js swaps it in every few seconds)."""
    try:
        s = await screen(request, *ROLES)
    except Answer as answer:  # signed out meanwhile: no sign-in page inside the panel; keep the last board
        return Response(status_code=401 if answer.response.status_code == 303 else answer.response.status_code)
    return s.render("front_desk_board.html", **await _board(s))


async def _checked_in(s: Screen, visit: dict) -> Response:
    """Back to the desk with the result card and a line saying where the visitor went."""
    names = names_of(await staff_of(s))
    name = visit["visitor"]["name"]
    if visit.get("repeat"):
        flash = s.t("desk.repeat").format(name=name)
    elif visit["status"] == "waiting":
        flash = s.t("desk.checked_in_waiting").format(name=name, n=visit.get("queue_position") or 1)
    else:
        flash = s.t("desk.checked_in").format(name=name, consultant=_name(names, s, visit.get("consultant_id")))
    return s.redirect(f"{HERE}?visit={q(visit['id'])}", flash=flash)


@router.post("/check-in")
async def check_in(
    request: Request, name: Annotated[str, Form(max_length=100)] = "", phone: Annotated[str, Form(max_length=40)] = "",
    party_size: Annotated[str, Form(max_length=10)] = "1", appointment_id: Annotated[str, Form(max_length=64)] = "",
    if_owner_off_duty: Annotated[str, Form(max_length=10)] = "wait",
) -> Response:
    s = await screen(request, *ROLES)
    form = {"name": name, "phone": phone, "party_size": party_size, "appointment_id": appointment_id,
            "if_owner_off_duty": if_owner_off_duty}
    size = int_in(party_size, 1, 50)
    if size is None:
        return await _page(s, 422, checkin_error=s.t("desk.bad_party"), form=form)
    if appointment_id and not name.strip():
        try:
            appt = await s.api.get(f"/v1/appointments/{q(appointment_id)}")
        except ApiError as exc:
            return await _page(s, error_status(exc), checkin_error=readable(s, exc), form=form)
        name = appt["customer"]["name"]
    # an appointment's arrival needs no number typed: the visit takes the one on file (shown masked only)
    if not (name.strip() and (phone.strip() or appointment_id)):
        return await _page(s, 422, checkin_error=s.t("desk.need_visitor"), form=form)
    visitor = {"name": name.strip()} | ({"phone": phone.strip()} if phone.strip() else {})
    body = {"branch_id": s.user.branch_id, "visitor": visitor, "party_size": size,
            "if_owner_off_duty": "rotation" if if_owner_off_duty == "rotation" else "wait"}
    if appointment_id:
        body["appointment_id"] = appointment_id
    try:
        visit = await s.api.post("/v1/visits", body)
    except ApiError as exc:
        return await _page(s, error_status(exc), checkin_error=readable(s, exc), form=form)
    return await _checked_in(s, visit)


@router.post("/appointments/{appointment_id}/arrived")
async def arrived(request: Request, appointment_id: str) -> Response:
    """The appointment's customer is here: check in bound to it (its consultant serves them)."""
    s = await screen(request, *ROLES)
    try:
        appt = await s.api.get(f"/v1/appointments/{q(appointment_id[:64])}")
        body = {"branch_id": s.user.branch_id, "appointment_id": appt["id"], "party_size": appt.get("party_size") or 1,
                "visitor": {"name": appt["customer"]["name"]}}  # the number on file: nobody at the desk sees it
        visit = await s.api.post("/v1/visits", body)
    except ApiError as exc:
        return await _page(s, error_status(exc), appointments_error=readable(s, exc))
    return await _checked_in(s, visit)


@router.post("/visits/{visit_id}/assign")
async def hand_over(request: Request, visit_id: str, consultant_id: Annotated[str, Form(max_length=64)] = "",
                    reason: Annotated[str, Form(max_length=200)] = "",
                    to: Annotated[str, Form(max_length=10)] = "named") -> Response:
    """Hand a visitor to a named consultant (with a reason), or a waiting one to the rotation."""
    s = await screen(request, *ROLES)
    target = None if to == "rotation" else consultant_id.strip()
    problem = None
    if target == "":
        problem = s.t("desk.err.pick")
    elif target is not None and not reason.strip():
        problem = s.t("desk.err.reason")
    if problem:
        return await _page(s, 422, queue_error=problem, queue_error_visit=visit_id[:64])
    try:
        visit = await s.api.post(f"/v1/visits/{q(visit_id[:64])}/assign",
                                 {"consultant_id": target, "reason": reason.strip() or None})
    except ApiError as exc:
        return await _page(s, error_status(exc), queue_error=readable(s, exc), queue_error_visit=visit_id[:64])
    names = names_of(await staff_of(s))
    name = visit["visitor"]["name"]
    if visit["status"] == "waiting":
        flash = s.t("desk.handed_waiting").format(name=name, consultant=_name(names, s, visit.get("waiting_for")))
    elif target is None:
        flash = s.t("desk.to_rotation_done").format(name=name)
    else:
        flash = s.t("desk.handed_over").format(name=name, consultant=_name(names, s, visit.get("consultant_id")))
    return s.redirect(f"{HERE}?visit={q(visit['id'])}", flash=flash)


async def _queue(request: Request, action: str, consultant_id: str) -> Response:
    s = await screen(request, *ROLES)
    try:
        await s.api.post(f"/v1/rotation/{q(s.user.branch_id)}/{action}", {"consultant_id": consultant_id})
    except ApiError as exc:
        return await _page(s, error_status(exc), board_error=readable(s, exc))
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
    """End a visit; for a waiting visitor who went away (`outcome=left`) it is the 'left' button."""
    s = await screen(request, *ROLES)
    body = {k: v for k, v in (("outcome", outcome.strip()), ("note", note.strip())) if v}
    try:
        await s.api.post(f"/v1/visits/{q(visit_id[:64])}/end", body)
    except ApiError as exc:
        return await _page(s, error_status(exc), visits_error=readable(s, exc))
    return s.redirect(HERE, flash=s.t("desk.left_done" if outcome == "left" else "desk.ended"))
