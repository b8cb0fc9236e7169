"""The unit board (销控表): the branch's units by project, building and floor, coloured by status
(可售 / 保留 / 已认购 / 已售) with the list price in 万元 and the customer of the deal holding each unit;
a unit's panel, where a manager holds a unit back (销控保留) or releases it."""

from __future__ import annotations

import re
from typing import Annotated

from fastapi import APIRouter, Form, Request, Response

from crm_console import i18n
from crm_console.api import ApiError
from crm_console.views.deals_common import (MANAGERS, PRODUCT_TYPES, SALES, UNIT_STATUSES, customer_name,
                                            unit_label)
from crm_console.views.floor import error_status, failure, if_match, q
from crm_console.web import PREFIX, ConsoleRoute, Screen, screen

router = APIRouter(prefix=f"{PREFIX}/units", route_class=ConsoleRoute, include_in_schema=False)
HERE = f"{PREFIX}/units"
DIGITS = re.compile(r"^\D*(\d{3,})\D*$")

i18n.register({
    "board.title": {"zh-CN": "销控表", "en": "Unit board"},
    "board.hint": {"zh-CN": "按楼栋和楼层排列，颜色表示房源状态；价格为表价（万元）。点击房号查看详情。",
                   "en": "By building and floor, coloured by status; prices are list prices in 10k CNY. Click a unit for details."},
    "board.all": {"zh-CN": "全部", "en": "All"},
    "board.filter": {"zh-CN": "筛选", "en": "Filter"},
    "board.count": {"zh-CN": "{n} 套", "en": "{n} units"},
    "board.empty": {"zh-CN": "本案场还没有房源（由销售经理导入销控表）。", "en": "No units yet (a manager imports the unit sheet)."},
    "board.floor": {"zh-CN": "楼层", "en": "Floor"},
    "board.holder": {"zh-CN": "认购客户", "en": "Held by"},
    "board.detail": {"zh-CN": "房源详情", "en": "Unit"},
    "board.hold": {"zh-CN": "销控保留", "en": "Hold back"},
    "board.hold_reason": {"zh-CN": "保留原因（可选）", "en": "Reason (optional)"},
    "board.held_because": {"zh-CN": "保留原因", "en": "Held because"},
    "board.release": {"zh-CN": "解除保留", "en": "Release"},
    "board.held": {"zh-CN": "已保留：{unit}", "en": "Held: {unit}"},
    "board.released": {"zh-CN": "已解除保留：{unit}", "en": "Released: {unit}"},
    "board.subscribe_hint": {"zh-CN": "认购请从客户卡片发起：打开客户，点击“认购房源”。",
                             "en": "Subscribe from the customer's card: open the lead and choose “Subscribe a unit”."},
    "board.close": {"zh-CN": "关闭", "en": "Close"},
    "board.err.wrong-status": {"zh-CN": "该房源的状态已变化（只能保留可售房源、解除已保留的房源），请刷新。",
                               "en": "The unit's status changed: only an available unit is held, a held one released."},
})


def floor_of(unit: dict) -> int | None:
    """The unit's floor: its own, else read from a room number like 1201 (12th floor)."""
    if isinstance(unit.get("floor"), int):
        return unit["floor"]
    m = DIGITS.match(str(unit.get("unit_no") or ""))
    return int(m.group(1)[:-2]) if m else None


def _unit_sort(unit: dict) -> tuple:
    no = str(unit.get("unit_no") or "")
    digits = re.sub(r"\D", "", no)
    return (int(digits) if digits else 0, no)


def layout(units: list[dict]) -> list[dict]:
    """Projects → buildings → floors (top floor first) → units, as the board draws them."""
    projects: dict[str, dict[str, dict[int | None, list[dict]]]] = {}
    for u in units:
        building = u.get("building") or ""
        projects.setdefault(u.get("project") or "", {}).setdefault(building, {}).setdefault(floor_of(u), []).append(u)
    out = []
    for project in sorted(projects):
        buildings = []
        for building in sorted(projects[project], key=lambda b: (len(b), b)):
            floors = projects[project][building]
            ordered = sorted(floors, key=lambda f: (f is None, -(f or 0)))
            buildings.append({"name": building, "floors": [{"floor": f, "units": sorted(floors[f], key=_unit_sort)}
                                                           for f in ordered],
                              "width": max(len(v) for v in floors.values())})
        out.append({"name": project, "buildings": buildings})
    return out


