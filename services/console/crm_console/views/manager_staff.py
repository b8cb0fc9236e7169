"""Staff administration (员工管理): the branch's people with role and status filters, adding one,
correcting one (If-Match), and a departure (离职) whose open customers go to the pool or to a
chosen colleague (认养孤儿). Everything through `/v1/staff`."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request, Response

from crm_console import i18n
from crm_console.api import ApiError
from crm_console.views.floor import if_match, q
from crm_console.views.manager_common import board, failure, page
from crm_console.web import PREFIX, ConsoleRoute, Screen

router = APIRouter(prefix=f"{PREFIX}/manager/staff", route_class=ConsoleRoute, include_in_schema=False)
HERE = f"{PREFIX}/manager/staff"
ROLES = ("consultant", "manager", "reception", "finance")

i18n.register({
    "staff.title": {"zh-CN": "员工管理", "en": "Staff"},
    "staff.add": {"zh-CN": "新增员工", "en": "Add a staff member"},
    "staff.edit": {"zh-CN": "修改员工信息", "en": "Edit staff member"},
    "staff.role": {"zh-CN": "岗位", "en": "Role"},
    "staff.email": {"zh-CN": "邮箱", "en": "Email"},
    "staff.wecom": {"zh-CN": "企业微信账号", "en": "WeCom account"},
    "staff.wecom_hint": {"zh-CN": "企业微信账号（选填，通知发到企业微信）", "en": "WeCom account (optional: notices go there)"},
    "staff.phone_hint": {"zh-CN": "工作手机（同一案场不能重复）", "en": "Work phone (one person per number in a branch)"},
    "staff.active": {"zh-CN": "在职", "en": "Active"},
    "staff.left": {"zh-CN": "已离职", "en": "Left"},
    "staff.all_roles": {"zh-CN": "全部岗位", "en": "All roles"},
    "staff.all_states": {"zh-CN": "在职和离职", "en": "Active and left"},
    "staff.actions": {"zh-CN": "操作", "en": "Actions"},
    "staff.leave": {"zh-CN": "办理离职", "en": "Mark as left"},
    "staff.heir": {"zh-CN": "名下客户交给", "en": "Their customers go to"},
    "staff.to_pool": {"zh-CN": "放入公海", "en": "The public pool"},
    "staff.leave_confirm": {"zh-CN": "确定为该员工办理离职？", "en": "Mark this person as having left?"},
    "staff.added": {"zh-CN": "已新增员工：{name}", "en": "Added: {name}"},
    "staff.saved": {"zh-CN": "已保存：{name}", "en": "Saved: {name}"},
    "staff.gone": {"zh-CN": "{name} 已离职：{released} 个客户进入公海，{reassigned} 个客户转给同事",
                   "en": "{name} has left: {released} leads to the pool, {reassigned} to a colleague"},
    "staff.err.duplicate-staff": {"zh-CN": "该手机号已属于本案场在职员工{name}，同一个人不能重复添加。",
                                  "en": "This phone already belongs to {name}, active in this branch: the same person cannot be added twice."},
    "staff.err.owns-open-leads": {"zh-CN": "该员工名下还有未结案客户，请先分配给其他顾问，再改为前台。",
                                  "en": "This person still owns open leads: assign them to someone else before making them front desk."},
    "staff.err.stale-version": {"zh-CN": "该员工信息已被他人修改，请查看最新信息后重试。", "en": "Someone changed this meanwhile; check and retry."},
    "staff.err.invalid-owner": {"zh-CN": "接手的同事必须是本案场在职顾问。", "en": "The colleague must be an active consultant of this branch."},
    "staff.err.name": {"zh-CN": "请填写姓名。", "en": "Give a name."},
    "staff.err.wecom": {"zh-CN": "企业微信账号只能包含字母、数字和 _ - . @，最长64位。",
                        "en": "A WeCom account holds only letters, digits and _ - . @, at most 64 characters."},
})


def readable(s: Screen, exc: ApiError) -> str:
    """Known refusals in the manager's words; anything else with the API's."""
    key = f"staff.err.{exc.kind}"
    known = s.t(key)
    return known.format(name=exc.body.get("existing_name") or "") if known != key else failure(s, exc)


async def _people(s: Screen, **filters: str) -> list[dict]:
    people = await s.api.items("/v1/staff", branch_id=s.user.branch_id, **filters)
    return sorted(people, key=lambda p: (not p.get("active", True), ROLES.index(p["role"]) if p["role"] in ROLES else 9, p.get("name", "")))


async def _list(s: Screen, request: Request, status_code: int = 200, **context) -> Response:
    role = request.query_params.get("role", "")
    role = role if role in ROLES else ""
    state = request.query_params.get("active", "true")
    state = state if state in ("true", "false", "") else "true"
    people = await _people(s, role=role, active=state)
    heirs = [p for p in await _people(s, role="consultant", active="true")]
    context.setdefault("form", {})
    return await page(s, "manager_staff.html", "staff", status_code=status_code, people=people, heirs=heirs, roles=ROLES,
                      filters={"role": role, "active": state}, **context)


@router.get("")
async def staff(request: Request) -> Response:
    s = await board(request)
    return await _list(s, request)


def _body(name: str, role: str, phone: str, email: str, wecom_user_id: str) -> dict:
    """The API body of the form; no role (an admin's form has none: its role stays) leaves the role as it is."""
    return {"name": name.strip(), "phone": phone.strip() or None, "email": email.strip() or None,
            "wecom_user_id": wecom_user_id.strip() or None} | ({"role": role} if role else {})


def _form_error(s: Screen, exc: ApiError) -> str:
    """A refused WeCom account in the manager's words (the API names the field); else as `readable`."""
    fields = {str((e.get("loc") or [""])[-1]) for e in exc.errors}
    return s.t("staff.err.wecom") if exc.status == 422 and "wecom_user_id" in fields else readable(s, exc)


@router.post("")
async def add(request: Request, name: Annotated[str, Form(max_length=100)] = "", role: Annotated[str, Form(max_length=20)] = "consultant",
              phone: Annotated[str, Form(max_length=40)] = "", email: Annotated[str, Form(max_length=254)] = "",
              wecom_user_id: Annotated[str, Form(max_length=100)] = "") -> Response:
    s = await board(request)
    form = {"name": name, "role": role, "phone": phone, "email": email, "wecom_user_id": wecom_user_id}
    if not name.strip():
        return await _list(s, request, 422, add_error=s.t("staff.err.name"), form=form)
    try:
        await s.api.post("/v1/staff", {"branch_id": s.user.branch_id} | _body(name, role, phone, email, wecom_user_id))
    except ApiError as exc:
        return await _list(s, request, exc.status if exc.status < 500 else 502, add_error=_form_error(s, exc), form=form)
    return s.redirect(HERE, flash=s.t("staff.added").format(name=name.strip()))


async def _edit_page(s: Screen, staff_id: str, status_code: int = 200, **context) -> Response:
    person = await s.api.get(f"/v1/staff/{q(staff_id)}")
    context.setdefault("form", person)
    return await page(s, "manager_staff_edit.html", "staff", status_code=status_code, person=person, roles=ROLES, **context)


@router.get("/{staff_id}")
async def edit(request: Request, staff_id: str) -> Response:
    s = await board(request)
    return await _edit_page(s, staff_id[:64])


@router.post("/{staff_id}")
async def save(request: Request, staff_id: str, version: Annotated[str, Form(max_length=12)] = "",
               name: Annotated[str, Form(max_length=100)] = "", role: Annotated[str, Form(max_length=20)] = "",
               phone: Annotated[str, Form(max_length=40)] = "", email: Annotated[str, Form(max_length=254)] = "",
               wecom_user_id: Annotated[str, Form(max_length=100)] = "") -> Response:
    s = await board(request)
    staff_id = staff_id[:64]
    form = {"name": name, "role": role, "phone": phone, "email": email, "wecom_user_id": wecom_user_id}
    if not name.strip():
        return await _edit_page(s, staff_id, 422, edit_error=s.t("staff.err.name"), form=form)
    try:
        await s.api.patch(f"/v1/staff/{q(staff_id)}", _body(name, role, phone, email, wecom_user_id), headers=if_match(version))
    except ApiError as exc:
        return await _edit_page(s, staff_id, exc.status if exc.status < 500 else 502, edit_error=_form_error(s, exc),
                                form=form)
    return s.redirect(HERE, flash=s.t("staff.saved").format(name=name.strip()))


@router.post("/{staff_id}/leave")
async def leave(request: Request, staff_id: str, owner_id: Annotated[str, Form(max_length=64)] = "") -> Response:
    s = await board(request)
    try:
        done = await s.api.post(f"/v1/staff/{q(staff_id[:64])}/leave", {"owner_id": owner_id} if owner_id else {})
    except ApiError as exc:
        return await _list(s, request, exc.status if exc.status < 500 else 502, page_error=readable(s, exc))
    return s.redirect(HERE, flash=s.t("staff.gone").format(name=done["staff"]["name"], released=done["leads_released"],
                                                           reassigned=done["leads_reassigned"]))
