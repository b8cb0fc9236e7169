"""The manager's audit screen, beyond the leads' reveals (manager_desk.py, `GET /v1/audit`): who saw a full
number or address of an appointment's contact (`GET /v1/appointments/audit`), a visitor (`/v1/visits/audit`), a
message's recipient (`/v1/messages/audit`) or an archive's customer (`/v1/archives/audit`) — the person by name,
the action in words, the customer masked (and by name where the manager may read the object), the branch time."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Request, Response

from crm_console import i18n
from crm_console.api import ApiError
from crm_console.views.customers_common import archive_link
from crm_console.views.manager_common import board, failure, page, staff_names
from crm_console.web import PREFIX, ConsoleRoute, Screen

router = APIRouter(prefix=PREFIX, route_class=ConsoleRoute, include_in_schema=False)
SHOWN = 100
NAMED = 60  # objects looked up for the customer's name, at most, per page
KINDS = {  # kind -> (audit list, the object's path, the id field)
    "appointments": ("/v1/appointments/audit", "/v1/appointments/{}", "appointment_id"),
    "visits": ("/v1/visits/audit", "/v1/visits/{}", "visit_id"),
    "messages": ("/v1/messages/audit", "", "message_id"),
    "archives": ("/v1/archives/audit", "", "archive_id"),
}
AUDIT_TABS = ("leads",) + tuple(KINDS)

i18n.register({
    "aud.kind.leads": {"zh-CN": "客户", "en": "Leads"},
    "aud.kind.appointments": {"zh-CN": "预约", "en": "Appointments"},
    "aud.kind.visits": {"zh-CN": "来访", "en": "Visits"},
    "aud.kind.messages": {"zh-CN": "短信/邮件", "en": "Messages"},
    "aud.kind.archives": {"zh-CN": "顾客档案", "en": "Archives"},
    "aud.title": {"zh-CN": "完整号码查看记录：{kind}", "en": "Full-number reveals: {kind}"},
    "aud.customer": {"zh-CN": "客户", "en": "Customer"},
    "aud.contact": {"zh-CN": "号码（打码）", "en": "Number (masked)"},
    "aud.unknown_action": {"zh-CN": "查看完整信息", "en": "Revealed"},
    "aud.archive": {"zh-CN": "档案 {number}", "en": "Archive {number}"},
    "aud.object.appointment": {"zh-CN": "预约客户", "en": "An appointment's customer"},
    "aud.object.visit": {"zh-CN": "来访客户", "en": "A visitor"},
    "aud.object.message": {"zh-CN": "短信/邮件收件人", "en": "A message's recipient"},
    "aud.object.archive": {"zh-CN": "档案客户", "en": "An archive's customer"},
    "mgr.audit.action.appointment.contact.reveal": {"zh-CN": "查看预约客户完整联系方式", "en": "Revealed an appointment's contact"},
    "mgr.audit.action.visit.phone.reveal": {"zh-CN": "查看来访客户完整手机号", "en": "Revealed a visitor's phone"},
    "mgr.audit.action.message.recipient.reveal": {"zh-CN": "查看短信/邮件完整收件人", "en": "Revealed a message's recipient"},
    "mgr.audit.action.archive.phone.reveal": {"zh-CN": "查看档案客户完整手机号", "en": "Revealed an archive's phone"},
    "mgr.audit.action.referrer_phone.reveal": {"zh-CN": "查看推荐人完整手机号", "en": "Revealed a referrer's phone"},
})


def action_word(s: Screen, action: str | None) -> str:
    key = f"mgr.audit.action.{action}"
    text = s.t(key)
    return s.t("aud.unknown_action") if text == key else text


async def _customer_names(s: Screen, kind: str, records: list[dict]) -> dict[str, str]:
    """object id -> the customer's name, for appointments and visits the manager may read (the name is no secret)."""
    _, path, field = KINDS[kind]
    if not path:
        return {}
    out: dict[str, str] = {}
    for object_id in list(dict.fromkeys(r.get("object_id") or r.get(field) for r in records if r.get("object_id") or r.get(field)))[:NAMED]:
        try:
            obj = await s.api.get(path.format(quote(str(object_id), safe="")))
        except ApiError:
            continue
        person = obj.get("customer") or obj.get("visitor") or {}
        if person.get("name"):
            out[object_id] = person["name"]
    return out


def rows(s: Screen, kind: str, records: list[dict], staff: dict[str, str], customers: dict[str, str]) -> list[dict[str, Any]]:
    field = KINDS[kind][2]
    out = []
    for a in records:
        object_id = a.get("object_id") or a.get(field) or ""
        if kind == "archives":
            customer = s.t("aud.archive").format(number=a.get("number") or "")
            link = archive_link(object_id) if object_id else ""
        else:
            customer = customers.get(object_id) or s.t(f"aud.object.{kind[:-1]}")
            link = ""
        out.append({"at": a.get("at"), "who": a.get("actor_name") or staff.get(a.get("actor_id") or "") or s.t("mgr.unknown_person"),
                    "role": a.get("actor_role") or "", "what": action_word(s, a.get("action")), "customer": customer,
                    "link": link, "masked": " ".join(x for x in (a.get("phone_masked"), a.get("email_masked")) if x),
                    "reason": a.get("reason") or ""})
    return out


async def reveals(request: Request, kind: str) -> Response:
    s = await board(request)
    cursor = request.query_params.get("cursor", "")[:200]
    list_error, records, next_cursor = "", [], None
    try:
        result = await s.api.get(KINDS[kind][0], branch_id=s.user.branch_id, limit=SHOWN, cursor=cursor or None)
        records, next_cursor = result.get("items", []), result.get("next_cursor")
    except ApiError as exc:
        list_error = failure(s, exc)
    staff = await staff_names(s)
    shown = rows(s, kind, records, staff, await _customer_names(s, kind, records))
    return await page(s, "manager_audit_reveals.html", "audit", kind=kind, records=shown, audit_tabs=AUDIT_TABS,
                      list_error=list_error, next_cursor=next_cursor)


def _route(kind: str) -> None:
    async def screen_of(request: Request) -> Response:
        return await reveals(request, kind)

    router.add_api_route(f"/manager/audit/{kind}", screen_of, methods=["GET"], name=f"audit_{kind}")


for _kind in KINDS:  # fixed paths, one per kind: /console/manager/audit/appointments ...
    _route(_kind)
