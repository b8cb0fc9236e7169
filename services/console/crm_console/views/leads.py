"""Leads (客户): the searchable list, with a manager's bulk assignment (批量分配). A consultant's list
is its own customers and the public pool, as the API answers it (撞单 prevention)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request, Response

from crm_shared.words import CHANNELS as CHANNEL_WORDS
from crm_shared.words import LEAD_STATUSES

from crm_console import i18n
from crm_console.api import ApiError
from crm_console.views.floor import GRADES, STATUSES, names_of, staff_of
from crm_console.web import PREFIX, ConsoleRoute, Screen, screen

router = APIRouter(prefix=f"{PREFIX}/leads", route_class=ConsoleRoute, include_in_schema=False)
ROLES = ("consultant", "reception", "manager", "admin")
ASSIGNERS = ("manager", "admin")
POOL = "pool"  # the owner filter's choice for the public pool
MAX_BULK = 200
CHANNELS = ("walk_in", "phone", "partner", "referral", "online", "import", "event")

i18n.register({
    "lead.list": {"zh-CN": "客户列表", "en": "Leads"},
    "lead.search": {"zh-CN": "姓名、完整手机号或尾号四位", "en": "Name, full phone or last 4 digits"},
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
    "lead.mine_and_pool": {"zh-CN": "这里只显示您自己的客户和公海客户。", "en": "Only your own customers and the public pool are shown."},
    "lead.select": {"zh-CN": "选择", "en": "Select"},
    "lead.select_all": {"zh-CN": "全选本页", "en": "Select the page"},
    "lead.bulk": {"zh-CN": "批量分配", "en": "Assign selected"},
    "lead.bulk_to": {"zh-CN": "分配给", "en": "Assign to"},
    "lead.assign_reason": {"zh-CN": "分配原因（可选）", "en": "Reason (optional)"},
    "lead.bulk_none": {"zh-CN": "请先勾选要分配的客户。", "en": "Tick the leads to assign first."},
    "lead.bulk_owner": {"zh-CN": "请选择顾问。", "en": "Pick a consultant."},
    "lead.bulk_too_many": {"zh-CN": "一次最多分配 200 个客户。", "en": "At most 200 leads at a time."},
    "lead.bulk_done": {"zh-CN": "已将 {n} 个客户分配给 {name}", "en": "{n} leads assigned to {name}"},
    "lead.bulk.unchanged": {"zh-CN": "{n} 个本来就是该顾问的客户", "en": "{n} already theirs"},
    "lead.bulk.closed": {"zh-CN": "{n} 个已结案，未分配", "en": "{n} closed, left alone"},
    "lead.bulk.not_found": {"zh-CN": "{n} 个已不在本案场", "en": "{n} no longer in this branch"},
    "lead.bulk.busy": {"zh-CN": "{n} 个正被他人修改，请重试", "en": "{n} being changed by someone else: retry"},
    "gender.male": {"zh-CN": "男", "en": "Male"},
    "gender.female": {"zh-CN": "女", "en": "Female"},
    "gender.other": {"zh-CN": "其他", "en": "Other"},
    "gender.unknown": {"zh-CN": "未知", "en": "Unknown"},
    "msg.sms": {"zh-CN": "短信", "en": "SMS"},
    "msg.email": {"zh-CN": "邮件", "en": "Email"},
    "msg.wecom": {"zh-CN": "企业微信", "en": "WeCom"},
    "msg.scheduled": {"zh-CN": "待发送", "en": "Scheduled"},
    "msg.queued": {"zh-CN": "排队中", "en": "Queued"},
    "msg.sent": {"zh-CN": "已发送", "en": "Sent"},
    "msg.delivered": {"zh-CN": "已送达", "en": "Delivered"},
    "msg.failed": {"zh-CN": "发送失败", "en": "Failed"},
    "msg.cancelled": {"zh-CN": "已取消", "en": "Cancelled"},
    "msg.suppressed": {"zh-CN": "未发送（策略）", "en": "Suppressed"},
    "msg.tpl.appointment_confirmation": {"zh-CN": "预约确认", "en": "Appointment confirmation"},
    "msg.tpl.appointment_reminder": {"zh-CN": "预约提醒", "en": "Appointment reminder"},
    "msg.tpl.appointment_rescheduled": {"zh-CN": "预约改期", "en": "Appointment moved"},
    "msg.tpl.appointment_cancelled": {"zh-CN": "预约取消", "en": "Appointment cancelled"},
    "msg.tpl.birthday_greeting": {"zh-CN": "生日祝福", "en": "Birthday greeting"},
    "msg.tpl.holiday_greeting": {"zh-CN": "节日问候", "en": "Holiday greeting"},
    "msg.tpl.other": {"zh-CN": "消息", "en": "Message"},
})
i18n.register({f"src.{c}": {lang: CHANNEL_WORDS[lang][c] for lang in i18n.LOCALES} for c in CHANNELS})
i18n.register({f"lead.status.{s}": {lang: LEAD_STATUSES[lang][s] for lang in i18n.LOCALES} for s in LEAD_STATUSES["en"]})


def _filters(s: Screen, request: Request) -> dict:
    p = request.query_params
    owner = p.get("owner", "")[:64]
    return {"q": p.get("q", "").strip()[:100], "status": p.get("status", "") if p.get("status", "") in STATUSES else "",
            "grade": p.get("grade", "") if p.get("grade", "") in GRADES else "",
            "channel": p.get("channel", "") if p.get("channel", "") in CHANNELS else "",
            "owner": owner if s.user.role != "consultant" else "", "overdue": p.get("overdue", "") == "true"}


async def _list(s: Screen, request: Request, status_code: int = 200, **extra) -> Response:
    f = _filters(s, request)
    params = {"branch_id": s.user.branch_id, "limit": 50, "cursor": request.query_params.get("cursor", "")[:200],
              "q": f["q"], "status": f["status"], "grade": f["grade"], "channel": f["channel"],
              "overdue": "true" if f["overdue"] else "",
              "pool": "true" if f["owner"] == POOL else "", "owner_id": f["owner"] if f["owner"] != POOL else ""}
    leads, next_cursor, list_error = [], None, ""
    try:
        page = await s.api.get("/v1/leads", **params)
        leads, next_cursor = page.get("items", []), page.get("next_cursor")
    except ApiError as exc:
        list_error = exc.message
    staff = await staff_of(s)
    return s.render("leads.html", status_code=status_code, leads=leads, next_cursor=next_cursor, filters=f,
                    list_error=list_error, names=names_of(staff), statuses=STATUSES, grades=GRADES, channels=CHANNELS,
                    people=[p for p in staff if p.get("role") in ("consultant", "manager")],
                    owners=[p for p in staff if p.get("role") == "consultant" and p.get("active", True)],
                    can_assign=s.user.role in ASSIGNERS, **extra)


@router.get("")
async def lead_list(request: Request) -> Response:
    s = await screen(request, *ROLES)
    return await _list(s, request)


@router.post("/assign")
async def bulk_assign(request: Request, owner_id: Annotated[str, Form(max_length=64)] = "",
                      reason: Annotated[str, Form(max_length=200)] = "",
                      back: Annotated[str, Form(max_length=1000)] = "") -> Response:
    """The ticked leads to one consultant; the flash says what happened to them, in words."""
    s = await screen(request, *ASSIGNERS)
    lead_ids = [str(x)[:64] for x in (await request.form()).getlist("lead_ids")]
    form = {"owner_id": owner_id, "reason": reason}
    problem = ("lead.bulk_none" if not lead_ids else "lead.bulk_owner" if not owner_id
               else "lead.bulk_too_many" if len(lead_ids) > MAX_BULK else None)
    if problem:
        return await _list(s, request, 422, bulk_error=s.t(problem), bulk_form=form)
    body = {"branch_id": s.user.branch_id, "lead_ids": lead_ids, "owner_id": owner_id}
    if reason.strip():
        body["reason"] = reason.strip()
    try:
        result = await s.api.post("/v1/leads/assign", body)
    except ApiError as exc:
        return await _list(s, request, exc.status if 400 <= exc.status < 500 else 502, bulk_error=exc.message, bulk_form=form)
    name = names_of(await staff_of(s)).get(owner_id, "")
    counts: dict[str, int] = {}
    for item in result.get("items", []):
        counts[item["outcome"]] = counts.get(item["outcome"], 0) + 1
    parts = [s.t("lead.bulk_done").format(n=result.get("assigned", 0), name=name)]
    parts += [s.t(f"lead.bulk.{k}").format(n=n) for k, n in counts.items() if k != "assigned"]
    query = back if back and all(ch.isprintable() and ch not in "#\\" for ch in back) else ""
    return s.redirect(f"{PREFIX}/leads" + (f"?{query}" if query else ""), flash=("；" if s.locale == "zh-CN" else "; ").join(parts))
