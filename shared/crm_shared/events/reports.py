"""Events produced by the reports service."""

from __future__ import annotations

from datetime import date
from typing import Any

from crm_shared.events.envelope import EventData, event

SOURCE = "reports"


@event("report.digest_ready", SOURCE)
class DigestReady(EventData):
    """The daily summary of a branch, for notify to email to its managers."""

    date: date
    summary: dict[str, Any]
