"""Complaint rules (客户投诉处理), pure: numbers, deadlines, the status flow and what a missed deadline is."""

from __future__ import annotations

from datetime import datetime, timedelta

from crm_shared.branches import local_date

CHANNEL_NAMES = {"phone": "电话", "visit": "来访", "wechat": "微信", "letter": "信函", "online": "网络", "other": "其他"}
CATEGORY_NAMES = {"quality": "质量", "service": "服务", "delivery": "交付", "sales_promise": "销售承诺", "other": "其他"}
SEVERITY_NAMES = {"major": "重大", "normal": "一般"}
STATUS_NAMES = {"received": "已受理", "investigating": "调查中", "responded": "已答复", "closed": "已结案",
                "reopened": "已重开"}
RESOLUTION_NAMES = {"explanation": "解释说明", "apology": "致歉", "repair": "维修整改", "compensation": "补偿",
                    "refund": "退款退房", "exchange": "换房", "other": "其他"}
DEADLINE_NAMES = {"report": "调查报告", "handling": "处理时限"}
NEEDS_DEAL = ("refund", "exchange")
"""Resolutions that change a deal (退房, 换房): closing with one names the deal."""

OPEN = ("received", "investigating", "responded", "reopened")
REPORTABLE = ("investigating", "reopened")
DEADLINES = ("report", "handling")
FLAG = {"report": "report_overdue_at", "handling": "handling_overdue_at"}
DUE = {"report": "report_due_at", "handling": "due_at"}


def month_key(moment: datetime, tz: str | None) -> str:
    """`YYMM` of the branch-local month an instant falls in (numbers restart each month)."""
    return local_date(moment, tz).strftime("%y%m")


def number(month: str, seq: int) -> str:
    """`YYMM-NNN`: three digits at least (a thousandth complaint in a month reads `YYMM-1000`)."""
    return f"{month}-{seq:03d}"


def number_key(branch_id: str, month: str, seq: int) -> str:
    """One complaint per branch, month and serial: the unique key that makes numbers never repeat."""
    return f"{branch_id}:{month}:{seq}"


def deadlines(start: datetime, severity: str, report_days: int, major_days: int, normal_days: int) -> tuple[datetime, datetime]:
    """(report due, handling due) counted from receipt or reopening: the report in `report_days`, the handling
    by severity (major `major_days`, normal `normal_days`)."""
    handling = major_days if severity == "major" else normal_days
    return start + timedelta(days=report_days), start + timedelta(days=handling)


def missed(doc: dict, deadline: str, now: datetime) -> bool:
    """A deadline missed and not yet raised: the report not filed by its due time, or the complaint not closed by
    the handling due time; never for a closed complaint."""
    if doc.get("status") == "closed" or doc.get(FLAG[deadline]) is not None:
        return False
    due = doc.get(DUE[deadline])
    if due is None or due >= now:
        return False
    return deadline != "report" or doc.get("report_filed_at") is None


def overdue_now(doc: dict, now: datetime) -> list[str]:
    """Which deadlines of an open complaint lie past `now` unmet (for `overdue=true` and the detail)."""
    if doc.get("status") == "closed":
        return []
    out = []
    if doc.get("report_filed_at") is None and doc.get("report_due_at") and doc["report_due_at"] < now:
        out.append("report")
    if doc.get("due_at") and doc["due_at"] < now:
        out.append("handling")
    return out


def status_after_assign(status: str) -> str:
    """Assigning starts the investigation; a reassignment later keeps the status."""
    return "investigating" if status in ("received", "reopened") else status
