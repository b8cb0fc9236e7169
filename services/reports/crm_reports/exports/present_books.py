"""The deals and customers reports as people read them in a sheet: names, words, money as numbers.

JSON keeps ids and codes beside their `name`; a sheet shows only the names and words (a person or
partner the reports never heard of is 未知人员, never an id), money as numbers with two places, and a
合计 (total) line where the report has one. An empty list keeps its headers.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from crm_reports.exports import sales_words as sw
from crm_reports.exports.words import word

MONEY = {"amount", "signed_amount", "cancelled_amount", "refund", "moved_amount", "collected_amount", "agreed_price",
         "previous_price", "paid_total_amount", "list_price", "discount"} | {f"{s}_amount" for s in (
             "pending", "due", "approved", "paid", "void", "clawback")}
TOTAL = {"zh-CN": "合计", "en": "Total"}
SALES_FIELDS = ("units", "amount", "signed", "signed_amount", "cancelled", "cancelled_amount", "refund", "moved",
                "moved_amount", "collected_amount")
HEADERS = {  # the columns of a list with no lines yet
    "deal-changes": ("date", "change_kind", "customer", "dim_consultant", "unit", "new_unit", "deal_stage",
                     "change_reason", "agreed_price", "previous_price", "refund", "paid_total_amount"),
    "discounts": ("date", "customer", "dim_consultant", "unit", "dim_product_type", "list_price", "agreed_price",
                  "discount", "discount_rate", "approved_by", "approval_note"),
    "revisits": ("account_manager", "due", "done_on_time", "done_late", "overdue_tasks", "missed", "done",
                 "satisfaction_avg", "revisit_rate"),
}


def _cells(row: dict[str, Any]) -> dict[str, Any]:
    """Money strings as numbers (Excel sums them); `None` stays empty."""
    return {k: Decimal(v) if k in MONEY and isinstance(v, str) else v for k, v in row.items()}


def present_book(name: str, report: dict[str, Any], lang: str = "zh-CN") -> list[dict[str, Any]]:
    """The rows of a report's export (CSV/XLSX), in the report's order."""
    unknown = sw.UNKNOWN_PERSON.get(lang, sw.UNKNOWN_PERSON["zh-CN"])
    items, total = report.get("items", []), report.get("total") or {}
    total_word = TOTAL.get(lang, TOTAL["zh-CN"])
    if name == "sales":
        column = f"dim_{report.get('group_by', 'consultant')}"
        rows = [{column: i.get("name") or unknown, **{f: i[f] for f in SALES_FIELDS}} for i in items]
        rows.append({column: total_word, **{f: total.get(f) for f in SALES_FIELDS}})
    elif name == "deal-changes":
        unit_unknown = sw.UNKNOWN_UNIT.get(lang, sw.UNKNOWN_UNIT["zh-CN"])
        rows = [{"date": i["date"], "change_kind": word(sw.CHANGE_KINDS, lang, i["change_kind"]), "customer": i.get("customer"),
                 "dim_consultant": i.get("consultant") or unknown, "unit": i.get("unit") or unit_unknown,
                 "new_unit": i.get("new_unit") or (unit_unknown if i.get("new_unit_id") else None),
                 "deal_stage": word(sw.DEAL_STAGES, lang, i.get("stage") or "unknown"), "change_reason": i.get("reason_name"),
                 "agreed_price": i["agreed_price"], "previous_price": i.get("previous_price"), "refund": i.get("refund"),
                 "paid_total_amount": i.get("paid_total")} for i in items]
    elif name == "discounts":
        rows = [{"date": i["date"], "customer": i.get("customer"), "dim_consultant": i.get("consultant") or unknown,
                 "unit": i.get("unit") or sw.UNKNOWN_UNIT.get(lang, sw.UNKNOWN_UNIT["zh-CN"]),
                 "dim_product_type": word(sw.PRODUCT_TYPES, lang, i.get("product_type") or "other"),
                 "list_price": i.get("list_price"), "agreed_price": i["agreed_price"], "discount": i.get("discount"),
                 "discount_rate": i.get("discount_rate"), "approved_by": i.get("approved_by") or unknown,
                 "approval_note": i.get("note")} for i in items]
    elif name == "payouts":
        fields = [f for s in ("pending", "due", "approved", "paid", "void", "clawback") for f in (f"n_{s}", f"{s}_amount")]
        rows = [{"payout_kind": word(sw.PAYOUT_KINDS, lang, i["kind"]),
                 "beneficiary_type": word(sw.BENEFICIARY_TYPES, lang, i["beneficiary"]["type"]),
                 "beneficiary": i.get("name") or unknown, **{f: i[f] for f in fields}} for i in items]
        rows.append({"payout_kind": total_word, "beneficiary_type": None, "beneficiary": None, **{f: total.get(f) for f in fields}})
    elif name == "complaints":
        rows = [{"complaint_category": word(sw.COMPLAINT_CATEGORIES, lang, i["category"]),
                 **{k: v for k, v in i.items() if k != "category"}} for i in items]
        rows.append({"complaint_category": total_word, **total})
    elif name == "revisits":
        rows = [{"account_manager": i.get("name") or unknown,
                 **{k: v for k, v in i.items() if k not in ("account_manager_id", "name")}} for i in items]
    elif name == "customers":
        grade = sw.EVAL_GRADE.get(lang, sw.EVAL_GRADE["zh-CN"])
        rows = [{"tier": word(sw.TIERS, lang, i["tier"]), "archives": i["archives"], "frozen": i["frozen"],
                 "category": {word(sw.ARCHIVE_CATEGORIES, lang, c): n for c, n in i["category"].items()},
                 "latest_grade": {grade.format(g=g): n for g, n in i["latest_grade"].items()},
                 "opened": i["opened"], "moved_in": i["moved_in"], "moved_out": i["moved_out"], "evaluations": i["evaluations"],
                 "evaluation_grade": {grade.format(g=g): n for g, n in i["evaluation_grade"].items()},
                 "recommendation": {word(sw.RECOMMENDATIONS, lang, r): n for r, n in i["recommendation"].items()}}
                for i in items]
    else:
        rows = list(items)
    return [_cells(r) for r in rows]
