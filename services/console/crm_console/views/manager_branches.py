"""Branches (案场) and their settings (案场设置): working days (the whole week by default), follow-up
cadence, pool rules, holidays and make-up days (调休), and the lost-reason list (流失原因). Managers
read their branch's settings; admins change them and add branches (`POST /v1/branches`, which
replaces the settings: fields this screen does not show are sent back as they are)."""

from __future__ import annotations

from datetime import date

from fastapi import APIRouter, Request, Response

from crm_console import i18n
from crm_console.api import ApiError
from crm_console.views.floor import q
from crm_console.state import state_of
from crm_console.views.manager_common import board, failure, page
from crm_console.web import PREFIX, ConsoleRoute, Screen, screen

router = APIRouter(prefix=f"{PREFIX}/manager", route_class=ConsoleRoute, include_in_schema=False)
WEEKDAYS = range(7)
NUMBERS = ("reclaim_after_days", "reclaim_warning_days", "pool_claims_per_day", "report_valid_days", "protection_days")
GRADES = ("O", "A", "B", "C")
MAX_REASONS = 50

i18n.register({
    "branch.title": {"zh-CN": "案场设置", "en": "Branch settings"},
    "branch.readonly": {"zh-CN": "案场设置由管理员维护，这里仅供查看。", "en": "Administrators keep these settings; you can read them here."},
    "branch.name": {"zh-CN": "案场名称", "en": "Branch name"},
    "branch.id": {"zh-CN": "案场编号（英文小写字母、数字和连字符）", "en": "Branch id (lower-case letters, digits, hyphens)"},
    "branch.timezone": {"zh-CN": "时区", "en": "Time zone"},
    "branch.working_days": {"zh-CN": "工作日", "en": "Working days"},
    "branch.cadence": {"zh-CN": "跟进周期（天）", "en": "Follow-up every (days)"},
    "branch.grade": {"zh-CN": "{g} 级", "en": "Grade {g}"},
    "branch.reclaim_after_days": {"zh-CN": "无跟进多少天回收公海", "en": "Days without follow-up before the pool"},
    "branch.reclaim_warning_days": {"zh-CN": "回收前几天提醒", "en": "Warn this many days before"},
    "branch.pool_claims_per_day": {"zh-CN": "每人每天可领取公海客户数", "en": "Pool claims per consultant per day"},
    "branch.report_valid_days": {"zh-CN": "渠道报备有效天数", "en": "Channel report valid (days)"},
    "branch.protection_days": {"zh-CN": "到访后保护天数", "en": "Protection after the visit (days)"},
    "branch.holidays": {"zh-CN": "节假日（每行一个日期，如 2026-10-01）", "en": "Holidays (one date a line, e.g. 2026-10-01)"},
    "branch.workdays_extra": {"zh-CN": "调休上班日（每行一个日期）", "en": "Make-up working days (one date a line)"},
    "branch.lost_reasons": {"zh-CN": "流失原因", "en": "Lost reasons"},
    "branch.lost_hint": {"zh-CN": "编码用于统计，一经使用请勿修改；清空编码即删除该行。",
                         "en": "Codes are what the analysis counts: keep them once used; clear a code to delete its line."},
    "branch.code": {"zh-CN": "编码", "en": "Code"},
    "branch.zh": {"zh-CN": "中文名称", "en": "Chinese name"},
    "branch.en": {"zh-CN": "英文名称", "en": "English name"},
    "branch.note_required": {"zh-CN": "需填写说明", "en": "Needs a note"},
    "branch.saved": {"zh-CN": "案场设置已保存", "en": "Branch settings saved"},
    "branch.bad_number": {"zh-CN": "请填写整数：{what}", "en": "Enter a whole number: {what}"},
    "branch.bad_date": {"zh-CN": "日期格式不正确（YYYY-MM-DD）：{what}", "en": "Not a date (YYYY-MM-DD): {what}"},
    "branch.list": {"zh-CN": "全部案场", "en": "All branches"},
    "branch.add": {"zh-CN": "新建案场", "en": "Add a branch"},
    "branch.added": {"zh-CN": "已新建案场：{name}", "en": "Branch added: {name}"},
    "branch.manage": {"zh-CN": "管理", "en": "Manage"},
    "branch.exists": {"zh-CN": "该编号的案场已存在。", "en": "A branch with this id exists."},
    "weekday.0": {"zh-CN": "周一", "en": "Mon"}, "weekday.1": {"zh-CN": "周二", "en": "Tue"},
    "weekday.2": {"zh-CN": "周三", "en": "Wed"}, "weekday.3": {"zh-CN": "周四", "en": "Thu"},
    "weekday.4": {"zh-CN": "周五", "en": "Fri"}, "weekday.5": {"zh-CN": "周六", "en": "Sat"},
    "weekday.6": {"zh-CN": "周日", "en": "Sun"},
})


class BadForm(ValueError):
    """A field the admin typed that is not a number or a date; the message says which, in words."""


