"""A stored complaint as answered: masked number, Chinese names of codes and people, deadlines missed now."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from crm_shared.ids import utcnow
from crm_shared.plugins import ServiceContext

from crm_customers.complaints import rules
from crm_customers.complaints.models import ComplaintOut

STEP_NAMES = {"received": "受理", "assigned": "指派", "report_filed": "提交调查报告", "report_approved": "批准调查报告",
              "action_added": "新增整改措施", "action_done": "整改完成", "overdue": "超时", "closed": "结案",
              "reopened": "重新处理"}


async def staff_names(ctx: ServiceContext, docs: list[dict]) -> dict[str, str]:
    """Names of every staff member the complaints mention, in one read of the directory."""
    ids: set[str] = set()
    for d in docs:
        ids.update(x for x in (d.get("received_by"), d.get("assignee_id"), (d.get("report") or {}).get("filed_by")) if x)
        ids.update(a["owner_id"] for a in d.get("actions") or [])
        ids.update(h["by"] for h in d.get("history") or [] if h.get("by"))
    if not ids:
        return {}
    found = await ctx.db.staff.find({"_id": {"$in": sorted(ids)}}, projection={"name": 1}).to_list()
    return {f["_id"]: f.get("name") for f in found}


def public(doc: dict, names: dict[str, str], *, history: bool = False, now: datetime | None = None) -> ComplaintOut:
    now = now or utcnow()
    report = doc.get("report")
    if report:
        report = {**report, "filed_by_name": names.get(report["filed_by"])}
    closing = doc.get("closing")
    if closing:
        closing = {**closing, "resolution_name": rules.RESOLUTION_NAMES.get(closing["resolution"])}
    out: dict[str, Any] = {
        "id": doc["_id"], **{k: doc.get(k) for k in (
            "branch_id", "number", "status", "channel", "category", "severity", "summary", "archive_id", "lead_id",
            "deal_id", "received_by", "received_at", "assignee_id", "report_due_at", "due_at", "report_overdue_at",
            "handling_overdue_at", "version", "updated_at")},
        "reopened_count": doc.get("reopened_count") or 0,
        "status_name": rules.STATUS_NAMES.get(doc["status"]), "channel_name": rules.CHANNEL_NAMES.get(doc["channel"]),
        "category_name": rules.CATEGORY_NAMES.get(doc["category"]),
        "severity_name": rules.SEVERITY_NAMES.get(doc["severity"]),
        "customer": {"name": doc["customer"].get("name"), "phone_masked": doc["customer"].get("phone_masked")},
        "received_by_name": names.get(doc["received_by"]), "assignee_name": names.get(doc.get("assignee_id") or ""),
        "overdue": rules.overdue_now(doc, now), "report": report, "closing": closing,
        "actions": [{**a, "owner_name": names.get(a["owner_id"])} for a in doc.get("actions") or []],
    }
    if history:
        out["history"] = [{**h, "what_name": STEP_NAMES.get(h["what"]), "by_name": names.get(h.get("by") or ""),
                           "note": rules.DEADLINE_NAMES.get(h["note"], h["note"]) if h["what"] == "overdue" else h.get("note")}
                          for h in doc.get("history") or []]
    return ComplaintOut(**out)
