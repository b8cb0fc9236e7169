"""Branch settings (the contract of `branch.configured`) and branch-time arithmetic.

The leads service owns branches; every other service keeps its own copy from
`branch.configured` events and reads it with this same model, so defaults agree.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, WithJsonSchema, field_validator

from crm_shared.text import Line

DEFAULT_TIMEZONE = "Asia/Shanghai"
WHOLE_WEEK = [0, 1, 2, 3, 4, 5, 6]  # sales offices work weekends: Saturday is their busiest day

# A wall-clock time in the branch's zone. JSON Schema's `format: time` demands an offset
# (RFC 3339), which a branch-local time must not have, so it is documented as a pattern.
LocalTime = Annotated[time, WithJsonSchema({
    "type": "string", "pattern": r"^([01]\d|2[0-3]):[0-5]\d(:[0-5]\d(\.\d+)?)?$",
    "description": "Branch-local wall-clock time, HH:MM[:SS].", "examples": ["21:00"],
})]


class QuietHours(BaseModel):
    model_config = ConfigDict(extra="forbid")
    start: LocalTime = Field(time(21, 0), description="Marketing is not sent from this branch-local time...")
    end: LocalTime = Field(time(8, 0), description="...until this one (may wrap past midnight).")


class CadenceDays(BaseModel):
    """Days until the next follow-up, per grade."""

    model_config = ConfigDict(extra="forbid")
    O: int = Field(1, ge=1, le=365)
    A: int = Field(3, ge=1, le=365)
    B: int = Field(7, ge=1, le=365)
    C: int = Field(14, ge=1, le=365)


class ReceptionClassOverride(BaseModel):
    """A branch's changes to one business-reception class's defaults (reception service)."""

    model_config = ConfigDict(extra="forbid")
    budget_min: float | None = Field(None, ge=0, le=100000, description="Meal budget per head, CNY, lower bound.")
    budget_max: float | None = Field(None, ge=0, le=100000, description="Meal budget per head, CNY, upper bound.")
    hotel: str | None = Field(None, max_length=40, examples=["five_star"])
    accompany: list[str] | None = Field(None, max_length=10, description="Who must accompany the guests.")
    notice_days: int | None = Field(None, ge=0, le=60, description="Days of notice the class needs.")
    needs_general_manager: bool | None = Field(None, description="Second approval step by the general manager.")


class LostReason(BaseModel):
    """One entry of a branch's lost-reason list (流失原因): a stable code and its names, Chinese first."""

    model_config = ConfigDict(extra="forbid")
    code: str = Field(pattern=r"^[a-z][a-z0-9_]{0,39}$", examples=["price"],
                      description="Stable key: what `POST /v1/leads/{id}/close` takes and the report groups by.")
    zh: Line(40) = Field(examples=["价格"], description="Chinese name, shown first.")
    en: Line(60) = Field(examples=["Price"], description="English name.")
    note_required: bool = Field(False, description="Closing with this reason needs a note (其他 other).")


DEFAULT_LOST_REASONS = (
    ("price", "价格", "Price", False), ("location", "位置", "Location", False), ("layout", "户型", "Layout", False),
    ("competitor", "选择竞品", "Chose a competitor", False), ("financing", "资金/贷款", "Financing", False),
    ("no_longer_buying", "不再购买", "No longer buying", False), ("other", "其他", "Other", True),
)


def default_lost_reasons() -> list[LostReason]:
    return [LostReason(code=c, zh=zh, en=en, note_required=n) for c, zh, en, n in DEFAULT_LOST_REASONS]


