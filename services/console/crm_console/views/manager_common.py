"""What every manager-board page shares: the role guard, the branch an admin must pick, staff names."""

from __future__ import annotations

from fastapi import Request, Response

from crm_console import i18n
from crm_console.api import ApiError
from crm_console.web import Answer, Screen, render, screen

ROLES = ("manager", "admin")
TABS = (("reports", "/console/manager"), ("disputes", "/console/manager/disputes"),
        ("receptions", "/console/manager/receptions"), ("audit", "/console/manager/audit"))

i18n.register({
    "mgr.title": {"zh-CN": "经理看板", "en": "Manager board"},
    "mgr.tab.reports": {"zh-CN": "报表", "en": "Reports"},
    "mgr.tab.disputes": {"zh-CN": "判客争议", "en": "Disputes"},
    "mgr.tab.receptions": {"zh-CN": "接待审批", "en": "Receptions"},
    "mgr.tab.audit": {"zh-CN": "审计日志", "en": "Audit log"},
    "mgr.pick_branch": {"zh-CN": "请选择案场", "en": "Pick a branch"},
    "mgr.pick_branch_hint": {"zh-CN": "您可以查看所有案场，请先选择要管理的案场。", "en": "You see every branch: pick the one to manage."},
    "mgr.switch": {"zh-CN": "切换", "en": "Switch"},
    "mgr.no_branches": {"zh-CN": "还没有案场。", "en": "No branches yet."},
})


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
    return s.render(template, status_code=status_code, tabs=TABS, tab=tab, branches=branches, **context)


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