async def _holders(s: Screen, units: list[dict]) -> dict[str, dict]:
    """deal id -> {id, customer} for the live deals holding the units; a deal the caller may not read shows no name."""
    wanted = {u["deal_id"] for u in units if u.get("deal_id")}
    if not wanted:
        return {}
    try:
        deals = await s.api.items("/v1/deals", branch_id=s.user.branch_id)
    except ApiError:
        deals = []
    leads: dict[str, str] = {}
    out = {}
    for d in deals:
        if d.get("id") in wanted:
            out[d["id"]] = {"id": d["id"], "customer": await customer_name(s, d, leads)}
    return out


async def _page(s: Screen, status_code: int = 200, unit_id: str = "", **context) -> Response:
    params = s.request.query_params
    chosen = {k: params.get(k, "")[:100] for k in ("project", "building", "product_type", "status")}
    if chosen["product_type"] not in PRODUCT_TYPES:
        chosen["product_type"] = ""
    if chosen["status"] not in UNIT_STATUSES:
        chosen["status"] = ""
    every = await s.api.items("/v1/units", branch_id=s.user.branch_id) if s.user.branch_id else []
    projects = sorted({u.get("project") or "" for u in every})
    buildings = sorted({u.get("building") or "" for u in every if not chosen["project"] or u.get("project") == chosen["project"]}
                       - {""}, key=lambda b: (len(b), b))
    units = [u for u in every if all(not v or (u.get(k) or "") == v for k, v in chosen.items())]
    counts = {st: sum(1 for u in units if u.get("status") == st) for st in UNIT_STATUSES}
    holders = await _holders(s, units)
    selected = None
    if unit_id := unit_id or params.get("unit", "")[:64]:
        selected = next((u for u in every if u["id"] == unit_id), None)
    return s.render("unit_board.html", status_code=status_code, board=layout(units), counts=counts, total=len(units),
                    holders=holders, projects=projects, buildings=buildings, chosen=chosen, statuses=UNIT_STATUSES,
                    product_types=PRODUCT_TYPES, selected=selected, can_hold=s.user.role == "manager",
                    **context)


@router.get("")
async def unit_board(request: Request) -> Response:
    s = await screen(request, *SALES)
    return await _page(s)


def _readable(s: Screen, exc: ApiError) -> str:
    key = f"board.err.{exc.kind}"
    return s.t(key) if s.t(key) != key else failure(s, exc)


async def _change(request: Request, unit_id: str, action: str, body: dict, version: str) -> Response:
    s = await screen(request, *MANAGERS)
    unit_id = unit_id[:64]
    try:
        unit = await s.api.post(f"/v1/units/{q(unit_id)}/{action}", body, headers=if_match(version))
    except ApiError as exc:
        return await _page(s, error_status(exc), unit_id=unit_id, unit_error=_readable(s, exc))
    done = "board.released" if action == "release" else "board.held"
    return s.redirect(f"{HERE}?unit={q(unit_id)}", flash=s.t(done).format(unit=unit_label(s, unit or {})))


@router.post("/{unit_id}/hold")
async def hold(request: Request, unit_id: str, reason: Annotated[str, Form(max_length=500)] = "",
               version: Annotated[str, Form(max_length=12)] = "") -> Response:
    return await _change(request, unit_id, "hold", {"reason": reason.strip()} if reason.strip() else {}, version)


@router.post("/{unit_id}/release")
async def release(request: Request, unit_id: str, version: Annotated[str, Form(max_length=12)] = "") -> Response:
    return await _change(request, unit_id, "release", {}, version)