class BranchSettings(BaseModel):
    """Per-branch rules; every field has its documented default (docs/contract.md, "leads")."""

    model_config = ConfigDict(extra="forbid")
    cadence_days: CadenceDays = Field(default_factory=CadenceDays)
    reclaim_after_days: int = Field(15, ge=1, le=365, description="No follow-up this long -> public pool.")
    reclaim_warning_days: int = Field(2, ge=0, le=30, description="Warn this many days before reclaim.")
    pool_claims_per_day: int = Field(5, ge=0, le=1000, description="Pool claims per consultant per day.")
    report_valid_days: int = Field(7, ge=1, le=365, description="A channel report's validity.")
    protection_days: int = Field(30, ge=1, le=3650, description="Attribution protection from first visit.")
    report_lapse_days: int = Field(5, ge=1, le=365, description="A live channel report with no partner follow-up "
                                   "this long lapses and must be reported again (持续跟进: one entry every 5 days).")
    renewal_window_days: int = Field(10, ge=1, le=365, description="A confirmation (确认书) may be renewed in its "
                                     "last this many days.")
    confirmation_months: int = Field(2, ge=1, le=24, description="Each renewal extends the confirmation by this many "
                                     "calendar months (branch time).")
    same_day_grace_minutes: int = Field(60, ge=0, le=1440, description="带团直接进场: a partner may report a customer "
                                        "this long after the check-in that opened the customer's lead (on the day of "
                                        "that first visit without limit when the desk recorded the partner on the visit); "
                                        "the report confirms at once.")
    quiet_hours: QuietHours = Field(default_factory=QuietHours)
    no_show_grace_minutes: int = Field(30, ge=0, le=1440, description="After start with no check-in -> no-show.")
    feedback_due_working_days: int = Field(2, ge=1, le=30, description="Reception feedback deadline.")
    dispute_decision_working_days: int = Field(1, ge=1, le=30, description="Attribution dispute deadline.")
    digest_time: LocalTime = Field(time(20, 0), description="Branch-local time of the managers' daily digest.")
    working_days: list[int] = Field(default_factory=lambda: list(WHOLE_WEEK),
                                    description="Weekdays 0=Mon..6=Sun that are working days (default: the whole week).")
    holidays: list[date] = Field(default_factory=list, max_length=400, description="Non-working dates.")
    workdays_extra: list[date] = Field(default_factory=list, max_length=400, description="Make-up working days (调休).")
    reception_classes: dict[Literal["A", "B", "C", "D"], ReceptionClassOverride] = Field(
        default_factory=dict, description="Overrides of the business-reception class defaults (A 130-150 CNY, 2 days notice...)."
    )
    lost_reasons: list[LostReason] = Field(
        default_factory=default_lost_reasons, min_length=1, max_length=50,
        description="Why a lead is lost (流失原因), in the order forms show them; closing as lost takes one code.",
    )

    @field_validator("working_days")
    @classmethod
    def _weekdays(cls, v: list[int]) -> list[int]:
        if not v or any(d < 0 or d > 6 for d in v):
            raise ValueError("working_days must be a non-empty list of 0..6")
        return sorted(set(v))

    @field_validator("lost_reasons")
    @classmethod
    def _distinct_codes(cls, v: list[LostReason]) -> list[LostReason]:
        codes = [r.code for r in v]
        if len(set(codes)) != len(codes):
            raise ValueError("lost reason codes must be distinct")
        return v

    def lost_reason(self, code: str | None) -> LostReason | None:
        """The branch's entry for a code, or None when the list has no such code."""
        return next((r for r in self.lost_reasons if r.code == code), None)

    @classmethod
    def from_event(cls, settings: dict) -> "BranchSettings":
        """Read `branch.configured` settings, ignoring fields newer than this code."""
        return cls.model_validate({k: v for k, v in (settings or {}).items() if k in cls.model_fields})


def valid_timezone(name: str) -> str:
    if name not in available_timezones():
        raise ValueError(f"unknown time zone {name!r}")
    return name


def zone(name: str | None) -> ZoneInfo:
    try:
        return ZoneInfo(name or DEFAULT_TIMEZONE)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo(DEFAULT_TIMEZONE)


def local_date(moment: datetime, tz: str | None) -> date:
    """The branch-local calendar date of a UTC instant."""
    return moment.astimezone(zone(tz)).date()


def at_local(day: date, clock: time, tz: str | None) -> datetime:
    """The instant of a branch-local wall-clock time on a date."""
    return datetime.combine(day, clock, tzinfo=zone(tz))


def is_working_day(day: date, settings: BranchSettings) -> bool:
    if day in settings.workdays_extra:
        return True
    return day.weekday() in settings.working_days and day not in settings.holidays


def add_working_days(moment: datetime, days: int, settings: BranchSettings, tz: str | None) -> datetime:
    """The same local time `days` working days later (weekends and holidays skipped)."""
    local = moment.astimezone(zone(tz))
    day, left = local.date(), days
    while left > 0:
        day += timedelta(days=1)
        if is_working_day(day, settings):
            left -= 1
    return datetime.combine(day, local.timetz())


def in_quiet_hours(moment: datetime, quiet: QuietHours, tz: str | None) -> bool:
    t = moment.astimezone(zone(tz)).time()
    if quiet.start <= quiet.end:
        return quiet.start <= t < quiet.end
    return t >= quiet.start or t < quiet.end


def quiet_hours_end(moment: datetime, quiet: QuietHours, tz: str | None) -> datetime:
    """When a message held by quiet hours may go: the window's end, branch time."""
    if not in_quiet_hours(moment, quiet, tz):
        return moment
    local = moment.astimezone(zone(tz))
    end = datetime.combine(local.date(), quiet.end, tzinfo=local.tzinfo)
    return end if end > local else end + timedelta(days=1)
