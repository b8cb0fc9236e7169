"""The customers reports as pure functions: complaints, revisit compliance, archive tiers and grades.

Inputs are day counters (one branch or several), the complaints' deadline lines of the period, and, for
the standing tier and grade mix, the latest state of each archive (crm_reports.projections.records).
"""

from __future__ import annotations

from typing import Any

from crm_reports.queries.tally import merge, num, rate, sub

COMPLAINT_CATEGORIES = ("quality", "service", "delivery", "sales_promise", "other")
COMPLAINT_FIELDS = ("received", "major", "closed", "closed_on_time", "closed_late", "satisfied", "unsatisfied",
                    "reopened", "actions_done")
DEADLINE_FIELDS = {"handling": ("handling_due", "handling_missed"), "report": ("report_due", "report_missed")}
TOTAL = ""  # the key of the total among the categories' deadline counts
TIERS = ("core", "key", "general")
ARCHIVE_CATEGORIES = ("owner", "prospect", "member")
GRADES = ("A", "B", "C", "D")
RECOMMENDATIONS = ("improve", "maintain", "end")


def deadline_counts(lines: list[dict[str, Any]]) -> dict[str, dict[str, int]]:
    """Per category (and `TOTAL`): complaints with a deadline of each kind falling in the period (`*_due`) and, of
    them, those that missed one there (`*_missed`), each complaint once however many deadlines it had (reopened)."""
    seen: dict[str, dict[str, set[str]]] = {}
    for line in lines:
        due, missed = DEADLINE_FIELDS[line["deadline"]]
        for cat in (line.get("category") or "other", TOTAL):
            fields = seen.setdefault(cat, {})
            fields.setdefault(due, set()).add(line["complaint_id"])
            if line.get("missed"):
                fields.setdefault(missed, set()).add(line["complaint_id"])
    return {cat: {f: len(ids) for f, ids in fields.items()} for cat, fields in seen.items()}


def _complaint_row(c: dict[str, Any], deadlines: dict[str, int]) -> dict[str, Any]:
    row = {f: int(num(c.get(f, 0))) for f in COMPLAINT_FIELDS}
    timed = num(c.get("timed", 0))
    row["avg_days_to_close"] = round(num(c.get("days_to_close", 0)) / timed, 1) if timed else None
    row |= {f: deadlines.get(f, 0) for pair in DEADLINE_FIELDS.values() for f in pair}
    row["overdue_rate"] = rate(row["handling_missed"], row["handling_due"])
    return row


def complaints(days: dict[str, dict], deadlines: list[dict[str, Any]]) -> dict[str, Any]:
    """Per category (every category listed): received, closed on time or late, average days from receipt to close,
    and 超时率 `overdue_rate` = the share of complaints with a handling deadline in the period that missed one there
    (`handling_missed` / `handling_due`, complaints counted once each: never above 1); investigation reports alike."""
    merged = merge(sub(days, "complaints"))
    counted = deadline_counts(deadlines)
    cats = list(COMPLAINT_CATEGORIES) + sorted(k for k in (merged.keys() | counted.keys()) - {TOTAL}
                                               if k not in COMPLAINT_CATEGORIES)
    items = [{"category": cat, **_complaint_row(merged.get(cat, {}), counted.get(cat, {}))} for cat in cats]
    total = {"timed": 0, "days_to_close": 0}
    for c in merged.values():
        for k, v in c.items():
            total[k] = total.get(k, 0) + num(v)
    return {"items": items, "total": _complaint_row(total, counted.get(TOTAL, {}))}


def revisits(days: dict[str, dict], names: dict[str, str] | None = None) -> dict[str, Any]:
    """Per account manager: revisits due in the period (by due date), done on time or late, tasks that went
    overdue, revisits logged and their satisfaction; `revisit_rate` = done on time / due."""
    items = []
    for who, c in merge(sub(days, "revisits")).items():
        n = {f: int(num(c.get(f, 0))) for f in ("due", "done_on_time", "done_late", "overdue_tasks", "missed", "done")}
        rated = num(c.get("satisfaction_n", 0))
        items.append({"account_manager_id": who, "name": (names or {}).get(who), **n,
                      "satisfaction_avg": round(num(c.get("satisfaction_sum", 0)) / rated, 2) if rated else None,
                      "revisit_rate": rate(n["done_on_time"], n["due"])})
    items.sort(key=lambda i: (-i["due"], -i["done"], i["account_manager_id"]))
    due, on_time = sum(i["due"] for i in items), sum(i["done_on_time"] for i in items)
    return {"items": items, "total": {"due": due, "done_on_time": on_time, "overdue_tasks": sum(i["overdue_tasks"] for i in items),
                                      "done": sum(i["done"] for i in items), "revisit_rate": rate(on_time, due)}}


def customers(days: dict[str, dict], archives: list[dict[str, Any]], grades: list[dict[str, Any]]) -> dict[str, Any]:
    """Per tier (核心/重点/一般): the archives as they stand now (by category, frozen, latest evaluation grade)
    and, in the period, archives opened, moved in and out of the tier, evaluations by grade and recommendation."""
    flows = merge(sub(days, "archives"))
    latest = {g["archive_id"]: g.get("grade") for g in grades}
    tiers = list(TIERS) + sorted({a.get("tier") or "unknown" for a in archives} - set(TIERS) | set(flows) - set(TIERS))
    items = []
    for tier in tiers:
        mine = [a for a in archives if (a.get("tier") or "unknown") == tier]
        f = flows.get(tier, {})
        items.append({
            "tier": tier, "archives": len(mine), "frozen": sum(1 for a in mine if a.get("frozen")),
            "category": {c: sum(1 for a in mine if a.get("category") == c) for c in ARCHIVE_CATEGORIES},
            "latest_grade": {g: sum(1 for a in mine if latest.get(a["_id"].split(":", 1)[1]) == g) for g in GRADES},
            "opened": int(num(f.get("opened", 0))), "moved_in": int(num(f.get("moved_in", 0))),
            "moved_out": int(num(f.get("moved_out", 0))), "evaluations": int(num(f.get("evaluations", 0))),
            "evaluation_grade": {g: int(num((f.get("graded") or {}).get(g, 0))) for g in GRADES},
            "recommendation": {r: int(num((f.get("recommended") or {}).get(r, 0))) for r in RECOMMENDATIONS},
        })
    return {"items": items, "total": {"archives": len(archives), "frozen": sum(1 for a in archives if a.get("frozen")),
                                      "opened": sum(i["opened"] for i in items),
                                      "evaluations": sum(i["evaluations"] for i in items)}}