def _int(s: Screen, form, field: str, label: str) -> int:
    raw = str(form.get(field, "")).strip()
    try:
        return int(raw)
    except ValueError:
        raise BadForm(s.t("branch.bad_number").format(what=s.t(label))) from None


def _dates(s: Screen, raw: str, label: str) -> list[str]:
    out = []
    for line in raw.replace(",", "\n").splitlines():
        if line.strip():
            try:
                out.append(date.fromisoformat(line.strip()).isoformat())
            except ValueError:
                raise BadForm(s.t("branch.bad_date").format(what=f"{s.t(label)} {line.strip()[:20]}")) from None
    return out


def settings_from_form(s: Screen, current: dict, form) -> dict:
    """The branch's settings as they are, with what the form shows replaced (fields it does not show are kept)."""
    settings = dict(current)
    settings["working_days"] = sorted({int(d) for d in form.getlist("working_days") if str(d) in map(str, WEEKDAYS)})
    settings["cadence_days"] = {g: _int(s, form, f"cadence_{g}", "branch.cadence") for g in GRADES}
    settings |= {field: _int(s, form, field, f"branch.{field}") for field in NUMBERS}
    settings["holidays"] = _dates(s, str(form.get("holidays", "")), "branch.holidays")
    settings["workdays_extra"] = _dates(s, str(form.get("workdays_extra", "")), "branch.workdays_extra")
    rows = list(zip(form.getlist("lr_code"), form.getlist("lr_zh"), form.getlist("lr_en")))[:MAX_REASONS + 1]
    needs_note = {str(i) for i in form.getlist("lr_note")}  # the row numbers ticked
    settings["lost_reasons"] = [
        {"code": str(c).strip(), "zh": str(z).strip(), "en": str(e).strip() or str(z).strip(), "note_required": str(i) in needs_note}
        for i, (c, z, e) in enumerate(rows) if str(c).strip()]
    return settings


async def _settings_page(s: Screen, status_code: int = 200, **context) -> Response:
    branch = context.pop("branch_doc", None) or await s.api.get(f"/v1/branches/{q(s.user.branch_id)}")
    return await page(s, "manager_branch_settings.html", "branch", status_code=status_code, b=branch,
                      settings=context.pop("settings", None) or branch["settings"], weekdays=WEEKDAYS, grades=GRADES,
                      numbers=NUMBERS, editable=s.user.role == "admin", **context)


@router.get("/branch")
async def branch_settings(request: Request) -> Response:
    s = await board(request)
    return await _settings_page(s)


@router.post("/branch")
async def save_branch_settings(request: Request) -> Response:
    s = await board(request)
    if s.user.role != "admin":
        return await _settings_page(s, 403, save_error=s.t("branch.readonly"))
    form = await request.form()
    current = await s.api.get(f"/v1/branches/{q(s.user.branch_id)}")
    name = str(form.get("name", "")).strip()[:200] or current["name"]
    try:
        settings = settings_from_form(s, current["settings"], form)
    except BadForm as exc:
        return await _settings_page(s, 422, save_error=str(exc), branch_doc=current)
    body = {"id": current["id"], "name": name, "timezone": str(form.get("timezone", "")).strip()[:64] or current["timezone"],
            "settings": settings}
    try:
        await s.api.post("/v1/branches", body)
    except ApiError as exc:
        return await _settings_page(s, exc.status if exc.status < 500 else 502, save_error=failure(s, exc),
                                    branch_doc=current | {"name": name}, settings=settings)
    state_of(request).cache.pop(("branch", current["id"]), None)  # every screen shows the new settings at once
    return s.redirect(f"{PREFIX}/manager/branch", flash=s.t("branch.saved"))


async def _branches_page(s: Screen, status_code: int = 200, **context) -> Response:
    context.setdefault("form", {})
    return await page(s, "manager_branches.html", "branches", status_code=status_code,
                      all_branches=await s.api.items("/v1/branches"), **context)


@router.get("/branches")
async def branches(request: Request) -> Response:
    s = await screen(request, "admin")
    return await _branches_page(s)


@router.post("/branches")
async def add_branch(request: Request) -> Response:
    s = await screen(request, "admin")
    form = await request.form()
    branch_id, name = str(form.get("id", "")).strip()[:63], str(form.get("name", "")).strip()[:200]
    timezone = str(form.get("timezone", "")).strip()[:64] or "Asia/Shanghai"
    values = {"id": branch_id, "name": name, "timezone": timezone}
    if any(b["id"] == branch_id for b in await s.api.items("/v1/branches")):
        return await _branches_page(s, 409, add_error=s.t("branch.exists"), form=values)
    try:
        await s.api.post("/v1/branches", values)
    except ApiError as exc:
        return await _branches_page(s, exc.status if exc.status < 500 else 502, add_error=failure(s, exc), form=values)
    return s.redirect(f"{PREFIX}/manager/branches", flash=s.t("branch.added").format(name=name))
