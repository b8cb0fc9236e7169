"""What every manager-board page shares: the role guard, the branch an admin must pick, staff names."""

from __future__ import annotations

from fastapi import Request, Response

from crm_console import i18n
from crm_console.api import ApiError
from crm_console.web import Answer, Screen, env, render, screen

ROLES = ("manager", "admin")
TABS = (("reports", "/console/manager"), ("disputes", "/console/manager/disputes"),
        ("receptions", "/console/manager/receptions"), ("approvals", "/console/manager/approvals"), ("audit", "/console/manager/audit"), ("exports", "/console/exports"),
        ("channels", "/console/manager/channels"), ("staff", "/console/manager/staff"), ("branch", "/console/manager/branch"), ("branches", "/console/manager/branches"))
ADMIN_TABS = ("branches",)  # the group's branch list is the admins'

i18n.register({
    "mgr.title": {"zh-CN": "经理看板", "en": "Manager board"},
    "mgr.tab.reports": {"zh-CN": "报表", "en": "Reports"},
    "mgr.tab.disputes": {"zh-CN": "判客争议", "en": "Disputes"},
    "mgr.tab.receptions": {"zh-CN": "接待审批", "en": "Receptions"},
    "mgr.tab.audit": {"zh-CN": "审计日志", "en": "Audit log"},
    "mgr.tab.staff": {"zh-CN": "员工管理", "en": "Staff"},
    "mgr.tab.branch": {"zh-CN": "案场设置", "en": "Branch settings"},
    "mgr.tab.branches": {"zh-CN": "全部案场", "en": "All branches"},
    "mgr.pick_branch": {"zh-CN": "请选择案场", "en": "Pick a branch"},
    "mgr.pick_branch_hint": {"zh-CN": "您可以查看所有案场，请先选择要管理的案场。", "en": "You see every branch: pick the one to manage."},
    "mgr.switch": {"zh-CN": "切换", "en": "Switch"},
    "mgr.no_branches": {"zh-CN": "还没有案场。", "en": "No branches yet."},
})


ZONES = {"Asia/Shanghai": ("北京时间", "China time"), "Asia/Hong_Kong": ("香港时间", "Hong Kong time"),
         "Asia/Macau": ("澳门时间", "Macau time"), "Asia/Taipei": ("台北时间", "Taipei time"),
         "Asia/Singapore": ("新加坡时间", "Singapore time"), "Asia/Tokyo": ("东京时间", "Tokyo time")}


def zone_name(tz: str, locale: str = "zh-CN") -> str:
    """A time zone as people name it (北京时间); zones without a common name keep their IANA id."""
    names = ZONES.get(tz)
    return (names[1] if locale == "en" else names[0]) if names else tz


env.filters["zone"] = zone_name


def many_branches(s: Screen) -> bool:
    branches = s.user.principal.branches
    return "*" in branches or len(branches) > 1


async def board(request: Request) -> Screen:
    """The signed-in manager or admin with a branch chosen; otherwise raises Answer with the page
    to pick one (or the sign-in redirect, the 403 page)."""
    s = await screen(request, *ROLES)
    if not s.user.branch_id:
        branches = await s.api.items("/v1/branches")
        raise Answer(render(request, "manager_branch.html", user=s.user, branch={}, branches=branches))
    return s


async def page(s: Screen, template: str, tab: str, status_code: int = 200, **context) -> Response:
    """Render a board page with its tabs and, for users of several branches, the branch switcher."""
    branches = await s.api.items("/v1/branches") if many_branches(s) else []
    tabs = [(key, href) for key, href in TABS if key not in ADMIN_TABS or s.user.role == "admin"]
    return s.render(template, status_code=status_code, tabs=tabs, tab=tab, branches=branches, **context)


async def staff_names(s: Screen) -> dict[str, str]:
    """Staff id -> name for the branch (ids alone mean nothing to a manager)."""
    try:
        return {p["id"]: p.get("name") or p["id"] for p in await s.api.items("/v1/staff", branch_id=s.user.branch_id)}
    except ApiError:
        return {}


def failure(s: Screen, exc: ApiError) -> str:
    """An API refusal as one readable line for the form that caused it."""
    prefix = s.t("error.bad_input") if exc.status == 422 else s.t("common.error")
    return f"{prefix}：{exc.message}" if exc.message else prefix
