"""Deals settings (`CRM_DEALS__*`), loaded by the platform at start into `ctx.config`."""

from __future__ import annotations

from decimal import Decimal

from pydantic import BaseModel, Field

from crm_shared.config import ServiceSettings


class CancelReason(BaseModel):
    """One of a branch's cancellation reasons (退房原因): a stable code and the name people read."""

    code: str = Field(pattern=r"^[a-z][a-z0-9_]{0,39}$", examples=["financing_failed"])
    name: str = Field(min_length=1, max_length=50, examples=["贷款未获批"])


def default_cancel_reasons() -> list[CancelReason]:
    return [CancelReason(code=c, name=n) for c, n in (
        ("financing_failed", "贷款未获批"), ("customer_withdrew", "客户放弃购买"), ("price", "价格原因"),
        ("unit_issue", "房源问题"), ("family", "家庭原因"), ("policy", "限购等政策原因"), ("other", "其他"))]


class DealsSettings(ServiceSettings):
    """How often the deals service's timers run, and whether they run in this process."""

    timer_seconds: float = Field(
        60.0, gt=0, title="Timer period (seconds)",
        description="Period of the service's timers.",
    )
    timers: bool = Field(
        True, title="Run timers",
        description="Run the timers in this process. Tests turn them off and call the passes with a chosen time.",
    )
    max_discount: Decimal = Field(
        Decimal("0.03"), ge=0, le=Decimal("0.5"), decimal_places=4, title="Discount without approval",
        description="A branch's default: an agreed price below list × (1 − max_discount) waits for a manager's price "
        "approval (价格核定) before signing. Per branch: PUT /v1/deal-settings/{branch_id}.",
    )
    cancel_reasons: list[CancelReason] = Field(
        default_factory=default_cancel_reasons, min_length=1, max_length=50, title="Cancellation reasons",
        description="A branch's default list of cancellation reasons (退房原因: code and Chinese name). Per branch: "
        "PUT /v1/deal-settings/{branch_id}.",
    )
    reconcile_grace_seconds: float = Field(
        120.0, ge=5, title="Reconcile grace (seconds)",
        description="A unit reserved for a deal that was never stored (a crash between the two writes of a "
        "subscription or a unit change) is freed by the reconcile timer after this long.",
    )
