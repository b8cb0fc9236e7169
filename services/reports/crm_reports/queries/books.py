"""Reading the deals and customers reports (销售, 换房/退房, 特殊优惠, 结佣, 投诉, 回访, 顾客档案) over one
branch or several: counters of every branch's dates, list rows, archive states, and the names of
the people, partners, referrers and units they mention (JSON carries ids and their `name`)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from crm_reports.exports import sales_words as sw
from crm_reports.exports.words import CHANNELS, word
from crm_reports.generations import Generation
from crm_reports.projections import records
from crm_reports.projections.buckets import read_days
from crm_reports.queries import care_rules, deal_rules
from crm_reports.queries.read import registered_names, staff_names
from crm_reports.queries.scope import ScopeQuery

DEAL_REPORTS = ("sales", "deal-changes", "discounts", "payouts")
CARE_REPORTS = ("complaints", "revisits", "customers")
BOOKS = DEAL_REPORTS + CARE_REPORTS
FINANCE_READS = ("sales", "payouts")


@dataclass
class Lookup:
    """What the ids of the report's branches are called."""

    staff: dict[str, str] = field(default_factory=dict)
    partners: dict[str, str] = field(default_factory=dict)
    referrers: dict[str, str] = field(default_factory=dict)
    payees: dict[str, str] = field(default_factory=dict)
    branches: dict[str, str] = field(default_factory=dict)


async def lookup(g: Generation, branches: list[str]) -> Lookup:
    out = Lookup()
    for b in branches:
        out.staff |= {k: v for k, v in (await staff_names(g, b)).items() if v}
        out.partners |= {k: v for k, v in (await registered_names(g, b, "partner")).items() if v}
        out.referrers |= {k: v for k, v in (await registered_names(g, b, "referrer")).items() if v}
        out.payees |= {k: v for k, v in (await registered_names(g, b, "payee")).items() if v}
    docs = await g.col("branches").find({"_id": {"$in": branches}}, projection={"name": 1}).to_list(length=None)
    out.branches = {b: b for b in branches} | {d["_id"]: d.get("name") or d["_id"] for d in docs}
    return out


async def counters(g: Generation, branches: list[str], q: ScopeQuery) -> dict[str, dict]:
    """Every branch's day counters over its own local dates, keyed `<branch>:<date>` (a roll-up sums them)."""
    out: dict[str, dict] = {}
    for b in branches:
        out |= {f"{b}:{d}": c for d, c in (await read_days(g, b, q.start, q.end)).items()}
    return out


async def rows(g: Generation, branches: list[str], q: ScopeQuery, kind: str) -> list[dict[str, Any]]:
    out = []
    for b in branches:
        out += await records.rows_between(g, b, q.start, q.end, kind)
    return sorted(out, key=lambda r: (r["date"], r["at"], r["_id"]))


def sales_names(group_by: str, names: Lookup, lang: str) -> dict[str, str]:
    """The `name` of each key of a sales dimension: people by name, codes as words, nobody as 无…."""
    nobody = {"none": word(sw.NOBODY, lang, group_by), "unassigned": word(sw.NOBODY, lang, "consultant"),
              "unknown": word(sw.NOBODY, lang, "channel")}
    if group_by == "consultant":
        base = names.staff
    elif group_by == "partner":
        base = {k.split(":", 1)[1]: v for k, v in names.payees.items() if k.startswith("partner:")} | names.partners
    elif group_by == "referrer":
        base = {k.split(":", 1)[1]: v for k, v in names.payees.items() if k.startswith("referrer:")} | names.referrers
    elif group_by == "channel":
        base = CHANNELS.get(lang, CHANNELS["zh-CN"])
    else:
        base = sw.PRODUCT_TYPES.get(lang, sw.PRODUCT_TYPES["zh-CN"])
    return nobody | base


def payee_names(names: Lookup) -> dict[str, str]:
    registered = {f"partner:{k}": v for k, v in names.partners.items()} | {f"referrer:{k}": v for k, v in names.referrers.items()}
    return names.payees | registered


async def build_book(g: Generation, name: str, q: ScopeQuery, branches: list[str], names: Lookup) -> dict[str, Any]:
    """One report's JSON over the branches (one branch, or the group roll-up)."""
    if name in ("deal-changes", "discounts"):
        listed = await rows(g, branches, q, "change" if name == "deal-changes" else "discount")
        ids = [r.get(k) for r in listed for k in ("unit_id", "previous_unit_id")]
        units = await records.units(g, [i for i in ids if i])
        if name == "deal-changes":
            result = deal_rules.deal_changes(listed, names.staff, units, sw.CHANGE_REASONS.get(q.lang, sw.CHANGE_REASONS["zh-CN"]))
        else:
            result = deal_rules.discounts(listed, names.staff, units)
    elif name == "customers":
        archives, grades = [], []
        for b in branches:
            archives += await records.facts_of(g, b, "archive")
            grades += await records.facts_of(g, b, "grade")
        result = care_rules.customers(await counters(g, branches, q), archives, grades)
    else:
        days = await counters(g, branches, q)
        if name == "sales":
            result = deal_rules.sales(days, q.group_by, sales_names(q.group_by, names, q.lang))
        elif name == "payouts":
            result = deal_rules.payouts(days, payee_names(names))
        elif name == "complaints":
            result = care_rules.complaints(days, await rows(g, branches, q, "deadline"))
        else:
            result = care_rules.revisits(days, names.staff)
    return {"branches": [{"id": b, "name": names.branches.get(b, b)} for b in branches],
            "from": q.start.isoformat(), "to": q.end.isoformat(), **result}
