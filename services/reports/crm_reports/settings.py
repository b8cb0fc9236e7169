"""Settings of the reports service: `CRM_REPORTS__<FIELD>` (crm_shared.config.ServiceSettings)."""

from __future__ import annotations

from pydantic import Field

from crm_shared.config import ServiceSettings


class ReportsSettings(ServiceSettings):
    """The daily digest's timer and the rebuild's passes."""

    digest: bool = Field(True, title="Daily digest timer",
                         description="Emit `report.digest_ready` at each branch's digest time. Off: no digest timer "
                                     "(tests call `run_digest` with the time they choose).")
    digest_interval_seconds: float = Field(30.0, gt=0, title="Digest period",
                                           description="How often the digest timer looks for branches whose digest is due.")
    rebuild_window_events: int = Field(20_000, ge=1, title="Rebuild pass size",
                                       description="Events one pass of a rebuild's replay applies in memory before "
                                                   "writing them (one bulk write per collection) and recording how far "
                                                   "it got; bounds its memory and what a restart replays again.")
    rebuild_interval_seconds: float = Field(10.0, gt=0, title="Rebuild timer period",
                                            description="How often the rebuild timer looks for a requested or interrupted "
                                                        "rebuild (a request wakes it at once); its lease lasts three "
                                                        "periods, longer than a pass must take.")
