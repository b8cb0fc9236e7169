"""The site-visit checklist (工地参观须知) as data, and its text from one catalogue, Chinese first.

Reception puts the checklist of an on-site showing in its appointment events as items (a code
and numbers, `ChecklistItem`); whoever shows it to a person renders it in that person's language
with `lines(items, locale)`. Notify calls `lines_for(data, locale)` with an appointment event's
payload: it reads the items, and for events from before the items existed it recovers them from
the old English lines, so a customer's SMS never carries English inside Chinese text.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any, Literal

from pydantic import BaseModel, Field

LOCALES = ("zh-CN", "en")
DEFAULT_LOCALE = "zh-CN"

Code = Literal["hard_hats", "wait_at_sales_office", "route_planned", "route_to_plan"]

CATALOGUE: dict[str, dict[str, str]] = {
    "hard_hats": {"zh-CN": "安全帽{count}顶（每位访客一顶）", "en": "Hard hats: {count} (one per visitor)"},
    "wait_at_sales_office": {"zh-CN": "儿童与老人在售楼处等候，不进入工地",
                             "en": "Children and elderly wait at the sales office, not on site"},
    "wait_at_sales_office.both": {"zh-CN": "儿童{children}位、老人{elderly}位在售楼处等候，不进入工地",
                                  "en": "Children ({children}) and elderly ({elderly}) wait at the sales office, not on site"},
    "wait_at_sales_office.children": {"zh-CN": "儿童{children}位在售楼处等候，不进入工地",
                                      "en": "Children ({children}) wait at the sales office, not on site"},
    "wait_at_sales_office.elderly": {"zh-CN": "老人{elderly}位在售楼处等候，不进入工地",
                                     "en": "Elderly ({elderly}) wait at the sales office, not on site"},
    "route_planned": {"zh-CN": "参观路线：{route}", "en": "Route planned in advance: {route}"},
    "route_to_plan": {"zh-CN": "参观路线由置业顾问提前规划", "en": "Route to be planned in advance by the consultant"},
}


class ChecklistItem(BaseModel):
    """One point of the checklist: what (`code`) and its numbers; never text to show as it is
    (except `route`, the route as the consultant typed it)."""

    code: Code = Field(description="Which point: `hard_hats`, `wait_at_sales_office`, `route_planned`, "
                       "`route_to_plan`.")
    count: int | None = Field(None, ge=0, description="`hard_hats`: one per visitor.")
    children: int | None = Field(None, ge=0, description="`wait_at_sales_office`: children in the party, when known.")
    elderly: int | None = Field(None, ge=0, description="`wait_at_sales_office`: elderly in the party, when known.")
    route: str | None = Field(None, max_length=500, description="`route_planned`: the planned route on site.")


def site_items(party_size: int, children: int, elderly: int, route: str | None) -> list[ChecklistItem]:
    """The checklist of an on-site showing: a hard hat per visitor, children and elderly wait at the
    sales office, the route planned in advance."""
    counted = children or elderly
    return [
        ChecklistItem(code="hard_hats", count=party_size),
        ChecklistItem(code="wait_at_sales_office", children=children if counted else None,
                      elderly=elderly if counted else None),
        ChecklistItem(code="route_planned", route=route) if route else ChecklistItem(code="route_to_plan"),
    ]


def _line(item: ChecklistItem, locale: str) -> str:
    key = item.code
    if item.code == "wait_at_sales_office" and (item.children or item.elderly):
        key += ".both" if item.children and item.elderly else ".children" if item.children else ".elderly"
    entry = CATALOGUE[key]
    text = entry.get(locale) or entry[DEFAULT_LOCALE]
    return text.format(count=item.count or 0, children=item.children or 0, elderly=item.elderly or 0,
                       route=item.route or "")


def lines(items: Sequence[ChecklistItem | dict], locale: str = DEFAULT_LOCALE) -> list[str]:
    """The checklist as lines in `locale` (zh-CN unless `en`), in the items' order."""
    locale = locale if locale in LOCALES else DEFAULT_LOCALE
    return [_line(i if isinstance(i, ChecklistItem) else ChecklistItem.model_validate(i), locale) for i in items]


_LEGACY = (
    (re.compile(r"^Hard hats: (\d+) \(one per visitor\)$"), lambda m: ChecklistItem(code="hard_hats", count=int(m[1]))),
    (re.compile(r"^Children \((\d+)\) and elderly \((\d+)\) wait at the sales office, not on site$"),
     lambda m: ChecklistItem(code="wait_at_sales_office", children=int(m[1]), elderly=int(m[2]))),
    (re.compile(r"^Children and elderly wait at the sales office, not on site$"),
     lambda m: ChecklistItem(code="wait_at_sales_office")),
    (re.compile(r"^Route planned in advance: (.+)$"), lambda m: ChecklistItem(code="route_planned", route=m[1])),
    (re.compile(r"^Route to be planned in advance by the consultant$"), lambda m: ChecklistItem(code="route_to_plan")),
)


def from_legacy(old_lines: Sequence[str]) -> list[ChecklistItem] | None:
    """Items recovered from the English lines appointments carried before the items existed;
    None when a line is not one of those (then the lines are shown as they are)."""
    items = []
    for text in old_lines:
        for pattern, build in _LEGACY:
            if m := pattern.match(text):
                items.append(build(m))
                break
        else:
            return None
    return items


def lines_for(data: Any, locale: str = DEFAULT_LOCALE) -> list[str]:
    """An appointment event's checklist in `locale`: its items (`site_checklist`), else the items
    recovered from its old English lines, else its lines unchanged."""
    items = getattr(data, "site_checklist", None) if not isinstance(data, dict) else data.get("site_checklist")
    old = (getattr(data, "checklist", None) if not isinstance(data, dict) else data.get("checklist")) or []
    if items:
        return lines(items, locale)
    recovered = from_legacy(old)
    return lines(recovered, locale) if recovered is not None else list(old)
