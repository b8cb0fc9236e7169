"""Which branches a deals or customers report covers: one branch, a list (`a,b`), or `*` (every branch
the caller sees) — the group roll-up, one sum over the branches, each read on its own local dates."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date
from typing import Annotated, Literal

from fastapi import Depends, Query

from crm_reports.generations import Generation
from crm_reports.queries.params import Format, Lang, check_range
from crm_shared.errors import Invalid
from crm_shared.http.auth import Principal
from crm_shared.text import Day

MAX_BRANCHES = 500
SLUG = r"[a-z0-9][a-z0-9-]{0,62}"
BRANCHES_PATTERN = rf"^(\*|{SLUG}(,{SLUG})*)$"
SalesGroup = Literal["consultant", "channel", "partner", "referrer", "product_type"]

BranchesParam = Annotated[str, Query(
    alias="branch_id", min_length=1, max_length=MAX_BRANCHES * 64, pattern=BRANCHES_PATTERN,
    description="A branch id; several, comma-separated, for the group roll-up; or `*` for every branch the caller sees.")]


@dataclass(frozen=True)
class ScopeQuery:
    branches: tuple[str, ...]
    start: date
    end: date
    format: Format
    lang: Lang
    group_by: str = ""


def scope_query(
    branch_id: BranchesParam,
    start: Annotated[Day, Query(alias="from", description="First branch-local date (inclusive).")],
    end: Annotated[Day, Query(alias="to", description="Last branch-local date (inclusive), at most 366 days on.")],
    format: Annotated[Format, Query(description="json (default), csv (UTF-8 with BOM) or xlsx.")] = "json",
    lang: Annotated[Lang, Query(description="Language of names and words (zh-CN default, en).")] = "zh-CN",
) -> ScopeQuery:
    check_range(start, end)
    branches = tuple(dict.fromkeys(branch_id.split(",")))
    if len(branches) > MAX_BRANCHES:
        raise Invalid(f"at most {MAX_BRANCHES} branches per request", loc=("query", "branch_id"))
    return ScopeQuery(branches, start, end, format, lang)


def sales_query(
    base: Annotated[ScopeQuery, Depends(scope_query)],
    group_by: Annotated[SalesGroup, Query(description="Sales per consultant (default), channel, partner, referrer "
                                          "(全民营销) or product type.")] = "consultant",
) -> ScopeQuery:
    return replace(base, group_by=group_by)


async def resolve(g: Generation, who: Principal, q: ScopeQuery, roles: tuple[str, ...]) -> list[str]:
    """The branches to read: another branch's id is 404 (before the role), then the role (403)."""
    if q.branches == ("*",):
        if "*" in who.branches:
            ids = sorted(d["_id"] for d in await g.col("branches").find({}, projection={"_id": 1}).to_list(length=None))
        else:
            ids = sorted(set(who.branches))
    else:
        for b in q.branches:
            who.require_branch(b)
        ids = list(q.branches)
    who.require_role(*roles)
    return ids[:MAX_BRANCHES]
