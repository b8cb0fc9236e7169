"""Settings of the leads service: `CRM_LEADS__<FIELD>` (crm_shared.config.ServiceSettings)."""

from __future__ import annotations

from pydantic import Field

from crm_shared.config import ServiceSettings


class LeadsSettings(ServiceSettings):
    """Which assigner picks owners, and how the periodic scans run."""

    assigner: str = Field("round_robin", title="Assigner",
                          description="Entry point in `crm.leads.assigners` choosing the owner of an unclaimed lead; "
                          "an unknown name stops start-up.")
    timer_interval_seconds: float = Field(60.0, gt=0, title="Scan period",
                                          description="Seconds between passes of each scan: overdue follow-ups, "
                                          "reclaim, channel report expiry and lapse, dispute escalation.")
    timers: bool = Field(True, title="Scans", description="Declare the periodic scans (off in tests that drive time).")
    export_expiry_hours: int = Field(24, ge=1, le=24 * 30, title="Export expiry (hours)",
                                     description="A lead export (受控文件) can be downloaded for this many hours after it "
                                     "is ready (masked: from the request; full numbers: from the approval); 410 after.")
    export_max_rows: int = Field(5000, ge=1, le=20000, title="Rows per export",
                                 description="Most leads one export lists; a bigger selection is refused (422 "
                                 "`export-too-large`: narrow the filters).")
