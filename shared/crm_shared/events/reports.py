"""Events produced by the reports service."""

from __future__ import annotations

import datetime as dt
from typing import Any

from pydantic import Field

from crm_shared.events.envelope import EventData, event

SOURCE = "reports"


@event("report.digest_ready", SOURCE, public=False)  # a mail job for notify: internal
class DigestReady(EventData):
    """The daily summary of a branch, for notify to email to its managers."""

    date: dt.date = Field(description="Branch-local date the digest covers.")
    summary: dict[str, Any] = Field(description="Headline numbers: traffic, deals, lost, overdue, funnel, grade mix.")
    branch_name: str | None = Field(None, description="For the e-mail subject.")
    recipients: list[str] = Field(default_factory=list, description="E-mails of the branch's active managers.")
