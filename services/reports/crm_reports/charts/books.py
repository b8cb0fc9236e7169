"""Which numbers the deals and customers reports chart: Chinese titles, names and words as categories."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from crm_reports.charts.render import Kind
from crm_reports.exports import sales_words as sw
from crm_reports.exports.present_books import present_book
from crm_reports.exports.words import COLUMNS, TITLES

LANG = "zh-CN"
SPECS: dict[str, tuple[str, tuple[str, ...], Kind]] = {
    "sales": ("", ("units",), "bar"),
    "deal-changes": ("", ("count",), "barh"),
    "discounts": ("unit", ("discount",), "barh"),
    "payouts": ("beneficiary", ("due_amount", "approved_amount", "paid_amount"), "barh"),
    "complaints": ("complaint_category", ("received", "closed", "closed_late", "handling_missed"), "bar"),
    "revisits": ("account_manager", ("due", "done_on_time", "overdue_tasks"), "bar"),
    "customers": ("tier", ("archives", "frozen", "opened", "evaluations"), "bar"),
}
BY = {"consultant": "按顾问", "channel": "按渠道", "partner": "按渠道商", "referrer": "按推荐人", "product_type": "按产品类型"}


def _value(v: Any) -> float:
    return float(v) if isinstance(v, int | float | Decimal) else 0.0


def chart_book(name: str, report: dict[str, Any]) -> tuple[str, list[str], dict[str, list[float]], Kind]:
    """Title, category labels, named series and chart kind for one of these reports' JSON."""
    x, fields, kind = SPECS[name]
    words = COLUMNS[LANG]
    title = TITLES[LANG][name]
    if name == "deal-changes":
        groups = report.get("by_reason", [])
        categories = [f"{sw.CHANGE_KINDS[LANG].get(g['change_kind'], g['change_kind'])}：{g['reason_name']}" for g in groups]
        return title, categories, {"数量": [float(g["count"]) for g in groups]}, kind
    rows = [r for r in present_book(name, report, LANG) if r.get(x or f"dim_{report.get('group_by')}") != "合计"]
    if name == "sales":
        x = f"dim_{report.get('group_by', 'consultant')}"
        title += f"（{BY.get(str(report.get('group_by')), '')}）"
    categories = [str(r.get(x) or "") for r in rows]
    series = {words.get(f, f): [_value(r.get(f)) for r in rows] for f in fields}
    return title, categories, series, kind
