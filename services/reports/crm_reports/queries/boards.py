"""Weekly and monthly boards (看板) and the daily digest: one summary of every report."""

from __future__ import annotations

from calendar import monthrange
from datetime import date, timedelta
from typing import Any

from crm_reports.queries import rules
from crm_reports.queries.tally import merge, money, num

COMPARED = ("new_leads", "visits", "appointments", "calls", "walk_ins", "deals", "lost", "overdue", "follow_ups")


def week_of(day: date) -> tuple[date, date]:
    """Monday to Sunday around a date."""
    start = day - timedelta(days=day.weekday())
    return start, start + timedelta(days=6)


def month_of(day: date) -> tuple[date, date]:
    return day.replace(day=1), day.replace(day=monthrange(day.year, day.month)[1])


def previous_period(kind: str, start: date) -> tuple[date, date]:
    if kind == "weekly":
        return week_of(start - timedelta(days=7))
    return month_of(start - timedelta(days=1))


def summary(days: dict[str, dict]) -> dict[str, Any]:
    """Headline numbers of a period, from every report's rules."""
    traffic = {f: sum(num(c.get(f, 0)) for c in days.values()) for f in rules.TRAFFIC_FIELDS}
    traffic["by_channel"] = merge(c.get("by_channel") for c in days.values())
    follow = rules.follow_up_compliance(days)["total"]
    lost = rules.lost_reasons(days)
    partners = rules.partners(days)["items"]
    receptions = rules.receptions(days)["items"]
    grade_mix = {i["grade"]: i["new_leads"] for i in rules.grades(days)["items"]}
    return {
        **traffic,
        "deal_amount": money(sum(c.get("deal_amount", 0) for c in days.values())),
        "lost": lost["total"],
        "top_lost_reasons": [{"reason": i["reason"], "count": i["count"]} for i in lost["items"][:3]],
        "overdue": follow["overdue"],
        "compliance_rate": follow["compliance_rate"],
        "funnel": rules.funnel(days, "channel")["total"],
        "grade_mix": grade_mix,
        "partner_reports": sum(p["reports"] for p in partners),
        "partner_deals": sum(p["deals"] for p in partners),
        "receptions_completed": sum(r["completed"] for r in receptions),
        "reception_budget": money(sum(r["budget"] for r in receptions)),
        "reception_spent": money(sum(r["spent"] for r in receptions)),
    }


def board(kind: str, period: tuple[date, date], days: dict[str, dict],
          previous: tuple[date, date], previous_days: dict[str, dict]) -> dict[str, Any]:
    now, before = summary(days), summary(previous_days)
    return {
        "kind": kind, "from": period[0].isoformat(), "to": period[1].isoformat(), "summary": now,
        "previous": {"from": previous[0].isoformat(), "to": previous[1].isoformat(), "summary": before},
        "change": {k: now[k] - before[k] for k in COMPARED},
    }


def board_rows(b: dict[str, Any]) -> list[dict[str, Any]]:
    """A board as metric rows (this period, previous, change) for CSV and XLSX."""
    rows = []
    for k in COMPARED:
        rows.append({"metric": k, "value": b["summary"][k], "previous": b["previous"]["summary"][k], "change": b["change"][k]})
    for k in ("deal_amount", "compliance_rate", "partner_reports", "partner_deals", "receptions_completed",
              "reception_budget", "reception_spent"):
        rows.append({"metric": k, "value": b["summary"][k], "previous": b["previous"]["summary"][k], "change": None})
    return rows
