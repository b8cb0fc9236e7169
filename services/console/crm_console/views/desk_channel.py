"""The front desk's view of channel customers (渠道客户) at check-in: which partner reported the visitor
(so the desk does not greet them as a new walk-in), and the record that a partner brought the visitor
straight to the site (带团直接进场), which lets the partner report them the same day."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request, Response

from crm_console import i18n
from crm_console.api import ApiError
from crm_console.views.floor import q
from crm_console.web import PREFIX, ConsoleRoute, Screen, screen

router = APIRouter(prefix=f"{PREFIX}/front-desk", route_class=ConsoleRoute, include_in_schema=False)
ROLES = ("reception", "manager", "admin")

i18n.register({
    "desk.channel": {"zh-CN": "渠道客户", "en": "Channel customer"},
    "desk.channel_line": {"zh-CN": "报备渠道：{partner}{agency} · 报备于 {at} · {status}",
                          "en": "Reported by {partner}{agency} on {at} · {status}"},
    "desk.channel_unnamed": {"zh-CN": "未登记的渠道", "en": "an unregistered partner"},
    "desk.brought_by": {"zh-CN": "带团渠道（带团直接进场）", "en": "Brought by a partner (group arrival)"},
    "desk.brought_hint": {"zh-CN": "记录后，该渠道可在客户首次到访当天报备，报备即确认。",
                          "en": "Recorded, the partner may report the customer on the day of this first visit; the "
                                "report confirms at once."},
    "desk.record_partner": {"zh-CN": "记录带团渠道", "en": "Record the partner"},
    "desk.partner_recorded": {"zh-CN": "已记录带团渠道：{name}", "en": "Recorded: brought by {name}"},
    "desk.pick_partner": {"zh-CN": "请选择渠道", "en": "Choose a partner"},
    "desk.err.unknown-visit": {"zh-CN": "系统还未收到这次到访登记，请稍候几秒再记录带团渠道。",
                               "en": "This check-in has not reached the system yet; record the partner again in a few seconds."},
})


async def context(s: Screen, visit: dict) -> dict:
    """What the check-in result shows of channels: the live report naming the visitor, the partners to pick."""
    v = visit.get("visitor") or {}
    try:
        channel = await s.api.get("/v1/channel-reports/match", branch_id=visit["branch_id"], phone_masked=v.get("phone_masked"),
                                  customer_name=v.get("name"), phone_hash=v.get("phone_hash"))
        partners = await s.api.items("/v1/partners", branch_id=visit["branch_id"])
    except ApiError:
        return {"channel": None, "channel_partners": []}
    return {"channel": channel, "channel_partners": partners}


@router.post("/visits/{visit_id}/partner")
async def record_partner(request: Request, visit_id: str, partner_id: Annotated[str, Form(max_length=64)] = "") -> Response:
    s = await screen(request, *ROLES)
    back = f"{PREFIX}/front-desk?visit={q(visit_id)}"
    if not partner_id:
        return s.redirect(back, flash=s.t("desk.pick_partner"))
    try:
        partner = await s.api.get(f"/v1/partners/{q(partner_id)}")
        await s.api.post(f"/v1/partners/{q(partner_id)}/arrivals", {"visit_id": visit_id})
    except ApiError as exc:
        from crm_console.views.front_desk import readable  # front_desk includes this module's context

        return s.redirect(back, flash=readable(s, exc))
    return s.redirect(back, flash=s.t("desk.partner_recorded").format(name=partner["name"]))
