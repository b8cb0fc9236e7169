"""Reception settings (`CRM_RECEPTION__*`), loaded by the platform at start into `ctx.config`.

`default_timezone` (a branch's time zone until `branch.configured` arrives) is inherited from
`CRM_DEFAULT_TIMEZONE`, like `environment` from `CRM_ENVIRONMENT`.
"""

from __future__ import annotations

from pydantic import Field

from crm_shared.config import ServiceSettings


class ReceptionSettings(ServiceSettings):
    """How often reception's timers look for no-shows and overdue feedback, and whether they run."""

    timer_seconds: float = Field(
        30.0, gt=0, title="Timer period (seconds)",
        description="Period of the `no-shows` and `feedback-overdue` timers: how late after the grace an "
        "appointment may become a no-show, and an overdue feedback be flagged.",
    )
    timers: bool = Field(
        True, title="Run timers",
        description="Run the timers in this process. Tests turn them off and call the passes "
        "(`mark_no_shows`, `flag_overdue_feedback`) with a chosen time.",
    )
