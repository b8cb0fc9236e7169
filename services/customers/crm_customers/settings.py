"""Customers settings (`CRM_CUSTOMERS__*`), loaded by the platform at start into `ctx.config`."""

from __future__ import annotations

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
