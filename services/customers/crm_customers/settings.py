"""Customers settings (`CRM_CUSTOMERS__*`), loaded by the platform at start into `ctx.config`."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from crm_shared.config import ServiceSettings


class CustomersSettings(ServiceSettings):
    """How often the customers service's timers run, and whether they run in this process."""

    timer_seconds: float = Field(
        60.0, gt=0, title="Timer period (seconds)",
        description="Period of the service's timers.",
    )
    timers: bool = Field(
        True, title="Run timers",
        description="Run the timers in this process. Tests turn them off and call the passes with a chosen time.",
    )
    review_days: int = Field(
        7, ge=1, le=60, title="Review within (days)",
        description="A new archive is reviewed by a manager by the end of this many branch-local days after it "
        "was opened; past it the timer publishes `archive.review_overdue` once.",
    )
    archive_number_prefix: str = Field(
        "", pattern=r"^[A-Z\u4e00-\u9fff]{0,6}$", title="Archive number prefix",
        description="Archive numbers are 6+ digits per branch (`000123`), or `<prefix>-<digits>` when a prefix (capital letters or Chinese, e.g. `档`) is set.",
    )
    archive_import_max_rows: int = Field(
        5000, ge=1, le=10000, title="Owners per import",
        description="Most rows one `POST /v1/archives/import` takes; a bigger sheet is refused (split it).",
    )

    # -- complaints, revisits, greetings
    complaint_report_days: int = Field(
        3, ge=1, le=30, title="Investigation report due (days)",
        description="A complaint's investigation report (调查报告) is due this many days after receipt (or reopening); "
        "missing it raises `complaint.overdue` (deadline `report`) once.",
    )
    complaint_major_days: int = Field(
        3, ge=1, le=60, title="Handling deadline, major (days)",
        description="A major (重大) complaint is to be closed within this many days of receipt (or reopening).",
    )
    complaint_normal_days: int = Field(
        7, ge=1, le=60, title="Handling deadline, normal (days)",
        description="A normal complaint is to be closed within this many days of receipt (or reopening).",
    )
    revisit_core_months: int = Field(
        1, ge=1, le=24, title="Revisit cycle, core accounts (months)",
        description="Core (核心) archives are revisited every this many months.",
    )
    revisit_key_months: int = Field(
        3, ge=1, le=24, title="Revisit cycle, key accounts (months)",
        description="Key (重点) archives are revisited every this many months.",
    )
    revisit_general_months: int = Field(
        6, ge=1, le=24, title="Revisit cycle, general (months)",
        description="General (一般) archives are revisited every this many months (twice a year by default).",
    )
    revisit_after_sale_days: list[Annotated[int, Field(ge=1, le=3650)]] = Field(
        [7, 30], max_length=10, title="Revisits after signing (days)",
        description="Revisits after a signed deal, this many days after signing (besides handover and each "
        "anniversary).",
    )
    revisit_grace_days: int = Field(
        3, ge=0, le=30, title="Revisit grace (days)",
        description="A revisit task due on a day becomes overdue (`revisit.overdue`, once) when this many "
        "branch-local days after that day have passed without a log.",
    )
    greeting_hour: int = Field(
        9, ge=0, le=23, title="Greetings hour (branch time)",
        description="The daily greetings pass publishes a branch's `greeting.due` events from this hour of the "
        "branch-local day (notify still keeps quiet hours).",
    )
    export_expiry_hours: int = Field(
        24, ge=1, le=24 * 30, title="Export expiry (hours)",
        description="An archive export (受控文件) can be downloaded for this many hours after it is ready (masked: from "
        "the request; full numbers: from the approval); 410 after.",
    )
    export_max_rows: int = Field(
        5000, ge=1, le=20000, title="Rows per export",
        description="Most archives one export lists; a bigger selection is refused (422 `export-too-large`).",
    )
