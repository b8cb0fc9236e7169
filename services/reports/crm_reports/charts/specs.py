"""Which numbers each report charts, with Chinese titles and series names."""

from __future__ import annotations

from typing import Any

from crm_reports.charts.render import Kind
from crm_reports.exports.tables import LABELS

TITLES = {
    "daily-traffic": "客流量统计", "funnel": "客户转化漏斗", "grades": "客户等级分布",
    "follow-up-compliance": "跟进及时率", "lost-reasons": "流失原因分析", "partners": "渠道效果分析",
    "receptions": "商务接待费用",
}
SPECS: dict[str, tuple[str, tuple[str, ...], Kind]] = {
    "daily-traffic": ("date", ("new_leads", "visits", "appointments", "calls"), "line"),
    "funnel": ("group", ("leads", "visited", "won"), "bar"),
    "grades": ("grade", ("new_leads", "moved_in", "moved_out"), "bar"),
    "follow-up-compliance": ("consultant_id", ("follow_ups", "overdue"), "bar"),
    "lost-reasons": ("reason", ("count",), "barh"),
    "partners": ("partner_id", ("reports", "accepted", "confirmed", "deals"), "bar"),
    "receptions": ("class", ("budget", "spent"), "bar"),
}


def chart_data(name: str, report: dict[str, Any]) -> tuple[str, list[str], dict[str, list[float]], Kind]:
    """Title, category labels, named series and chart kind for a report's JSON."""
    x, fields, kind = SPECS[name]
    items = report.get("items", [])
    categories = [str(i.get("name") or LABELS.get(str(i.get(x)), i.get(x))) for i in items]
    if name == "daily-traffic":
        categories = [c[5:] for c in categories]
    series = {LABELS.get(f, f): [float(i.get(f) or 0) for i in items] for f in fields}
    by = {"consultant": "按顾问", "referrer": "按推荐人"}.get(str(report.get("group_by")), "按渠道")
    title = TITLES[name] + (f"（{by}）" if name == "funnel" else "")
    return title, categories, series, kind
