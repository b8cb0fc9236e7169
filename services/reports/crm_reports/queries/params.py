"""Query parameters shared by every report, validated before any read."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date
from typing import Annotated, Literal

from fastapi import Depends, Query

from crm_shared.events import BRANCH_ID_PATTERN
from crm_shared.errors import Invalid
from crm_shared.text import Day, bounded_day

ReportName = Literal["daily-traffic", "funnel", "grades", "follow-up-compliance", "lost-reasons", "partners", "receptions"]
REPORT_NAMES: tuple[str, ...] = ReportName.__args__  # type: ignore[attr-defined]
Format = Literal["json", "csv", "xlsx"]
GroupBy = Literal["channel", "consultant", "referrer"]
Lang = Literal["zh-CN", "en"]
MAX_RANGE_DAYS = 366

BranchParam = Annotated[str, Query(min_length=1, max_length=64, pattern=BRANCH_ID_PATTERN, description="Branch id.")]


@dataclass(frozen=True)
class ReportQuery:
    branch_id: str
    start: date
    end: date
    format: Format
    group_by: GroupBy
    lang: Lang = "zh-CN"


def bad_range(detail: str, field: str = "to") -> Invalid:
    return Invalid(detail, loc=("query", field))


def check_range(start: date, end: date) -> None:
    if end < start:
        raise bad_range("`to` must not be before `from`")
    if (end - start).days + 1 > MAX_RANGE_DAYS:
        raise bad_range(f"at most {MAX_RANGE_DAYS} days per request")


def report_query(
    branch_id: BranchParam,
    start: Annotated[Day, Query(alias="from", description="First branch-local date (inclusive).")],
    end: Annotated[Day, Query(alias="to", description="Last branch-local date (inclusive), at most 366 days on.")],
    format: Annotated[Format, Query(description="json (default), csv (UTF-8 with BOM) or xlsx.")] = "json",
    lang: Annotated[Lang, Query(description="Language of a CSV/XLSX sheet's headers and words (zh-CN default, en); "
                                "JSON keeps ids and codes.")] = "zh-CN",
) -> ReportQuery:
    check_range(start, end)
    return ReportQuery(branch_id, start, end, format, "channel", lang)


def month_anchor(month: str | None) -> date | None:
    """The first day of a `YYYY-MM` month, within the supported years (year 0 is no date at all)."""
    if month is None:
        return None
    try:
        return bounded_day(date.fromisoformat(f"{month}-01"))
    except ValueError as exc:
        raise Invalid(str(exc), loc=("query", "month")) from None


def funnel_query(
    base: Annotated[ReportQuery, Depends(report_query)],
    group_by: Annotated[GroupBy, Query(description="Group the funnel by lead channel, by consultant, or by referrer "
                                       "(全民营销: referral leads naming a registered referrer).")] = "channel",
) -> ReportQuery:
    return replace(base, group_by=group_by)
