"""A report's items as people read them in a sheet: names for staff and partners, words for codes.

`present(name, report, names, locale)` turns the JSON items of a report into rows whose cells
and nested keys are names and words (`by_consultant: {staff id: n}` -> `{"张三": n}`, a channel
code -> `来电`, a stage -> `已到访`); `exports.tables.table` then flattens them under headers.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from crm_reports.exports.words import (
    AGES, CHANNELS, CLASS, COLUMNS, GRADE, METRICS, MISSED, REJECTIONS, STAGES, UNKNOWN_STAFF, word,
)


@dataclass(frozen=True)
class Names:
    """What ids and codes of one branch are called: staff, partners, the branch's lost reasons."""

    staff: dict[str, str] = field(default_factory=dict)
    partners: dict[str, str] = field(default_factory=dict)
    lost_reasons: dict[str, str] = field(default_factory=dict)


class _People:
    """Staff ids as names, unique within one sheet (two 张伟 become 张伟 and 张伟2; an unknown id a numbered 未知顾问)."""

    def __init__(self, names: dict[str, str], locale: str) -> None:
        self.names, self.locale, self.shown, self.taken = names, locale, {}, set()

    def __call__(self, staff_id: Any) -> str:
        key = str(staff_id)
        if key in self.shown:
            return self.shown[key]
        unknown = UNKNOWN_STAFF.get(self.locale, UNKNOWN_STAFF["zh-CN"])
        if key == "unassigned":
            base = word(CHANNELS, self.locale, key)
        else:
            base = self.names.get(key) or unknown
        n = 1
        shown = f"{base}{n}" if base == unknown else base
        while shown in self.taken:
            n += 1
            shown = f"{base}{n}"
        self.taken.add(shown)
        self.shown[key] = shown
        return shown


def _keys(m: Any, name: Any) -> dict[str, Any]:
    return {name(k): v for k, v in (m or {}).items()} if isinstance(m, dict) else {}


def present(report_name: str, report: dict[str, Any], names: Names, locale: str = "zh-CN") -> list[dict[str, Any]]:
    """The rows of a report's export (CSV/XLSX), in the report's item order."""
    person = _People(names.staff, locale)
    channel = lambda c: word(CHANNELS, locale, str(c))  # noqa: E731
    items = report.get("items", [])
    if report_name == "daily-traffic":
        return [{**i, "by_channel": _keys(i.get("by_channel"), channel), "by_consultant": _keys(i.get("by_consultant"), person),
                 "visits_by_consultant": _keys(i.get("visits_by_consultant"), person)} for i in items]
    if report_name == "funnel":
        by_staff, by_referrer = report.get("group_by") == "consultant", report.get("group_by") == "referrer"
        deal_stages = report.get("deal_stages") or {}  # 认购/签约/全款到账 from deals' events, after the lead stages
        return [{"group": person(i["group"]) if by_staff else (i.get("name") or i["group"]) if by_referrer else channel(i["group"]),
                 **{k: v for k, v in i.items() if k not in ("group", "name")}, **deal_stages.get(i["group"], {})}
                for i in items]
    if report_name == "grades":
        return [{**i, "grade": GRADE.get(locale, GRADE["zh-CN"]).format(g=i["grade"])} for i in items]
    if report_name == "follow-up-compliance":
        return [{"consultant_id": person(i["consultant_id"]),
                 **{k: v for k, v in i.items() if k not in ("consultant_id", "name", "missed", "age")},
                 "missed": _keys(i.get("missed"), lambda m: word(MISSED, locale, m)),
                 "age": _keys(i.get("age"), lambda a: word(AGES, locale, a))} for i in items]
    if report_name == "lost-reasons":
        return [{**i, "reason": names.lost_reasons.get(i["reason"], i["reason"]),
                 "by_stage": _keys(i.get("by_stage"), lambda s: word(STAGES, locale, s))} for i in items]
    if report_name == "partners":
        return [{**{k: v for k, v in i.items() if k != "name"}, "partner_id": names.partners.get(i["partner_id"], i["partner_id"]),
                 "rejection_reasons": _keys(i.get("rejection_reasons"), lambda r: word(REJECTIONS, locale, r))}
                for i in items]
    if report_name == "receptions":
        return [{**i, "class": CLASS.get(locale, CLASS["zh-CN"]).format(c=i["class"])} for i in items]
    return list(items)


def present_board(rows: list[dict[str, Any]], locale: str = "zh-CN") -> list[dict[str, Any]]:
    """A board's metric rows with the metric named (`new_leads` -> 新增客户); a rate reads as a percentage,
    since the sheet's number columns count whole numbers."""
    def metric(code: str) -> str:
        return METRICS.get(locale, METRICS["zh-CN"]).get(code) or word(COLUMNS, locale, code)

    def percent(v: Any) -> Any:
        return f"{v * 100:.1f}%" if isinstance(v, int | float) else v

    return [{**r, "metric": metric(r["metric"]),
             **({k: percent(r.get(k)) for k in ("value", "previous")} if r["metric"].endswith("_rate") else {})}
            for r in rows]
