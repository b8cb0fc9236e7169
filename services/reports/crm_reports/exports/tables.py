"""A report's items as a flat table with Chinese headers and a number format per column."""

from __future__ import annotations

from typing import Any

LABELS = {
    "date": "日期", "new_leads": "新增客户", "visits": "到访", "appointments": "预约", "calls": "来电",
    "walk_ins": "自然到访", "walk_in_leads": "到访登记", "appointment_arrivals": "预约到访", "returning_visits": "复访",
    "follow_ups": "跟进", "deals": "成交", "appointments_cancelled": "预约取消", "no_shows": "爽约",
    "by_channel": "渠道", "by_consultant": "置业顾问", "visits_by_consultant": "接待顾问", "group": "分组", "name": "姓名", "leads": "客户数",
    "visited": "到访数", "won": "成交数", "lost": "流失数", "visit_rate": "到访率", "win_rate": "到访成交率",
    "conversion_rate": "转化率", "grade": "等级", "share": "占比", "moved_in": "升入", "moved_out": "转出",
    "net": "净变化", "consultant_id": "顾问", "overdue": "逾期次数", "newly_overdue": "新逾期",
    "max_missed": "最多漏跟", "missed": "漏跟次数", "age": "逾期天数", "compliance_rate": "跟进及时率",
    "reason": "流失原因", "count": "数量", "by_stage": "阶段", "partner_id": "渠道商", "reports": "报备",
    "accepted": "有效报备", "rejected": "驳回", "confirmed": "确认到访", "expired": "过期", "amount": "成交金额",
    "accept_rate": "有效率", "deal_rate": "成交率", "rejection_reasons": "驳回原因", "class": "接待级别",
    "requested": "申请", "approved": "批准", "completed": "完成", "budget": "预算", "spent": "实际花费",
    "spend_ratio": "预算执行率", "over_budget": "超预算", "feedback_on_time": "按时反馈", "feedback_late": "逾期反馈",
    "on_time_rate": "反馈及时率", "metric": "指标", "value": "本期", "previous": "上期", "change": "变化",
    "walk_in": "到访", "phone": "电话", "partner": "渠道", "referral": "转介绍", "online": "线上",
    "import": "导入", "event": "活动", "unassigned": "未分配",
}
PERCENT = ("_rate", "share", "_ratio")
MONEY = ("amount", "budget", "spent")


def label(column: str) -> str:
    return ":".join(LABELS.get(part, part) for part in column.split("."))


def number_format(column: str) -> str | None:
    leaf = column.rsplit(".", 1)[-1]
    if column == "date":
        return "yyyy-mm-dd"
    if leaf.endswith(PERCENT):
        return "0.0%"
    if leaf.endswith(MONEY) or column.startswith("reception_") and column != "receptions_completed":
        return "#,##0.00"
    return "#,##0"


def flatten(item: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    out: dict[str, Any] = {}
    for k, v in item.items():
        name = f"{prefix}{k}"
        if isinstance(v, dict):
            out |= flatten(v, f"{name}.")
        elif isinstance(v, list):
            out[name] = "; ".join(str(x) for x in v)
        else:
            out[name] = v
    return out


def table(items: list[dict[str, Any]]) -> tuple[list[str], list[list[Any]]]:
    """Columns in first-seen order; a cell missing in a row is 0 for counters, empty otherwise."""
    flat = [flatten(i) for i in items]
    columns: list[str] = []
    for row in flat:
        columns += [c for c in row if c not in columns]
    nested = {c for c in columns if "." in c}
    rows = [[row.get(c, 0 if c in nested else None) for c in columns] for row in flat]
    return columns, rows
