"""Reading the current generation: day counters by `_id`, and staff names and lost reasons for labels."""

from __future__ import annotations

from datetime import date
from typing import Any

from crm_reports.exports.present import Names
from crm_reports.generations import Generation
from crm_reports.projections.buckets import read_days
from crm_reports.queries import rules
from crm_reports.queries.params import ReportQuery


async def staff_names(g: Generation, branch_id: str) -> dict[str, str]:
    docs = await g.staff.find({"branch_id": branch_id}, projection={"name": 1}).to_list(length=5000)
    return {d["_id"]: d.get("name") for d in docs}


async def registered_names(g: Generation, branch_id: str, kind: str) -> dict[str, str]:
    """Partner or referrer id -> name, from their registrations."""
    ids = {"$gte": f"{kind}:", "$lt": f"{kind};"}  # the `<kind>:` prefix, as an `_id` range
    docs = await g.names.find({"branch_id": branch_id, "_id": ids}, projection={"name": 1}).to_list(length=20000)
    return {d["_id"].split(":", 1)[1]: d.get("name") for d in docs}


async def export_names(g: Generation, branch_id: str, default_timezone: str, locale: str = "zh-CN") -> Names:
    """What the branch's staff and lost reasons are called, for a sheet people read (staff who left keep their names)."""
    staff = {k: v for k, v in (await staff_names(g, branch_id)).items() if v}
    branch = await g.directory(default_timezone).branch(branch_id)
    lost = {r.code: (r.en if locale == "en" else r.zh) for r in getattr(branch.settings, "lost_reasons", [])}
    partners = {k: v for k, v in (await registered_names(g, branch_id, "partner")).items() if v}
    return Names(staff=staff, partners=partners, lost_reasons=lost)


async def build(g: Generation, name: str, q: ReportQuery) -> dict[str, Any]:
    """One report's JSON over the query's branch dates."""
    days = await read_days(g, q.branch_id, q.start, q.end)
    if name == "daily-traffic":
        return rules.daily_traffic(days, q.start, q.end)
    if name == "funnel":
        names = (await staff_names(g, q.branch_id) if q.group_by == "consultant" else
                 await registered_names(g, q.branch_id, "referrer") if q.group_by == "referrer" else None)
        return rules.funnel(days, q.group_by, names)
    if name == "grades":
        return rules.grades(days)
    if name == "follow-up-compliance":
        return rules.follow_up_compliance(days, await staff_names(g, q.branch_id))
    if name == "lost-reasons":
        return rules.lost_reasons(days)
    if name == "partners":
        return rules.partners(days, await registered_names(g, q.branch_id, "partner"))
    return rules.receptions(days)


async def days_between(g: Generation, branch_id: str, start: date, end: date) -> dict[str, dict]:
    return await read_days(g, branch_id, start, end)
